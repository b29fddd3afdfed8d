"""Segmentation of raw extracted text into blocks, paragraphs, sentences and tokens.

Every unit is a ``Segment(start, end)`` into the original string; nothing is normalised
here (normalisation for features lives elsewhere). All units are *trimmed*: they never start
or end with whitespace (``str.isspace``) or a zero-width character (``ZERO_WIDTH``), so a
span over a whole unit never includes a newline or the space next to it.

- ``blocks(text)``: one block per non-blank line. Lines end at ``\\n``, ``\\r\\n``, ``\\r``
  and the other separators ``str.splitlines`` knows (``\\v \\f \\x1c-\\x1e \\x85 \\u2028
  \\u2029``).
- ``paragraphs(text)``: runs of consecutive non-blank lines separated by blank lines.
- ``sentences(text, start, end)``: sentences inside ``text[start:end]``; they never cross a
  line break. Aware of Indonesian abbreviations and titles ("Rp.", "No.", "dr.", "H.",
  "S.H.", "M.Si.", "dkk."), numbers ("3.000", "Rp3.000.000"), URLs and domains
  ("kompas.com"), closing quotes ("datang.” Lalu"), ellipses, list markers ("1. item"),
  pipe-table rows (one sentence per row), datelines ("JAKARTA, KOMPAS.com - ...") and
  trailing editor codes ("(ara/ara)", "(rob)": split off as their own sentence). Text with
  no newlines at all (a flattened scrape) is split into sentences just the same.
- ``tokens(text, start, end)``: runs of non-space characters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Segment", "blocks", "paragraphs", "sentences", "tokens",
           "LINE_BREAKS", "ZERO_WIDTH", "SPACE_CHARS"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A half-open range ``[start, end)`` of the original text."""

    start: int
    end: int

    def text(self, doc: str) -> str:
        return doc[self.start:self.end]


# Characters that end a line (the set ``str.splitlines`` uses; "\r\n" counts as one break).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Invisible characters treated as space at segment edges and between tokens.
ZERO_WIDTH = "\u200b\u200e\u200f\u2060\ufeff\u180e"
# Everything ``str.isspace`` accepts, plus ZERO_WIDTH: what trimming removes.
SPACE_CHARS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
               "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000" + ZERO_WIDTH)

_BR = re.escape(LINE_BREAKS)
_SP = r"\s" + re.escape(ZERO_WIDTH)
# A trimmed non-blank line: starts and ends with a non-space character, contains no break.
_BLOCK = re.compile(rf"[^{_SP}](?:[^{_BR}]*[^{_SP}])?")
_TOKEN = re.compile(rf"[^{_SP}]+")
_BREAK = re.compile(rf"\r\n|[{_BR}]")


def blocks(text: str) -> list[Segment]:
    """Non-blank lines, trimmed (a block never contains a line break)."""
    return [Segment(*m.span()) for m in _BLOCK.finditer(text)]


def paragraphs(text: str) -> list[Segment]:
    """Groups of consecutive non-blank lines; a blank (or whitespace-only) line separates them.

    Each paragraph runs from its first block's start to its last block's end.
    """
    out: list[Segment] = []
    cur_start = prev_end = -1
    for m in _BLOCK.finditer(text):
        s, e = m.span()
        if cur_start < 0:
            cur_start = s
        elif len(_BREAK.findall(text, prev_end, s)) > 1:
            out.append(Segment(cur_start, prev_end))
            cur_start = s
        prev_end = e
    if cur_start >= 0:
        out.append(Segment(cur_start, prev_end))
    return out


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Segment]:
    """Runs of non-space characters of ``text[start:end]`` (zero-width characters separate)."""
    end = len(text) if end is None else end
    return [Segment(*m.span()) for m in _TOKEN.finditer(text, start, end)]


# ----------------------------------------------------------------------------- sentences

