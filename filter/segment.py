"""Segmentation of raw extracted text into blocks, sentences and tokens with exact offsets.

Every unit is a ``Segment(start, end)`` into the original string; nothing is normalised
here (normalisation for features lives in ``filter.normalize``).

- ``blocks(text)``: one block per non-blank line (``\\n``, ``\\r\\n`` or ``\\r``), trimmed of
  leading/trailing whitespace (so a whole-line span never includes the newline).
- ``sentences(text, start, end)``: sentences inside a block, aware of Indonesian
  abbreviations, numbers, URLs, quotes, ellipses and list markers.
- ``tokens(text, start, end)``: whitespace-delimited tokens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int

    def text(self, doc: str) -> str:
        return doc[self.start:self.end]


_LINE = re.compile(r"[^\r\n]+")
_TOKEN = re.compile(r"\S+")
_WS = " \t\f\v\xa0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u200b\u200e\u200f\ufeff"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in _WS):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _WS):
        end -= 1
    return start, end


def blocks(text: str) -> list[Segment]:
    """Non-blank lines, trimmed."""
    out = []
    for m in _LINE.finditer(text):
        s, e = _trim(text, m.start(), m.end())
        if e > s:
            out.append(Segment(s, e))
    return out


_ABBREV = {
    "rp", "no", "dr", "drs", "dra", "h", "hj", "prof", "ir", "st", "sh", "se", "mm", "mh", "dkk",
    "jl", "jln", "tbk", "pt", "cv", "kh", "ny", "tn", "sdr", "bpk", "yth", "a.n", "u.p", "dll",
    "dsb", "dst", "tsb", "ybs", "kec", "kab", "kel", "desa", "prov", "km", "kg", "nomor", "hlm",
    "vol", "mr", "mrs", "ms", "jr", "sr", "vs", "etc", "e.g", "i.e", "s.h", "s.e", "m.m", "m.h",
    "s.pd", "s.kom", "m.si", "s.sos", "s.ip", "m.pd", "s.t", "m.t", "a.md", "brigjen", "kombes",
    "akbp", "kompol", "ipda", "iptu", "aiptu", "bripka", "briptu", "jend", "kol", "letjen", "mayjen",
    "sekjen", "gub", "wagub", "bup", "kapt", "lt", "sgt", "apt", "ust", "kyai", "pak", "bu",
}
# Candidate sentence ends: terminal punctuation (with closing quotes/brackets) then whitespace.
_END = re.compile(r"(?:\.{3}|…|[.!?])+[\"'”’)\]]*(?=\s+)")


def _is_abbrev(text: str, seg_start: int, dot: int) -> bool:
    """True when the '.' at ``dot`` ends an abbreviation or an initial, not a sentence."""
    j = dot
    while j > seg_start and not text[j - 1].isspace():
        j -= 1
    word = text[j:dot].lower().lstrip("(\"'“‘[")
    if not word:
        return False
    if word in _ABBREV or word.rstrip(".") in _ABBREV:
        return True
    if len(word) == 1 and word.isalpha():  # initial: "H." "M."
        return True
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):  # S.H, a.n
        return True
    return False


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Segment]:
    """Split ``text[start:end]`` into trimmed sentences."""
    end = len(text) if end is None else end
    out: list[Segment] = []
    cur = start
    for m in _END.finditer(text, start, end):
        punct_end = m.end()
        if text[m.start()] == "." and m.group().rstrip("\"'”’)]") == "." and _is_abbrev(text, cur, m.start()):
            continue
        # next non-space char must plausibly start a sentence
        k = punct_end
        while k < end and text[k].isspace():
            k += 1
        if k < end and text[k].islower() and not text[m.start()] in "!?":
            continue
        s, e = _trim(text, cur, punct_end)
        if e > s:
            out.append(Segment(s, e))
        cur = punct_end
    s, e = _trim(text, cur, end)
    if e > s:
        out.append(Segment(s, e))
    return out


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Segment]:
    """Whitespace-delimited tokens of ``text[start:end]``."""
    end = len(text) if end is None else end
    return [Segment(m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)]
