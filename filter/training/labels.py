"""Gold labels for units and tokens: the training side of the span contract (spans -> item labels)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from filter.features import CLASSES, IGNORE
from filter.model import Base


def coverage_labels(n: int, starts: Sequence[int], ends: Sequence[int], spans: Sequence[dict],
                    ignore: Sequence[Sequence[int]] = ()) -> tuple[np.ndarray, list[str]]:
    """Label items (units or tokens) by the gold span covering most of them.

    An item is promo/boilerplate when a span of that label covers ≥ half of its characters,
    ``IGNORE`` when an ignore range or an optional span touches it, content otherwise.
    """
    labels = np.zeros(n, dtype=np.int64)
    kinds = [""] * n
    if n == 0:
        return labels, kinds
    st = np.asarray(starts)
    en = np.asarray(ends)
    length = np.maximum(en - st, 1)
    for sp in spans:
        ov = np.minimum(en, sp["end"]) - np.maximum(st, sp["start"])
        if sp.get("optional"):
            labels[ov > 0] = IGNORE
            continue
        hit = ov * 2 >= length
        lab = CLASSES.index(sp["label"])
        for i in np.nonzero(hit & (labels != IGNORE))[0]:
            labels[i] = lab
            kinds[i] = sp.get("kind", "")
    for a, b in ignore:
        ov = np.minimum(en, b) - np.maximum(st, a)
        labels[ov > 0] = IGNORE
    return labels, kinds


def unit_and_token_labels(b: Base, spans: list[dict], ignore: Sequence[Sequence[int]]):
    """Gold labels for a document's units and tokens."""
    ul, uk = coverage_labels(len(b.units), b.units.starts, b.units.ends, spans, ignore)
    tl, _ = coverage_labels(len(b.toks), b.toks[:, 0], b.toks[:, 1], spans, ignore)
    return ul, uk, tl
