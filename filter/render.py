"""Cleaned text from a document and the spans to remove.

``render(text, spans)`` deletes the spans and repairs what each deletion leaves, *only at the
deletion site*: the whitespace and punctuation touching the removed text may be dropped or
rejoined; nothing further away changes. Repairs:

- inline removal: one space between the words it separated, none before ``, . ; : ! ? ) ]
  ” …`` or after ``( [ “``; an orphaned comma/semicolon/colon/dash is dropped ("pekerja, ,
  Pigai" → "pekerja, Pigai", "a, b, ." → "a, b."), brackets or quotes left empty are dropped,
  a sentence whose removed opening started with a capital gets its capital back, and a
  sentence whose removed end carried the full stop keeps a full stop;
- whole-line / whole-paragraph removal: the line goes with its line break, and the lines
  around it are separated by the larger of the two original separators (never more blank
  lines than were there); removing the first or last lines leaves no leading/trailing blank
  lines.

Spans may include or exclude the adjoining space; both render the same. Whitespace-only and
empty spans are ignored. ``render_map`` also returns, for every output character, the offset
of the original character it comes from (-1 for an inserted space), and ``removed_mask``
marks the original characters that did not survive.
"""
from __future__ import annotations

import re
from typing import Sequence

from filter.segment import LINE_BREAKS, SPACE_CHARS, ZERO_WIDTH
from filter.spans import Span, check_spans

__all__ = ["render", "render_map", "removed_mask", "REPAIR_PUNCT"]

_SPACE = frozenset(SPACE_CHARS)
_BREAKS = frozenset(LINE_BREAKS)
_TERMINAL = ".!?…"
_SOFT = ",;:"
_DASHES = "-–—"
_OPEN_CLOSE = {"(": ")", "[": "]", "{": "}", "“": "”", "‘": "’", "«": "»"}
_CLOSE_OPEN = {v: k for k, v in _OPEN_CLOSE.items()}
_NO_SPACE_BEFORE = frozenset(",.;:!?…)]}”’»")
_NO_SPACE_AFTER = frozenset("([{“‘«")
# Every punctuation character the renderer may drop outside the spans (besides whitespace).
REPAIR_PUNCT = _TERMINAL + _SOFT + _DASHES + "".join(_OPEN_CLOSE) + "".join(_CLOSE_OPEN) + '"'
_TERM_SET, _SOFT_SET, _DASH_SET = frozenset(_TERMINAL), frozenset(_SOFT), frozenset(_DASHES)
_COMMA_SET, _STOP_SET = frozenset(",;"), frozenset(".!?")
_CLOSE_QUOTE_SET, _OPEN_QUOTE_SET = frozenset(")]”’\""), frozenset("“\"'‘([")
_GAP_MERGE = frozenset(SPACE_CHARS + _TERMINAL + _SOFT + _DASHES) - _BREAKS
_MAX_REPAIRS = 16  # punctuation/bracket repairs per removal site (repairs stay local)
_SPACE_RUN = re.compile(f"[{re.escape(SPACE_CHARS)}]+")
_END_OF_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")


class _Out:
    """The output as pieces ``[start, end, replacement]`` of the original text."""

    __slots__ = ("text", "pieces")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces: list[list] = []

    def add(self, s: int, e: int) -> None:
        if e <= s:
            return
        p = self.pieces[-1] if self.pieces else None
        if p is not None and p[2] is None and p[1] == s:
            p[1] = e
        else:
            self.pieces.append([s, e, None])

    def add_char(self, i: int, ch: str) -> None:
        self.pieces.append([i, i + 1 if i >= 0 else -1, ch])

    def add_chars(self, chars: list[tuple[int, str]]) -> None:
        for i, ch in chars:
            if i >= 0 and ch == self.text[i]:
                self.add(i, i + 1)
            else:
                self.add_char(i, ch)

    def empty(self) -> bool:
        return not self.pieces

    def last(self, k: int = 1) -> str:
        """The last ``k`` characters of the output."""
        parts: list[str] = []
        n = 0
        for s, e, rep in reversed(self.pieces):
            part = rep if rep is not None else self.text[max(s, e - (k - n)):e]
            parts.append(part)
            n += len(part)
            if n >= k:
                break
        return "".join(reversed(parts))[-k:]

    def pop(self) -> tuple[int, str]:
        p = self.pieces[-1]
        if p[2] is not None:
            self.pieces.pop()
            return p[0], p[2]
        p[1] -= 1
        i = p[1]
        if p[1] <= p[0]:
            self.pieces.pop()
        return i, self.text[i]

    def pop_space(self) -> list[tuple[int, str]]:
        """Remove trailing whitespace; return it in text order."""
        got: list[tuple[int, str]] = []
        while self.pieces:
            s, e, rep = self.pieces[-1]
            if rep is not None:
                if rep and all(c in _SPACE for c in rep):
                    self.pieces.pop()
                    got.append((s, rep))
                    continue
                break
            j = e
            while j > s and self.text[j - 1] in _SPACE:
                j -= 1
            got.extend((i, self.text[i]) for i in range(e - 1, j - 1, -1))
            if j > s:
                self.pieces[-1][1] = j
                break
            self.pieces.pop()
        got.reverse()
        return got

    def result(self, with_map: bool = True) -> tuple[str, list[int]]:
        """The output text and (``with_map``) each output character's source offset."""
        parts: list[str] = []
        src: list[int] = []
        for s, e, rep in self.pieces:
            if rep is None:
                parts.append(self.text[s:e])
                if with_map:
                    src.extend(range(s, e))
            else:
                parts.append(rep)
                if with_map:
                    src.extend([s] * len(rep))
        return "".join(parts), src


