"""Segmentation: blocks, paragraphs, sentences, tokens (examples and properties)."""
from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings, strategies as st

from filter.segment import (LINE_BREAKS, SPACE_CHARS, ZERO_WIDTH, Segment, blocks, paragraphs,
                            sentences, tokens)


def texts(segs, doc):
    return [s.text(doc) for s in segs]


def sents(doc):
    return texts(sentences(doc), doc)


# ------------------------------------------------------------------------------ blocks

def test_blocks_trim_and_line_endings():
    doc = "Judul berita\r\n\r\n  Paragraf satu.  \r\nBaris dua\rBaris tiga\n\n\t\nAkhir\u2028lain\n"
    assert texts(blocks(doc), doc) == ["Judul berita", "Paragraf satu.", "Baris dua", "Baris tiga",
                                       "Akhir", "lain"]
    for b in blocks(doc):
        assert not any(c in LINE_BREAKS for c in b.text(doc))


def test_blocks_zero_width_and_nbsp_are_trimmed():
    doc = "\ufeff\u200bHalo\xa0\n\xa0\u200b\n dunia "
    assert texts(blocks(doc), doc) == ["Halo", "dunia"]


def test_blocks_empty_inputs():
    assert blocks("") == []
    assert blocks(" \n\r\n\t ") == []
    assert sentences("") == [] and tokens("") == [] and paragraphs("") == []


def test_paragraphs_group_lines_between_blank_lines():
    doc = "Judul\n\nBaris satu\nBaris dua\r\n \r\nPara dua\n\n\n\nPara tiga\rlanjut"
    assert texts(paragraphs(doc), doc) == ["Judul", "Baris satu\nBaris dua", "Para dua",
                                           "Para tiga\rlanjut"]


def test_space_chars_match_str_isspace():
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(SPACE_CHARS) == spaces | set(ZERO_WIDTH)


# ------------------------------------------------------------------------------ sentences

