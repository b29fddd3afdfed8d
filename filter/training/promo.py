"""The promo bank: real promo comments, team-written templates, brand names and keywords.

``load_promo_bank(corpus_dir, data_dir, exclude_texts)`` reads

- label-1 comments of ``corpus/promo/datasets/gbennnn_judol-comment-classification/
  dataset_judol_labelled.csv`` (MIT) and ``diashitenas_llm_judol/dataset.csv`` (and, with
  ``include_ayu=True``, the clean label-1 rows of ayu-dash), keeping rows that are usable:
  no mojibake or control characters, 15-400 characters, some words, and a promo signal (a
  brand-like token or a promo term). YouTube timestamps ("02:30 ") are stripped and
  duplicates (after ``normalize``) dropped. A comment whose whitespace-normalised text (or
  one of its lines of >= 20 characters) occurs inside an ``exclude_texts`` document is
  dropped: the dev transplants use verbatim comments.
- ``corpus/promo/brands.txt`` and ``brands_trustpositif.txt`` (descriptive phrases such as
  "permainan judi online" are dropped) plus ``n_generated`` synthetic names from
  ``filter.training.brands.generate_brand``;
- ``corpus/promo/keywords.txt`` plus ``data/lexicons/promo_terms.txt``;
- ``data/templates/*.txt`` (format in ``data/templates/README.md``).

Families: a brand's is ``brand_family(name)``; a comment's is the family of the first
brand it mentions, else a hash bucket ``misc-NN``; a template's is its ``@family``.
``PromoBank.partition`` holds out whole families (brand and comment families share one
namespace, so a held-out brand's comments are held out with it).
"""
from __future__ import annotations

import csv
import random
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from filter.training.brands import brand_family, brand_key, brand_mentions, generate_brand, load_brand_words
from filter.normalize import normalize

__all__ = ["PromoText", "Brand", "PromoBank", "load_promo_bank", "load_templates", "load_lexicon",
           "promo_term_pattern", "usable_comment"]

COMMENT_FILES = {
    "gbennnn": ("datasets/gbennnn_judol-comment-classification/dataset_judol_labelled.csv",
                "comment_text", "label"),
    "diashitenas": ("datasets/diashitenas_llm_judol/dataset.csv", "comment", "label"),
    "ayu-dash": ("datasets/ayu-dash_klasifikasi-komentar-judol-yt/labeled_improved.csv",
                 "comment_text", "target"),
}
REGISTERS = ("educational", "human_interest", "news", "testimonial", "cta", "bridge", "line", "comment")


@dataclass(frozen=True)
class PromoText:
    """A promo unit: a real comment or a template sentence/paragraph (with slots)."""

    text: str
    source: str
    family: str
    register: str


@dataclass(frozen=True)
class Brand:
    name: str
    family: str
    source: str  # "brands.txt" | "trustpositif" | "generated"


@dataclass
class PromoBank:
    comments: list[PromoText]
    templates: list[PromoText]
    brands: list[Brand]
    keywords: list[str]
    stats: dict[str, int] = field(default_factory=dict)

    def brand_families(self) -> set[str]:
        return {b.family for b in self.brands}

    def comment_families(self) -> set[str]:
        return {c.family for c in self.comments}

    def template_families(self) -> set[str]:
        return {t.family for t in self.templates}

    def partition(self, valid_fraction: float, seed: int) -> tuple["PromoBank", "PromoBank"]:
        """Split into (train, valid) banks with disjoint brand, comment and template families.

        Brand and comment families share one namespace and are assigned together, greedily in
        a seeded random order, until about ``valid_fraction`` of the brands and of the
        comments are in valid. Template families are split within each register (at least
        one family per side when a register has two or more). Keywords are shared.
        """
        if not 0.0 < valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
        rng = random.Random(seed)
        nb = Counter(b.family for b in self.brands)
        nc = Counter(c.family for c in self.comments)
        fams = sorted(set(nb) | set(nc))
        rng.shuffle(fams)
        tb, tc = valid_fraction * len(self.brands), valid_fraction * len(self.comments)
        valid: set[str] = set()
        vb = vc = 0
        for f in fams:
            if vb + nb[f] <= tb + 1 and vc + nc[f] <= tc + 1:
                valid.add(f)
                vb, vc = vb + nb[f], vc + nc[f]
        by_reg: dict[str, list[str]] = {}
        for t in self.templates:
            fam_list = by_reg.setdefault(t.register, [])
            if t.family not in fam_list:
                fam_list.append(t.family)
        valid_t: set[str] = set()
        for reg in sorted(by_reg):
            fl = sorted(by_reg[reg])
            rng.shuffle(fl)
            k = min(len(fl) - 1, max(1, round(valid_fraction * len(fl)))) if len(fl) >= 2 else 0
            valid_t.update(fl[:k])

        def pick(vset: set[str], keep_valid: bool, items: list) -> list:
            return [x for x in items if (x.family in vset) == keep_valid]

        train = PromoBank(pick(valid, False, self.comments), pick(valid_t, False, self.templates),
                          pick(valid, False, self.brands), list(self.keywords))
        val = PromoBank(pick(valid, True, self.comments), pick(valid_t, True, self.templates),
                        pick(valid, True, self.brands), list(self.keywords))
        return train, val


