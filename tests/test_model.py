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
        spans_only = cleaner.with_policy(promo_pages=False, language_guard=False)  # no page-level steps
        assert [(s.start, s.end) for s in spans] == [(s.start, s.end) for s in spans_only.clean(text).spans]


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
    """Promo span recall on documents whose outlets, brand families and template families the
    model never saw, rebuilt here (286 spans). An earlier issue's target was 0.90; since the
    open-web retrain the full validation split gives 0.884 (E1 and the committed D3 alike), and
    this subset 0.909 (E1) / 0.895 (D3): a regression floor just below, not the target."""
    report = _held_out_report(shared_dir, tmp_path)
    assert report.overall.promo_span_recall >= 0.88, report.overall


@pytest.mark.parametrize("text", ["\u200b", "\ufeff", " \u200b ", "\u200b\n\u200b", "\u200b\u200c\u200d\u2060"])
def test_texts_of_invisible_characters_only_yield_a_result(cleaner, text):
    """Such a text has tokens but no units (the segmenter drops invisible-only lines); alone
    and in a batch it gives one result with no spans (it raised IndexError in ``candidates``)."""
    r = cleaner.clean(text)
    assert r.spans == [] and r.text == text
    batch = cleaner.clean_batch([text, "Berita biasa hari ini.", text])
    assert len(batch) == 3 and batch[0].spans == [] and batch[2].spans == []


@pytest.mark.parametrize("surrogate", ["\ud800", "\udc80", "\udfff", "\udbff\udbff"])
def test_lone_surrogates_are_cleaned_not_a_crash(cleaner, surrogate):
    # what Python's errors="surrogateescape" makes of undecodable bytes: the library takes it
    # (the CLI replaces it before); one bad document must not fail its batch
    texts = [f"Harga cabai naik{surrogate} di pasar.\nSlot88{surrogate}gacor daftar sekarang",
             surrogate, f"{surrogate} Baca juga: Harga gabah", "Polisi menangkap bandar judi di Jakarta."]
    batch = cleaner.clean_batch(texts)
    for t, r in zip(texts, batch):
        assert r.to_dict() == cleaner.clean(t).to_dict()
        assert all(0 <= s.start < s.end <= len(t) for s in r.spans)