def _n_breaks(chars: list[tuple[int, str]]) -> int:
    n = 0
    prev = ""
    for _, c in chars:
        if c in _BREAKS and not (c == "\n" and prev == "\r"):
            n += 1
        prev = c
    return n


def _break_run(chars: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """``chars`` from its first to its last line break, inclusive."""
    idx = [k for k, (_, c) in enumerate(chars) if c in _BREAKS]
    return chars[idx[0]:idx[-1] + 1] if idx else []


def _last_break(chars: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The last line break in ``chars`` ("\r\n" counts as one)."""
    run = _break_run(chars)
    if len(run) >= 2 and run[-2][1] == "\r" and run[-1][1] == "\n":
        return run[-2:]
    return run[-1:]


def _indent(chars: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The space that directly follows the last line break in ``chars`` (a line's indentation)."""
    idx = [k for k, (_, c) in enumerate(chars) if c in _BREAKS]
    if not idx:
        return []
    got: list[tuple[int, str]] = []
    prev = chars[idx[-1]][0]
    for i, c in chars[idx[-1] + 1:]:
        if i != prev + 1 or c in ZERO_WIDTH:
            break
        got.append((i, c))
        prev = i
    return got


def _sites(text: str, spans: Sequence[Span]) -> list[tuple[int, int]]:
    """Removal sites: non-blank spans, merged across gaps of space and separator punctuation."""
    sites: list[list[int]] = []
    for s in check_spans(text, spans):
        if not text[s.start:s.end].strip(SPACE_CHARS):
            continue
        gap = text[sites[-1][1]:s.start] if sites else None
        if gap is not None and (not gap.strip(SPACE_CHARS) or all(c in _GAP_MERGE for c in gap)):
            sites[-1][1] = s.end
        else:
            sites.append([s.start, s.end])
    return [(a, b) for a, b in sites]


def _is_open_quote(out: _Out) -> bool:
    t = out.last(2)
    return t.endswith('"') and (len(t) < 2 or t[0] in _SPACE or t[0] in _NO_SPACE_AFTER)


def _is_close_quote(text: str, r: int, limit: int) -> bool:
    return r < limit and text[r] == '"' and (r + 1 >= limit or not text[r + 1].isalnum())


def _first_alpha(s: str) -> str:
    for c in s:
        if c.isalpha():
            return c
    return ""


def render_map(text: str, spans: Sequence[Span], with_map: bool = True) -> tuple[str, list[int]]:
    """Cleaned text and, per output character, its offset in ``text`` (-1: inserted space;
    an empty list unless ``with_map``: the map costs ~36 bytes per character).

    A character may differ from its source only by being upper-cased (a restored capital).
    """
    sites = _sites(text, spans)
    if not sites:
        return text, list(range(len(text))) if with_map else []
    n = len(text)
    out = _Out(text)
    pos = 0
    for k, (a, b) in enumerate(sites):
        limit = sites[k + 1][0] if k + 1 < len(sites) else n
        out.add(pos, a)
        core = text[a:b]
        cs, ce = a, b
        while text[cs] in _SPACE:
            cs += 1
        while text[ce - 1] in _SPACE:
            ce -= 1
        lw = out.pop_space() + [(i, text[i]) for i in range(a, cs)]
        rw = [(i, text[i]) for i in range(ce, b)]
        r = b
        while r < limit and text[r] in _SPACE:
            rw.append((r, text[r]))
            r += 1

        def skip_right_space(r: int) -> int:
            while r < limit and text[r] in _SPACE:
                rw.append((r, text[r]))
                r += 1
            return r

        core_has_break = any(c in _BREAKS for c in text[cs:ce])
        counts: dict[str, int] = {}

        def count(ch: str) -> int:
            if ch not in counts:
                counts[ch] = core.count(ch)
            return counts[ch]

        # Absorb orphaned punctuation and empty/unbalanced brackets next to the removal.
        for _ in range(_MAX_REPAIRS):
            left_empty = out.empty()
            right_empty = r >= n
            left_line = left_empty or _n_breaks(lw) > 0
            right_line = right_empty or _n_breaks(rw) > 0
            L = "" if left_empty else out.last()
            R = "" if r >= limit else text[r]
            # a closer whose opener was removed, an opener whose closer was removed
            if R in _CLOSE_OPEN and count(_CLOSE_OPEN[R]) > count(R):
                r = skip_right_space(r + 1)
                continue
            if L in _OPEN_CLOSE and count(_OPEN_CLOSE[L]) > count(L):
                out.pop()
                lw = out.pop_space() + lw
                continue
            # an empty pair of brackets or quotes
            if L and R and (_OPEN_CLOSE.get(L) == R
                            or (L == '"' and R == '"' and _is_open_quote(out)
                                and _is_close_quote(text, r, limit))):
                out.pop()
                lw = out.pop_space() + lw
                r = skip_right_space(r + 1)
                continue
            r_dash = R in _DASH_SET and (r + 1 >= n or text[r + 1] in _SPACE)
            l_tail = out.last(2)
            l_dash = L in _DASH_SET and (len(l_tail) < 2 or l_tail[0] in _SPACE)
            l_soft = L in _COMMA_SET or l_dash or (L == ":" and not right_line)
            r_term = R in _TERM_SET
            r_soft = R in _SOFT_SET or r_dash
            core_break = not left_line and not right_line and core_has_break
            if ((right_line and not left_line) or core_break) \
                    and (L in _COMMA_SET or l_dash or L in _NO_SPACE_AFTER):
                out.pop()  # dangling at the end of a line
                lw = out.pop_space() + lw
                continue
            if ((left_line and not right_line) or core_break) \
                    and (r_soft or (R in _STOP_SET and text[r:r + 2] != "..")):
                r = skip_right_space(r + 1)  # orphaned at the start of a line
                continue
            if not left_line and not right_line and not core_break:
                if _END_OF_SENTENCE.search(out.last(8)) and (r_soft or r_term):
                    r = skip_right_space(r + 1)
                    continue
                if l_soft and (r_term or r_soft):
                    if r_term:
                        out.pop()
                        lw = out.pop_space() + lw
                    else:
                        r = skip_right_space(r + 1)
                    continue
            break

        left_empty = out.empty()
        right_empty = r >= n
        left_line = left_empty or _n_breaks(lw) > 0
        right_line = right_empty or _n_breaks(rw) > 0
        core_end = core.rstrip(SPACE_CHARS)
        term = len(core_end) - len(core_end.rstrip(".!?"))
        restore = [] if not term else [(i, text[i]) for i in range(ce - term, ce)]
        L = "" if left_empty else out.last()
        left_open_sentence = L.isalnum() or L in _CLOSE_QUOTE_SET

        if left_line and right_line:
            if left_empty:
                if not right_empty:
                    out.add_chars(_indent(rw))
            elif right_empty:
                out.add_chars(_last_break(rw))
            else:
                sep = lw if _n_breaks(lw) >= _n_breaks(rw) else rw
                out.add_chars(_break_run(sep))
                out.add_chars(_indent(rw))
        elif left_line:  # removal opening a line
            if not left_empty:
                out.add_chars(_break_run(lw) + _indent(lw))
            if r < limit and text[r].islower() and _first_alpha(core).isupper() \
                    and len(text[r].upper()) == 1:
                out.add_char(r, text[r].upper())
                r += 1
        elif right_line:  # removal closing a line
            if restore and left_open_sentence:
                out.add_chars(restore)
            out.add_chars(_last_break(rw) if right_empty else _break_run(rw) + _indent(rw))
        else:  # inside a line
            R = text[r] if r < limit else ""  # "": the next removal starts right here
            if core_has_break:
                runs = [[(i, text[i]) for i in range(m.start(), m.end())]
                        for m in _SPACE_RUN.finditer(text, cs, ce)]
                out.add_chars(_break_run(max(runs, key=_n_breaks)))
            else:
                pool = lw + rw
                if restore and left_open_sentence and (R.isupper() or R.isdigit() or R in _OPEN_QUOTE_SET):
                    out.add_chars(restore)
                    pool = rw
                L = out.last()
                if not (R in _NO_SPACE_BEFORE or _is_close_quote(text, r, limit)
                        or L in _NO_SPACE_AFTER or (L == '"' and _is_open_quote(out))):
                    spaces = [(i, c) for i, c in pool if c not in ZERO_WIDTH]
                    out.add_chars(spaces[:1] or [(-1, " ")])
                if R.islower() and _first_alpha(core).isupper() and len(R.upper()) == 1 \
                        and _END_OF_SENTENCE.search(out.last(8).rstrip(SPACE_CHARS)):
                    out.add_char(r, R.upper())
                    r += 1
        pos = r
    out.add(pos, n)
    return out.result(with_map)


def render(text: str, spans: Sequence[Span]) -> str:
    """``text`` without ``spans``, repaired locally at each removal (see the module docstring)."""
    return render_map(text, spans, with_map=False)[0]


def removed_mask(text: str, spans: Sequence[Span]) -> list[bool]:
    """Per character of ``text``: True when it does not survive ``render`` (span or repair)."""
    kept = [False] * len(text)
    for i in render_map(text, spans)[1]:
        if i >= 0:
            kept[i] = True
    return [not k for k in kept]
