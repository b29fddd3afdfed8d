"""Bounded memory on long documents: analyse them in overlapping windows and stitch the spans.

The model's working arrays grow with the document (a 10 MB single-line text peaked at
1.07 GB). A document longer than ``LONG_DOC_CHARS`` is cut into windows of about
``WINDOW_CHARS`` characters at line breaks (else sentence ends, else spaces, else anywhere);
each window is read with ``OVERLAP_CHARS`` of context on both sides and keeps the spans that
start in its own part (its *core*); a span reaching into the next core wins over the spans
that start under it there. Peak memory then depends on the window size, not the document,
and time is linear in the length. What still grows with the document is the text itself, the
cleaned text (each 4 bytes a character once the text holds a character beyond U+FFFF, such
as an emoji), the pieces ``render`` joins into it and the spans; the word cache the windows
share is capped (``filter.features.VOCAB_MAX_WORDS``).

Ordinary articles (well under ``LONG_DOC_CHARS``; the longest validation article has 10k
characters) are read whole, so their spans are unchanged. In a long document, what the
model reads from the whole document (its first line, how much of the rest is about
gambling, copies of a line near the top) comes from the window instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from filter.spans import Span

LONG_DOC_CHARS = 120_000   # longer documents are read in windows
WINDOW_CHARS = 60_000      # the core of a window
OVERLAP_CHARS = 3_000      # context read on each side of a core (spans starting there are dropped)
_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*\s+")


@dataclass(frozen=True)
class Window:
    """Characters ``[start, end)`` are read; spans starting in ``[core_start, core_end)`` are kept."""

    start: int
    end: int
    core_start: int
    core_end: int


def _cut(text: str, lo: int, hi: int) -> int:
    """A cut point in ``(lo, hi]``, as late as possible: after a line break, else after a
    sentence end, else at a space, else ``hi``."""
    if hi >= len(text):
        return len(text)
    floor = lo + (hi - lo) // 2
    nl = text.rfind("\n", floor, hi)
    if nl >= 0:
        return nl + 1
    last = None
    for m in _SENTENCE_END.finditer(text, floor, hi):
        last = m
    if last is not None:
        return last.end()
    sp = text.rfind(" ", floor, hi)
    return sp + 1 if sp >= 0 else hi


def _cut_back(text: str, lo: int, hi: int) -> int:
    """A start point in ``[lo, hi)``, as early as possible: after a line break, else after a
    sentence end, else after a space, else ``lo``."""
    if lo <= 0:
        return 0
    ceil = lo + (hi - lo) // 2
    nl = text.find("\n", lo, ceil)
    if nl >= 0:
        return nl + 1
    m = _SENTENCE_END.search(text, lo, ceil)
    if m is not None:
        return m.end()
    sp = text.find(" ", lo, ceil)
    return sp + 1 if sp >= 0 else lo


def windows(text: str, size: int = WINDOW_CHARS, overlap: int = OVERLAP_CHARS) -> list[Window]:
    """Cores tile the text; each window adds up to ``overlap`` characters either side, cut at
    line breaks (sentence ends, spaces) like the cores."""
    out, pos = [], 0
    while pos < len(text):
        end = _cut(text, pos, pos + size)
        start = _cut_back(text, pos - overlap, pos) if pos else 0
        out.append(Window(start, _cut(text, end, end + overlap) if end < len(text) else end, pos, end))
        pos = end
    return out


def stitch(per_window: Iterable[tuple[Window, list[Span]]]) -> list[Span]:
    """Spans of all windows in document offsets: each window's spans that start in its core,
    and the part in its core of a span that starts before it (a whole-line span of a window
    that opens mid-line); where a kept span reaches past its core, later spans starting
    under it are clipped or dropped."""
    out: list[Span] = []
    for w, spans in per_window:
        for s in spans:
            a, b = max(s.start + w.start, w.core_start), s.end + w.start
            if a >= b or a >= w.core_end:
                continue
            if out and a < out[-1].end:
                a = out[-1].end
                if a >= b:
                    continue
            out.append(replace(s, start=a, end=b))
    return out


def predict_windowed(predict_many: Callable[[list[str]], list[list[Span]]], text: str,
                     size: int = WINDOW_CHARS, overlap: int = OVERLAP_CHARS) -> list[Span]:
    """Spans of a long ``text`` from ``predict_many`` run on one window at a time. The windows
    stream through ``stitch``: a window's slice and its spans are dropped once its kept spans
    are stitched, so only the document's spans accumulate."""
    return stitch((w, predict_many([text[w.start:w.end]])[0]) for w in windows(text, size, overlap))
