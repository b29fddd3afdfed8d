"""The bundled model: behaviour on invented text, batch/single agreement, the validation gate."""
from __future__ import annotations

import json

import pytest

from filter import Cleaner
from filter.artifact import read_meta
from filter.cleaner import DEFAULT_MODEL
from filter.spans import check_spans

pytestmark = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no bundled model")

NEWS = (
    "Pemerintah Kota Sukamaju Perbaiki Jalan Rusak\n"
    "SUKAMAJU - Pemerintah Kota Sukamaju mulai memperbaiki ruas jalan yang rusak di pusat kota, "
    "Senin (12/5/2025). Perbaikan ditargetkan selesai dalam dua pekan.\n"
    "Baca juga: Harga Cabai di Pasar Induk Turun Tajam\n"
    "Kepala Dinas Pekerjaan Umum, Andi Wijaya, mengatakan anggaran perbaikan berasal dari APBD "
    "perubahan. \"Kami minta warga bersabar selama pengerjaan,\" ujarnya.\n"
)
GAMBLING_NEWS = (
    "Polisi Gerebek Rumah yang Dijadikan Markas Judi Online\n"
    "Polres Sukamaju menggerebek sebuah rumah yang dijadikan markas operator situs judi online. "
    "Tiga orang ditangkap dan dijerat Pasal 303 KUHP tentang perjudian dengan ancaman 10 tahun penjara.\n"
    "Kapolres mengatakan para tersangka mengelola puluhan situs slot dan mempromosikannya lewat media sosial. "
    "Polisi juga meminta Komdigi memblokir situs-situs tersebut.\n"
)


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner.load()


def test_metadata_matches_artifact(cleaner):
    meta = read_meta(DEFAULT_MODEL)
    assert meta["model_version"] == cleaner.version
    assert set(meta["thresholds"]) == {"promo", "boilerplate"}
    assert DEFAULT_MODEL.stat().st_size <= 25 * 1024 * 1024


def test_inline_brand_is_removed_and_sentence_reads(cleaner):
    text = NEWS.replace("mengatakan anggaran", "mengatakan, GACORJP88 link alternatif anggaran")
    res = cleaner.clean(text)
    check_spans(text, res.spans)
    assert "GACORJP88" not in res.cleaned
    assert any(s.label == "promo" for s in res.spans)
    assert "Baca juga" not in res.cleaned
    assert "Perbaikan ditargetkan selesai dalam dua pekan." in res.cleaned


def test_gambling_news_survives(cleaner):
    res = cleaner.clean(GAMBLING_NEWS)
    assert "Pasal 303 KUHP" in res.cleaned and "situs judi online" in res.cleaned
    removed = sum(s.end - s.start for s in res.spans)
    assert removed <= 0.02 * len(GAMBLING_NEWS), res.spans
    assert not [s for s in res.spans if s.score >= 0.5], res.spans


def test_gambling_news_survives_untouched(cleaner):
    assert cleaner.clean(GAMBLING_NEWS).spans == []


def test_numbers_alone_are_never_a_token_span(cleaner):
    # decode rule, checked with token scores forced high: a run of bare numbers ("5,2") is
    # neither a brand nor furniture, however the token model scores it
    import numpy as np

    text = NEWS.replace("dalam dua pekan", "dalam 2 pekan dengan biaya 5,8 miliar")
    m = cleaner.model
    a = m.analyze(text)
    digits = np.array([i for i, w in enumerate(a.base.tok_norm) if w.isdigit()])
    assert len(digits) == 3
    for label in (1, 2):
        a.cand = digits
        a.cand_proba = np.zeros((len(digits), 3), np.float32)
        a.cand_proba[:, label] = 0.99
        spans = m.decode(a)
        assert not [s for s in spans if s.kind in ("inline", "inline_brand", "keyword_substitution")], spans