# ----------------------------------------------------------------------------- lexicons

def load_lexicon(path: Path) -> list[str]:
    """Non-empty, non-comment lines (``#`` comments, ``[section]`` headers skipped), de-duplicated."""
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s and not s.startswith("#") and not (s.startswith("[") and s.endswith("]")):
            seen.setdefault(s, None)
    return list(seen)


def load_templates(templates_dir: Path) -> list[PromoText]:
    """Parse ``*.txt`` template files (``@family``/``@register`` headers, one template a line)."""
    out: list[PromoText] = []
    for path in sorted(templates_dir.glob("*.txt")):
        family, register = "", ""
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if s.startswith("@family"):
                family = s.split(None, 1)[1].strip()
            elif s.startswith("@register"):
                register = s.split(None, 1)[1].strip()
                if register not in REGISTERS:
                    raise ValueError(f"{path.name}:{n}: unknown register {register!r}")
            else:
                if not family or not register:
                    raise ValueError(f"{path.name}:{n}: template before @family/@register")
                out.append(PromoText(s, f"template:{path.name}", family, register))
    return out


def promo_term_pattern(terms: Iterable[str]) -> re.Pattern:
    """A regex matching any term (normalised) on word boundaries of normalised text."""
    norm = sorted({normalize(t).strip() for t in terms if len(t.strip()) >= 2}, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(t) for t in norm if t) + r")(?![a-z0-9])")


# ----------------------------------------------------------------------------- comments

_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_MOJIBAKE = re.compile(r"(?:Ã.|Â.|â€|ðŸ|Ð[\x80-\xbf]|[\xc0-\xff]{3,})")
_TIMESTAMP = re.compile(r"^(?:\d{1,2}:)?\d{1,2}:\d{2}\s+")
_WORD = re.compile(r"[^\W\d_]{2,}")
_WS = re.compile(r"\s+")
# promo terms too generic to count as a promo signal on their own
_WEAK_TERMS = frozenset(("bos", "gan", "admin", "terpercaya", "terbaik", "situs", "link", "login",
                         "daftar", "saldo", "cair", "bonus", "member baru", "member lama", "livechat",
                         "kunjungi", "cobain", "toto", "keluaran", "pengeluaran", "no 1", "nomor satu",
                         "akun", "member", "platform", "provider", "spin", "lobby", "dana", "ovo",
                         "gopay", "qris", "e-wallet", "penarikan", "bet", "main di", "pindah ke",
                         "di tempat lain", "lebih puas", "terpopuler", "butuh uang", "menang besar"))


def _ws(s: str) -> str:
    return _WS.sub(" ", s).strip()


def usable_comment(text: str, signal: re.Pattern, known: frozenset[str], skip: frozenset[str]) -> str | None:
    """The cleaned comment, or None when it is unusable (see module doc)."""
    if not isinstance(text, str):
        return None
    t = _TIMESTAMP.sub("", text.strip()).strip()
    t = re.sub(r"[ \t]*\r?\n[ \t\r\n]*", " ", t)  # one line: injected units never span lines
    if not 15 <= len(t) <= 400 or _BAD_CHARS.search(t) or _MOJIBAKE.search(t):
        return None
    if len(_WORD.findall(normalize(t))) < 3:
        return None
    if not (signal.search(normalize(t)) or brand_mentions(t, known, skip)):
        return None
    return t


def _read_comments(path: Path, text_col: str, label_col: str) -> Iterator[str]:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = {c.strip().lstrip("\ufeff"): c for c in (reader.fieldnames or [])}
        tc, lc = cols.get(text_col), cols.get(label_col)
        if tc is None or lc is None:
            raise ValueError(f"{path}: expected columns {text_col!r} and {label_col!r}")
        for row in reader:
            lab = (row.get(lc) or "").strip()
            if lab in ("1", "1.0"):
                yield row.get(tc) or ""


class _Excluder:
    """Is a comment (or one of its long lines) a substring of an evaluation document?

    A set of word 4-grams of the documents pre-filters: a text of >= 6 words can only occur
    in a document if its inner 4-gram (words 1-4, away from edges that may be glued to
    neighbouring text) does.
    """

    def __init__(self, texts: Iterable[str]):
        docs = [_ws(t) for t in texts]
        self.hay = "\x00".join(docs)
        self.grams = {tuple(w[i:i + 4]) for w in (d.split(" ") for d in docs) for i in range(len(w) - 3)}

    def _inside(self, s: str) -> bool:
        w = s.split(" ")
        if len(w) >= 6 and tuple(w[1:5]) not in self.grams:
            return False
        return s in self.hay

    def __call__(self, raw: str, cleaned: str) -> bool:
        if not self.hay:
            return False
        if self._inside(_ws(cleaned)) or self._inside(_ws(raw)):
            return True
        for line in raw.splitlines():
            line = _TIMESTAMP.sub("", _ws(line))
            if len(line) >= 20 and self._inside(line):
                return True
        return False