# Abbreviations that never end a sentence: titles, ranks, address and number prefixes,
# month abbreviations (a capitalised name or a number follows them).
_ABBR_NEVER = frozenset("""
rp no dr drs dra drg drh h hj prof ir kh ny nn tn sdr sdri bpk bp yth jl jln gg kec kab
kel prov pt cv ud tbk st mr mrs ms jend brigjen kombes akbp kompol ipda iptu aiptu aipda
bripka brigpol briptu bripda kapt kol letkol letjen mayjen irjen komjen laksma marsma hlm
vol tgl ust apt ds rt rw jan feb mar apr jun jul agu agt ags sep sept okt nov des aug oct
dec vs ca cf a.n u.p s.d u.b e.g i.e
""".split())
# Abbreviations that may end a sentence: split only when a capitalised word follows.
_ABBR_END = frozenset("""
dkk dll dsb dst dlsb dlm etc tsb ybs sbb sh se mm mh msi mpd spd skom ssos sip amd phd msc bsc
""".split())
_DOTTED = re.compile(r"(?:[A-Za-z]{1,3}\.)+[A-Za-z]{1,3}")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
# Top-level domain words: "Tribunnews.Com" is not "Tribunnews." + "Com".
_TLD = frozenset("com co id net org go ac or tv news info biz my sg web sch mil".split())

_OPENERS = "\"'“‘«([{"
_CLOSERS = "\"'”’»)]}"
_CLOSE_RE = re.escape(_CLOSERS)
_EDITOR_CODE = r"[(\[][a-z]{2,5}(?:/[a-z]{2,5})*[)\]]"
_BULLETS = "•●▪◦■►"

# Candidate sentence ends: a terminal run (with closing quotes/brackets) followed by space or
# by a glued capitalised word, or a bullet glyph followed by space. One leading character class
# keeps the scan fast; the rest is decided in ``_split_line``.
_CAND = re.compile(rf"[.!?…{_BULLETS}][.!?…{_CLOSE_RE}]*(?=\s|[A-Z][A-Za-z]|[“‘\"(\[]+[A-Z])")
_DOMAIN_LIKE = re.compile(r"[^.]+\.[A-Za-z0-9]")  # "Kompas.com", "AH.01.01": one dotted name
_CODE_AT_END = re.compile(rf"{_EDITOR_CODE}")
_MAX_WORD = 64  # longest word looked at around a candidate end (keeps the scan linear)
_LIST_LOOKBACK = 400  # how far back a flattened list's previous marker is looked for
_MARKER = re.compile(r"([0-9]{1,3})\.\s")
_TRAILING_NUM = re.compile(r"(?<![0-9.,])[0-9]{1,3}$")
_LOWER_START = re.compile(rf"[{re.escape(_OPENERS)}]*(?P<c>.)", re.S)


def _prev_word(text: str, lo: int, i: int) -> str:
    """The non-space run ending at ``i`` (at most ``_MAX_WORD`` characters, not before ``lo``),
    without opening quotes/brackets."""
    if i <= lo or text[i - 1].isspace():
        return ""
    return text[max(lo, i - _MAX_WORD):i].rsplit(None, 1)[-1].lstrip(_OPENERS)


def _is_abbreviation(word: str) -> str:
    """'never', 'end' (may end a sentence) or '' (not an abbreviation) for ``word`` + '.'."""
    w = word.lower()
    if w in _ABBR_NEVER:
        return "never"
    if w in _ABBR_END:
        return "end"
    if len(w) == 1 and w.isalpha():  # an initial: "H." "S."
        return "never"
    if _INITIALS.fullmatch(word):  # "H.M." "K.H." "S.H."
        return "never"
    if _DOTTED.fullmatch(word):  # "M.Si." "S.Pd." "a.n."
        w2 = w.replace(".", "")
        return "never" if w in _ABBR_NEVER or w2 in _ABBR_NEVER else "end"
    return ""


def _table_row(text: str, s: int, e: int) -> bool:
    return (text[s] == "|" or text[e - 1] == "|") and text.count("|", s, e) >= 2


def _next_marker(text: str, i: int, le: int) -> int:
    """N + 1 when ``text[i:]`` opens with the list marker "N. ", else -1."""
    m = _MARKER.match(text, i, le)
    return int(m.group(1)) + 1 if m else -1


def _editor_code_start(text: str, ls: int, le: int) -> int:
    """Start of a trailing editor code ("(rob)", "(ara/ara)") on the line, or ``le``."""
    if text[le - 1] not in ")]":
        return le
    i = max(text.rfind("(", max(ls, le - 40), le), text.rfind("[", max(ls, le - 40), le))
    if i > ls and _CODE_AT_END.fullmatch(text, i, le):
        return i
    return le