@pytest.mark.parametrize("doc, expected", [
    ("Harga naik menjadi Rp. 3.000 per kg. Warga mengeluh.",
     ["Harga naik menjadi Rp. 3.000 per kg.", "Warga mengeluh."]),
    ("Ia tinggal di Jl. Sudirman No. 5. Rumahnya besar.",
     ["Ia tinggal di Jl. Sudirman No. 5.", "Rumahnya besar."]),
    ("Hadir dr. Budi dan Prof. Ani serta H. Abdul Somad. Mereka berbicara.",
     ["Hadir dr. Budi dan Prof. Ani serta H. Abdul Somad.", "Mereka berbicara."]),
    ("Saksinya Budi Santoso, S.H., M.Si. dari kampus. Dia hadir.",
     ["Saksinya Budi Santoso, S.H., M.Si. dari kampus.", "Dia hadir."]),
    ("Tim Andi dkk. Mereka datang. Budi dkk. juga hadir.",
     ["Tim Andi dkk.", "Mereka datang.", "Budi dkk. juga hadir."]),
    ("Harganya Rp3.000.000. Lalu naik 1,5 persen.", ["Harganya Rp3.000.000.", "Lalu naik 1,5 persen."]),
    ("Baca di detik.com dan kompas.com. Buka https://a.b/c?d=e.f sekarang. Oke.",
     ["Baca di detik.com dan kompas.com.", "Buka https://a.b/c?d=e.f sekarang.", "Oke."]),
    ("“Saya datang.” Lalu ia pergi. “Apa kabar?” tanya dia. Ia bilang ‘tidak.’ Kami pulang.",
     ["“Saya datang.”", "Lalu ia pergi.", "“Apa kabar?” tanya dia.", "Ia bilang ‘tidak.’",
      "Kami pulang."]),
    ("Dia pergi... Lalu kembali… dan tidur. Selesai…",
     ["Dia pergi...", "Lalu kembali… dan tidur.", "Selesai…"]),
    ("JAKARTA, KOMPAS.com - Polisi menangkap dua orang. Mereka diperiksa. (ara/ara)",
     ["JAKARTA, KOMPAS.com - Polisi menangkap dua orang.", "Mereka diperiksa.", "(ara/ara)"]),
    ("TEMPO.CO, Jakarta - Harga beras naik. Pedagang resah.",
     ["TEMPO.CO, Jakarta - Harga beras naik.", "Pedagang resah."]),
    ("Polisi menyita barang bukti.(rob)", ["Polisi menyita barang bukti.", "(rob)"]),
    ("Polisi menyita barang bukti (rob)", ["Polisi menyita barang bukti", "(rob)"]),
    ("Kementerian Hak Asasi Manusia (HAM)", ["Kementerian Hak Asasi Manusia (HAM)"]),
    ("Syaratnya: 1. Datang pagi. 2. Bawa KTP.", ["Syaratnya: 1. Datang pagi.", "2. Bawa KTP."]),
    ("1. Kantor Pusat 2. Kantor Cabang 3. Gudang", ["1. Kantor Pusat", "2. Kantor Cabang", "3. Gudang"]),
    ("1. Satu hal.", ["1. Satu hal."]),
    ("Menu: • Beranda • Berita • Olahraga", ["Menu:", "• Beranda", "• Berita", "• Olahraga"]),
    ("kata dia.Selanjutnya polisi datang. Lihat Beritaku.Com untuk info.",
     ["kata dia.", "Selanjutnya polisi datang.", "Lihat Beritaku.Com untuk info."]),
    ("Kejadian 2020. 15 orang tewas. H.M. Prasetyo hadir.",
     ["Kejadian 2020.", "15 orang tewas.", "H.M. Prasetyo hadir."]),
    ("Saham PT Maju Tbk. (MAJU) naik hari ini.", ["Saham PT Maju Tbk. (MAJU) naik hari ini."]),
    ("Dia menang!Daftar sekarang. Oke?Ya.", ["Dia menang!", "Daftar sekarang.", "Oke?", "Ya."]),
    ("Terima kasih, Pak. Saya pamit.", ["Terima kasih, Pak.", "Saya pamit."]),
    # paragraphs glued together by a flattening scraper
    ("Ia hadir Senin (9/6/2025).Sebelumnya, polisi datang.",
     ["Ia hadir Senin (9/6/2025).", "Sebelumnya, polisi datang."]),
    ("Pemilu tahun 2029.Baca juga: Judul lain", ["Pemilu tahun 2029.", "Baca juga: Judul lain"]),
    ("Ia tiba Senin.“Kami siap,” katanya.", ["Ia tiba Senin.", "“Kami siap,” katanya."]),
    ("Ini produk lokal.\"\"KPK menilai itu wajar.\"", ["Ini produk lokal.\"", "\"KPK menilai itu wajar.\""]),
    ("Buka Beritaku.Com atau SK No.AHU-12.AH.01.01 sekarang.",
     ["Buka Beritaku.Com atau SK No.AHU-12.AH.01.01 sekarang."]),
    ("Ditandatangani Ani S.H.Budi menyusul.", ["Ditandatangani Ani S.H.Budi menyusul."]),
    ("Benarkah? Ya! Tentu saja.", ["Benarkah?", "Ya!", "Tentu saja."]),
    ("Kata dia. \"Kami siap,\" ujarnya.", ["Kata dia.", "\"Kami siap,\" ujarnya."]),
])
def test_sentences_indonesian(doc, expected):
    assert sents(doc) == expected


def test_sentences_table_row_is_one_sentence():
    doc = "Kota | Harga naik. | Stok turun. |\n| Bandung | Rp3.000 | Rp2.500 |"
    assert sents(doc) == ["Kota | Harga naik. | Stok turun. |", "| Bandung | Rp3.000 | Rp2.500 |"]


def test_sentences_never_cross_line_breaks_and_respect_bounds():
    doc = "Judul tanpa titik\r\nKalimat satu. Kalimat dua.\rBaris lain.\n"
    assert sents(doc) == ["Judul tanpa titik", "Kalimat satu.", "Kalimat dua.", "Baris lain."]
    b = blocks(doc)[1]
    assert texts(sentences(doc, b.start, b.end), doc) == ["Kalimat satu.", "Kalimat dua."]


