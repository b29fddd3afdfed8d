"""Web training material (filter.training.web): line labels, markdown, host split, short texts.

The unit tests use invented pages written for this test; the corpus test reads
``../shared/corpus/web`` and skips without it.
"""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

from filter.training.build import GoldExcluder, check_record, load_gold_docs
from filter.training.corpus import Article
from filter.training.web import (WEB_ORIGINS, host_split, line_spans, short_records, strip_markdown,
                                 web_records)

PAGE = ("BerandaBeritaDaerah\nKabar Desa Sukamaju\nWarga Sukamaju bergotong royong membersihkan saluran air.\n"
        "Kepala desa mengapresiasi semangat warga.\nKabar Desa Sukamaju\nTinggalkan Komentar\n")


def _label_of(text: str, spans: list[dict], line: str, nth: int = 0) -> str:
    start = -1
    for _ in range(nth + 1):
        start = text.index(line, start + 1)
    hit = [s for s in spans if s["start"] == start and s["end"] == start + len(line)]
    return hit[0]["label"] if hit else "content"


def test_line_spans_furniture_repeated_headline_and_promo_pages():
    spans, ignore = line_spans(PAGE, ["BerandaBeritaDaerah", "Kabar Desa Sukamaju", "Tinggalkan Komentar"], [], False)
    assert ignore == []
    assert _label_of(PAGE, spans, "BerandaBeritaDaerah") == "boilerplate"
    assert _label_of(PAGE, spans, "Kabar Desa Sukamaju", 0) == "content"       # the headline
    assert _label_of(PAGE, spans, "Kabar Desa Sukamaju", 1) == "boilerplate"   # its later copy
    assert _label_of(PAGE, spans, "Warga Sukamaju bergotong royong membersihkan saluran air.") == "content"
    # listed as often as it occurs: every copy is furniture
    both, _ = line_spans(PAGE, ["Kabar Desa Sukamaju"] * 2, [], False)
    assert [_label_of(PAGE, both, "Kabar Desa Sukamaju", i) for i in (0, 1)] == ["boilerplate"] * 2
    # a promotion page is promo throughout except its furniture
    promo, _ = line_spans(PAGE, ["Tinggalkan Komentar"], [], True)
    assert {s["label"] for s in promo if "Komentar" not in PAGE[s["start"]:s["end"]]} == {"promo"}
    assert _label_of(PAGE, promo, "Tinggalkan Komentar") == "boilerplate"
    assert sum(s["label"] == "promo" for s in promo) == 5
    # a planted promo line in an ordinary page
    planted, _ = line_spans(PAGE, [], ["Kepala desa mengapresiasi semangat warga."], False)
    assert [s["label"] for s in planted] == ["promo"]


def test_line_spans_ignore_an_earlier_copy_of_furniture_after_the_content_starts(monkeypatch):
    """A caption or widget line shown twice and listed once: which copy is furniture the labels
    do not say, so the earlier one is neither content nor furniture (ignored) — unless it comes
    before any content line, where it is the headline."""
    import filter.training.web as web

    monkeypatch.setattr(web, "REPEATED_COPIES_IGNORED", True)
    page = ("Kabar Desa\nWarga panen padi di sawah desa.\nPetani membawa gabah kering\n"
            "Harga gabah naik bulan ini.\nPetani membawa gabah kering\nKabar Desa\n")
    spans, ignore = line_spans(page, ["Petani membawa gabah kering", "Kabar Desa"], [], False)
    first = page.index("Petani membawa gabah kering")
    assert ignore == [(first, first + len("Petani membawa gabah kering"))]
    assert _label_of(page, spans, "Petani membawa gabah kering", 1) == "boilerplate"
    assert _label_of(page, spans, "Kabar Desa", 0) == "content" and _label_of(page, spans, "Kabar Desa", 1) == "boilerplate"
    monkeypatch.setattr(web, "REPEATED_COPIES_IGNORED", False)   # off (the bundled build): content
    assert line_spans(page, ["Petani membawa gabah kering", "Kabar Desa"], [], False) == (spans, [])


def test_strip_markdown():
    md = ("# Judul Besar\nA short description of your package.\n[>> DAFTAR <<](https://example.org/x)\n"
          "| Nama | Nilai |\n|---|---|\n| Satu | **dua** |\n<p>Teks &amp; tautan</p>\n- butir ![gbr](a.png)")
    assert strip_markdown(md).split("\n") == ["Judul Besar", ">> DAFTAR <<", "Nama | Nilai", "Satu | dua",
                                              "Teks & tautan", "butir gbr"]


def test_host_split_is_stable_and_near_share():
    hosts = [f"situs{i}.example.id" for i in range(2000)]
    a = [host_split(h, 0) for h in hosts]
    assert a == [host_split(h, 0) for h in hosts]
    assert 0.15 < a.count("valid") / len(a) < 0.25
    assert a != [host_split(h, 1) for h in hosts]