def test_short_sentence_mostly_promotion_goes_whole(cleaner):
    # decode rule, with scores forced: when the token model finds a brand and keywords that
    # make up >= 30% of a short sentence, the whole sentence is a promo sentence
    import numpy as np

    promo = "Yuk main di GACORJP88 biar cuan maxwin!"
    text = NEWS.replace("Perbaikan ditargetkan", promo + " Perbaikan ditargetkan")
    m = cleaner.model
    a = m.analyze(text)
    a.unit_proba[:] = [1.0, 0.0, 0.0]                      # the unit model saw nothing
    hit = np.array([i for i, w in enumerate(a.base.tok_norm) if w in ("gacorjp88", "cuan", "maxwin")])
    a.cand, a.cand_proba = hit, np.tile(np.float32([0.0, 0.99, 0.0]), (len(hit), 1))
    spans = m.decode(a)
    assert [text[s.start:s.end].strip() for s in spans] == [promo], spans
    # the same words in a long sentence stay inline spans
    long = promo.replace("Yuk main", "Warga yang sedang menunggu perbaikan jalan di pusat kota sambil duduk di warung "
                         "kopi dekat kantor kelurahan mengaku sering melihat iklan main")
    text = NEWS.replace("Perbaikan ditargetkan", long + " Perbaikan ditargetkan")
    a = m.analyze(text)
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    hit = np.array([i for i, w in enumerate(a.base.tok_norm) if w in ("gacorjp88", "cuan", "maxwin")])
    a.cand, a.cand_proba = hit, np.tile(np.float32([0.0, 0.99, 0.0]), (len(hit), 1))
    assert all(s.kind != "promo_sentence" for s in m.decode(a))


def _force_furniture(m, text: str, probs: dict[str, float]):
    """Analysis of ``text`` where the unit model saw nothing and the token model scores the
    given words as furniture (every other token a candidate scoring 0)."""
    import numpy as np

    a = m.analyze(text)
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    a.cand = np.arange(len(a.base.toks))
    a.cand_proba = np.zeros((len(a.cand), 3), np.float32)
    a.cand_proba[:, 0] = 1.0
    for i, w in enumerate(a.base.tok_norm):
        if w in probs:
            a.cand_proba[i] = [1 - probs[w], 0.0, probs[w]]
    a.tok_word_proba = a.tok_word_proba.copy()
    a.tok_word_proba[[i for i, w in enumerate(a.base.tok_norm) if w == "baca"], 2] = 1.0
    return a


def test_glued_title_case_headline_is_followed_to_its_end(cleaner):
    # decode rule, with scores forced: the token model took "Baca juga: Harga Cabai" and faded;
    # the run continues over the title-case words it still scores >= 0.1 and stops before
    # "Pekerjaan dimulai" (a capitalised word followed by an ordinary lowercase word: the next sentence)
    link = "Baca juga: Harga Cabai di Pasar Induk Turun Tajam Jelang Lebaran"
    flat = NEWS.replace("\nBaca juga: Harga Cabai di Pasar Induk Turun Tajam\n",
                        " " + link + " Pekerjaan dimulai sejak pagi dan melibatkan puluhan pekerja dinas. ")
    probs = {"baca": 0.99, "juga": 0.99, "harga": 0.95, "cabai": 0.9, "di": 0.3, "pasar": 0.3, "induk": 0.2,
             "turun": 0.12, "tajam": 0.4, "jelang": 0.3, "lebaran": 0.2, "pekerjaan": 0.3, "dimulai": 0.2}
    m = cleaner.model
    spans = m.decode(_force_furniture(m, flat, probs))
    assert [flat[s.start:s.end].strip() for s in spans if s.label == "boilerplate"] == [link], spans
    # a sentence-case run is left as the token model decoded it
    lower = flat.replace("Harga Cabai di Pasar Induk Turun Tajam Jelang Lebaran", "Harga cabai di pasar induk turun tajam")
    spans = m.decode(_force_furniture(m, lower, probs))
    assert [lower[s.start:s.end].strip() for s in spans if s.label == "boilerplate"] == ["Baca juga: Harga cabai"], spans


