"""Dataset build: gold exclusion, determinism, group-aware splits, records, stats and CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from filter.training.brands import brand_family
from filter.training.build import (DATA_DIR, GoldExcluder, build_dataset, check_record, choose_valid_outlets,
                          dataset_stats, is_about_gambling)
from filter.cli import app
from filter.training.corpus import Article, load_articles, normalize_text, normalize_url
from filter.training.weak import weak_label
from filter.training.web import WEB_ORIGINS
from filter.training.promo import Brand, PromoBank, PromoText, load_templates

# Invented brands, comments and keywords (the real bank takes ~10 s to load).
BRANDS = ["KilatJaya77", "NagaEmas88", "BintangHoki303", "SamuderaWin99", "GarudaSpin21", "RajaPetir55",
          "MentariBet12", "CahayaToto66", "ElangSakti31", "PusakaJP45", "LautBiru808", "TopanGacor17"]
COMMENTS = ["Main di KilatJaya77 auto cuan terus, depo kecil wd besar!",
            "Cobain NagaEmas88 bosku, maxwin tiap malam gak bohong",
            "Udah coba SamuderaWin99? Link alternatif aman, bonus member baru",
            "Mantap GarudaSpin21 pola gacor hari ini tembus"]


@pytest.fixture(scope="module")
def tiny_bank() -> PromoBank:
    brands = [Brand(n, brand_family(n), "brands.txt") for n in BRANDS]
    comments = [PromoText(c, "invented", brand_family(b), "comment") for c, b in
                zip(COMMENTS, ["KilatJaya77", "NagaEmas88", "SamuderaWin99", "GarudaSpin21"])]
    keywords = ["slot gacor", "link alternatif", "daftar sekarang", "bonus new member", "maxwin", "rtp live"]
    return PromoBank(comments, load_templates(DATA_DIR / "templates"), brands, keywords)


SENTENCES = [
    "Pemerintah Kabupaten {n} meresmikan pasar rakyat yang baru selesai dibangun pada Senin pagi.",
    "Bupati mengatakan pasar itu diharapkan menggerakkan ekonomi warga di {m} desa sekitarnya.",
    '"Kami ingin pedagang kecil punya tempat berjualan yang layak," ujarnya kepada wartawan.',
    "Pembangunan pasar menghabiskan anggaran sekitar Rp {m} miliar dari dana daerah.",
    "Sebanyak {k} kios disediakan bagi pedagang yang sebelumnya berjualan di bahu jalan.",
    "Warga menyambut baik kehadiran pasar karena lokasinya dekat dengan terminal angkutan.",
]
DESA = ["Sukamaju", "Cempaka", "Lembayung", "Kenanga", "Teratai", "Cendana", "Merbabu", "Sawojajar"]


def invented_article(i: int) -> str:
    lines = [s.format(n=DESA[i % len(DESA)] + str(i), m=i + 3, k=10 * i + 7) for s in SENTENCES]
    lines.insert(3, "ADVERTISEMENT")
    lines.insert(5, "Baca juga:")
    lines.insert(6, f"Festival Kuliner Digelar di Alun-Alun {DESA[i % len(DESA)]} Pekan Ini")
    return "\n".join(lines) + f"\n(abc/de{i % 10})"


def _host(doc: dict) -> str:
    promo = sorted((s["start"], s["end"]) for s in doc["spans"] if s["label"] == "promo")
    out, prev = [], 0
    for a, b in promo:
        out.append(doc["text"][prev:a])
        prev = b
    return "".join(out) + doc["text"][prev:]


def _read(out: Path) -> list[dict]:
    return [json.loads(line) for s in ("train", "valid") for line in open(out / f"{s}.jsonl", encoding="utf-8")]


def test_gold_excluder_matches_url_text_near_text_and_transplant_hosts(dev):
    ex = GoldExcluder(dev)
    n_doc = next(d for d in dev if d["id"].startswith("dev-N"))
    t_doc = next(d for d in dev if d["id"].startswith("dev-T"))
    assert ex.reason(n_doc["source"].replace("https://", "http://"), "teks lain") == "url"
    assert ex.reason("", n_doc["text"]) == "text"
    assert ex.reason("", "  " + n_doc["text"].upper() + "\n") == "text"
    assert ex.reason("", _host(t_doc)) == "text"
    words = n_doc["text"].split()
    edited = " ".join(words[:-3] + ["tambahan", "kalimat", "baru."])
    if len(words) > 150:
        assert ex.reason("https://contoh.id/lain", edited) == "near_text"
    assert ex.reason("https://contoh.id/baru", invented_article(1)) is None


def test_build_excludes_every_gold_article(tmp_path, dev, shared_dir, tiny_bank):
    news = tmp_path / "corpus" / "news"
    news.mkdir(parents=True)
    nh = [d for d in dev if d["id"].startswith(("dev-N", "dev-H"))]
    by_url = nh[:5]
    # transplant hosts and other gold texts under other URLs: matched by text
    by_text = [d for d in dev if d["id"].startswith("dev-T")][:3] + nh[5:7]
    rows = [{"outlet": d["outlet"], "url": d["source"], "title": "", "text": _host(d)} for d in by_url]
    rows += [{"outlet": "lain", "url": f"https://lain.id/{i}", "title": "", "text": _host(d)}
             for i, d in enumerate(by_text)]
    # a lightly edited long gold text under another URL: matched as near-identical
    longest = max(nh[7:], key=lambda d: len(d["text"]))
    rows.append({"outlet": "lain", "url": "https://lain.id/edit", "title": "",
                 "text": longest["text"] + " Kalimat tambahan di akhir."})
    rows += [{"outlet": ["kabarkita", "suaradesa", "warta"][i % 3], "url": f"https://contoh{i % 3}.id/{i}",
              "title": f"Pasar Rakyat {i}", "text": invented_article(i)} for i in range(12)]
    with open(news / "mix.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    st = build_dataset(tmp_path / "corpus", out, seed=3, workers=1, gold_dir=shared_dir / "gold",
                       bank=tiny_bank, valid_outlets=["warta"])
    assert st.articles == 12
    assert st.excluded == {"near_text": 1, "text": len(by_text), "url": len(by_url)}
    recs = _read(out)
    dev_urls = {normalize_url(d["source"]) for d in dev}
    dev_texts = {normalize_text(_host(d)) for d in dev}
    excluder = GoldExcluder(dev)
    assert recs
    for r in recs:
        check_record(r)
        assert normalize_url(r["source"]) not in dev_urls
        host = _host(r)
        assert normalize_text(host) not in dev_texts
        if r["origin"] in ("natural", "hard_negative"):
            assert excluder.reason(r["source"], r["text"]) is None


def test_build_is_deterministic_and_parallel_merge_is_ordered(corpus_dir, shared_dir, tmp_path, tiny_bank):
    kw = dict(seed=0, limit=4, gold_dir=shared_dir / "gold", bank=tiny_bank, inject_news=True)
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    st = build_dataset(corpus_dir, a, workers=1, **kw)
    build_dataset(corpus_dir, b, workers=2, **kw)
    build_dataset(corpus_dir, c, workers=1, **{**kw, "seed": 1})
    for name in ("train.jsonl", "valid.jsonl", "manifest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "train.jsonl").read_bytes() != (c / "train.jsonl").read_bytes()
    # the inject_news step only appends: with it off (the default) the same records, same bytes
    d = tmp_path / "d"
    build_dataset(corpus_dir, d, workers=1, **{**kw, "inject_news": False})
    for name in ("train.jsonl", "valid.jsonl"):
        on = [ln for ln in (a / name).read_text().splitlines() if '"origin": "injected_news"' not in ln]
        assert on == (d / name).read_text().splitlines(), name
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["seed"] == 0 and manifest["docs"] == st.docs
    assert set(manifest["corpus_files"]) >= {"regional_lampung_2025_sheiua.jsonl"}

    recs = _read(a)
    articles = {x.id: x for x in load_articles(corpus_dir / "news", limit=kw["limit"])[0]}
    assert len(recs) == st.docs == sum(sum(v.values()) for v in st.counts.values())
    for r in recs:
        check_record(r)
    web = [r for r in recs if r["origin"] in WEB_ORIGINS and r["origin"] != "short"]
    news = [r for r in recs if (r["origin"] not in WEB_ORIGINS or r["origin"] == "short")
            and r["origin"] != "injected_news"]
    # journalism with promotion injected (inject_news) sits on its source's side of the split
    side = {(r["outlet"], r["split"]) for r in recs if r["origin"] in ("hard_negative", "web_news")}
    assert all((r["outlet"], r["split"]) in side for r in recs if r["origin"] == "injected_news")
    train_outlets = {r["outlet"] for r in news if r["split"] == "train"}
    valid_outlets = {r["outlet"] for r in news if r["split"] == "valid"}
    assert valid_outlets == set(st.valid_outlets) and not train_outlets & valid_outlets
    # web material: whole hosts on one side
    assert web and not {r["outlet"] for r in web if r["split"] == "train"} & {r["outlet"] for r in web if r["split"] == "valid"}
    origins = {r["origin"] for r in recs}
    assert {"natural", "injected", "short", "web_news", "web_promo", "injected_news"} <= origins
    inj = [r for r in recs if r["origin"] == "injected"]
    assert all(len(r["forms"]) == len(r["obfuscation"]) == len(r["brands"]) >= 1 for r in inj)
    # natural (weak-label) boilerplate keeps its place in the injected copy, in order; synthetic
    # site furniture (filter.training.boilerplate) may be added around it in either copy
    nat = {r["id"][:-4]: r for r in recs if r["origin"] in ("natural", "hard_negative")}
    for r in inj[:20]:
        base = nat[r["id"][:-4]]
        art = articles[r["id"][:-4]]
        weak = [art.text[s["start"]:s["end"]] for s in weak_label(art.text, art.title, art.outlet).spans]
        for rec in (r, base):
            got = iter(rec["text"][s["start"]:s["end"]] for s in rec["spans"] if s["label"] == "boilerplate")
            assert all(any(g == w for g in got) for w in weak)  # an in-order subsequence
        assert [r["text"][x:y] for x, y in r["ignore"]] == [base["text"][x:y] for x, y in base["ignore"]]

    stats = dataset_stats(a)
    assert stats["n_docs"] == len(recs)
    assert stats["overlap"] == {"brand_families": 0, "template_families": 0, "outlets": 0}
    assert int(stats["docs"].loc["total", "total"]) == len(recs)


def test_valid_outlets_and_gambling_detection():
    plain = "\n".join(SENTENCES)
    flat_ads = " ADVERTISEMENT SCROLL TO CONTINUE WITH CONTENT ".join(SENTENCES)
    arts = [Article(f"a{i}", o, "", "", text, "f") for i, (o, text) in enumerate(
        [("big", plain)] * 60 + [("lined", plain)] * 8 + [("lined2", invented_article(1))] * 8
        + [("flat", " ".join(SENTENCES))] * 8 + [("flat2", flat_ads)] * 8 + [("tiny", plain)])]
    # one lined and one flattened outlet; the pair covering most boilerplate kinds
    assert choose_valid_outlets(arts, seed=0) == ["flat2", "lined2"]
    assert choose_valid_outlets(arts, seed=5) == ["flat2", "lined2"]
    assert is_about_gambling("Polisi Gerebek Lokasi Judi Sabung Ayam", "")
    assert is_about_gambling("", "Tersangka dijerat Pasal 303 KUHP tentang perjudian.")
    assert not is_about_gambling("Harga Cabai Turun", "Pedagang menyebut pasokan melimpah.")


def test_cli_user_errors(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["data", "build", "--corpus", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "corpus dir not found" in r.output and r.output.count("\n") == 1
    r = runner.invoke(app, ["data", "stats", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "not a directory" in r.output
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["data", "stats", str(tmp_path / "empty")])
    assert r.exit_code == 2 and "no train.jsonl" in r.output
    (tmp_path / "corpus").mkdir()
    r = runner.invoke(app, ["data", "build", "--corpus", str(tmp_path / "corpus"), "--gold", str(tmp_path)])
    assert r.exit_code == 2 and "dev.jsonl" in r.output


def test_cli_stats_prints_tables(tmp_path, dev, shared_dir, tiny_bank):
    news = tmp_path / "corpus" / "news"
    news.mkdir(parents=True)
    with open(news / "a.jsonl", "w", encoding="utf-8") as fh:
        for i in range(6):
            fh.write(json.dumps({"outlet": ["kabarkita", "warta"][i % 2], "url": f"https://c.id/{i}",
                                 "title": f"Pasar {i}", "text": invented_article(i)}) + "\n")
    build_dataset(tmp_path / "corpus", tmp_path / "out", workers=1, gold_dir=shared_dir / "gold",
                  bank=tiny_bank, valid_outlets=["warta"])
    r = CliRunner().invoke(app, ["data", "stats", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    for word in ("== docs", "== labels", "related_link", "injected", "overlap (must be 0)"):
        assert word in r.output
    r = CliRunner().invoke(app, ["data", "stats", str(tmp_path / "out"), "--json"])
    assert json.loads(r.output)["n_docs"] > 0


@pytest.mark.slow
def test_cli_build_small_sample(corpus_dir, tmp_path):
    r = CliRunner().invoke(app, ["data", "build", "--corpus", str(corpus_dir), "--out", str(tmp_path / "d"),
                                 "--limit", "3", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "d" / "manifest.json").exists()


def test_inject_news_copies_keep_the_journalism_and_the_source_group(tiny_bank):
    """The inject_news step: every gambling article / web gambling page gets promo-injected
    copies whose only promo spans are inserted units; deleting them gives the source back,
    with its boilerplate spans and ignore ranges on the same text; other origins get none."""
    from filter.training.build import INJECT_NEWS_COPIES, inject_news_records

    text = ("Polisi menggerebek lokasi judi sabung ayam di Desa Cempaka pada Sabtu malam.\n"
            "Baca juga: Bandar Togel Ditangkap di Pasar Lama\n"
            "Sebanyak delapan orang diamankan bersama barang bukti uang tunai Rp 3 juta.\n"
            "Kapolsek mengatakan perjudian meresahkan warga sekitar arena, kata dia kepada wartawan.")
    rel = text.index("Baca juga")
    rel_end = text.index("\n", rel)
    last = text.rindex("kata dia")
    src = {"id": "a-news-0001-hn", "source": "https://contoh.id/x", "outlet": "contoh", "title": "Judi sabung ayam",
           "text": text, "spans": [{"start": rel, "end": rel_end, "label": "boilerplate", "kind": "related_link"}],
           "ignore": [[last, last + 8]], "split": "train", "origin": "hard_negative", "forms": [],
           "obfuscation": [], "brands": [], "template_families": [], "lang": "id", "corpus_file": "f"}
    other = dict(src, id="a-news-0002-nat", origin="natural")
    banks = {"train": tiny_bank, "valid": tiny_bank}
    out = inject_news_records([src, other], banks, seed=0)
    assert len(out) == INJECT_NEWS_COPIES and {r["id"] for r in out} == {f"a-news-0001-injn{k}" for k in range(INJECT_NEWS_COPIES)}
    assert out == inject_news_records([src, other], banks, seed=0)   # deterministic
    for r in out:
        check_record(r)
        assert r["origin"] == "injected_news" and r["split"] == "train" and r["outlet"] == "contoh"
        promo = [s for s in r["spans"] if s["label"] == "promo"]
        assert promo and len(r["forms"]) == len(promo)
        assert _host(r).split() == text.split()   # only the inserted units are promo (separators aside)
        assert [r["text"][s["start"]:s["end"]] for s in r["spans"] if s["label"] == "boilerplate"] == [text[rel:rel_end]]
        assert [r["text"][a:b] for a, b in r["ignore"]] == ["kata dia"]
