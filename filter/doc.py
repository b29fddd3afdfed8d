"""Document-level verdict: is a page a promotion page, journalism about gambling, or ordinary?

Inference is numpy only (no scikit-learn): the text is normalised (``filter.normalize``),
tokenised, and turned into hashed features — word unigrams, word bigrams in which a word that
mixes letters and digits is replaced by a ``<brand>`` placeholder (so "daftar <brand> sekarang"
generalises to unseen brands), optionally (``FeatureSpec``, named in the model's metadata) a
second block of hashed character 3-5-grams inside each word, so an unseen brand ("bktoto",
"melatipoker99") shares pieces with known gambling vocabulary, and a few shape shares per line
(lines holding a brand-shaped word, lines with a link, lines ending like a sentence, capitals),
and optionally (``FeatureSpec.lexicon``) two promo-lexicon shares: of the words covered by a
promotion term (``data/lexicons/promo_terms.txt``: "bonus new member", "deposit pulsa", "wd",
"rtp live", …) and of the lines holding one, which carry over to pages whose brand names and
wording the model has never seen.
Values are ``log1p`` counts, each block L2-normalised, so a long page and a short one with the
same mix of words look alike and one injected paragraph in a long article moves the page little. A linear model (coefficients
fitted by ``filter.training.docs`` with scikit-learn, stored here as plain arrays) gives
per-class logits; a temperature fitted on out-of-fold logits calibrates them; the promotion
threshold is chosen on host-held-out validation.

``DocModel.predict_proba(texts)`` returns calibrated probabilities in ``CLASSES`` order;
``predict_proba_tokens`` does the same from already-normalised tokens (the cheap path for a
caller that has tokenised the text). ``verdict(text)`` gives the label and its score.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from filter.features import code_point_table
from filter.normalize import normalize
from filter.runtime import ModelError

if TYPE_CHECKING:
    from filter.spans import Span

__all__ = ["CLASSES", "DocModel", "DocVerdict", "DocModelError", "doc_tokens", "load_doc_model",
           "DEFAULT_DOC_MODEL", "N_DENSE", "promo_page_spans", "FeatureSpec",
           "line_shares", "line_tokens", "LINE_FEATURES", "LEXICON_FEATURES", "lexicon_features", "read_lexicon",
           "PROMO_LEXICON"]

CLASSES = ("ordinary", "gambling_news", "promo")
DEFAULT_DOC_MODEL = Path(__file__).resolve().parent.parent / "models" / "filter-doc.npz"
PROMO_LEXICON = Path(__file__).resolve().parent.parent / "data" / "lexicons" / "promo_terms.txt"

_TOKEN = re.compile(r"\w+")
_HAS_DIGIT = re.compile(r"\d")
_HAS_ALPHA = re.compile(r"[^\W\d_]")
# ``(?:https?:|www\.|\.(?:com|net|org|id|xyz|vip|io|me|ly)\b|@)``, case-insensitive: the pattern
# starts with a plain character set (the only characters "h" and "w" match without case), so the
# scan skips to those in C; the rest is matched case-insensitively behind it (same matches as
# that pattern, 2x faster on news text)
_URLISH = re.compile(r"[hHwW.@](?:(?<=[hH])(?i:ttps?:)|(?<=[wW])(?i:ww\.)|"
                     r"(?<=\.)(?i:com|net|org|id|xyz|vip|io|me|ly)\b|(?<=@))")
_BRAND = "<brand>"
_BIGRAM_SALT = 0x9E3779B1
_DENSE_NAMES = ("brand_line_share", "brand_token_share", "link_line_share", "sentence_line_share",
                "upper_share", "short_line_share")
N_DENSE = len(_DENSE_NAMES)


class DocModelError(ModelError):
    """The document-model file is missing, tampered with or unreadable (a ``ModelError``, so one
    ``except ModelError`` around ``Cleaner.load()`` catches both models' failures)."""


@dataclass(frozen=True, slots=True)
class DocVerdict:
    """The verdict on one document: ``label`` (one of ``CLASSES``), its calibrated ``score``,
    and the probability of each class."""

    label: str
    score: float
    proba: tuple[float, ...]

    @property
    def promo(self) -> float:
        return self.proba[CLASSES.index("promo")]


_HASH_CACHE: dict[str, int] = {}
_HASH_CACHE_MAX = 400_000


def _hash(token: str) -> int:
    h = _HASH_CACHE.get(token)
    if h is None:
        if len(_HASH_CACHE) >= _HASH_CACHE_MAX:
            _HASH_CACHE.clear()
        h = _HASH_CACHE[token] = zlib.crc32(token.encode("utf-8", "surrogatepass"))
    return h


def _is_brand(tok: str) -> bool:
    return not tok.isalpha() and not tok.isdigit() and bool(_HAS_DIGIT.search(tok)) \
        and bool(_HAS_ALPHA.search(tok))


_INFO_CACHE: dict[str, int] = {}


def _token_info(tok: str) -> int:
    """``_hash(tok) * 2 + _is_brand(tok)``, cached: one dictionary look-up per token, and a
    list of them becomes one int64 array in a single numpy call."""
    info = _INFO_CACHE.get(tok)
    if info is None:
        if len(_INFO_CACHE) >= _HASH_CACHE_MAX:
            _INFO_CACHE.clear()
        info = _INFO_CACHE[tok] = _hash(tok) * 2 + _is_brand(tok)
    return info


def doc_tokens(text: str, max_chars: int = 20000) -> list[str]:
    """The normalised word tokens the document model reads (the first ``max_chars`` characters)."""
    return _TOKEN.findall(normalize(text[:max_chars]))


# ----------------------------------------------------------------------- compiled word block
# With the optional ``fast`` extra (numba), the word block of a plain word-feature model
# (``WORD_FEATURES``: no character n-grams, no brand splitting, no lexicon) is computed in one
# compiled pass over the normalised text's code points: the ``\w+`` runs (the ``_WORD`` flag of
# each code point, the same runs ``_TOKEN`` finds), each run's CRC-32 over its UTF-8 bytes (what
# ``zlib.crc32`` computes, ``surrogatepass`` included), its brand shape from the other flags, the
# unigram, placeholder and bigram columns, sorted and counted. Same columns and counts as
# ``hashed_features(doc_tokens(text))`` (a test compares them on the corpora); ``log1p``, the
# L2 norm and the product with the coefficients stay in numpy, so the logits are the same bits.
# Reason (issue 17): tokenising into Python strings, hashing them through a dictionary and
# ``np.unique`` cost ~0.16 ms of a ~0.38 ms document verdict per article. The line-shape counts
# of ``dense_features`` are one compiled pass too (``_shape_counts``; the link matches stay a
# regex). ``FILTER_COMPILED_DOC=0`` switches both off (the Python path runs).
_COMPILED_DOC: list = []   # the compiled passes once loaded ([None]: not available)
_CRC_TABLE: np.ndarray | None = None


def _word_cols(cp, flags, crc, brand_hash, n_hash):  # pragma: no cover - compiled
    """(sorted distinct columns, their counts) of the word block of ``hashed_features`` for the
    code points ``cp`` with flags ``flags`` (``_cp_flags``); ``crc`` is the CRC-32 table."""
    n = cp.shape[0]
    hs = np.empty(n, dtype=np.int64)
    brand = np.zeros(n, dtype=np.bool_)
    m = 0
    i = 0
    while i < n:
        if flags[i] & _WORD == 0:
            i += 1
            continue
        c32 = np.uint32(0xFFFFFFFF)
        some = 0
        while i < n and flags[i] & _WORD:
            f = flags[i]
            # the OR of the flags, alpha and digit flipped: "not all alpha", "not all digits"
            some |= f ^ (_ALPHA | _DIGIT)
            c = cp[i]
            if c < 0x80:
                nb = 1
                b0 = c
            elif c < 0x800:
                nb = 2
                b0 = 0xC0 | (c >> 6)
            elif c < 0x10000:
                nb = 3
                b0 = 0xE0 | (c >> 12)
            else:
                nb = 4
                b0 = 0xF0 | (c >> 18)
            c32 = crc[(c32 ^ np.uint32(b0)) & np.uint32(0xFF)] ^ (c32 >> np.uint32(8))
            for k in range(nb - 2, -1, -1):
                b = 0x80 | ((c >> (6 * k)) & 0x3F)
                c32 = crc[(c32 ^ np.uint32(b)) & np.uint32(0xFF)] ^ (c32 >> np.uint32(8))
            i += 1
        hs[m] = np.int64(c32 ^ np.uint32(0xFFFFFFFF))
        brand[m] = (some & _BRAND_NEED) == _BRAND_NEED
        m += 1
    nbrand = 0
    for j in range(m):
        if brand[j]:
            nbrand += 1
    cols = np.empty(m + nbrand + max(m - 1, 0), dtype=np.int64)
    k = 0
    for j in range(m):
        cols[k] = hs[j] % n_hash
        k += 1
    for j in range(m):
        if brand[j]:
            cols[k] = brand_hash % n_hash
            k += 1
    for j in range(m - 1):
        a = brand_hash if brand[j] else hs[j]
        b = brand_hash if brand[j + 1] else hs[j + 1]
        cols[k] = ((a * 1_000_003 + b + 0x9E3779B1) & 0x7FFFFFFF) % n_hash
        k += 1
    cols.sort()
    uniq = np.empty(k, dtype=np.int64)
    counts = np.empty(k, dtype=np.int64)
    u = 0
    for j in range(k):
        if u == 0 or uniq[u - 1] != cols[j]:
            uniq[u] = cols[j]
            counts[u] = 0
            u += 1
        counts[u - 1] += 1
    return uniq[:u], counts[:u]


def _shape_counts(cp, flags, links):  # pragma: no cover - compiled
    """The counts behind ``dense_features`` in one pass: (non-empty stripped lines, lines with a
    brand-shaped word, brand-shaped words, words, lines with a link start (``links``: sorted
    offsets), lines ending like a sentence, upper-case and alphabetic code points, lines under
    40 code points). Lines are split at ``\\n`` and stripped of ``str.isspace`` code points."""
    n = cp.shape[0]
    out = np.zeros(9, dtype=np.int64)
    i = 0
    li = 0
    while i <= n:
        # one line: [i, end)
        end = i
        while end < n and cp[end] != 10:
            end += 1
        first = -1
        last = -1
        brand_line = False
        link_line = False
        j = i
        while j < end:
            f = flags[j]
            if f & _WORD:   # a word: its characters are counted in its own loop
                some = 0
                while j < end and flags[j] & _WORD:
                    f = flags[j]
                    some |= f ^ (_ALPHA | _DIGIT)
                    if f & _UPPER:
                        out[6] += 1
                    if f & _ALPHA:
                        out[7] += 1
                    if first < 0:
                        first = j
                    last = j
                    j += 1
                out[3] += 1
                if (some & _BRAND_NEED) == _BRAND_NEED:
                    out[2] += 1
                    brand_line = True
                continue
            if f & _UPPER:
                out[6] += 1
            if f & _ALPHA:
                out[7] += 1
            if f & _SPACE == 0:
                if first < 0:
                    first = j
                last = j
            j += 1
        while li < links.shape[0] and links[li] < end:
            if links[li] >= i:
                link_line = True
            li += 1
        if first >= 0:
            out[0] += 1
            if brand_line:
                out[1] += 1
            if link_line:
                out[4] += 1
            c = cp[last]
            if c == 46 or c == 33 or c == 63 or c == 34 or c == 39 or c == 0x201D or c == 41:
                out[5] += 1
            if last - first + 1 < 40:
                out[8] += 1
        i = end + 1
    return out


def compiled_doc_kernels():
    """The compiled passes ``(_word_cols, _shape_counts)``, or None (numba absent, or
    ``FILTER_COMPILED_DOC=0``)."""
    global _CRC_TABLE
    if not _COMPILED_DOC:
        from filter.jit import jit_or_none

        # the table first: another thread may use the kernels as soon as they are appended
        t = np.arange(256, dtype=np.uint32)
        for _ in range(8):
            t = np.where(t & 1, (t >> np.uint32(1)) ^ np.uint32(0xEDB88320), t >> np.uint32(1)).astype(np.uint32)
        _CRC_TABLE = t
        word = jit_or_none(_word_cols, "FILTER_COMPILED_DOC")
        _COMPILED_DOC.append(None if word is None else (word, jit_or_none(_shape_counts, "FILTER_COMPILED_DOC")))
    return _COMPILED_DOC[0]


def word_block(norm: str, n_hash: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(columns, values) of the word block of ``hashed_features`` for the already normalised
    text ``norm`` by the compiled pass, or None when it is not available."""
    kernel = compiled_doc_kernels()
    if kernel is None:
        return None
    cp, flags = _cp_flags(norm)
    cols, counts = kernel[0](cp, flags, _CRC_TABLE, _hash(_BRAND), n_hash)
    if not len(cols):
        return cols, np.zeros(0, dtype=np.float64)
    vals = np.log1p(counts.astype(np.float64))
    vals /= np.sqrt((vals * vals).sum())
    return cols, vals


def dense_features(text: str, max_chars: int = 20000) -> np.ndarray:
    """Shape shares over the non-empty lines of the raw text (see ``_DENSE_NAMES``)."""
    sample = text[:max_chars]
    kernels = compiled_doc_kernels()
    if kernels is not None:
        cp, flags = _cp_flags(sample)
        links = np.array([m.start() for m in _URLISH.finditer(sample)], dtype=np.int64)
        n, brand_lines, brands, words, link_lines, sentences, upper, alpha, short = \
            kernels[1](cp, flags, links).tolist()
        if not n:
            return np.zeros(N_DENSE, dtype=np.float64)
        # the same Python divisions as below: the same bits
        return np.array([brand_lines / n, brands / max(1, words), link_lines / n if len(links) else 0.0,
                         sentences / n, upper / max(1, alpha), short / n])
    lines = [ln.strip() for ln in sample.split("\n")]
    lines = [ln for ln in lines if ln]
    out = np.zeros(N_DENSE, dtype=np.float64)
    if not lines:
        return out
    n = len(lines)
    # whole-text passes over a per-character flag array, with words (``_TOKEN`` runs) and link
    # matches mapped to their line: neither holds whitespace, so each is the same on the
    # stripped line
    flags, line_no = _char_flags(sample)
    words, brand = _brand_words(flags)
    out[0] = len(np.unique(line_no[words[brand]])) / n
    out[1] = int(np.count_nonzero(brand)) / max(1, len(words))
    links = [m.start() for m in _URLISH.finditer(sample)]
    out[2] = len(np.unique(line_no[links])) / n if links else 0.0
    out[3] = sum(1 for ln in lines if ln[-1] in ".!?\"'”)") / n
    upper, alpha = _flag_count(flags, _UPPER), _flag_count(flags, _ALPHA)
    out[4] = upper / max(1, alpha)
    out[5] = sum(1 for ln in lines if len(ln) < 40) / n
    return out


# per-character flags: str.isupper, str.isalpha, regex \w (str.isalnum or "_"), regex \d
# (str.isdecimal), str.isdigit, [^\W\d_] (a word character, not \d, not "_"), str.isspace
_UPPER, _ALPHA, _WORD, _DEC, _DIGIT, _LETTER, _SPACE = 1, 2, 4, 8, 16, 32, 64
# a brand-shaped word: some character not a letter, some not a digit, a \d and a [^\W\d_] (the OR
# of its flags with alpha and digit flipped holds all four)
_BRAND_NEED = _ALPHA | _DIGIT | _DEC | _LETTER
_BMP_FLAGS: np.ndarray | None = None


def _flags_of(chars: list[str]) -> np.ndarray:
    """The flags of each character of ``chars`` (one ``str`` method pass per flag)."""
    has = lambda method: np.fromiter(map(method, chars), bool, len(chars))  # noqa: E731
    under, dec = has("_".__eq__), has(str.isdecimal)
    word = has(str.isalnum) | under
    letter = word & ~dec & ~under
    return (has(str.isupper) * _UPPER | has(str.isalpha) * _ALPHA | word * _WORD | dec * _DEC
            | has(str.isdigit) * _DIGIT | letter * _LETTER | has(str.isspace) * _SPACE).astype(np.uint8)


def _cp_flags(s: str) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``s`` and their flags (a table lookup for the Basic Multilingual
    Plane, built once on first use)."""
    global _BMP_FLAGS
    if _BMP_FLAGS is None:
        _BMP_FLAGS = _flags_of([chr(i) for i in range(0x10000)])
    return code_point_table(s, _BMP_FLAGS, _flags_of)


def _char_flags(s: str) -> tuple[np.ndarray, np.ndarray]:
    """Per code point of ``s``: its flags (``_cp_flags``) and the number of ``\\n`` up to it."""
    cp, flags = _cp_flags(s)
    return flags, np.cumsum(cp == 10)


def _flag_count(flags: np.ndarray, bit: int) -> int:
    return int(np.count_nonzero(flags & bit))


def _brand_words(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets of the words (``_TOKEN`` runs) and which of them ``_is_brand``: not all
    letters, not all digits, holding a ``\\d`` and a ``[^\\W\\d_]`` character."""
    word = (flags & _WORD) > 0
    edge = word.copy()
    edge[1:] &= ~word[:-1]
    starts = np.flatnonzero(edge)
    if not len(starts):
        return starts, np.zeros(0, dtype=bool)
    # per word, the OR of its characters' flags, the alpha and digit bits flipped ("a character
    # that is not ..."); the characters after a word up to the next one are masked to zero
    some = np.bitwise_or.reduceat(np.where(word, flags ^ (_ALPHA | _DIGIT), 0).astype(np.uint8), starts)
    return starts, (some & _BRAND_NEED) == _BRAND_NEED


@dataclass(frozen=True)
class FeatureSpec:
    """Optional feature blocks beyond the word unigrams/bigrams (all off: the original model).

    ``char_hash`` > 0 adds a block of that many hashed character n-gram columns (after the
    ``n_hash`` word columns): the ``char_lo``..``char_hi``-grams of each token inside boundary
    marks (``<bktoto>`` → ``<bk``, ``bkt``, …, ``oto>``), so an unseen brand shares pieces with
    known gambling vocabulary ("toto", "poker", "slot"). The block is ``log1p`` counts,
    L2-normalised on its own and scaled by ``char_weight``, next to the L2-normalised word block.
    ``split_brands`` adds the letter and digit runs of a letter+digit token as unigrams
    ("melatipoker99" → "melatipoker", "99").
    ``lexicon`` (normalised promotion terms, words joined by one space; ``read_lexicon``) adds
    the dense columns ``LEXICON_FEATURES`` after the shape shares (``lexicon_features``). The
    terms are stored in the model's ``.npz`` (under its checksum), not read from disk at
    inference.
    """

    char_hash: int = 0
    char_lo: int = 3
    char_hi: int = 5
    char_weight: float = 1.0
    split_brands: bool = False
    lexicon: tuple[str, ...] = ()

    @property
    def n_dense(self) -> int:
        """Dense columns: the shape shares, and the lexicon shares when ``lexicon`` is set."""
        return N_DENSE + (len(LEXICON_FEATURES) if self.lexicon else 0)

    def to_dict(self) -> dict[str, Any]:
        d = {"char_hash": self.char_hash, "char_lo": self.char_lo, "char_hi": self.char_hi,
             "char_weight": self.char_weight, "split_brands": self.split_brands}
        if self.lexicon:   # the terms themselves are in the .npz (see ``DocModel.save``)
            d["lexicon_terms"] = len(self.lexicon)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "FeatureSpec":
        d = d or {}
        return cls(char_hash=int(d.get("char_hash", 0)), char_lo=int(d.get("char_lo", 3)),
                   char_hi=int(d.get("char_hi", 5)), char_weight=float(d.get("char_weight", 1.0)),
                   split_brands=bool(d.get("split_brands", False)))


WORD_FEATURES = FeatureSpec()
LEXICON_FEATURES = ("lex_token_share", "lex_line_share")


def read_lexicon(path: str | os.PathLike = PROMO_LEXICON) -> tuple[str, ...]:
    """The terms of a lexicon file (one per line, ``#`` comments), normalised and tokenised as
    the document model reads text, words joined by one space; sorted, duplicates dropped."""
    terms = set()
    for ln in Path(path).read_text(encoding="utf-8").splitlines():
        toks = _TOKEN.findall(normalize(ln.split("#", 1)[0]))
        if toks:
            terms.add(" ".join(toks))
    return tuple(sorted(terms))


_MATCHERS: dict[tuple[str, ...], dict[str, list[tuple[str, ...]]]] = {}


def _matcher(lexicon: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    """First word → the terms starting with it, longest first (built once per lexicon)."""
    m = _MATCHERS.get(lexicon)
    if m is None:
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for term in lexicon:
            toks = tuple(term.split(" "))
            by_first.setdefault(toks[0], []).append(toks)
        for v in by_first.values():
            v.sort(key=len, reverse=True)
        m = _MATCHERS[lexicon] = by_first
    return m


def line_tokens(text: str, max_chars: int = 20000) -> list[list[str]]:
    """The words of ``doc_tokens``, line by line (non-empty lines only)."""
    return [t for ln in normalize(text[:max_chars]).split("\n") if (t := _TOKEN.findall(ln))]


def lexicon_features(text: str, lexicon: tuple[str, ...], max_chars: int = 20000) -> np.ndarray:
    """``LEXICON_FEATURES`` of a text: the share of its words covered by a lexicon term (longest
    match first, left to right, within a line) and the share of its non-empty lines holding at
    least one term (words of ``line_tokens``)."""
    return _lexicon_shares(line_tokens(text, max_chars), lexicon)


def _lexicon_shares(lines: Sequence[Sequence[str]], lexicon: tuple[str, ...]) -> np.ndarray:
    out = np.zeros(len(LEXICON_FEATURES))
    if not lines:
        return out
    by_first = _matcher(lexicon)
    flat = [t for ln in lines for t in ln]
    line_of = np.repeat(np.arange(len(lines)), [len(ln) for ln in lines]).tolist()
    covered, hit, nxt = 0, set(), 0
    for i in [i for i, t in enumerate(flat) if t in by_first]:   # candidate starts only
        if i < nxt:
            continue
        for term in by_first[flat[i]]:
            j = i + len(term)
            if j <= len(flat) and line_of[j - 1] == line_of[i] and tuple(flat[i:j]) == term:
                covered += len(term)
                hit.add(line_of[i])
                nxt = j
                break
    out[0] = covered / len(flat)
    out[1] = len(hit) / len(lines)
    return out


_CHAR_SALT = 0x5BD1E995
_CHAR_CACHE: dict[tuple[str, int, int], np.ndarray] = {}
_DIGIT_RUNS = re.compile(r"\d+|[^\W\d_]+")


def _char_ngrams(token: str, lo: int, hi: int) -> np.ndarray:
    """Hashes of the ``lo``..``hi``-grams of ``<token>`` (cached per token)."""
    key = (token, lo, hi)
    h = _CHAR_CACHE.get(key)
    if h is None:
        if len(_CHAR_CACHE) >= _HASH_CACHE_MAX:
            _CHAR_CACHE.clear()
        w = f"<{token}>"
        grams = [w[i:i + n] for n in range(lo, hi + 1) for i in range(len(w) - n + 1)]
        h = _CHAR_CACHE[key] = np.fromiter(
            (zlib.crc32(g.encode("utf-8", "surrogatepass"), _CHAR_SALT) for g in grams), dtype=np.int64,
            count=len(grams))
    return h


def hashed_features(tokens: Sequence[str], n_hash: int,
                    spec: FeatureSpec = WORD_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """(column indices, values) of the hashed unigram + brand-bigram features, L2-normalised
    (and, with ``spec.char_hash``, the separately normalised character n-gram block in columns
    ``n_hash`` .. ``n_hash + spec.char_hash``)."""
    if not tokens:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    info = list(map(_INFO_CACHE.get, tokens))   # C-level look-ups; misses filled below
    if None in info:
        info = [i if i is not None else _token_info(t) for i, t in zip(info, tokens)]
    arr = np.array(info, dtype=np.int64)
    hs = arr >> 1
    brand = (arr & 1).astype(bool)
    parts = [hs]
    bh = np.where(brand, _hash(_BRAND), hs)
    if brand.any():
        parts.append(bh[brand])
        if spec.split_brands:
            pieces = [_hash(r) for i in np.flatnonzero(brand) for r in _DIGIT_RUNS.findall(tokens[i])]
            parts.append(np.asarray(pieces, dtype=np.int64))
    if len(tokens) > 1:
        parts.append((bh[:-1] * 1_000_003 + bh[1:] + _BIGRAM_SALT) & 0x7FFFFFFF)
    cols = np.concatenate(parts) % n_hash
    uniq, counts = np.unique(cols, return_counts=True)
    vals = np.log1p(counts.astype(np.float64))
    vals /= np.sqrt((vals * vals).sum())
    if not spec.char_hash:
        return uniq, vals
    ccols = np.concatenate([_char_ngrams(t, spec.char_lo, spec.char_hi) for t in tokens]) % spec.char_hash
    cu, cc = np.unique(ccols, return_counts=True)
    cv = np.log1p(cc.astype(np.float64))
    cv *= spec.char_weight / np.sqrt((cv * cv).sum())
    return np.concatenate([uniq, cu + n_hash]), np.concatenate([vals, cv])


LINE_FEATURES = ("promo_line_share", "clear_line_share")
_MIN_LINE_TOKENS = 4


def line_shares(text: str, coef: np.ndarray, intercept: np.ndarray, n_hash: int, promo_col: int,
                max_chars: int = 20000) -> np.ndarray:
    """Shares of the page (characters of lines with ≥ 4 words) that the hashed linear model,
    applied line by line, reads as promotion (P ≥ 0.5) and as clearly not promotion (P < 0.1).

    A promotion page is promotion in most of its lines; a page with a promo paragraph slipped
    in is not, however promotional its bag of words looks. One vectorised pass over all lines.
    Only the word block of ``coef`` is read (a model with character n-grams uses the same
    word-only line scores in training and at inference).
    """
    lines = [t for t in line_tokens(text, max_chars) if len(t) >= _MIN_LINE_TOKENS]
    if not lines:
        return np.zeros(len(LINE_FEATURES))
    tokens = [t for ln in lines for t in ln]
    sizes = np.array([len(ln) for ln in lines])
    line_of = np.repeat(np.arange(len(lines)), sizes)
    hs = np.fromiter((_hash(t) for t in tokens), dtype=np.int64, count=len(tokens))
    brand = np.fromiter((_is_brand(t) for t in tokens), dtype=bool, count=len(tokens))
    bh = np.where(brand, _hash(_BRAND), hs)
    same = line_of[:-1] == line_of[1:]
    cols = np.concatenate([hs, bh[brand], ((bh[:-1] * 1_000_003 + bh[1:] + _BIGRAM_SALT) & 0x7FFFFFFF)[same]]) % n_hash
    lid = np.concatenate([line_of, line_of[brand], line_of[:-1][same]])
    uniq, counts = np.unique(lid * n_hash + cols, return_counts=True)
    ul, uc = uniq // n_hash, uniq % n_hash
    vals = np.log1p(counts.astype(np.float64))
    vals /= np.sqrt(np.bincount(ul, vals * vals, minlength=len(lines)))[ul]
    z = np.stack([np.bincount(ul, vals * coef[uc, j], minlength=len(lines)) for j in range(coef.shape[1])], axis=1)
    z += intercept
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p_promo = p[:, promo_col] / p.sum(axis=1)
    w = sizes / sizes.sum()
    return np.array([w[p_promo >= 0.5].sum(), w[p_promo < 0.1].sum()])


@dataclass
class DocModel:
    """A fitted document classifier as plain arrays (see the module docstring).

    ``coef`` has one row per hashed feature followed by the dense features, one column per
    class. With ``stack_coef`` (stacked second stage, fitted on out-of-fold first-stage
    outputs), the final logits are ``[first-stage logits, line_shares] @ stack_coef +
    stack_intercept``. ``temperature`` divides the logits before the softmax; a document is
    ``promo`` when its promotion probability reaches ``promo_threshold``, else the likelier of
    the other two classes.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_hash: int
    temperature: float = 1.0
    promo_threshold: float = 0.5
    max_chars: int = 20000
    classes: tuple[str, ...] = CLASSES
    version: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    stack_coef: np.ndarray | None = None
    stack_intercept: np.ndarray | None = None
    features: FeatureSpec = WORD_FEATURES

    @property
    def n_sparse(self) -> int:
        """Hashed columns: the word block and the character n-gram block (``features``)."""
        return self.n_hash + self.features.char_hash

    def __post_init__(self) -> None:
        self.coef = np.ascontiguousarray(self.coef, dtype=np.float32)
        self.intercept = np.asarray(self.intercept, dtype=np.float64)
        if self.coef.shape != (self.n_sparse + self.features.n_dense, len(self.classes)):
            raise DocModelError(f"doc model coefficients have shape {self.coef.shape}, expected "
                                f"({self.n_sparse + self.features.n_dense}, {len(self.classes)})")

    # ------------------------------------------------------------------ inference
    def _logits(self, blocks: Iterable[tuple[np.ndarray, np.ndarray]], texts: Iterable[str],
                lex_rows: Iterable[np.ndarray] | None = None) -> np.ndarray:
        rows = []
        lex_iter = iter(lex_rows) if lex_rows is not None else None
        for (cols, vals), text in zip(blocks, texts):
            z = vals.astype(np.float32) @ self.coef[cols] if len(cols) else np.zeros(len(self.classes), np.float32)
            dense = dense_features(text, self.max_chars)
            if self.features.lexicon:
                lex = next(lex_iter) if lex_iter is not None else lexicon_features(
                    text, self.features.lexicon, self.max_chars)
                dense = np.concatenate([dense, lex])
            z = z.astype(np.float64) + dense @ self.coef[self.n_sparse:]
            z = z + self.intercept
            if self.stack_coef is not None:
                f = line_shares(text, self.coef, self.intercept, self.n_hash, self.classes.index("promo"),
                                self.max_chars)
                z = np.concatenate([z, f]) @ self.stack_coef + self.stack_intercept
            rows.append(z)
        return np.asarray(rows, dtype=np.float64).reshape(-1, len(self.classes))

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated per-class logits, shape ``(len(texts), len(classes))``."""
        texts = list(texts)
        if not self.features.lexicon:
            return self._logits(map(self._block, texts), texts)
        # the lexicon shares need the lines: normalise once, tokenise line by line
        lines = [line_tokens(text, self.max_chars) for text in texts]
        return self._logits((self._features([t for ln in doc for t in ln]) for doc in lines), texts,
                            (_lexicon_shares(doc, self.features.lexicon) for doc in lines))

    def _features(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return hashed_features(tokens, self.n_hash, self.features)

    def _block(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The hashed features of one text: by the compiled word pass for a word-only model
        (``word_block``), else from its tokens (``hashed_features``)."""
        norm = normalize(text[:self.max_chars])
        if not self.features.char_hash and not self.features.split_brands:
            block = word_block(norm, self.n_hash)
            if block is not None:
                return block
        return self._features(_TOKEN.findall(norm))

    def _softmax(self, z: np.ndarray) -> np.ndarray:
        z = z / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities, columns in ``classes`` order."""
        return self._softmax(self.decision_function(texts))

    def predict_proba_tokens(self, token_lists: Sequence[Sequence[str]], texts: Sequence[str]) -> np.ndarray:
        """``predict_proba`` from tokens already produced by ``doc_tokens`` (``texts`` gives the
        raw text for the line-shape features)."""
        return self._softmax(self._logits(map(self._features, token_lists), texts))

    def label_of(self, proba: np.ndarray) -> np.ndarray:
        """Class index per row: promo at ``promo_threshold``, else the likelier of the others."""
        ip = self.classes.index("promo")
        rest = proba.copy()
        rest[:, ip] = -1.0
        out = rest.argmax(axis=1)
        out[proba[:, ip] >= self.promo_threshold] = ip
        return out

    def verdicts(self, texts: Sequence[str]) -> list[DocVerdict]:
        return self.verdicts_of(self.predict_proba(texts))

    def verdicts_of(self, proba: np.ndarray) -> list[DocVerdict]:
        """Verdicts from probabilities already computed by ``predict_proba``."""
        return [DocVerdict(self.classes[k], float(p[k]), tuple(float(x) for x in p))
                for k, p in zip(self.label_of(proba), proba)]

    def verdict(self, text: str) -> DocVerdict:
        return self.verdicts([text])[0]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> dict[str, Any]:
        """Write ``<path>`` (npz arrays, no pickle) and ``<path>.json`` metadata with its sha256."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            stack = {} if self.stack_coef is None else {"stack_coef": self.stack_coef,
                                                         "stack_intercept": self.stack_intercept}
            lex = {"lexicon": np.array(self.features.lexicon, dtype=str)} if self.features.lexicon else {}
            np.savez_compressed(fh, coef=self.coef, intercept=self.intercept, **stack, **lex)
        os.replace(tmp, path)
        meta = {"version": self.version, "classes": list(self.classes), "n_hash": self.n_hash,
                "dense": list(_DENSE_NAMES) + (list(LEXICON_FEATURES) if self.features.lexicon else []),
                "line_features": list(LINE_FEATURES), "temperature": self.temperature,
                "promo_threshold": self.promo_threshold, "max_chars": self.max_chars,
                **({"features": self.features.to_dict()} if self.features != WORD_FEATURES else {}), **self.meta,
                "artifact": {"file": path.name, "bytes": path.stat().st_size, "sha256": _sha256(path)}}
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return meta


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_doc_model(path: str | os.PathLike = DEFAULT_DOC_MODEL) -> DocModel:
    """Load a document model written by ``DocModel.save``; the checksum is verified first."""
    path = Path(path)
    mp = path.with_suffix(".json")
    if not path.exists() or not mp.exists():
        raise DocModelError(f"document model {path} (or its metadata {mp.name}) not found")
    try:
        meta = json.loads(mp.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DocModelError(f"document model metadata {mp} is unreadable: {exc}") from exc
    raw = path.read_bytes()   # the bytes checked are the bytes read
    if meta.get("artifact", {}).get("sha256") != hashlib.sha256(raw).hexdigest():
        raise DocModelError(f"document model {path} does not match its metadata checksum; refusing to load it")
    known = {"version", "classes", "n_hash", "dense", "line_features", "temperature", "promo_threshold",
             "max_chars", "features"}   # "artifact" stays in meta: its sha256 pairs the span model with it
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            coef, intercept = data["coef"], data["intercept"]
            stack_coef = data["stack_coef"] if "stack_coef" in data.files else None
            stack_intercept = data["stack_intercept"] if "stack_intercept" in data.files else None
            lexicon = tuple(str(t) for t in data["lexicon"].tolist()) if "lexicon" in data.files else ()
        features = FeatureSpec.from_dict(meta.get("features"))
        if lexicon:
            features = replace(features, lexicon=lexicon)
        elif int((meta.get("features") or {}).get("lexicon_terms", 0)):
            raise KeyError("lexicon")
        return DocModel(coef=coef, intercept=intercept, n_hash=int(meta["n_hash"]),
                        temperature=float(meta["temperature"]), promo_threshold=float(meta["promo_threshold"]),
                        max_chars=int(meta["max_chars"]), classes=tuple(meta["classes"]),
                        version=str(meta.get("version", "")), meta={k: v for k, v in meta.items() if k not in known},
                        stack_coef=stack_coef, stack_intercept=stack_intercept, features=features)
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        raise DocModelError(f"document model {path} is unreadable: {type(exc).__name__}: {exc}") from exc


def promo_page_spans(text: str, spans: Sequence["Span"], score: float, kind: str = "promo_page") -> list["Span"]:
    """The promotion-page step: a page the document model calls promotion becomes promo spans.

    Reason: a page that is promotion from its first word to its last gets only scattered
    inline spans from the span stages, which judge each sentence against the rest of the
    page — and on such a page the rest is promotion too. Kept boilerplate spans (the host
    site's furniture) stay; every other stretch of text between them, trimmed of surrounding
    whitespace, becomes one promo span of ``kind`` with the verdict's ``score``; the span
    model's own promo spans are absorbed. Nothing is dropped: the record keeps its text and
    spans, and its cleaned text is (nearly) empty.
    """
    from filter.spans import Span, trim

    furniture = sorted((s for s in spans if s.label == "boilerplate"), key=lambda s: (s.start, s.end))
    out: list[Span] = []
    prev = 0
    for s in [*furniture, None]:
        end = len(text) if s is None else s.start
        a, b = trim(text, prev, end)   # in place: no copy of a long page
        if a < b:
            out.append(Span(a, b, "promo", kind, score, step="promo_page"))
        if s is not None:
            out.append(s)
            prev = s.end
    return out
