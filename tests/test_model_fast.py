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