def comment_family(text: str, known: frozenset[str], skip: frozenset[str]) -> str:
    hits = brand_mentions(text, known, skip)
    if hits:
        return brand_family(hits[0])
    return f"misc-{zlib.crc32(normalize(text).encode()) % 64:02d}"


# ----------------------------------------------------------------------------- brands

_GENERIC = frozenset("""agen bandar judi online situs bola live casino poker togel slot slots promo iklan
cara daftar permainan diskon promosi game games taruhan prediksi bet link login resmi terpercaya
terbaik indonesia dan di the of""".split())


def _usable_brand(name: str) -> bool:
    words = name.split()
    if not 3 <= len(name) <= 30 or len(words) > 3 or "_" in name:
        return False
    key = brand_key(name)
    if len(key) < 3 or key.isdigit():
        return False
    return any(w.lower() not in _GENERIC for w in words)


def _read_brands(path: Path, source: str) -> list[Brand]:
    if not path.exists():
        return []
    return [Brand(n, brand_family(n), source) for n in load_lexicon(path) if _usable_brand(n)]


# ----------------------------------------------------------------------------- loader

def load_promo_bank(corpus_dir: Path, data_dir: Path, exclude_texts: Iterable[str] = (), *,
                    include_ayu: bool = False, n_generated: int = 2000, seed: int = 0) -> PromoBank:
    """Load the promo bank (see module doc). ``corpus_dir`` is ``shared/corpus``."""
    corpus_dir, data_dir = Path(corpus_dir), Path(data_dir)
    promo_dir = corpus_dir / "promo"
    if not promo_dir.is_dir():
        raise FileNotFoundError(f"no promo corpus at {promo_dir}")
    stats: Counter = Counter()

    # brands (real first, so their spelling wins on duplicate keys)
    brands: list[Brand] = []
    seen_keys: set[str] = set()
    for b in _read_brands(promo_dir / "brands.txt", "brands.txt") + \
            _read_brands(promo_dir / "brands_trustpositif.txt", "trustpositif"):
        k = brand_key(b.name)
        if k not in seen_keys:
            seen_keys.add(k)
            brands.append(b)
            stats[f"brands_{b.source}"] += 1
    rng = random.Random(seed)
    words = load_brand_words(data_dir / "lexicons" / "brand_words.txt")
    tries = 0
    while stats["brands_generated"] < n_generated and tries < n_generated * 20:
        tries += 1
        name = generate_brand(rng, words)
        k = brand_key(name)
        if k not in seen_keys:
            seen_keys.add(k)
            brands.append(Brand(name, brand_family(name), "generated"))
            stats["brands_generated"] += 1

    # keywords
    kw_path = promo_dir / "keywords.txt"
    keywords = load_lexicon(kw_path) if kw_path.exists() else []
    terms = load_lexicon(data_dir / "lexicons" / "promo_terms.txt")
    keywords = list(dict.fromkeys(keywords + terms))

    # comments
    known = frozenset(seen_keys)
    stop = load_lexicon(data_dir / "lexicons" / "stopwords_id.txt")
    skip = frozenset(w.lower() for w in stop) | frozenset(
        w for t in keywords + terms for w in normalize(t).split())
    signal = promo_term_pattern([t for t in keywords + terms if normalize(t) not in _WEAK_TERMS])
    excluded = _Excluder(exclude_texts)
    comments: list[PromoText] = []
    seen_norm: set[str] = set()
    sources = ["gbennnn", "diashitenas"] + (["ayu-dash"] if include_ayu else [])
    for src in sources:
        rel, tcol, lcol = COMMENT_FILES[src]
        path = promo_dir / rel
        if not path.exists():
            stats[f"missing_{src}"] += 1
            continue
        for raw in _read_comments(path, tcol, lcol):
            stats[f"comments_{src}_label1"] += 1
            t = usable_comment(raw, signal, known, skip)
            if t is None:
                stats[f"comments_{src}_unusable"] += 1
                continue
            n = normalize(t)
            if n in seen_norm:
                stats[f"comments_{src}_duplicate"] += 1
                continue
            if excluded(raw, t):
                stats[f"comments_{src}_excluded"] += 1
                continue
            seen_norm.add(n)
            comments.append(PromoText(t, src, comment_family(t, known, skip), "comment"))
            stats[f"comments_{src}_kept"] += 1

    templates = load_templates(data_dir / "templates")
    stats["templates"] = len(templates)
    stats["template_families"] = len({t.family for t in templates})
    return PromoBank(comments, templates, brands, keywords, dict(stats))
