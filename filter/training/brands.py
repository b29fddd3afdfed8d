"""Gambling-brand names: synthetic generation, family keys and detection in free text.

- ``generate_brand(rng)`` builds names in the shapes seen in the wild (Mustang303,
  pstoto99, NAGATOTO, hoki4d, SultanEmas88, TOTOMACAN, jpslot777) from a team-written word
  pool (``data/lexicons/brand_words.txt``), so a model learns the *shape*, not a list.
- ``brand_family(name)`` maps every spelling of a brand (styled, spaced, leeted, other
  digits or suffix) to one key: Mustang303, MUSTANG303, 𝐌𝐔𝐒𝐓𝐀𝐍𝐆𝟑𝟎𝟑, Mu5tang77 -> "mustang".
  Train/validation splits hold out whole families.
- ``brand_mentions(text, known)`` finds brand-like tokens in a comment (known names first,
  then the brand shape) for assigning comments to families.
"""
from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from filter.normalize import fold, normalize

__all__ = ["generate_brand", "brand_family", "brand_key", "brand_mentions", "looks_like_brand",
           "load_brand_words", "BRAND_SUFFIXES"]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
# suffix tokens stripped to find the family stem (longest first); digits are stripped too
BRAND_SUFFIXES = ("togel", "slots", "toto", "slot", "gacor", "casino", "poker", "club", "spin",
                  "play", "hoki", "bet", "win", "vip", "4d", "jp", "qq", "id")
# name suffixes, weighted roughly as in real brand lists (TOTO/SLOT/BET dominate)
_NAME_SUFFIXES = ("toto",) * 4 + ("slot",) * 3 + ("bet",) * 3 + (
    "togel", "togel", "win", "win", "jp", "gacor", "play", "qq", "spin", "hoki", "4d", "vip", "88", "77")
_PREFIXES = ("toto", "slot", "jp", "raja", "dewa", "king", "mega", "bos", "hoki", "gacor", "sultan")
_DIGITS = ("88", "77", "303", "99", "777", "168", "138", "4d", "69", "123", "365", "888", "55",
           "17", "328", "500", "86", "212", "789", "555", "33", "11", "234", "66", "007")


def load_brand_words(path: Path | None = None) -> list[str]:
    """The word pool, lower-cased and de-duplicated in file order."""
    path = path or DATA_DIR / "lexicons" / "brand_words.txt"
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        w = line.split("#", 1)[0].strip().lower()
        if w and w.isalpha():
            seen.setdefault(w, None)
    return list(seen)


@lru_cache(maxsize=1)
def _default_words() -> tuple[str, ...]:
    return tuple(load_brand_words())


def _digits(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return rng.choice(_DIGITS)
    return str(rng.randint(10, 999))


def generate_brand(rng: random.Random, words: Sequence[str] | None = None) -> str:
    """A synthetic brand name in one of the real shapes, randomly cased."""
    pool = words or _default_words()
    w = rng.choice([x for x in (rng.choice(pool) for _ in range(4)) if len(x) <= 9] or ["hoki"])
    shape = rng.random()
    if shape < 0.33:                      # WORD+digits: Mustang303, hoki88
        parts = [w, _digits(rng)]
    elif shape < 0.58:                    # WORD+suffix(+digits): NAGATOTO, lebahslot77
        parts = [w, rng.choice(_NAME_SUFFIXES)]
        if rng.random() < 0.3 and not parts[-1][-1].isdigit():
            parts.append(_digits(rng))
    elif shape < 0.70:                    # prefix+WORD(+digits): TOTOMACAN, jpslot777
        parts = [rng.choice(_PREFIXES), w]
        if rng.random() < 0.5:
            parts.append(_digits(rng))
    elif shape < 0.88:                    # CamelCase two words + digits: SultanEmas88
        w2 = rng.choice(pool)
        parts = [w, w2 if len(w) + len(w2) <= 13 else w2[:4], rng.choice(("88", "77", "303", "99", "777"))]
    else:                                 # WORD4D
        parts = [w, "4d"]
    casing = rng.random()
    if casing < 0.4:
        name = "".join(parts).upper()
    elif casing < 0.65:
        name = "".join(parts).lower()
    else:
        cap4d = rng.random() < 0.5
        name = "".join(p.capitalize() if p.isalpha() else (p.upper() if cap4d else p) for p in parts)
    return name


_ALNUM = re.compile(r"[^a-z0-9]+")
_TRAIL_DIGITS = re.compile(r"\d+$")


def brand_key(name: str) -> str:
    """Normalised alphanumeric form of a name (folded, spaced letters joined, de-leeted)."""
    return _ALNUM.sub("", normalize(name))


def brand_family(name: str) -> str:
    """The family stem of a brand: lower-case, de-obfuscated, digits and suffixes removed."""
    key = brand_key(name)
    stem = key
    changed = True
    while changed:
        changed = False
        s2 = _TRAIL_DIGITS.sub("", stem)
        if s2 != stem and len(s2) >= 3:
            stem, changed = s2, True
        for suf in BRAND_SUFFIXES:
            if stem.endswith(suf) and len(stem) - len(suf) >= 3:
                stem, changed = stem[: -len(suf)], True
                break
    letters = re.sub(r"\d+", "", stem)
    return letters if len(letters) >= 3 else (stem or key or name.strip().lower())


_SHAPE = re.compile(
    r"^(?:[a-z]{2,}[0-9]{2,4}[a-z]?|[0-9]{1,3}[a-z]{3,}[0-9]*|[a-z]{3,}4d[0-9]*|"
    r"[a-z]{2,}(?:toto|togel|slot|slots|bet|win|gacor|jp|qq|play|spin|hoki|vip)[0-9]*|"
    r"(?:toto|slot|jp|raja|dewa|king|mega)[a-z]{3,}[0-9]*)$")
_COMMON = frozenset("covid mp3 mp4 g20 h2o 4g 5g 3d 2d android website channel update rupiah".split())


def looks_like_brand(token: str) -> bool:
    """Shape test on a normalised token: letters+digits, WORD4D, WORDTOTO, TOTOWORD..."""
    return 4 <= len(token) <= 24 and token not in _COMMON and bool(_SHAPE.match(token))


_TOKEN = re.compile(r"[a-z0-9]+")
_CAPS = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]{4,}(?![A-Za-z0-9])")


def brand_mentions(text: str, known: Iterable[str] | frozenset[str] = frozenset(),
                   skip: frozenset[str] = frozenset()) -> list[str]:
    """Brand-like tokens of ``text`` as normalised keys: known keys, then shapes, then CAPS words.

    ``skip`` lists lower-case words never taken as an ALLCAPS brand (stopwords, promo terms).
    """
    known = known if isinstance(known, (set, frozenset)) else frozenset(known)
    norm = normalize(text)
    toks = _TOKEN.findall(norm)
    hits = [t for t in toks if t in known and len(t) >= 4]
    if not hits:
        hits = [t for t in toks if looks_like_brand(t)]
    if not hits:  # plain ALLCAPS names after folding: GUNUNGWIN, MAUSLOT
        hits = [w for w in (m.group().lower() for m in _CAPS.finditer(fold(text))) if w not in skip]
    return hits
