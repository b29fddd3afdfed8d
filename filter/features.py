"""Featurize: turn a document into classification units and tokens with feature arrays.

Units are sentences inside blocks (lines); a one-sentence line is one unit. Tokens
(``TOKEN_RE``) are word-like runs (``\\w`` plus zero-width characters, combining marks and
enclosed letters, joined by ``.-/@:`` inside, so domains, ``Rp3.000`` and ``COVID-19`` stay
whole). Every unit and token keeps exact offsets into the original text; normalisation
(``filter.normalize``) only feeds features. ``TokenVocab`` featurises each distinct token
string once; the batch-level unit, context and token features live in ``filter.model``.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from filter.segment import block_spans, line_sentences

CLASSES = ("content", "promo", "boilerplate")
IGNORE = -1
MAX_UNIT_CHARS = 1500  # longer sentences are split at whitespace for featurising

_ZW = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
# word characters plus what obfuscated words are made of: zero-width characters, combining
# marks (underlined/struck-through letters) and enclosed letters and digits (Ⓢ🅻🄾🆃 ①)
_WORDISH = rf"\w{_ZW}\u0300-\u036f\u20d0-\u20ff\u2460-\u24ff\U0001F100-\U0001F1FF"
TOKEN_RE = re.compile(rf"[{_WORDISH}]+(?:[.\-/@:'’][{_WORDISH}]+)*")
_URL_RE = re.compile(r"(?:https?://|www\.|\b[\w-]+\.(?:com|id|co|net|org|info|xyz|vip|site|online|link|ly|me|io|top|club|asia|pro|bet|live|app)\b)", re.I)
BULLET_RE = re.compile(r"(?:[-•*–·▪►>]|\d{1,2}[.)])\s")
CODE_RE = re.compile(r"\(\s*[A-Za-z]{2,6}(?:\s*/\s*[A-Za-z]{2,6})*\s*\)\s*$")
DAYS_RE = r"(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad)"
MONTHS_RE = (r"(?:januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|"
             r"desember|jan|feb|mar|apr|jun|jul|agu|agt|ags|sep|okt|nov|des)")


@dataclass
class Units:
    """A document's classification units with their block structure."""

    text: str
    starts: np.ndarray
    ends: np.ndarray
    block: np.ndarray          # block index of each unit
    whole: np.ndarray          # unit spans its whole block
    block_starts: np.ndarray
    block_ends: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def texts(self) -> list[str]:
        return [self.text[s:e] for s, e in zip(self.starts, self.ends)]