def test_brandless_gambling_words_survive_in_a_story_about_gambling(cleaner):
    # decode rule, with scores forced: "situs slot" scored as inserted promotion is removed
    # from a story about road works, but left alone in a police report about gambling,
    # unless a brand-shaped word is in the run
    import numpy as np

    m = cleaner.model

    def decoded(text: str, words: tuple[str, ...]) -> list[str]:
        a = m.analyze(text)
        a.unit_proba[:] = [1.0, 0.0, 0.0]
        hit = np.array([i for i, w in enumerate(a.base.tok_norm) if w in words])
        a.cand, a.cand_proba = hit, np.tile(np.float32([0.0, 0.9, 0.0]), (len(hit), 1))
        return [text[s.start:s.end].strip() for s in m.decode(a) if s.label == "promo"]

    road = NEWS.replace("mulai memperbaiki", "mulai situs slot memperbaiki")
    assert decoded(road, ("situs", "slot")) == ["situs slot"]
    assert decoded(GAMBLING_NEWS, ("situs", "slot")) == []
    branded = GAMBLING_NEWS.replace("puluhan situs slot", "puluhan situs slot GACOR88")
    assert decoded(branded, ("situs", "slot", "gacor88")) == ["situs slot GACOR88"]


def test_sentence_next_to_promotion_joins_it_from_a_lower_probability(cleaner):
    # decode rule, with scores forced: hysteresis over units -- a promo sentence (>= the
    # threshold) takes the next sentence of its paragraph when that one reaches PROMO_EXTEND,
    # but not a sentence of another paragraph, nor one below PROMO_EXTEND
    from filter.decode import DecodeConfig
    PROMO_EXTEND = DecodeConfig().promo_extend

    m = cleaner.model
    text = NEWS
    a = m.analyze(text)
    u = a.base.units
    sents = [text[s:e] for s, e in zip(u.starts, u.ends)]
    i = sents.index("Perbaikan ditargetkan selesai dalam dua pekan.")
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    a.cand = a.cand[:0]
    a.cand_proba = a.cand_proba[:0]
    a.unit_proba[i - 1] = [0.0, 0.99, 0.01]                         # the lead sentence: promotion
    a.unit_proba[i] = [1 - PROMO_EXTEND - 0.01, PROMO_EXTEND + 0.01, 0.0]
    a.unit_proba[i + 1] = [1 - PROMO_EXTEND - 0.01, PROMO_EXTEND + 0.01, 0.0]   # next paragraph
    got = [text[s.start:s.end].strip() for s in m.decode(a)]
    assert got == [sents[i - 1] + " " + sents[i]], got
    a.unit_proba[i] = [1 - PROMO_EXTEND + 0.01, PROMO_EXTEND - 0.01, 0.0]
    assert [text[s.start:s.end].strip() for s in m.decode(a)] == [sents[i - 1]]


def test_line_of_mostly_promo_sentences_goes_whole(cleaner):
    # decode rule, with scores forced: a line with at least PROMO_BLOCK_MIN promo sentences,
    # more than PROMO_BLOCK_SHARE of its sentences, loses its other sentences too (a glued
    # testimonial list); with one promo sentence fewer the rest of the line stays
    from filter.decode import DecodeConfig
    PROMO_BLOCK_MIN = DecodeConfig().promo_block_min

    m = cleaner.model
    line = " ".join(f"Kalimat nomor {k} cukup pendek." for k in range(2 * PROMO_BLOCK_MIN - 1))
    text = "Judul berita hari ini\n" + line + "\nParagraf berita yang lain tetap ada."
    a = m.analyze(text)
    u = a.base.units
    blk = u.block[1]
    rows = [i for i in range(len(u)) if u.block[i] == blk]
    assert len(rows) == 2 * PROMO_BLOCK_MIN - 1
    a.cand, a.cand_proba = a.cand[:0], a.cand_proba[:0]
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    for i in rows[:PROMO_BLOCK_MIN]:
        a.unit_proba[i] = [0.0, 0.99, 0.01]
    got = [text[s.start:s.end].strip() for s in m.decode(a)]
    assert got == [line], got
    a.unit_proba[rows[PROMO_BLOCK_MIN - 1]] = [1.0, 0.0, 0.0]
    got = [text[s.start:s.end].strip() for s in m.decode(a)]
    assert all(g in line for g in got) and sum(len(g) for g in got) < len(line), got