def test_flattened_article_splits_like_the_original():
    paras = ["BANDUNG, Kabarku.id - Hujan deras melanda kota sejak pagi. Warga di Jl. Merdeka No. 4 "
             "mengungsi ke masjid.",
             "“Air naik cepat sekali.” Begitu kata Bu Sari, warga setempat.",
             "Kerugian ditaksir Rp1,5 miliar. Petugas BPBD dkk. masih mendata. (xyz/abc)"]
    lined = "\n\n".join(paras)
    flat = " ".join(paras)
    assert sents(flat) == sents(lined)
    assert len(sents(flat)) == 7


def test_segment_text():
    assert Segment(2, 5).text("abcdefg") == "cde"


# ------------------------------------------------------------------------------ tokens

def test_tokens_whitespace_and_zero_width():
    doc = "Mustang303\u200blink  terbaru,\tdaftar"
    assert texts(tokens(doc), doc) == ["Mustang303", "link", "terbaru,", "daftar"]
    assert texts(tokens(doc, 11, 15), doc) == ["link"]


# ------------------------------------------------------------------------------ properties

_alphabet = st.characters(codec="utf-8", exclude_categories=("Cs",))
_pieces = st.sampled_from(["Rp.", "No.", "dr.", "H.", "S.H.", "dkk.", "3.000", "1,5", "detik.com",
                           "https://a.b/c?d=e.f", "“", "”", "‘", "’", "\"", "...", "…", ". ", "! ",
                           "? ", "\n", "\r\n", "\r", "\u2028", " | ", "• ", "1. ", "(rob)", " ",
                           "\xa0", "\u200b", "\x00", "😀", "𝐁𝐨𝐥𝐝", "Kata", "dia", "A", "b"])
_text = st.one_of(st.text(_alphabet, max_size=80),
                  st.lists(st.one_of(_pieces, st.text(_alphabet, max_size=4)), max_size=25).map("".join))


def _check_segments(segs, doc, lo=0, hi=None):
    hi = len(doc) if hi is None else hi
    prev = lo
    for s in segs:
        assert lo <= prev <= s.start < s.end <= hi
        assert doc[s.start] not in SPACE_CHARS and doc[s.end - 1] not in SPACE_CHARS
        prev = s.end


@settings(max_examples=150, deadline=None)
@given(_text)
def test_segments_are_sorted_disjoint_trimmed_and_cover_all_content(doc):
    bl, pa, se, to = blocks(doc), paragraphs(doc), sentences(doc), tokens(doc)
    for segs in (bl, pa, se, to):
        _check_segments(segs, doc)
    covered = set()
    for b in bl:
        assert not any(c in LINE_BREAKS for c in b.text(doc))
        covered.update(range(b.start, b.end))
        inner = sentences(doc, b.start, b.end)
        _check_segments(inner, doc, b.start, b.end)
    content = {i for i, c in enumerate(doc) if c not in SPACE_CHARS}
    assert content <= covered
    # sentences and tokens cover exactly the non-space characters the blocks cover
    assert content <= {i for s in se for i in range(s.start, s.end)}
    assert content == {i for t in to for i in range(t.start, t.end)}
    # every sentence lies inside one block, every block inside one paragraph
    for s in se:
        assert any(b.start <= s.start and s.end <= b.end for b in bl)
    for b in bl:
        assert any(p.start <= b.start and b.end <= p.end for p in pa)


@pytest.mark.parametrize("unit", ["jl.Ab", "a: 1. B: 1. ", ". ", "dkk. A.B. ", "x" * 50 + ".Com",
                                  "kata ", "a. (((("])
def test_hostile_inputs_stay_linear(unit):
    import time

    doc = unit * (200_000 // len(unit))
    t0 = time.perf_counter()
    sentences(doc), blocks(doc), tokens(doc), paragraphs(doc)
    assert time.perf_counter() - t0 < 10  # ~1 s when linear; a quadratic scan takes minutes
