"""Obfuscators spammers apply to brand names and promo lines (used by ``filter.training.inject``).

Each is the inverse of a step of ``filter.normalize.normalize``, so for any string ``s``
made of ASCII letters, digits and spaces, ``normalize(f(s)) == normalize(s)``:

- ``styled(s, rng)``: one Unicode letter style (math bold/italic/script/fraktur/double-struck/
  sans/monospace, fullwidth, circled, negative circled/squared, small caps, Cyrillic/Greek
  homoglyphs, combining underline/strike) or a per-character mix of them;
- ``zero_width(s, rng)``: U+200B/200C/200D/2060/FEFF inside words;
- ``spaced(s)``: "JPTOGEL77" -> "J P T O G E L 7 7" (words of >= 4 alphanumerics);
- ``leet(s, rng)``: a->4, o->0, e->3, i->1, s->5, t->7 on inner letters.
"""
from __future__ import annotations

import random
import re
import unicodedata
from functools import lru_cache

from filter.normalize import HOMOGLYPHS, LEET_DIGITS, normalize

__all__ = ["STYLES", "OBFUSCATORS", "styled", "zero_width", "spaced", "leet", "obfuscate"]

_MATH = ["BOLD", "ITALIC", "BOLD ITALIC", "SCRIPT", "BOLD SCRIPT", "FRAKTUR", "BOLD FRAKTUR",
         "DOUBLE-STRUCK", "SANS-SERIF", "SANS-SERIF BOLD", "SANS-SERIF ITALIC",
         "SANS-SERIF BOLD ITALIC", "MONOSPACE"]
_LETTERLIKE = {"FRAKTUR": "BLACK-LETTER", "ITALIC": "", "SCRIPT": "SCRIPT", "DOUBLE-STRUCK": "DOUBLE-STRUCK"}
STYLES = tuple(f"math_{m.lower().replace(' ', '_').replace('-', '_')}" for m in _MATH) + (
    "fullwidth", "circled", "negative_circled", "negative_squared", "squared", "small_caps",
    "homoglyph", "combining")
_DIGIT_NAMES = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"]
_COMBINING = ["\u0332", "\u035f", "\u034e", "\u0336", "\u0333"]
_ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
# the convincing look-alikes spammers use (all folded back by normalize's HOMOGLYPHS)
_HOMO_OUT = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "y": "у", "x": "х", "i": "і",
             "s": "ѕ", "j": "ј", "A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н",
             "O": "О", "P": "Р", "C": "С", "T": "Т", "X": "Х", "I": "І", "N": "Ν", "Z": "Ζ"}
_LEET = {v: k for k, v in LEET_DIGITS.items()}  # letter -> digit


def _lookup(*names: str) -> str | None:
    for n in names:
        try:
            return unicodedata.lookup(n)
        except KeyError:
            continue
    return None


def _style_names(style: str, ch: str) -> list[str]:
    """Unicode character names to try for ``ch`` in ``style`` (first existing wins)."""
    up, case = ch.upper(), ("CAPITAL" if ch.isupper() else "SMALL")
    if ch.isdigit():
        d = _DIGIT_NAMES[int(ch)]
        if style.startswith("math_"):
            m = _MATH[STYLES.index(style)]
            return [f"MATHEMATICAL {m} DIGIT {d}"]
        return {"fullwidth": [f"FULLWIDTH DIGIT {d}"],
                "circled": [f"CIRCLED DIGIT {d}"],
                "negative_circled": [f"DINGBAT NEGATIVE CIRCLED DIGIT {d}", f"NEGATIVE CIRCLED DIGIT {d}"],
                }.get(style, [])
    if style.startswith("math_"):
        m = _MATH[STYLES.index(style)]
        names = [f"MATHEMATICAL {m} {case} {up}"]
        if m in _LETTERLIKE and _LETTERLIKE[m]:
            names.append(f"{_LETTERLIKE[m]} {case} {up}")
        return names
    return {"fullwidth": [f"FULLWIDTH LATIN {case} LETTER {up}"],
            "circled": [f"CIRCLED LATIN {case} LETTER {up}"],
            "negative_circled": [f"NEGATIVE CIRCLED LATIN CAPITAL LETTER {up}"],
            "negative_squared": [f"NEGATIVE SQUARED LATIN CAPITAL LETTER {up}"],
            "squared": [f"SQUARED LATIN CAPITAL LETTER {up}"],
            "small_caps": [f"LATIN LETTER SMALL CAPITAL {up}"],
            }.get(style, [])