def test_sentence_closed_by_a_framed_brand_goes_whole(cleaner):
    # decode rule, with scores forced: the token model finds only the brand; when the brand
    # is the object that closes a clause ("seperti platform X,") the sentence was written
    # around it and goes whole; slipped in after a comma, or followed by more words, only
    # the brand goes (the sentence still reads without it)
    import numpy as np

    m = cleaner.model
    lead = "Harga beras di pasar induk naik dua ribu rupiah per kilogram pekan ini."
    cases = {
        "Di tengah ramainya hiburan daring seperti platform ZETA777, harga pangan tetap jadi perhatian.": True,
        "Di tengah ramainya hiburan daring, ZETA777 harga pangan tetap jadi perhatian.": False,
        "Di tengah ramainya hiburan daring seperti platform ZETA777 harga pangan tetap jadi perhatian.": False,
    }
    for sentence, whole in cases.items():
        text = f"{lead}\n{sentence} Pedagang berharap pasokan segera pulih."
        a = m.analyze(text)
        brand = [i for i, w in enumerate(a.base.tok_norm) if any(c.isdigit() for c in w) and w.isalnum() and not w.isdigit()]
        assert len(brand) == 1, a.base.tok_norm
        a.unit_proba[:] = [1.0, 0.0, 0.0]
        a.cand = np.array(brand)
        a.cand_proba = np.array([[0.0, 0.99, 0.01]], np.float32)
        got = [text[s.start:s.end].strip() for s in m.decode(a)]
        assert got == ([sentence] if whole else ["ZETA777"]), (sentence, got)


def test_original_of_a_repeated_headline_is_never_removed_as_furniture(cleaner):
    # decode rule, with scores forced: both copies of a headline scored as furniture; only
    # the repeat (the duplicate_title of FORMAT) is removed, the headline above it stays
    m = cleaner.model
    title = "Harga cabai naik tajam di pasar induk"
    text = f"EKONOMI\n{title}\nPedagang mengeluhkan pasokan yang seret.\n{title}\nIsi berita di sini."
    a = m.analyze(text)
    u = a.base.units
    a.cand, a.cand_proba = a.cand[:0], a.cand_proba[:0]
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    a.unit_proba[1] = a.unit_proba[3] = [0.0, 0.0, 1.0]
    got = [(s.start, text[s.start:s.end].strip()) for s in m.decode(a)]
    assert got == [(int(u.starts[3]), title)], got


HEADER = (
    "NASIONAL\n"
    "Warga Sukamaju Gotong Royong Bersihkan Saluran Air\n"
    "Warga membersihkan saluran air di Jalan Melati, Sukamaju, pada Minggu pagi. / Dok. Humas\n"
    "14 Maret 2025\n\n"
    "Ratusan warga Kelurahan Sukamaju bergotong royong membersihkan saluran air yang tersumbat sampah. "
    "Kegiatan ini digelar menjelang musim hujan agar banjir tidak kembali merendam permukiman warga.\n"
)


def _date_line_rule(model, text, date="14 Maret 2025"):
    from filter.model import datelines

    a = model.analyze(text)
    u = a.base.units
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    hit = [text[u.starts[i]:u.ends[i]] for i in datelines(a).nonzero()[0]]
    return hit, date


