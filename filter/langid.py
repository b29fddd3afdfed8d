"""Out-of-language guard: which language is a document in?

Uses py3langid (a maintained fork of langid.py: a naive-Bayes byte n-gram model over 97
languages, numpy only, its model shipped inside the wheel as an LZMA-compressed npz, no
pickle, no download). Chosen over the alternatives because it needs no model
download at run time (fastText's lid.176 does), is small (4.5 MB installed), is cheap on a
page's first ``max_chars`` = 600 characters (its byte-n-gram walk is a Python loop, so cost
grows with length: on dev + dev_web 600 characters cost 2.3 ms and 2,000 cost 5.3 ms on the
loaded shared machine, and no document changed language), and separates Malay from
Indonesian (both are among its 97 languages), which a learned feature trained on this
project's Indonesian-only data cannot. The model is decompressed once per process on first use (about 0.5 s), not at
import, so a process that never cleans pays nothing. With the optional ``fast`` extra (numba)
the byte walk is compiled (``compiled_visits``; ``FILTER_COMPILED_LANGID=0`` switches it off):
same features, counts and scores, ~0.1 ms less per page; py3langid's own walk runs otherwise.

``detect_language(text)`` returns ``(code, probability)``, ``("", 0.0)`` for a text with no
letters. A document is treated as Indonesian unless the detector names another language
with probability at least ``min_confidence`` (short or mixed texts stay Indonesian).
"""
from __future__ import annotations

import threading
from typing import Any

import numpy as np

__all__ = ["detect_language", "is_foreign", "page_language", "DEFAULT_MAX_CHARS", "DEFAULT_MIN_CONFIDENCE"]

DEFAULT_MAX_CHARS = 600
DEFAULT_MIN_CONFIDENCE = 0.9
_IDENTIFIER: Any = None
_LOCK = threading.Lock()
_COMPILED: list = []      # the compiled byte walk once loaded ([None]: not available)


def _visits(nextmove, rowbase, output, data):  # pragma: no cover - compiled
    """py3langid's ``visit_counts`` walk (the same DFA steps over the same bytes: ``state =
    nextmove[rowbase[state] + byte]``), returning the visited features in first-visit order
    and their counts (the order and counts of its ``Counter``)."""
    feats = np.empty(data.shape[0], dtype=np.int64)
    n = 0
    state = 0
    for i in range(data.shape[0]):
        state = nextmove[rowbase[state] + data[i]]
        f = output[state]
        if f >= 0:
            feats[n] = f
            n += 1
    feats = feats[:n]
    order = np.argsort(feats, kind="mergesort")   # stable: a group's first item is its first visit
    keys = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    counts = np.empty(n, dtype=np.int64)
    m = 0
    for j in range(n):
        f = feats[order[j]]
        if m == 0 or keys[m - 1] != f:
            keys[m] = f
            first[m] = order[j]
            counts[m] = 0
            m += 1
        counts[m - 1] += 1
    by_visit = np.argsort(first[:m])
    return keys[:m][by_visit], counts[:m][by_visit]


def compiled_visits():
    """The numba-compiled byte walk, or None (numba absent, or ``FILTER_COMPILED_LANGID=0``)."""
    if not _COMPILED:
        from filter.jit import jit_or_none

        _COMPILED.append(jit_or_none(_visits, "FILTER_COMPILED_LANGID"))
    return _COMPILED[0]


def _fast_class(base: type) -> type:
    """py3langid's identifier with its byte walk (a Python loop over every byte, most of
    ``classify``'s time) compiled when numba is installed. Everything else is py3langid's own
    code: the visited features are counted in first-visit order as its ``visit_counts`` counts
    them, and scored by its ``_sparse_score``, so codes and probabilities are the same; without
    numba (or an identifier lacking the private methods) py3langid's walk runs."""

    class FastIdentifier(base):
        __slots__ = ("_walk_arrays",)

        def _raw_score(self, text):
            walk = compiled_visits()
            arrays = getattr(self, "_walk_arrays", None)
            if walk is None or arrays is None or not isinstance(text, bytes):
                return super()._raw_score(text)
            try:
                keys, counts = walk(*arrays, np.frombuffer(text, dtype=np.uint8))
            except Exception:  # noqa: BLE001 - a walk that cannot compile or run: the plain one, from now on
                self._walk_arrays = None
                return super()._raw_score(text)
            if not len(keys):
                return super()._raw_score(text)   # no features: py3langid's fill value
            return self._sparse_score(dict(zip(keys.tolist(), counts.tolist())), self.nb_ptc)

    return FastIdentifier


def _as_array(a: Any) -> np.ndarray:
    """The DFA table as an array without a copy (py3langid keeps it as an ``array.array``)."""
    try:
        return np.frombuffer(a, dtype=np.dtype(a.typecode))
    except (AttributeError, TypeError, ValueError):
        return np.asarray(a, dtype=np.int64)


def _identifier() -> Any:
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _LOCK:
            if _IDENTIFIER is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                fast = all(hasattr(LanguageIdentifier, m) for m in ("_raw_score", "_sparse_score"))
                ident = (_fast_class(LanguageIdentifier) if fast else LanguageIdentifier).from_model_file(
                    MODEL_FILE, norm_probs=True)
                if fast and compiled_visits() is not None:
                    ident._walk_arrays = (_as_array(ident.tk_nextmove),
                                          np.asarray(ident._rowbase, dtype=np.int64),
                                          np.asarray(ident.tk_output, dtype=np.int64))
                _IDENTIFIER = ident
    return _IDENTIFIER


def detect_language(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, float]:
    """ISO 639-1 code and probability of the language of ``text[:max_chars]``."""
    sample = text[:max_chars]
    if not any(c.isalpha() for c in sample):
        return "", 0.0
    code, prob = _identifier().classify(sample)
    return str(code), float(prob)


def is_foreign(code: str, prob: float, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> bool:
    """True when the detector is confident (``prob >= min_confidence``) the text is not Indonesian."""
    return bool(code) and code != "id" and prob >= min_confidence


def page_language(text: str) -> tuple[str, bool]:
    """The language a page is reported in and whether it is foreign, by one rule for the output,
    the ``filter clean`` summary and the guard: the detector's code when it is confidently not
    Indonesian (``is_foreign``), ``"id"`` otherwise (short or mixed texts: a guess such as "zxx"
    at probability 0.02 for "abc" is not a language), ``""`` for a text with no letters."""
    code, prob = detect_language(text)
    foreign = is_foreign(code, prob)
    return (code if foreign or not code else "id"), foreign