@lru_cache(maxsize=None)
def _style_map(style: str) -> dict[str, str]:
    """ASCII letter/digit -> styled character, kept only where normalize() folds it back."""
    out: dict[str, str] = {}
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789":
        if style == "homoglyph":
            if ch in _HOMO_OUT and HOMOGLYPHS.get(_HOMO_OUT[ch]) == ch:
                out[ch] = _HOMO_OUT[ch]
            continue
        got = _lookup(*_style_names(style, ch))
        if got and normalize(got) == normalize(ch):
            out[ch] = got
    return out


def styled(s: str, rng: random.Random, style: str | None = None) -> str:
    """Render ``s`` in one Unicode style (random when ``style`` is None; "mixed" per char)."""
    style = style or rng.choice(STYLES + ("mixed",))
    if style == "combining":
        mark = rng.choice(_COMBINING)
        return "".join(c + mark if not c.isspace() else c for c in s)
    if style == "mixed":
        pool = [st for st in STYLES if st not in ("combining", "homoglyph")]
        return "".join(_style_map(rng.choice(pool)).get(c, c) if rng.random() < 0.8 else c for c in s)
    table = _style_map(style)
    if style == "homoglyph":  # replace a subset, as spammers do ("AЕR𝐎88")
        out = [table[c] if c in table and rng.random() < 0.5 else c for c in s]
        return "".join(out)
    return "".join(table.get(c, c) for c in s)


def zero_width(s: str, rng: random.Random, n: int | None = None) -> str:
    """Insert 1-3 zero-width/format characters between two non-space characters."""
    slots = [i for i in range(1, len(s)) if not s[i - 1].isspace() and not s[i].isspace()]
    if not slots:
        return s
    n = n or rng.randint(1, min(3, len(slots)))
    chosen = sorted(rng.sample(slots, min(n, len(slots))), reverse=True)
    chars = list(s)
    for i in chosen:
        chars.insert(i, rng.choice(_ZW))
    return "".join(chars)


def _spaceable(w: str) -> bool:
    return len(w) >= 4 and w.isascii() and w.isalnum()


def spaced(s: str) -> str:
    """Space out the letters of every alphanumeric word of >= 4 characters.

    Spaced words are separated from their neighbours by two spaces so that normalize()
    never glues a neighbouring one-letter word onto them.
    """
    words = s.split(" ")
    out: list[str] = []
    for i, w in enumerate(words):
        if i:
            out.append("  " if (_spaceable(w) or _spaceable(words[i - 1])) else " ")
        out.append(" ".join(w) if _spaceable(w) else w)
    return "".join(out)


_WORD = re.compile(r"[A-Za-z0-9]+")


def _leet_word(w: str, rng: random.Random, p: float) -> str:
    chars = list(w)
    elig = [i for i in range(1, len(w) - 1)
            if w[i].lower() in _LEET and w[i - 1].isalpha() and w[i + 1].isalpha()
            and not (w[i].lower() == "a" and i == len(w) - 2 and w[i + 1].lower() == "d")]
    if not elig:
        return w
    picked: list[int] = []
    for i in elig:
        if (not picked or picked[-1] < i - 1) and rng.random() < p:
            picked.append(i)
    if not picked:
        picked = [rng.choice(elig)]
    for i in picked:
        chars[i] = _LEET[w[i].lower()]
    return "".join(chars)


def leet(s: str, rng: random.Random, p: float = 0.5) -> str:
    """Leetspeak on inner letters (both neighbours letters, never two digits in a row)."""
    return _WORD.sub(lambda m: _leet_word(m.group(), rng, p), s)


OBFUSCATORS = {
    "styled_unicode": styled,
    "zero_width": zero_width,
    "spaced_letters": lambda s, rng: spaced(s),
    "leetspeak": leet,
}


def obfuscate(s: str, rng: random.Random, kind: str | None = None) -> tuple[str, str]:
    """Apply one obfuscator (random when ``kind`` is None); returns (text, kind)."""
    kind = kind or rng.choice(list(OBFUSCATORS))
    return OBFUSCATORS[kind](s, rng), kind
