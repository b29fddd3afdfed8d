"""The batched gathers of the context and token features equal the per-offset ones they
replaced (``_neighbour``/``_take`` per k)."""
from __future__ import annotations

import numpy as np

from filter.model import _neighbour, _neighbours, _take, _take_padded


def test_neighbours_and_padded_take_match_the_per_offset_forms():
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 5, 40):
        group = np.sort(rng.integers(0, 4, n))
        rows = np.arange(n)
        sub = np.sort(rng.choice(n, size=min(n, 7), replace=False)) if n else rows
        ks = (-3, -2, -1, 0, 1, 2, 3)
        J = _neighbours(group, sub, ks)
        assert J.shape == (len(ks), len(sub))
        for i, k in enumerate(ks):
            assert np.array_equal(J[i], _neighbour(group, k)[sub])
            assert np.array_equal(J[i], _neighbour(group, k, sub))
        A = rng.random((n, 3)).astype(np.float32)
        want = np.hstack([_take(A, J[i]) for i in range(len(ks))]) if n else np.zeros((0, 21), np.float32)
        got = _take_padded(A, J)
        assert got.dtype == A.dtype and np.array_equal(got, want)
        assert np.array_equal(_neighbours(group, rows, (-1, 1)), np.stack([_neighbour(group, -1), _neighbour(group, 1)]))


def _texts() -> list[str]:
    import json
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample.jsonl"
    texts = [json.loads(line)["text"] for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts + ["", "a", "Gacor77", "\u200b\u200b", "Baca juga: Harga cabai naik\nBERITA TERKAIT",
                    "Polisi menangkap 3 bandar judi. Slot88 daftar sekarang bonus 100%!\n\n\nx",
                    # a promo word in many units (token_repeats' cap of 3)
                    "\n".join(f"Slot88 gacor hari ini, daftar Slot88 bonus {i}" for i in range(6))]


def test_compiled_context_and_token_features_equal_the_numpy_ones(monkeypatch):
    """``context_features``, ``token_features``, ``marker_distance``, ``candidates`` and
    ``token_repeats`` give the same bits with the compiled passes (``_compiled_features``) and
    with numpy, on real model inputs: batches of several documents, one document, and documents
    with no units or no candidates."""
    import filter.model as M
    from filter.cleaner import Cleaner

    if M._compiled_features() is None:
        import pytest

        pytest.skip("numba not installed")
    model = Cleaner.load().model
    calls: list[tuple] = []
    names = ("context_features", "token_features", "marker_distance", "candidates", "token_repeats")
    for name in names:
        f = getattr(M, name)
        monkeypatch.setattr(M, name, lambda *a, _f=f, _n=name: calls.append((_n, _f, a)) or _f(*a))
    texts = _texts()
    model.analyze_many(texts)
    for t in texts:
        model.analyze_many([t])
    assert {n for n, _, _ in calls} == set(names)
    compiled = M._COMPILED_FEATURES[:]
    for name, f, args in list(calls):
        got = f(*args)
        monkeypatch.setattr(M, "_COMPILED_FEATURES", [None])
        want = f(*args)
        monkeypatch.setattr(M, "_COMPILED_FEATURES", compiled)
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert got.tobytes() == want.tobytes(), name
