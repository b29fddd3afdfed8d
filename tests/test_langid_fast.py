"""The language identifier's compiled byte walk (``filter.langid``, numba when installed) gives
py3langid's own codes, probabilities and scores, and the plain walk runs without it."""
from __future__ import annotations

import numpy as np
import pytest

from filter import langid

TEXTS = [
    "Presiden meresmikan jembatan baru di Kalimantan Timur pada Senin, kata pejabat setempat.",
    "The president opened a new bridge in East Kalimantan on Monday, officials said.",
    "Perdana Menteri Malaysia berkata kerajaan akan menambah baik sistem pengangkutan awam.",
    "Thủ tướng cho biết chính phủ sẽ cải thiện hệ thống giao thông công cộng.",
    "DAFTAR SLOT GACOR HARI INI",
    "abc", "x", "12 34", "", "Ünïcödé ñ 中文 텍스트 русский текст", "a" * 700,
]


def _reference():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def test_compiled_walk_gives_py3langids_scores():
    ref, fast = _reference(), langid._identifier()
    for t in TEXTS:
        sample = t[:langid.DEFAULT_MAX_CHARS]
        assert fast.classify(sample) == ref.classify(sample)
        assert np.array_equal(fast._decide(sample), ref._decide(sample))


def test_walk_counts_in_first_visit_order():
    walk = langid.compiled_visits()
    if walk is None:
        pytest.skip("numba not installed")
    from py3langid.langid import visit_counts

    ident = langid._identifier()
    for t in TEXTS:
        data = ident._encode(t)
        want = visit_counts(ident.tk_nextmove, ident._rowbase, ident.tk_output, data) or {}
        keys, counts = walk(*ident._walk_arrays, np.frombuffer(data, dtype=np.uint8))
        assert list(zip(keys.tolist(), counts.tolist())) == list(want.items())


def test_plain_walk_without_compiled(monkeypatch):
    with_compiled = [langid.detect_language(t) for t in TEXTS]
    monkeypatch.setattr(langid, "_COMPILED", [None])   # as without numba / FILTER_COMPILED_LANGID=0
    assert [langid.detect_language(t) for t in TEXTS] == with_compiled
    ref = _reference()
    sample = TEXTS[1][:langid.DEFAULT_MAX_CHARS]
    assert langid._identifier().classify(sample) == ref.classify(sample)
