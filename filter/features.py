"""Featurize: turn a document into classification units and tokens with feature arrays.

Units are sentences inside blocks (lines); a one-sentence line is one unit. Tokens are
word-like runs (``\\w`` plus zero-width characters, joined by ``.-/@:`` inside, so
domains, ``Rp3.000`` and ``COVID-19`` stay whole). Every unit and token keeps exact
offsets into the original text; normalisation (``filter.normalize``) only feeds features.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from filter.segment import blocks, sentences

CLASSES = ("content", "promo", "boilerplate")
IGNORE = -1
MAX_UNIT_CHARS = 1500  # longer sentences are split at whitespace for featurising

_ZW = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
TOKEN_RE = re.compile(rf"[\w{_ZW}]+(?:[.\-/@:'’][\w{_ZW}]+)*")
_URL_RE = re.compile(r"(?:https?://|www\.|\b[\w-]+\.(?:com|id|co|net|org|info|xyz|vip|site|online|link|ly|me|io|top|club|asia|pro|bet|live|app)\b)", re.I)
_BULLET_RE = re.compile(r"^(?:[-•*–·▪►>]|\d{1,2}[.)])\s")
_WORD_RE = re.compile(r"\w+")
_CODE_RE = re.compile(r"\(\s*[A-Za-z]{2,6}(?:\s*/\s*[A-Za-z]{2,6})*\s*\)\s*$")


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
    for bi, b in enumerate(blocks(text)):
        bs.append(b.start)
        be.append(b.end)
        sents = [p for s in sentences(text, b.start, b.end) for p in _split_long(text, s.start, s.end)]
        for s, e in sents:
            starts.append(s)
            ends.append(e)
            blk.append(bi)
            whole.append(len(sents) == 1)
    i64 = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    return Units(text, i64(starts), i64(ends), i64(blk), np.asarray(whole, dtype=bool), i64(bs), i64(be))


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    end = len(text) if end is None else end
    return [(m.start(), m.end()) for m in TOKEN_RE.finditer(text, start, end)]


# ---------------------------------------------------------------- labels from gold spans

def coverage_labels(n: int, starts: Sequence[int], ends: Sequence[int], spans: Sequence[dict],
                    ignore: Sequence[Sequence[int]] = ()) -> tuple[np.ndarray, list[str]]:
    """Label items (units or tokens) by the gold span covering most of them.

    An item is promo/boilerplate when a span of that label covers ≥ half of its characters,
    ``IGNORE`` when an ignore range or an optional span touches it, content otherwise.
    """
    labels = np.zeros(n, dtype=np.int64)
    kinds = [""] * n
    if n == 0:
        return labels, kinds
    st = np.asarray(starts)
    en = np.asarray(ends)
    length = np.maximum(en - st, 1)
    for sp in spans:
        ov = np.minimum(en, sp["end"]) - np.maximum(st, sp["start"])
        if sp.get("optional"):
            labels[ov > 0] = IGNORE
            continue
        hit = ov * 2 >= length
        lab = CLASSES.index(sp["label"])
        for i in np.nonzero(hit & (labels != IGNORE))[0]:
            labels[i] = lab
            kinds[i] = sp.get("kind", "")
    for a, b in ignore:
        ov = np.minimum(en, b) - np.maximum(st, a)
        labels[ov > 0] = IGNORE
    return labels, kinds


# ---------------------------------------------------------------- dense unit features

DENSE_NAMES = (
    "log_chars", "log_tokens", "mixed_alnum", "capitalised", "allcaps", "terminal_punct", "ends_colon",
    "bullet", "url", "stopword_density", "lexicon_hits", "non_ascii_tokens", "digit_tokens",
    "whole_block", "log_units_in_block", "pos_in_block", "block_pos", "from_end", "from_start",
    "first_block", "last_block", "topicality", "title_sim", "dup_title", "dup_count", "editor_code",
    "flattened", "rel_len", "tok_promo_max", "tok_promo_mean", "tok_boiler_max", "tok_boiler_mean",
    "tok_promo_n",
)
# columns of the token flag matrix aggregated per unit: (dense column, flag column)
_FLAG_MEANS = ((2, 0), (3, 2), (4, 1), (9, 10), (11, 3), (12, 4))


def dense_unit_features(units: Units, norm_texts: list[str], tok_unit: np.ndarray, tok_flags: np.ndarray,
                        topic: np.ndarray, title_sim: np.ndarray, tok_stats: np.ndarray) -> np.ndarray:
    """Shape, position, topicality and token-score aggregates for every unit (n × len(DENSE_NAMES))."""
    n = len(units)
    X = np.zeros((n, len(DENSE_NAMES)), dtype=np.float32)
    if n == 0:
        return X
    text = units.text
    nb = max(len(units.block_starts), 1)
    # token aggregates per unit
    ok = tok_unit >= 0
    tu = tok_unit[ok]
    ntok = np.bincount(tu, minlength=n).astype(np.float32)
    safe = np.maximum(ntok, 1)
    F = tok_flags[ok]
    for col, flag in _FLAG_MEANS:
        X[:, col] = np.bincount(tu, weights=F[:, flag], minlength=n) / safe
    X[:, 10] = np.minimum(np.bincount(tu, weights=F[:, 9], minlength=n), 5)
    X[:, 1] = np.log1p(ntok)
    lens = (units.ends - units.starts).astype(np.float32)
    X[:, 0] = np.log1p(lens)
    med = float(np.median(lens)) or 1.0
    X[:, 27] = np.log((lens + 1) / (med + 1))
    first_norm = norm_texts[0]
    counts: dict[str, int] = {}
    for t in norm_texts:
        counts[t] = counts.get(t, 0) + 1
    for i in range(n):
        s, e = units.starts[i], units.ends[i]
        last = text[e - 1]
        X[i, 5] = last in ".!?\"”’'…)"
        X[i, 6] = last == ":"
        head = text[s:s + 4]
        X[i, 7] = bool(_BULLET_RE.match(head))
        if e - s < 400:
            raw = text[s:e]
            X[i, 8] = bool(_URL_RE.search(raw))
            X[i, 25] = bool(_CODE_RE.search(raw))
        else:
            X[i, 8] = bool(_URL_RE.search(text, s, e))
        X[i, 24] = min(counts[norm_texts[i]] - 1, 3)
    blk = units.block
    blk_counts = np.bincount(blk, minlength=nb)
    X[:, 13] = units.whole
    X[:, 14] = np.log1p(blk_counts[blk])
    first_in_block = np.r_[True, blk[1:] != blk[:-1]]
    start_idx = np.maximum.accumulate(np.where(first_in_block, np.arange(n), 0))
    X[:, 15] = (np.arange(n) - start_idx) / np.maximum(blk_counts[blk] - 1, 1)
    X[:, 16] = blk / (nb - 1) if nb > 1 else 0.0
    X[:, 17] = np.minimum(nb - 1 - blk, 10) / 10
    X[:, 18] = np.minimum(blk, 10) / 10
    X[:, 19] = blk == 0
    X[:, 20] = blk == nb - 1
    X[:, 21] = topic
    X[:, 22] = title_sim
    X[1:, 23] = [units.whole[i] and norm_texts[i] == first_norm for i in range(1, n)]
    X[:, 26] = nb == 1
    X[:, 28:33] = tok_stats
    return X


def cosine_topicality(M) -> tuple[np.ndarray, np.ndarray]:
    """Similarity of each row to the sum of the other rows, and to the first row (the title-ish line).

    ``M`` is a sparse (units × hashed content words) matrix with l2-normalised rows.
    """
    n = M.shape[0]
    if n == 0:
        return np.zeros(0), np.zeros(0)
    total = np.asarray(M.sum(axis=0)).ravel()
    dots = np.asarray(M @ total).ravel()
    self_dots = np.asarray(M.multiply(M).sum(axis=1)).ravel()
    rest_norm2 = float(total @ total) - 2 * dots + self_dots
    topic = (dots - self_dots) / np.sqrt(np.maximum(rest_norm2, 1e-9) * np.maximum(self_dots, 1e-9))
    topic[self_dots == 0] = 0.0
    first = M[0]
    title = np.asarray(M @ first.T.toarray()).ravel()
    title[0] = 0.0
    return np.clip(topic, 0, 1), np.clip(title, 0, 1)


# ---------------------------------------------------------------- token flags

SHAPE_FLAGS = ("mixed", "allcaps", "cap", "nonascii", "digit", "comma_after", "period_after",
               "first", "last", "lexicon", "stop")


def intrinsic_flags(tok: str, norm: str, lexicon: frozenset[str], stopwords: frozenset[str]) -> tuple:
    """The context-free part of a token's flags (cacheable per token string)."""
    has_d = any(c.isdigit() for c in tok)
    has_a = any(c.isalpha() for c in tok)
    return (has_d and has_a, len(tok) > 1 and tok.isupper(), tok[:1].isupper(),
            not tok.isascii() and any(ord(c) > 0x24F for c in tok), has_d and not has_a,
            0, 0, 0, 0, norm in lexicon, norm in stopwords)


def token_flags(text: str, toks: list[tuple[int, int]], intrinsic: list[tuple], unit_of_tok: np.ndarray) -> np.ndarray:
    """Binary shape flags per token (n × len(SHAPE_FLAGS))."""
    n = len(toks)
    if n == 0:
        return np.zeros((0, len(SHAPE_FLAGS)), dtype=np.float32)
    F = np.array(intrinsic, dtype=np.float32)
    nxt = [text[e:e + 1] for _, e in toks]
    F[:, 5] = [c == "," for c in nxt]
    F[:, 6] = [c in ".!?" and c != "" for c in nxt]
    F[:, 7] = np.r_[True, unit_of_tok[1:] != unit_of_tok[:-1]]
    F[:, 8] = np.r_[unit_of_tok[1:] != unit_of_tok[:-1], True]
    return F