def _split_line(text: str, ls: int, le: int, out: list[Segment]) -> None:
    """Append the sentences of the trimmed line ``text[ls:le]`` to ``out``."""
    if _table_row(text, ls, le):
        out.append(Segment(ls, le))
        return
    code = _editor_code_start(text, ls, le)
    cur = ls  # start of the current sentence
    expect = _next_marker(text, cur, le)  # number of the next item in a numbered list
    for m in _CAND.finditer(text, ls, code):
        first = text[m.start()]
        if first in _BULLETS:
            if m.end() - m.start() > 1 or not text[m.end()].isspace() \
                    or not (m.start() > cur and text[m.start() - 1].isspace()):
                continue
            cut = nxt = m.start()  # split before the bullet
        else:
            cut = m.end()
            glued = not text[cut].isspace()
            if glued:  # "dia.Selanjutnya", "2025).Sebelumnya", "Senin.“Kami": not "S.H.Budi"
                p = text[m.start() - 1] if m.start() > ls else ""
                if not p or not (p.isdigit() or p in ")]”’\"" or (
                        p.islower() and m.start() - ls >= 2 and text[m.start() - 2].isalpha())):
                    continue
                if m.group().endswith('""'):  # 'lokal.""KPK': the second quote opens the next
                    cut = m.start() + len(m.group().rstrip('"')) + 1
            nxt = cut
            while nxt < le and text[nxt].isspace():
                nxt += 1
            if nxt >= le or text[nxt] == "|":  # line end, or inside a table cell
                continue
            c = _LOWER_START.match(text, nxt, le)
            if c is None or c.group("c").islower():
                continue
            punct = m.group().rstrip(_CLOSERS)
            if punct == ".":
                word = _prev_word(text, cur, m.start())
                abbr = _is_abbreviation(word)
                if abbr == "never":
                    continue
                if abbr == "end" and (not c.group("c").isupper()
                                      or _is_abbreviation(_next_word(text, c.start("c"), le).rstrip("."))):
                    continue
                dm = _TRAILING_NUM.search(word)
                if dm is not None:
                    num, num_start = int(dm.group()), m.start() - len(dm.group())
                    j = num_start
                    while j > cur and text[j - 1].isspace():
                        j -= 1
                    if dm.start() == 0 and (j == cur or text[j - 1] == ":"):
                        continue  # list marker "1. Item" opening the sentence or after a colon
                    before = text[max(cur, num_start - _LIST_LOOKBACK):num_start]
                    if num == expect or (dm.start() == 0 and num >= 2
                                         and re.search(rf"(?:^|\s){num - 1}\.\s", before)):
                        # flattened numbered list "1. Satu 2. Dua": cut before the next marker
                        cut = nxt = num_start
                if glued:
                    nw = _next_word(text, nxt, le).rstrip(".,;:!?")
                    if nw.lower() in _TLD or "/" in nw or _DOMAIN_LIKE.match(nw):
                        continue
        s, e = _trim(text, cur, cut)
        if e > s:
            out.append(Segment(s, e))
        cur = nxt
        expect = _next_marker(text, cur, le)
    for a, b in ((cur, code), (code, le)):
        s, e = _trim(text, a, b)
        if e > s:
            out.append(Segment(s, e))


def _next_word(text: str, i: int, le: int) -> str:
    """The non-space run starting at ``i`` (at most ``_MAX_WORD`` characters), without , ; :"""
    if i >= le or text[i].isspace():
        return ""
    return text[i:min(le, i + _MAX_WORD)].split(None, 1)[0].rstrip(",;:")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    seg = text[start:end]
    left = seg.lstrip(SPACE_CHARS)
    if not left:
        return start, start
    s = start + len(seg) - len(left)
    return s, s + len(left.rstrip(SPACE_CHARS))


def block_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every block (``blocks`` without the ``Segment`` objects)."""
    return [m.span() for m in _BLOCK.finditer(text)]


def line_sentences(text: str, ls: int, le: int) -> list[Segment]:
    """The sentences of one block ``text[ls:le]`` (``sentences`` of a single block, without its scan)."""
    out: list[Segment] = []
    _split_line(text, ls, le, out)
    return out


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Segment]:
    """Trimmed sentences of ``text[start:end]``, in order; a sentence never crosses a line break."""
    end = len(text) if end is None else end
    out: list[Segment] = []
    for m in _BLOCK.finditer(text, start, end):
        _split_line(text, m.start(), m.end(), out)
    return out
