"""Long documents are read in overlapping windows (``filter.window``); batches in bounded parts."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import filter.model as model_mod
import filter.window as W
from filter.cleaner import DEFAULT_MODEL
from filter.spans import Span, check_spans

ROOT = Path(__file__).resolve().parents[1]
LINE = "Pemerintah daerah meresmikan jembatan baru pada Senin. Warga menyambut baik pembangunan itu."


def _doc(n_lines: int, sep: str = "\n") -> str:
    return sep.join(f"{LINE} Nomor {i}. Main di JUDI{i % 7}77 sekarang." for i in range(n_lines))


def fake_predict(texts: list[str]) -> list[list[Span]]:
    """A local model: every JUDI<digits> word is promotion (windowing must not change it)."""
    return [[Span(m.start(), m.end(), "promo", "inline_brand", 0.9) for m in re.finditer(r"JUDI\d+", t)] for t in texts]


@pytest.mark.parametrize("sep", ["\n", " "])
def test_cores_tile_the_text_and_windows_hold_their_core(sep):
    text = _doc(400, sep)
    ws = W.windows(text, size=3000, overlap=400)
    assert ws[0].core_start == 0 and ws[-1].core_end == len(text) and len(ws) > 5
    for a, b in zip(ws, ws[1:]):
        assert a.core_end == b.core_start
    for w in ws:
        assert w.start <= w.core_start < w.core_end <= w.end and w.end - w.start <= 3000 + 2 * 400
        if sep == "\n" and w.core_end < len(text):
            assert text[w.core_end - 1] == "\n"           # cut at a line break when there is one
        if sep == " " and w.core_end < len(text):
            assert text[w.core_end - 1] == " "            # else at a sentence end or a space


@pytest.mark.parametrize("sep", ["\n", " "])
def test_windowed_spans_equal_whole_document_spans_for_a_local_model(sep):
    text = _doc(400, sep)
    got = W.predict_windowed(fake_predict, text, size=3000, overlap=400)
    assert got == fake_predict([text])[0]
    check_spans(text, got)


def test_stitch_clips_a_span_opening_before_the_core_and_resolves_overlaps():
    w1, w2 = W.Window(0, 120, 0, 100), W.Window(80, 200, 100, 200)
    spans = W.stitch([(w1, [Span(90, 110, "promo", "x", 0.9)]),
                      (w2, [Span(0, 40, "boilerplate", "nav", 0.8), Span(50, 60, "promo", "x", 0.7)])])
    # w1's span reaches into w2's core; w2's whole-line span (80..120) is clipped behind it
    assert [(s.start, s.end) for s in spans] == [(90, 110), (110, 120), (130, 140)]


@pytest.fixture(scope="module")
def model():
    if not DEFAULT_MODEL.exists():
        pytest.skip("no bundled model")
    from filter import Cleaner

    return Cleaner.load().model


def test_long_document_goes_through_windows_with_valid_spans(model, monkeypatch):
    text = _doc(300)
    whole = model.predict_spans_many([text])[0]
    monkeypatch.setattr(W, "LONG_DOC_CHARS", 5000)
    calls = []
    real = W.predict_windowed
    monkeypatch.setattr(W, "predict_windowed", lambda f, t: calls.append(len(t)) or real(f, t, size=4000, overlap=500))
    windowed = model.predict_spans_many([text, "Berita biasa."])[0]
    assert calls == [len(text)]
    check_spans(text, windowed)
    promo = lambda spans: {(s.start, s.end) for s in spans if s.label == "promo"}  # noqa: E731
    assert len(promo(windowed) ^ promo(whole)) <= 0.05 * len(promo(whole))


def test_batch_parts_do_not_change_spans(model, monkeypatch):
    texts = [json.loads(line)["text"] for line in open(ROOT / "data" / "seeds.jsonl", encoding="utf-8")]
    texts += [json.loads(line)["text"] for line in open(ROOT / "data" / "samples" / "sample.jsonl", encoding="utf-8")]
    whole = model.predict_spans_many(texts)
    monkeypatch.setattr(model_mod, "MAX_BATCH_CHARS", 3000)
    assert model.predict_spans_many(texts) == whole


def test_a_full_word_cache_is_emptied_without_changing_spans(model, monkeypatch):
    """The word cache (shared by batches and a long document's windows) is capped: once over
    ``max_size`` it is emptied before the next part, and the spans stay the same."""
    texts = [json.loads(line)["text"] for line in open(ROOT / "data" / "seeds.jsonl", encoding="utf-8")]
    texts += [json.loads(line)["text"] for line in open(ROOT / "data" / "samples" / "sample.jsonl", encoding="utf-8")]
    whole = model.predict_spans_many(texts)
    full = len(model._vocab)
    monkeypatch.setattr(model_mod, "MAX_BATCH_CHARS", 3000)
    monkeypatch.setattr(model._vocab, "max_size", 50)
    assert model.predict_spans_many(texts) == whole
    assert len(model._vocab) < full