def test_dateline_is_the_date_line_right_above_the_body(cleaner):
    # structural cue: a line that is only a date, right above the first two body sentences;
    # not a date heading schedule items, not one after a list lead-in, not one inside the body
    m = cleaner.model
    hit, date = _date_line_rule(m, HEADER)
    assert hit == [date]
    schedule = HEADER.replace("14 Maret 2025\n\n", "14 Maret 2025\n19.00 WIB: Persikota melawan Persiba di "
                              "Stadion Sukamaju pada laga pekan ketiga liga amatir.\n")
    assert _date_line_rule(m, schedule)[0] == []
    lead_in = HEADER.replace("/ Dok. Humas\n", "/ Dok. Humas\nBerikut catatan kegiatannya:\n")
    assert _date_line_rule(m, lead_in)[0] == []
    inside = HEADER + "Sabtu, 15 Maret 2025\nKegiatan serupa akan digelar lagi di kelurahan tetangga pekan depan.\n"
    assert _date_line_rule(m, inside)[0] == [date]


def test_glued_marker_is_a_line_opening_with_a_marker_glued_to_a_headline(cleaner):
    from filter.model import glued_markers

    m = cleaner.model
    cases = {
        "TerkaitHarga Cabai di Pasar Induk Turun Tajam": True,
        "Berita LainnyaWarga Sukamaju Bersihkan Saluran Air": True,
        "Terkait hal itu, warga diminta tidak membuang sampah ke saluran air.": False,
        "Warga menyebut banjir TerkaitHujan Deras kemarin.": False,   # not at the start of the line
        "terkaitnya banjir dengan sampah sudah lama diketahui warga.": False,
    }
    for line, glued in cases.items():
        text = f"Judul berita hari ini\n{line}\nParagraf penutup berita yang lain."
        a = m.analyze(text)
        u = a.base.units
        hit = [text[u.starts[i]:u.ends[i]] for i in glued_markers(a).nonzero()[0]]
        assert hit == ([line] if glued else []), (line, hit)


def test_structural_rule_decides_with_its_calibrated_score(cleaner, monkeypatch):
    # decode, with scores forced: stage 2 reads the date line as content (both neighbours
    # are); stage 1 suspects it and the dateline rule confirms, with the rule's calibrated
    # precision as score -- unless that precision is below the threshold, or stage 1 does
    # not suspect the line
    from filter.decode import DecodeConfig
    STRUCTURE_P1_MIN = DecodeConfig().structure_p1_min

    m = cleaner.model
    text = HEADER
    a = m.analyze(text)
    u = a.base.units
    i = [k for k in range(len(u)) if text[u.starts[k]:u.ends[k]] == "14 Maret 2025"][0]
    a.cand, a.cand_proba = a.cand[:0], a.cand_proba[:0]
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    a.unit_proba1[:] = [1.0, 0.0, 0.0]
    a.unit_proba1[i] = [1 - STRUCTURE_P1_MIN - 0.01, 0.0, STRUCTURE_P1_MIN + 0.01]
    th = m.thresholds["boilerplate"]
    monkeypatch.setattr(m, "structure_", {"dateline": {"score": 0.97}, "glued_marker": {"score": 0.97}}, raising=False)
    got = [(text[s.start:s.end], s.kind, round(s.score, 4)) for s in m.decode(a)]
    assert got == [("14 Maret 2025", "meta", 0.97)], got
    monkeypatch.setattr(m, "structure_", {"dateline": {"score": th - 0.01}}, raising=False)
    assert m.decode(a) == []
    monkeypatch.setattr(m, "structure_", {"dateline": {"score": 0.97}}, raising=False)
    a.unit_proba1[i] = [1 - STRUCTURE_P1_MIN + 0.01, 0.0, STRUCTURE_P1_MIN - 0.01]
    assert m.decode(a) == []


