"""The keyword-regex baseline: what Indonesian scrapers do today, for contrast.

Two rule families, as found in public scraper code (``research/anchors.md`` §5):

- **boilerplate line regexes**, applied per line without DOTALL (``Baca juga:.*`` removes the
  rest of the *line*; in flattened text that is the rest of the document, as in the wild):
  "Baca juga", "Simak Video", ``[Gambas:...]``, editor codes ``(abc/def)``, ADVERTISEMENT,
  SCROLL TO CONTINUE WITH CONTENT, "Halaman 2 dari 2", Editor/Penulis lines, "Artikel ini
  telah tayang di";
- a **judol keyword regex** (slot gacor, togel, maxwin, brand+digits names like
  ``Mustang303``...) that marks the whole sentence containing a hit as promo.

It knows nothing about context, so it also removes sentences of news *about* gambling;
that is the point of having it.
"""
from __future__ import annotations

import re

from filter.segment import blocks, sentences
from filter.spans import Span, trim

BOILERPLATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("related_link", re.compile(r"\b(?:Baca|Lihat|BACA|LIHAT) (?:[Jj]uga|JUGA)\b.*")),
    ("related_link", re.compile(r"\b(?:Simak|Tonton|SIMAK) (?:[Jj]uga )?(?:[Vv]ideo|VIDEO)\b.*")),
    ("widget", re.compile(r"\[Gambas:.*?\]")),
    ("credit", re.compile(r"\(\w+/\w+\)")),
    ("ad", re.compile(r"\bADVERTISEMENT\b")),
    ("ad", re.compile(r"\bSCROLL TO CONTINUE WITH CONTENT\b")),
    ("nav", re.compile(r"\bHalaman \d+ dari \d+\b")),
    ("byline", re.compile(r"^\s*(?:Editor|Penulis|Reporter)\s*:.*", re.MULTILINE)),
    ("source", re.compile(r"\bArtikel ini telah tayang di\b.*")),
)

JUDOL_RE = re.compile(
    r"\b(?:slot\s*gacor|slot\s*online|situs\s*slot|gacor|maxwin|max\s*win|togel|toto\s*gel|"
    r"jackpot|scatter|rtp\s*(?:live|slot)|link\s*alternatif|daftar\s*sekarang|judi\s*online|judol|"
    r"bandar\s*(?:togel|judi|bola)|casino\s*online|sbobet|pragmatic\s*play|deposit\s*pulsa|"
    r"[A-Za-z]+(?:303|88|77|4d|4D|toto|TOTO))\b",
    re.IGNORECASE,
)


def _merge(cands: list[tuple[int, int, str, str]]) -> list[Span]:
    """Union overlapping candidates; the merged span takes the longest contributor's label."""
    out: list[list] = []
    for s, e, label, kind in sorted(cands):
        if out and s < out[-1][1]:
            cur = out[-1]
            if e - s > cur[4]:
                cur[2], cur[3], cur[4] = label, kind, e - s
            cur[1] = max(cur[1], e)
        else:
            out.append([s, e, label, kind, e - s])
    return [Span(s, e, label, kind, 1.0) for s, e, label, kind, _ in out]


def keyword_baseline(text: str) -> list[Span]:
    """Spans the keyword-regex baseline would delete (score 1.0), sorted and non-overlapping."""
    cands: list[tuple[int, int, str, str]] = []
    for kind, pat in BOILERPLATE_PATTERNS:
        for m in pat.finditer(text):
            s, e = trim(text, m.start(), m.end())
            if e > s:
                cands.append((s, e, "boilerplate", kind))
    for b in blocks(text):
        if not JUDOL_RE.search(text, b.start, b.end):
            continue
        for sent in sentences(text, b.start, b.end):
            if JUDOL_RE.search(text, sent.start, sent.end):
                cands.append((sent.start, sent.end, "promo", "keyword_sentence"))
    return _merge(cands)