def _split_long(text: str, s: int, e: int) -> list[tuple[int, int]]:
    if e - s <= MAX_UNIT_CHARS:
        return [(s, e)]
    out, cur = [], s
    while e - cur > MAX_UNIT_CHARS:
        cut = text.rfind(" ", cur + MAX_UNIT_CHARS // 2, cur + MAX_UNIT_CHARS)
        if cut <= cur:
            cut = cur + MAX_UNIT_CHARS
        out.append((cur, cut))
        cur = cut
        while cur < e and text[cur].isspace():
            cur += 1
    if cur < e:
        out.append((cur, e))
    return out


def make_units(text: str) -> Units:
    starts, ends, blk, whole, bs, be = [], [], [], [], [], []
    for bi, (b0, b1) in enumerate(block_spans(text)):
        bs.append(b0)
        be.append(b1)
        sents = line_sentences(text, b0, b1)
        if len(sents) == 1 and sents[0].end - sents[0].start <= MAX_UNIT_CHARS:   # most lines: one unit
            starts.append(sents[0].start)
            ends.append(sents[0].end)
            blk.append(bi)
            whole.append(True)
            continue
        pairs = [p for s in sents for p in _split_long(text, s.start, s.end)]
        for s, e in pairs:
            starts.append(s)
            ends.append(e)
        blk += [bi] * len(pairs)
        whole += [len(pairs) == 1] * len(pairs)
    i64 = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    return Units(text, i64(starts), i64(ends), i64(blk), np.asarray(whole, dtype=bool), i64(bs), i64(be))


_TOPIC_WORD = re.compile(r"[^\W\d_]{3,}")
TOPIC_FEATURES = 2 ** 16
# The vocabulary cache is emptied before a batch (or a long document's window) once it holds more
# words than this; a cached word costs ~300 bytes (strings, index, feature rows).
VOCAB_MAX_WORDS = 50_000


class TokenVocab:
    """Raw token strings interned to ids, with their context-free features computed once.

    Per id: the normalised form, the intrinsic shape flags, a 32-bit hash of the normalised
    form (unit n-gram features and duplicate detection), a topic-word column (``-1`` for
    stopwords, numbers and short words) and whether it looks like a URL or domain; word-scorer
    probabilities are cached per id too. A corpus repeats most of its words, so featurising a
    token is mostly one dict lookup.
    """

    def __init__(self, lexicon: frozenset[str], stopwords: frozenset[str], max_size: int | None = None,
                 reader: frozenset[str] = frozenset()):
        self.lexicon = lexicon
        self.stopwords = stopwords
        self.reader = reader
        self.max_size = VOCAB_MAX_WORDS if max_size is None else max_size
        self.lock = threading.RLock()   # callers hold it while interning, syncing and reading ids
        self.clear()

    def clear(self) -> None:
        self.index: dict[str, int] = {}
        self.strings: list[str] = []
        self.norm: list[str] = []
        self.flags = np.zeros((0, len(SHAPE_FLAGS)), dtype=np.float32)
        self.hash = np.zeros(0, dtype=np.uint64)
        self.topic_col = np.zeros(0, dtype=np.int64)
        self.url = np.zeros(0, dtype=bool)
        self.word_proba = np.zeros((0, len(CLASSES)), dtype=np.float32)
        self.has_proba = np.zeros(0, dtype=bool)
        self.scorer = None

    def __len__(self) -> int:
        return len(self.strings)

    def intern(self, strings: Sequence[str]) -> np.ndarray:
        """Ids of ``strings`` (new strings are added; call ``sync`` before reading features)."""
        index, known = self.index, self.strings
        out = list(map(index.get, strings))
        if None in out:
            for j, i in enumerate(out):
                if i is None:
                    w = strings[j]
                    i = index.get(w)
                    if i is None:
                        i = index[w] = len(known)
                        known.append(w)
                    out[j] = i
        return np.array(out, dtype=np.int64)

    def sync(self) -> None:
        """Compute the features of strings interned since the last call."""
        from filter.normalize import normalize
        from filter.runtime import hash_unsigned

        k = len(self.norm)
        new = self.strings[k:]
        if not new:
            return
        m = k + len(new)
        self._reserve(m)
        norms = [normalize(w) for w in new]
        self.norm += norms
        self.flags[k:m] = [intrinsic_flags(w, n, self.lexicon, self.stopwords, self.reader) for w, n in zip(new, norms)]
        h = np.array(hash_unsigned(norms), dtype=np.uint64)
        self.hash[k:m] = h
        topic_word = np.array([n not in self.stopwords and _TOPIC_WORD.fullmatch(n) is not None for n in norms])
        self.topic_col[k:m] = np.where(topic_word, h % TOPIC_FEATURES, -1)
        self.url[k:m] = [bool(_URL_RE.search(w)) for w in new]
        self.word_proba[k:m] = 0
        self.has_proba[k:m] = False

    _COLUMNS = ("flags", "hash", "topic_col", "url", "word_proba", "has_proba")

    def _reserve(self, n: int) -> None:
        """Room for ``n`` entries in the feature arrays (grown by doubling: a call that adds a few
        words copies nothing; the arrays may be longer than the vocabulary)."""
        cap = len(self.hash)
        if n <= cap:
            return
        size = max(n, 2 * cap, 1024)
        for name in self._COLUMNS:
            a = getattr(self, name)
            b = np.zeros((size,) + a.shape[1:], dtype=a.dtype)
            b[:cap] = a
            setattr(self, name, b)

    def probabilities(self, ids: np.ndarray, scorer) -> np.ndarray:
        """Word-scorer probabilities of token ids, scoring each distinct unseen word once."""
        if scorer is not self.scorer:
            self.has_proba[:] = False
            self.scorer = scorer
        todo, = sorted_unique(ids[~self.has_proba[ids]])
        if len(todo):
            self.word_proba[todo] = scorer.predict_proba([self.norm[i] for i in todo])
            self.has_proba[todo] = True
        return self.word_proba[ids]


# ---------------------------------------------------------------- dense unit features

DENSE_NAMES = (
    "log_chars", "log_tokens", "mixed_alnum", "capitalised", "allcaps", "terminal_punct", "ends_colon",
    "bullet", "url", "stopword_density", "lexicon_hits", "non_ascii_tokens", "digit_tokens",
    "whole_block", "log_units_in_block", "pos_in_block", "block_pos", "from_end", "from_start",
    "first_block", "last_block", "topicality", "title_sim", "dup_title", "dup_count", "editor_code",
    "flattened", "rel_len", "tok_promo_max", "tok_promo_mean", "tok_boiler_max", "tok_boiler_mean",
    "tok_promo_n", "doc_gambling_news", "doc_promo", "earlier_copy", "next_sim", "prev_sim",
    "head_copy", "reader_words",
)
# columns of the token flag matrix averaged per unit: (dense column, flag column)
FLAG_MEANS = ((2, 0), (3, 2), (4, 1), (9, 10), (11, 3), (12, 4), (39, 11))


def cumsum0(x, dtype=np.int64) -> np.ndarray:
    """``np.r_[0, np.cumsum(x)]`` without ``np.r_``'s per-call overhead (offsets of runs)."""
    out = np.zeros(len(x) + 1, dtype=dtype)
    np.cumsum(np.asarray(x, dtype=dtype), out=out[1:])
    return out


def sorted_unique(a: np.ndarray, counts: bool = False, inverse: bool = False) -> list[np.ndarray]:
    """``np.unique`` of an integer array by sorting: [keys, counts?, inverse?]. (numpy 2's
    hash-based ``np.unique`` is ~15× slower on the int64 keys used here.)"""
    order = np.argsort(a, kind="stable") if inverse else None
    srt = a[order] if inverse else np.sort(a)
    first = np.ones(len(srt), dtype=bool)
    first[1:] = srt[1:] != srt[:-1]
    out = [srt[first]]
    if counts:
        out.append(np.diff(np.append(np.nonzero(first)[0], len(srt))))
    if inverse:
        inv = np.empty(len(a), dtype=np.intp)
        inv[order] = np.cumsum(first) - 1
        out.append(inv)
    return out


def topicality(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, doc: np.ndarray,
               first: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: cosine similarity to the sum of the other units of its document, and to the
    document's first unit (the title-ish line), for a whole batch at once.

    The units' l2-normalised bag-of-words rows are given as COO entries (``rows``, ``cols``,
    ``vals``; one entry per (row, column)); ``doc`` is the document of each row and ``first``
    marks each document's first row.
    """
    topic = np.zeros(n_rows)
    title = np.zeros(n_rows)
    if not len(rows):
        return topic, title
    d = doc[rows]
    keys, inv = sorted_unique(d * (int(cols.max()) + 1) + cols, inverse=True)
    total = np.bincount(inv, weights=vals)                        # per (doc, column)
    key_doc = np.empty(len(keys), dtype=d.dtype)
    key_doc[inv] = d                                              # a key lies in one document
    total_sq = np.bincount(key_doc, weights=total * total, minlength=int(doc.max()) + 1)
    dots = np.bincount(rows, weights=vals * total[inv], minlength=n_rows)
    self_dots = np.bincount(rows, weights=vals * vals, minlength=n_rows)
    rest = total_sq[doc] - 2 * dots + self_dots
    ok = self_dots > 0
    topic[ok] = (dots[ok] - self_dots[ok]) / np.sqrt(np.maximum(rest[ok], 1e-9) * self_dots[ok])
    head = np.zeros(len(keys))
    in_first = first[rows]
    head[inv[in_first]] = vals[in_first]
    title = np.bincount(rows, weights=vals * head[inv], minlength=n_rows)
    title[first] = 0.0
    return np.clip(topic, 0, 1), np.clip(title, 0, 1)


def neighbour_similarity(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, doc: np.ndarray,
                         n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: cosine similarity to the next and to the previous unit of its document (l2
    rows as COO entries, as for ``topicality``). A subheading shares words with the paragraph
    it introduces; a related-link title or an injected line does not."""
    nxt = np.zeros(n_rows)
    if len(rows):
        # entries are sorted by (row, column): find each entry's column in the next row
        width = int(cols.max()) + 1
        keys = rows * width + cols
        j = np.minimum(np.searchsorted(keys, keys + width), len(keys) - 1)
        hit = keys[j] == keys + width
        dots = np.bincount(rows[hit], weights=vals[hit] * vals[j[hit]], minlength=n_rows)
        nxt[:-1] = np.where(doc[:-1] == doc[1:], dots[:-1], 0.0)
    prv = np.concatenate([[0.0], nxt[:-1]]) if n_rows else nxt
    return np.clip(nxt, 0, 1), np.clip(prv, 0, 1)


def _topic_kernel(rows, cols, doc, first, n_rows):  # pragma: no cover - compiled
    """``l2_rows``, then ``topicality`` and ``neighbour_similarity`` of its entries, as loops: the
    same sums in the same order as numpy's ``bincount`` (entries in row-major order, keys in
    ascending order), so the same values; compiled by ``topic_similarities``."""
    topic, title = np.zeros(n_rows), np.zeros(n_rows)
    nxt, prv = np.zeros(n_rows), np.zeros(n_rows)
    m = rows.shape[0]
    if m == 0:
        return topic, title, nxt, prv
    width = cols.max() + 1
    # l2_rows: distinct (row, column) entries in key order, counts, l2-normalised per row
    keys = np.sort(rows * width + cols)
    r, c, v = np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m, np.float64)
    k = 0
    for i in range(m):
        if i == 0 or keys[i] != keys[i - 1]:
            r[k], c[k], v[k] = keys[i] // width, keys[i] % width, 0.0
            k += 1
        v[k - 1] += 1.0
    norm = np.zeros(n_rows)
    for i in range(k):
        norm[r[i]] += v[i] * v[i]
    for i in range(k):
        v[i] = v[i] / np.sqrt(norm[r[i]])
    # topicality: per (document, column) totals, numbered in key order
    dk = np.empty(k, np.int64)
    for i in range(k):
        dk[i] = doc[r[i]] * width + c[i]
    order = np.argsort(dk)
    inv = np.empty(k, np.int64)
    nu = 0
    for j in range(k):
        if j == 0 or dk[order[j]] != dk[order[j - 1]]:
            nu += 1
        inv[order[j]] = nu - 1
    total = np.zeros(nu)
    key_doc = np.empty(nu, np.int64)
    head = np.zeros(nu)
    for i in range(k):
        total[inv[i]] += v[i]
        key_doc[inv[i]] = doc[r[i]]
        if first[r[i]]:
            head[inv[i]] = v[i]
    total_sq = np.zeros(doc.max() + 1)
    for q in range(nu):
        total_sq[key_doc[q]] += total[q] * total[q]
    dots, self_dots = np.zeros(n_rows), np.zeros(n_rows)
    for i in range(k):
        dots[r[i]] += v[i] * total[inv[i]]
        self_dots[r[i]] += v[i] * v[i]
        title[r[i]] += v[i] * head[inv[i]]
    for row in range(n_rows):
        if self_dots[row] > 0:
            rest = total_sq[doc[row]] - 2 * dots[row] + self_dots[row]
            topic[row] = (dots[row] - self_dots[row]) / np.sqrt(max(rest, 1e-9) * self_dots[row])
        if first[row]:
            title[row] = 0.0
        topic[row] = min(max(topic[row], 0.0), 1.0)
        title[row] = min(max(title[row], 0.0), 1.0)
    # neighbour_similarity: each entry's column in the next row
    ek = r[:k] * width + c[:k]
    near = np.zeros(n_rows)
    for i in range(k):
        j = min(np.searchsorted(ek, ek[i] + width), k - 1)
        if ek[j] == ek[i] + width:
            near[r[i]] += v[i] * v[j]
    for row in range(n_rows - 1):
        if doc[row] == doc[row + 1]:
            nxt[row] = min(max(near[row], 0.0), 1.0)
            prv[row + 1] = nxt[row]
    return topic, title, nxt, prv


