"""Corpus loaders: field mapping, broken rows dropped and counted, de-duplication, order."""
from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from filter.training.corpus import (Article, NearDupIndex, iter_rows, load_articles, normalize_text, normalize_url,
                           outlet_from_url, sketch, sketch_similarity)

# Invented Indonesian article texts (not from any corpus).
BODY_A = ("Pemerintah Kabupaten Sukamaju meresmikan jembatan gantung baru di Desa Cempaka pada Senin pagi. "
          "Jembatan sepanjang 80 meter itu menghubungkan dua dusun yang selama ini terpisah sungai. "
          "Warga menyambut gembira karena anak-anak tidak perlu lagi menyeberang dengan rakit.")
BODY_B = ("Harga cabai rawit di Pasar Kembang turun tajam menjelang akhir pekan. Pedagang menyebut pasokan "
          "dari petani di lereng gunung sedang melimpah setelah panen raya. Pembeli pun memborong cabai "
          "untuk persediaan hajatan keluarga.")
BODY_C = ("Tim bola voli putri Kota Lembayung melaju ke final kejuaraan provinsi setelah menang tiga set "
          "langsung. Pelatih memuji disiplin pemain dalam bertahan. Final akan digelar di gedung olahraga "
          "kota pada Minggu sore.")
BODY_D = ("Dinas Perpustakaan membuka layanan baca keliling di lima kecamatan mulai bulan depan. Mobil "
          "perpustakaan membawa seribu judul buku anak dan remaja. Petugas juga akan menggelar lomba "
          "mendongeng bagi siswa sekolah dasar.")

LONG_B = "\n".join([BODY_B, BODY_D, BODY_C, BODY_B.replace("cabai", "bawang"), BODY_A, BODY_D.replace("buku", "majalah")])


def _write_jsonl(path: Path, lines: list[str], gz: bool = False) -> None:
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    if gz:
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