def _write_web(root: Path) -> None:
    root.mkdir()
    pages = {
        "pages_promo.jsonl": [{"url": "https://kampus.example.ac.id/a", "category": "promo_page",
                               "text": "Pola Gacor Mahjong Hari Ini\nMain sekarang, bonus new member 100.\nMenu Utama",
                               "boilerplate_lines": ["Menu Utama"], "promo_lines": []}],
        "pages_gambling_news.jsonl": [{"url": "https://berita.example.id/b", "category": "gambling_news",
                                       "text": "Polisi Bongkar Judi Online\nPolisi menangkap tiga bandar judi online.\nBaca Juga: Lain",
                                       "boilerplate_lines": ["Baca Juga: Lain"], "promo_lines": []}],
        "pages_furniture.jsonl": [{"url": "https://desa.example.id/c", "category": "web_page",
                                   "text": "Posyandu Desa\nKader posyandu menimbang balita.\nRate this post",
                                   "boilerplate_lines": ["Rate this post"], "promo_lines": []}],
    }
    for name, rows in pages.items():
        (root / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    gh = root / "github"
    for i, owner in enumerate(["opa", "opb"]):
        d = gh / "gambling_seo_spam_readmes" / f"{owner}_repo"
        d.mkdir(parents=True)
        # the second README is a copy of the first: dropped as a near-duplicate
        d.joinpath("README.md").write_text("# Situs Slot\n" + " ".join(f"kata{j}" for j in range(60)), encoding="utf-8")
    snip = gh / "muhammadelta11_sistem-scaning-malicious"
    snip.mkdir(parents=True)
    with open(snip / "labeling_judol_dan_aman-26.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["url", "title", "description", "timestamp", "label_status"])
        w.writerow(["https://smk.example.sch.id/?x=SLOT", "SLOT GACOR Jurnal Sekolah", "Jurnal ilmiah sekolah.", "", "hack judol"])
        w.writerow(["https://univ.example.ac.id/", "Bahaya Judi bagi Mahasiswa", "Kajian fakultas.", "", "aman"])
        w.writerow(["https://univ2.example.ac.id/", "Hacked By Someone", "owned", "", "aman"])
        w.writerow(["https://univ3.example.ac.id/", "Kampus | Slot Gacor Depo 5k", "x", "", "aman"])
        w.writerow(["https://univ4.example.ac.id/", "Foto", "y", "", "pornografi"])
    tw = gh / "apriliamarenden25_tweets"
    tw.mkdir(parents=True)
    with open(tw / "judionlinecleaning.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["created_at", "text", "username"])
        w.writerow(["", "judi online bikin keluarga hancur", "wargabiasa"])
        w.writerow(["", "hasil pengeluaran hari ini salam jp", "TotoHoki4d"])


def test_web_records_on_invented_material(tmp_path):
    root = tmp_path / "web"
    _write_web(root)
    recs, st = web_records(root, None, seed=0)
    for r in recs:
        check_record(r)
        assert r["origin"] in WEB_ORIGINS
    by = defaultdict(list)
    for r in recs:
        by[r["origin"]].append(r)
    assert len(by["web_promo"]) == 2                      # the page + one README (the copy dropped)
    assert st.dropped["readme:near_duplicate"] == 1
    promo_page = [r for r in by["web_promo"] if r["source"].startswith("https")][0]
    assert [s["label"] for s in promo_page["spans"]] == ["promo", "promo", "boilerplate"]
    assert [s["label"] for s in by["web_news"][0]["spans"]] == ["boilerplate"]
    assert [s["label"] for s in by["web_page"][0]["spans"]] == ["boilerplate"]
    (sp,) = by["snippet_promo"]
    assert [s["label"] for s in sp["spans"]] == ["promo"] and len(sp["ignore"]) == 1   # description unknown
    assert [r["title"] if r["title"] else r["text"].split("\n")[0] for r in by["snippet_page"]] == ["Bahaya Judi bagi Mahasiswa"]
    assert st.dropped["snippet:aman_defaced"] == 1 and st.dropped["snippet:aman_promo_wording"] == 1
    assert st.dropped["snippet:pornografi"] == 1
    assert [r["text"] for r in by["social"]] == ["judi online bikin keluarga hancur"]
    assert st.dropped["tweet:promo_account"] == 1


def test_short_records_keep_sentences_and_label_related_links():
    arts = [Article(f"a{i}", "contoh", f"https://contoh.example.id/{i}", f"Warga Desa Kenanga {i} Menanam Padi Bersama",
                    f"Warga Desa Kenanga {i} menanam padi bersama pada Senin pagi. Kegiatan itu diikuti puluhan petani.\n"
                    "Kepala desa hadir memberi semangat.", "invented.jsonl") for i in range(40)]
    recs = short_records(arts, {"contoh": "valid"}, seed=0, n=40)
    assert len(recs) == 40 and all(r["split"] == "valid" and r["origin"] == "short" for r in recs)
    for r in recs:
        check_record(r)
        for s in r["spans"]:
            assert s["label"] == "boilerplate" and s["kind"] == "related_link"
            assert r["text"][s["start"]:s["end"]].split(":")[0].lower() in ("baca juga", "simak juga", "lihat juga", "baca juga ")
            assert "menanam padi" in r["text"][:s["start"]]
    assert sum(bool(r["spans"]) for r in recs) >= 3


def test_real_web_material_splits_by_host_and_excludes_gold(corpus_dir):
    gold = load_gold_docs(corpus_dir.parent / "gold")
    recs, st = web_records(corpus_dir / "web", GoldExcluder(gold), seed=0)
    hosts = defaultdict(set)
    for r in recs:
        check_record(r)
        hosts[r["outlet"]].add(r["split"])
    assert all(len(s) == 1 for s in hosts.values()), "a web host is in both train and valid"
    assert {"web_promo", "web_news", "web_page", "snippet_promo", "snippet_page", "social"} <= {r["origin"] for r in recs}
    n_pages = sum(v for o in ("web_news", "web_page") for v in st.kept[o].values())
    assert n_pages >= 240
    gold_text = {d["text"] for d in gold}
    assert not any(r["text"] in gold_text for r in recs)
    assert sum(st.kept["web_promo"].get(s, 0) for s in ("train", "valid")) >= 150
    assert st.kept["web_promo"].get("valid", 0) > 0 and st.kept["web_news"].get("valid", 0) > 0