_COMPILED: list = []   # the compiled ``_topic_kernel`` once loaded ([None]: not available)


def topic_similarities(rows: np.ndarray, cols: np.ndarray, doc: np.ndarray, first: np.ndarray,
                       n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``topicality`` and ``neighbour_similarity`` of the bag-of-features rows given as (row,
    column) occurrences (``l2_rows``): (topic, title, next, previous) per row. With numba (the
    ``fast`` extra) one compiled pass (``_topic_kernel``, same values; ``FILTER_COMPILED_FEATURES=0``
    switches it off) replaces some 60 small numpy calls, most of their cost on one document."""
    if not _COMPILED:
        from filter.jit import jit_or_none

        _COMPILED.append(jit_or_none(_topic_kernel, "FILTER_COMPILED_FEATURES"))
    kernel = _COMPILED[0]
    if kernel is not None:
        return kernel(np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(doc, np.int64),
                      np.asarray(first, bool), n_rows)
    r, c, v = l2_rows(rows, cols, n_rows)
    return (*topicality(r, c, v, doc, first, n_rows), *neighbour_similarity(r, c, v, doc, n_rows))


def l2_rows(rows: np.ndarray, cols: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bag-of-features counts from (row, column) occurrences, l2-normalised per row, as COO
    entries with one entry per distinct (row, column)."""
    if not len(rows):
        return rows, cols, np.zeros(0)
    width = int(cols.max()) + 1
    keys, counts = sorted_unique(rows * width + cols, counts=True)
    r, c = keys // width, keys % width
    v = counts.astype(np.float64)
    norm = np.sqrt(np.bincount(r, weights=v * v, minlength=n_rows))
    return r, c, v / norm[r]


# ---------------------------------------------------------------- token flags

SHAPE_FLAGS = ("mixed", "allcaps", "cap", "nonascii", "digit", "comma_after", "period_after",
               "first", "last", "lexicon", "stop", "reader")


def intrinsic_flags(tok: str, norm: str, lexicon: frozenset[str], stopwords: frozenset[str],
                    reader: frozenset[str] = frozenset()) -> tuple:
    """The context-free part of a token's flags (cacheable per token string)."""
    if tok.isalpha():   # most words: no per-character look needed
        has_d, has_a = False, True
    else:
        has_d = any(c.isdigit() for c in tok)
        has_a = any(c.isalpha() for c in tok)
    return (has_d and has_a, len(tok) > 1 and tok.isupper(), tok[:1].isupper(),
            not tok.isascii() and any(ord(c) > 0x24F for c in tok), has_d and not has_a,
            0, 0, 0, 0, norm in lexicon, norm in stopwords, norm in reader)


def token_flags(text: str, toks: "list[tuple[int, int]] | np.ndarray", intrinsic: np.ndarray, unit_of_tok: np.ndarray) -> np.ndarray:
    """Binary shape flags per token (n × len(SHAPE_FLAGS)), from the tokens' intrinsic flags."""
    n = len(toks)
    if n == 0:
        return np.zeros((0, len(SHAPE_FLAGS)), dtype=np.float32)
    F = intrinsic.copy()
    ends = np.fromiter((e for _, e in toks), dtype=np.int64, count=n) if not isinstance(toks, np.ndarray) else toks[:, 1]
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    nxt = np.append(codes, np.uint32(0))[ends]
    F[:, 5] = nxt == ord(",")
    F[:, 6] = (nxt == ord(".")) | (nxt == ord("!")) | (nxt == ord("?"))
    change = unit_of_tok[1:] != unit_of_tok[:-1]
    F[0, 7] = F[-1, 8] = True
    F[1:, 7] = change
    F[:-1, 8] = change
    return F


# ----------------------------------------------------------------------- compiled token scan
# With numba (the ``fast`` extra) the tokens of a text (``TOKEN_RE`` matches) are found by one
# compiled scan over its code points, each classified by a table (``_WORDISH`` characters,
# ``_TOKEN_JOINERS``) built once from the regex's own character classes, so the scan finds the
# same matches at the same offsets (a test compares them on the corpora and on generated text).
# Reason (issue 17): the regex split, which also materialises every gap between tokens as a
# string, and the offsets computed from the pieces cost ~0.12 ms of a ~1.3 ms article in a
# batch. ``FILTER_COMPILED_FEATURES=0`` switches it off with the other compiled feature passes.
_TOKEN_JOINERS = ".-/@:'’"
_TOKEN_SCAN: list = []   # (compiled scan, BMP class table) once loaded ([None]: not available)
_WORDISH_CHAR = re.compile(rf"[{_WORDISH}]")
_JOINER_CHAR = re.compile(rf"[{re.escape(_TOKEN_JOINERS)}]")


def code_point_table(text: str, table: np.ndarray, classify: Callable[[list[str]], np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``text`` (``surrogatepass``: lone surrogates too) and a value per code
    point: ``table[cp]`` in the Basic Multilingual Plane (``table`` has 0x10000 entries),
    ``classify`` of the characters beyond it (rare: emoji, styled letters)."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(cp) or cp.max() < 0x10000:
        return cp, table[cp]
    out = np.zeros(len(cp), dtype=table.dtype)
    bmp = cp < 0x10000
    out[bmp] = table[cp[bmp]]
    out[~bmp] = classify([chr(c) for c in cp[~bmp].tolist()])
    return cp, out


def _char_classes(chars: Sequence[str]) -> np.ndarray:
    """1 for a ``_WORDISH`` character, 2 for a joiner, 0 otherwise (by the regexes themselves)."""
    return np.fromiter((1 if _WORDISH_CHAR.match(c) else 2 if _JOINER_CHAR.match(c) else 0 for c in chars),
                       dtype=np.uint8, count=len(chars))


def _scan_tokens(cls):  # pragma: no cover - compiled
    """(start, end) rows of the ``TOKEN_RE`` matches, from each code point's class."""
    n = cls.shape[0]
    out = np.empty(((n + 1) // 2, 2), dtype=np.int64)   # tokens are separated: at most half
    m = 0
    i = 0
    while i < n:
        if cls[i] != 1:
            i += 1
            continue
        start = i
        while i < n and cls[i] == 1:
            i += 1
        # a joiner continues the token only when a word character follows it
        while i + 1 < n and cls[i] == 2 and cls[i + 1] == 1:
            i += 1
            while i < n and cls[i] == 1:
                i += 1
        out[m, 0] = start
        out[m, 1] = i
        m += 1
    return out[:m].copy()


def token_offsets(text: str) -> np.ndarray | None:
    """(n_tokens × 2) start and end offsets of the ``TOKEN_RE`` matches of ``text`` by the compiled
    scan, or None when it is not available (numba absent or switched off)."""
    if not _TOKEN_SCAN:
        from filter.jit import jit_or_none

        scan = jit_or_none(_scan_tokens, "FILTER_COMPILED_FEATURES")
        _TOKEN_SCAN.append(None if scan is None else (scan, _char_classes([chr(i) for i in range(0x10000)])))
    loaded = _TOKEN_SCAN[0]
    if loaded is None:
        return None
    scan, table = loaded
    return scan(code_point_table(text, table, _char_classes)[1])