@pytest.fixture()
def tiny_corpus(tmp_path: Path) -> Path:
    news = tmp_path / "news"
    news.mkdir()
    _write_jsonl(news / "a_outlets.jsonl", [
        json.dumps({"outlet": "kabarkita", "url": "https://www.kabarkita.co.id/berita/jembatan/", "title": "Jembatan Baru",
                    "text": BODY_A}),
        "{this is not json",
        json.dumps({"outlet": "kabarkita", "url": "https://kabarkita.co.id/x", "title": "Kosong"}),
        json.dumps({"outlet": "kabarkita", "url": "https://kabarkita.co.id/y", "title": "Angka", "text": 12345}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"outlet": "kabarkita", "url": "https://kabarkita.co.id/z", "title": "Pendek", "text": "Terlalu pendek."}),
        # same article, URL differs only by scheme, www, query and trailing slash
        json.dumps({"outlet": "kabarkita", "url": "http://kabarkita.co.id/berita/jembatan?utm_source=rss",
                    "title": "Jembatan Baru", "text": BODY_A + " Tambahan."}),
    ])
    _write_jsonl(news / "b_sample.jsonl.gz", [
        # no outlet and no title column: outlet from the URL host, title from the first line
        json.dumps({"id": "q1", "source_url": "https://finance.beritaku.com/pasar/d-1/cabai",
                    "text": "Harga Cabai Turun\n\n-\n" + LONG_B}),
        # near-identical text under another URL
        json.dumps({"id": "q2", "source_url": "https://finance.beritaku.com/pasar/d-2/cabai-lagi",
                    "text": "Harga Cabai Turun\n\n-\n" + LONG_B.replace("seribu", "dua ribu")}),
    ], gz=True)
    with open(news / "c_table.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "judul", "tautan", "isi_berita"])
        w.writerow(["1", "Voli Putri ke Final", "https://sport.lembayungpos.id/voli", BODY_C])
        w.writerow(["2", "baris rusak", "https://sport.lembayungpos.id/rusak"])  # missing a column
        w.writerow(["3", "Layanan Baca Keliling", "https://lembayungpos.id/perpus", BODY_A + " " + BODY_C])
    return tmp_path


def test_loads_every_format_and_maps_fields(tiny_corpus):
    arts, stats = load_articles(tiny_corpus)
    assert [a.title for a in arts] == ["Jembatan Baru", "Harga Cabai Turun", "Voli Putri ke Final",
                                       "Layanan Baca Keliling"]
    a, b, c, d = arts
    assert isinstance(a, Article) and a.outlet == "kabarkita" and a.text == BODY_A
    assert a.corpus_file == "a_outlets.jsonl"
    assert b.outlet == "beritaku" and b.url.endswith("/cabai") and b.corpus_file == "b_sample.jsonl.gz"
    assert c.outlet == "lembayungpos" and c.text == BODY_C and d.title == "Layanan Baca Keliling"
    assert b.text.startswith("Harga Cabai Turun\n")
    assert len({x.id for x in arts}) == 4


def test_broken_and_duplicate_rows_are_dropped_and_counted(tiny_corpus):
    _, stats = load_articles(tiny_corpus)
    assert stats.dropped == {"bad_csv_row": 1, "bad_json": 1, "duplicate_url": 1, "missing_text": 1,
                             "near_duplicate_text": 1, "non_string_text": 1, "not_object": 1,
                             "short_text": 1}
    assert stats.rows == {"a_outlets.jsonl": 7, "b_sample.jsonl.gz": 2, "c_table.csv": 3}
    assert stats.kept == {"a_outlets.jsonl": 1, "b_sample.jsonl.gz": 1, "c_table.csv": 2}
    assert stats.total_rows == 12 and stats.total_kept == 4
    assert stats.to_dict()["total_kept"] == 4


def test_loading_is_deterministic_and_limit_is_per_file(tiny_corpus):
    a1, _ = load_articles(tiny_corpus)
    a2, _ = load_articles(tiny_corpus)
    assert a1 == a2
    lim, st = load_articles(tiny_corpus, limit=1)
    assert [x.corpus_file for x in lim] == ["a_outlets.jsonl", "b_sample.jsonl.gz", "c_table.csv"]
    assert st.total_kept == 3


def test_iter_rows_reports_errors(tiny_corpus):
    rows = list(iter_rows(tiny_corpus / "news" / "c_table.csv"))
    assert [err for _, _, err in rows] == ["", "bad_csv_row", ""]
    assert rows[0][1]["judul"] == "Voli Putri ke Final"


def test_normalisation_helpers():
    assert normalize_url("HTTPS://www.Contoh.co.id/a/b/?x=1#top") == normalize_url("http://contoh.co.id/a/b")
    assert normalize_url("") == ""
    assert normalize_url("https://a.id/x") != normalize_url("https://a.id/y")
    assert outlet_from_url("https://lampung.warta.co.id/berita/1") == "warta"
    assert outlet_from_url("https://news.kabarkita.com/a") == "kabarkita"
    assert normalize_text("Halo,&nbsp;DUNIA!\n\n  Apa kabar?") == "halo dunia apa kabar"


def test_near_duplicate_index():
    idx = NearDupIndex(threshold=0.8)
    long_a = " ".join([BODY_A, BODY_B, BODY_C])
    idx.add("a", long_a)
    idx.add("d", BODY_D)
    assert [k for k, _ in idx.query(long_a.replace("Senin", "Selasa"))] == ["a"]
    assert idx.query(BODY_A) == []  # a third of the text is not near-identical
    assert idx.query(BODY_B) == []
    assert sketch_similarity(sketch(BODY_A), sketch(BODY_A)) == 1.0
    assert sketch_similarity(sketch(BODY_A), sketch(BODY_D)) < 0.2
    assert len(sketch("")) == 0


def test_real_corpus_sample(corpus_dir):
    arts, stats = load_articles(corpus_dir, limit=20)
    assert len(arts) == stats.total_kept > 50
    assert all(a.text.strip() and a.outlet and a.corpus_file for a in arts)
    assert len({normalize_url(a.url) for a in arts if a.url}) == len([a for a in arts if a.url])