def test_structure_calibration_counts_labelled_fires(cleaner, monkeypatch):
    # the rule's score is (boilerplate + 1) / (fires + 2) over labelled units; unsure units
    # (ignore ranges) do not count
    import numpy as np
    import filter.training.fit as train

    m = cleaner.model
    text = "Judul berita\nBaris satu\nBaris dua\nBaris tiga"
    starts = [0, 13, 24, 34]
    monkeypatch.setattr(train, "structure_hits", lambda a: {"dateline": np.array([1, 2, 3]), "glued_marker": np.array([], int)})
    docs = [{"text": text, "spans": [{"start": 13, "end": 23, "label": "boilerplate", "kind": "meta"}],
             "ignore": [[34, len(text)]]}]
    assert text[starts[1]:starts[2] - 1] == "Baris satu"
    got = train.calibrate_structure(m, docs)
    assert got["dateline"] == {"fires": 2, "boilerplate": 1, "score": 0.5}
    assert got["glued_marker"] == {"fires": 0, "boilerplate": 0, "score": 0.5}


def test_every_decoded_span_reaches_its_label_threshold(cleaner):
    """The Cleaner removes spans whose score reaches the label's threshold; ``evaluate`` scores
    the decoded spans. Both see the same spans only if decoding never emits a span below its
    threshold (hysteresis, phrase completion and merging keep the deciding score)."""
    import json
    from pathlib import Path

    m = cleaner.model
    sample = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample.jsonl"
    texts = [json.loads(line)["text"] for line in sample.open(encoding="utf-8")] + [NEWS, GAMBLING_NEWS]
    for text, spans in zip(texts, m.predict_spans_many(texts)):
        for s in spans:
            assert s.score >= m.thresholds[s.label], (s, text[s.start:s.end])
        assert [(s.start, s.end) for s in spans] == [(s.start, s.end) for s in cleaner.clean(text).spans]


def test_spaced_out_brand_is_removed(cleaner):
    text = NEWS.replace("mengatakan anggaran", "mengatakan, main di G A C O R J P 8 8 sekarang, anggaran")
    res = cleaner.clean(text)
    check_spans(text, res.spans)
    assert "G A C O R" not in res.cleaned, res.spans


def test_batch_equals_single(cleaner):
    texts = [NEWS, GAMBLING_NEWS, "", "   ", NEWS.replace("\n", " ")]
    assert [r.spans for r in cleaner.clean_batch(texts)] == [cleaner.clean(t).spans for t in texts]


def test_annotate_only_and_policy(cleaner):
    text = NEWS.replace("mengatakan anggaran", "mengatakan, GACORJP88 link alternatif anggaran")
    ann = cleaner.with_policy(annotate_only=True).clean(text)
    assert ann.cleaned == text and ann.spans
    promo_only = cleaner.with_policy(remove=("promo",)).clean(text)
    assert "Baca juga" in promo_only.cleaned and "GACORJP88" not in promo_only.cleaned


def _held_out_report(shared_dir, tmp_path):
    """Evaluation of validation documents whose outlets, brand families and template
    families the model never trained on (rebuilt here from ../shared with the model's own
    build seed and held-out outlets)."""
    from filter.training.build import build_dataset
    from filter.evaluation.metrics import evaluate

    training = read_meta(DEFAULT_MODEL)["training"]
    out = tmp_path / "data"
    build_dataset(shared_dir / "corpus", out, seed=training["build_seed"], limit=150,
                  valid_outlets=training["valid_outlets"], workers=1)
    docs = [json.loads(line) for line in (out / "valid.jsonl").open(encoding="utf-8")]
    docs = [d for d in docs if d["origin"] == "injected"]
    assert len(docs) >= 40
    cleaner = Cleaner.load()
    report = evaluate(docs, cleaner.detect_many([d["text"] for d in docs]))
    assert report.overall.promo_spans >= 60
    return report


@pytest.mark.slow
def test_validation_target_held_out_brands_and_templates(shared_dir, tmp_path):
    """The issue's target: promo span recall >= 0.90 on documents whose outlets, brand
    families and template families the model never saw (0.909 on this rebuilt subset of 286 spans,
    0.903 on the full validation split, for the committed model)."""
    report = _held_out_report(shared_dir, tmp_path)
    assert report.overall.promo_span_recall >= 0.90, report.overall
