"""The span model: classify units and tokens, then decode spans.

Four learned parts, trained with scikit-learn, run with numpy alone (``filter.runtime``: the
fitted parts as plain arrays, identical probabilities):

1. ``WordScorer`` — p(content/promo/boilerplate | word) from character n-grams and the shape
   of the *normalised* word (no identity feature, so unseen brand spellings score by their
   form); words seen in training score by their smoothed class counts (a lookup table).
2. Unit model (stage 1) — a linear model over hashed word uni- and bigrams of each
   sentence/line (with a placeholder for brand-shaped words) plus dense shape, position,
   topicality and word-score aggregates (``dense_features``).
3. Context model (stage 2, stacked sequential learning) — gradient boosting over the stage-1
   *out-of-fold* probabilities of the unit and its neighbours, the neighbours' promo word
   scores, and the dense features (incl. the document model's verdict on the page —
   p(journalism about gambling), p(promotion) — similarity to the neighbouring units, an
   earlier copy near the top).
4. Token model — gradient boosting over word scores in a ±3 window, token shape, the unit's
   stage-1 probabilities, the distance from the last furniture marker, the page verdict
   and in how many other units the word recurs: finds
   promotion inserted *inside* a content sentence and furniture glued into flattened text.

Features are computed for a whole batch at once (``Stack``); ``analyze_many`` runs the
models, ``decode`` turns probabilities into spans for given per-label thresholds (so
thresholds can be swept without re-running the models).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Sequence

import numpy as np

from filter.features import (
    BULLET_RE, CLASSES, CODE_RE, DENSE_NAMES, FLAG_MEANS, SHAPE_FLAGS, TOKEN_RE, TokenVocab, Units,
    cumsum0, l2_rows, make_units, sorted_unique, token_flags, token_offsets, topic_similarities,
)
from filter.decode import BOILER, PROMO, DecodeConfig, add_counts
from filter.decode import decode as decode_steps
from filter.doc import CLASSES as DOC_CLASSES
from filter.normalize import deleet, normalize
from filter.runtime import Linear, ModelError, as_linear, as_scaler, as_trees, hash_unsigned, hashed_columns
from filter.spans import Span

WINDOW = 3          # token model context: ±3 words
NEIGH = 2           # stage-2 context: ±2 units
CANDIDATE_MIN = 0.45  # token model runs where a neighbouring word scores at least this much junk
MARKER_MIN = 0.9      # a word scoring at least this boilerplate is a furniture marker ("Baca")
MAX_AFTER_MARKER = 25  # tokens after a marker the token model looks at (a glued link title)
HEAD_COPY_WITHIN = 12  # a repeated headline is among the first this many units of its document
HEAD_COPY_MIN_TOKENS = 3
MIN_GLUED_UNIT = 15   # tokens after a marker are candidates only in units at least this long
KIND_MIN = 0.05       # boilerplate kinds are predicted for units at least this likely boilerplate
MAX_BATCH_CHARS = 1_000_000  # a batch runs through the models in parts of about this many characters


# ---------------------------------------------------------------- fast linear scoring

def linear_proba(clf, X) -> np.ndarray:
    """``clf.predict_proba(X)`` for a one-vs-rest log-loss model (scikit-learn or ``Linear``)
    and a scipy sparse or dense ``X`` (training; inference scores entries, ``Linear.proba_entries``)."""
    lin = as_linear(clf)
    return Linear.proba(np.asarray(X @ lin.coef_t) + lin.intercept_)


# ---------------------------------------------------------------- word scorer (token stage A)

_SHAPE_SUB = (re.compile(r"[^\W\d_]+"), re.compile(r"\d+"))


def word_analyzer(word: str) -> list[str]:
    """Features of one normalised word: char 2–5-grams of the de-leeted form, its letter/digit
    shape and length. No word-identity feature, so unseen brand spellings score by their shape."""
    w = deleet(word)
    padded = f"<{w}>"
    feats = [padded[i:i + n] for n in (2, 3, 4, 5) for i in range(len(padded) - n + 1)]
    shape = _SHAPE_SUB[1].sub(lambda m: "d" * min(len(m.group()), 4), _SHAPE_SUB[0].sub("a", word))
    feats.append("S=" + shape)
    feats.append("L=" + str(min(len(word), 12)))
    if shape.startswith("ad") or shape.endswith("ad"):
        feats.append("MIX")
    return feats


class WordScorer:
    """p(class | word) for normalised words.

    A linear model over the word's character n-grams and shape scores any word, seen or not;
    words seen at least ``table_min_count`` times in training get a lookup-table entry: their
    observed class counts smoothed towards the model's score with ``prior_strength``
    pseudo-counts. (The linear model alone cannot fit frequent short words: it scored "di"
    as promotion.)"""

    def __init__(self, n_features: int = 2 ** 19, alpha: float = 1e-6, table_min_count: int = 2,
                 prior_strength: float = 3.0, random_state: int = 0):
        self.n_features = n_features
        self.alpha = alpha
        self.table_min_count = table_min_count
        self.prior_strength = prior_strength
        self.random_state = random_state

    def _vec(self):
        """The training featuriser (scikit-learn); inference hashes with ``word_entries``."""
        from sklearn.feature_extraction.text import HashingVectorizer

        return HashingVectorizer(analyzer=word_analyzer, n_features=self.n_features,
                                 alternate_sign=False, norm="l2")

    def fit(self, X, y: np.ndarray, counts: np.ndarray, *, words: Sequence[str]):
        """Fit on hashed word features ``X``: one row per distinct (word, class) pair, ``words``
        its word and ``counts`` how often it occurs. The linear model weighs rows by the
        square root of their count (frequent words would swamp the rare promo vocabulary),
        normalised to mean 1 (SGD's step scales with the weights)."""
        from sklearn.linear_model import SGDClassifier

        counts = np.asarray(counts, dtype=np.float64)
        sw = np.sqrt(counts)
        sw = sw / sw.mean() if len(sw) else sw
        self.clf_ = SGDClassifier(loss="log_loss", alpha=self.alpha, max_iter=15, tol=None,
                                  random_state=self.random_state, n_jobs=2)
        self.clf_.fit(X, y, sample_weight=sw)
        self.classes_ = self.clf_.classes_
        by_word: dict[str, np.ndarray] = {}
        first: dict[str, int] = {}
        for i, (w, c, n) in enumerate(zip(words, np.asarray(y).tolist(), counts.tolist())):
            if w not in by_word:
                by_word[w], first[w] = np.zeros(len(CLASSES)), i
            by_word[w][c] += n
        vocab = sorted(w for w, c in by_word.items() if c.sum() >= self.table_min_count)
        probs = np.zeros((len(vocab), len(CLASSES)), dtype=np.float64)
        if vocab:
            probs[:, self.clf_.classes_] = linear_proba(self.clf_, X[[first[w] for w in vocab]])
            seen = np.array([by_word[w] for w in vocab])
            probs = (seen + self.prior_strength * probs) / (seen.sum(axis=1, keepdims=True) + self.prior_strength)
        self.table_ = {w: i for i, w in enumerate(vocab)}
        self.table_probs_ = probs.astype(np.float16)
        return self

    def _raw_proba(self, words: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(words), len(CLASSES)), dtype=np.float32)
        if not len(words):
            return out
        r, c, v = word_entries(words, self.n_features)
        lin = as_linear(self.clf_)
        out[:, lin.classes_] = lin.proba_entries(r, c, v, len(words))
        return out

    def predict_proba(self, words: Sequence[str]) -> np.ndarray:
        idx = [self.table_.get(w, -1) for w in words]
        out = np.zeros((len(words), len(CLASSES)), dtype=np.float32)
        known = np.array([i >= 0 for i in idx], dtype=bool)
        if known.any():
            out[known] = self.table_probs_[[i for i in idx if i >= 0]]
        if (~known).any():
            unk = [w for w, i in zip(words, idx) if i < 0]
            uniq = sorted(set(unk))
            pu = self._raw_proba(uniq)
            pos = {w: j for j, w in enumerate(uniq)}
            out[~known] = pu[[pos[w] for w in unk]]
        return out


def word_entries(words: Sequence[str], n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``HashingVectorizer(analyzer=word_analyzer, alternate_sign=False, norm="l2")`` of
    ``words`` as sparse entries (row-major, columns ascending, duplicates summed), computed as
    scikit-learn computes them: the same hash, counts and l2 norm."""
    feats = [word_analyzer(w) for w in words]
    rows = np.repeat(np.arange(len(words), dtype=np.int64), [len(f) for f in feats])
    cols = hashed_columns([x for f in feats for x in f], n_features)
    keys, counts = sorted_unique(rows * n_features + cols, counts=True)
    r, c = keys // n_features, keys % n_features
    v = counts.astype(np.float64)
    norm = np.sqrt(np.bincount(r, weights=v * v, minlength=len(words)))
    return r, c, v / norm[r]


# ---------------------------------------------------------------- per-document analysis

@dataclass
class Base:
    """Model-independent features of one document."""

    units: Units
    toks: np.ndarray                           # (n_tokens × 2) start, end offsets
    tok_ids: np.ndarray                        # ids in the model's TokenVocab (valid for one batch)
    tok_norm: list[str]                        # normalised form of every token
    tok_hash: np.ndarray                       # 32-bit hash of every normalised token
    tok_unit: np.ndarray                       # unit of every token (-1: none)
    tok_flags: np.ndarray
    tok_url: np.ndarray                        # URL- or domain-like tokens
    tok_topic: np.ndarray                      # topic-word column of every token (-1: not one)
    unit_keys: list[bytes]                     # equal for units with the same normalised words
    spaced: list[tuple[int, int, int, int, str]]  # spaced-letter runs ("s l o t"): unit, hash of the
                                               # joined word, first and last token, the word


@dataclass
class Analysis:
    """Model outputs for one document, ready to decode under any thresholds."""

    base: Base
    unit_proba: np.ndarray                     # stage-2 probabilities (n_units × 3)
    cand: np.ndarray                           # token indices scored by the token model
    cand_proba: np.ndarray                     # their probabilities (n_cand × 3)
    tok_word_proba: np.ndarray                 # word-scorer probabilities of every token
    spaced_promo: list[float] = field(default_factory=list)  # word-scorer promo p of each spaced run
    unit_kinds: list[str] = field(default_factory=list)


def _unit_of_tokens(units: Units, starts: np.ndarray) -> np.ndarray:
    """The unit each token (by start offset) lies in, or -1."""
    if not len(starts) or not len(units):
        return np.full(len(starts), -1, dtype=np.int64)
    u = np.searchsorted(units.starts, starts, side="right") - 1
    u = np.clip(u, 0, len(units) - 1)
    inside = (starts >= units.starts[u]) & (starts < units.ends[u])
    return np.where(inside, u, -1)


_TOKEN_SPLIT = re.compile(f"({TOKEN_RE.pattern})")
_STOP, _DIGIT = SHAPE_FLAGS.index("stop"), SHAPE_FLAGS.index("digit")
_PLACEHOLDER = np.uint64(0x5BD1E995)   # hash of the brand-shaped-word placeholder


def _bigram(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hash of word pairs from the words' hashes."""
    return (a * np.uint64(0x9E3779B1) + b + np.uint64(1)) % np.uint64(2 ** 32)



def _unit_keys(units: Units, starts: np.ndarray, tok_hash: np.ndarray) -> list[bytes]:
    """A key per unit: the hashes of its normalised tokens (equal keys = same words)."""
    if not len(units):
        return []
    a = np.searchsorted(starts, units.starts).tolist()
    b = np.searchsorted(starts, units.ends).tolist()
    return [tok_hash[i:j].tobytes() for i, j in zip(a, b)]


def _spaced_runs(se: np.ndarray, ids: np.ndarray, tok_unit: np.ndarray,
                 vocab: TokenVocab) -> list[tuple[int, int, int, int, str]]:
    """Runs of >= 4 one-character tokens one space apart ("J P T O G E L 7 7"), joined and
    normalised as ``filter.normalize`` would: (unit, hash of the joined word, first token,
    last token, joined word). ``se`` holds the tokens' (start, end) rows."""
    if len(se) < 4:
        return []
    single = se[:, 1] - se[:, 0] == 1
    link = single[:-1] & single[1:] & (se[1:, 0] - se[:-1, 1] == 1) & (tok_unit[1:] == tok_unit[:-1])
    if link.sum() < 3:
        return []
    edges = np.flatnonzero(np.diff(np.r_[0, link.astype(np.int8), 0]))
    out = []
    for a, b in zip(edges[::2], edges[1::2]):   # tokens a..b (inclusive) form the run
        if b - a >= 3 and tok_unit[a] >= 0:
            word = normalize("".join(vocab.strings[i] for i in ids[a:b + 1].tolist()))
            out.append((int(tok_unit[a]), hash_unsigned([word])[0], int(a), int(b), word))
    return out


@dataclass
class Stack:
    """A batch of documents' units and tokens concatenated, with global unit ids: the stage-2
    and token features are computed for the whole batch in a few array operations."""

    unit_doc: np.ndarray        # document of every unit
    block: np.ndarray           # block of every unit, unique across the batch
    whole: np.ndarray           # the unit spans its whole block
    tok_doc: np.ndarray         # document of every token
    tok_unit: np.ndarray        # global unit of every token (-1: none)
    tok_flags: np.ndarray
    unit_off: np.ndarray        # first unit of each document (n_docs + 1)
    tok_off: np.ndarray         # first token of each document (n_docs + 1)
    tok_hash: np.ndarray        # hash of every token's normalised form
    _near: dict = field(default_factory=dict, repr=False, compare=False)

    def near(self, level: str, k: int) -> np.ndarray:
        """``_neighbour`` of every unit (``level="unit"``) or token (``"tok"``), computed once per batch."""
        key = (level, k)
        out = self._near.get(key)
        if out is None:
            out = self._near[key] = _neighbour(self.unit_doc if level == "unit" else self.tok_doc, k)
        return out

    @classmethod
    def of(cls, bases: Sequence[Base]) -> "Stack":
        nu = np.array([len(b.units) for b in bases], dtype=np.int64)
        nt = np.array([len(b.toks) for b in bases], dtype=np.int64)
        nb = np.array([len(b.units.block_starts) for b in bases], dtype=np.int64)
        unit_off, tok_off, blk_off = (cumsum0(x) for x in (nu, nt, nb))
        docs = np.arange(len(bases))
        cat = (lambda xs, dt: np.concatenate(xs).astype(dt, copy=False) if len(xs) else np.zeros(0, dt))  # noqa: E731
        tok_doc = np.repeat(docs, nt)
        tu = cat([b.tok_unit for b in bases], np.int64)
        return cls(np.repeat(docs, nu), cat([b.units.block for b in bases], np.int64) + np.repeat(blk_off[:-1], nu),
                   cat([b.units.whole for b in bases], bool), tok_doc,
                   np.where(tu >= 0, tu + unit_off[:-1][tok_doc], -1),
                   np.vstack([b.tok_flags for b in bases]) if len(bases) else np.zeros((0, 0), np.float32),
                   unit_off, tok_off, cat([b.tok_hash for b in bases], np.uint32))


def _neighbour(group: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """For each row (or each of ``rows``): the row k places away when it is in the same group, else -1."""
    if rows is None:
        n = len(group)
        out = np.full(n, -1, dtype=np.int64)
        if 0 < abs(k) < n:
            a, b = (slice(0, n - k), slice(k, n)) if k > 0 else (slice(-k, n), slice(0, n + k))
            j = np.arange(b.start, b.stop)
            out[a] = np.where(group[a] == group[b], j, -1)
        elif k == 0:
            out[:] = np.arange(n)
        return out
    i = rows
    j = i + k
    ok = (j >= 0) & (j < len(group))
    ok &= group[np.where(ok, j, 0)] == group[i]
    return np.where(ok, j, -1)


def _take(A: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Rows ``j`` of ``A``, zeros where ``j`` is -1."""
    out = A[np.maximum(j, 0)]
    out[j < 0] = 0
    return out


def _neighbours(group: np.ndarray, rows: np.ndarray, ks: Sequence[int]) -> np.ndarray:
    """``_neighbour(group, k, rows)`` for every k of ``ks`` at once (len(ks) × len(rows))."""
    j = rows[None, :] + np.asarray(ks, dtype=np.int64)[:, None]
    ok = (j >= 0) & (j < len(group))
    ok &= group[np.where(ok, j, 0)] == group[rows][None, :]
    return np.where(ok, j, -1)


def _take_padded(A: np.ndarray, J: np.ndarray) -> np.ndarray:
    """``_take(A, j)`` for every row ``j`` of ``J`` at once, side by side (len(J[0]) ×
    len(J)·width): rows of ``A`` with a zero row appended, which index -1 reaches."""
    Ap = np.zeros((len(A) + 1, A.shape[1]), dtype=A.dtype)
    Ap[:-1] = A
    G = Ap[J]                                   # (len(J), rows, width)
    return G.transpose(1, 0, 2).reshape(J.shape[1], J.shape[0] * A.shape[1])


def _doc_promo_max(P1: np.ndarray, st: Stack) -> np.ndarray:
    out = np.zeros(len(st.unit_off) - 1, dtype=np.float32)
    np.maximum.at(out, st.unit_doc, P1[:, PROMO])
    return out


_PROMO_MAX, _PROMO_N = DENSE_NAMES.index("tok_promo_max"), DENSE_NAMES.index("tok_promo_n")
_DOC_COLS = [DENSE_NAMES.index("doc_gambling_news"), DENSE_NAMES.index("doc_promo")]
_HEAD_COPY = DENSE_NAMES.index("head_copy")
DOC_GAMBLING_NEWS, DOC_PROMO = DOC_CLASSES.index("gambling_news"), DOC_CLASSES.index("promo")


def token_repeats(st: Stack, idx: np.ndarray) -> np.ndarray:
    """For tokens ``idx``: in how many *other* units of the document the same word occurs
    (capped at 3, scaled to 0..1)."""
    kernel = _compiled_features()
    if kernel is not None:
        return kernel.repeats(st.tok_unit, st.tok_hash, st.unit_doc, st.tok_doc, np.asarray(idx, np.int64))
    ok = np.nonzero(st.tok_unit >= 0)[0]
    if not len(idx) or not len(ok):
        return np.zeros(len(idx), dtype=np.float32)
    h = st.tok_hash.astype(np.int64)
    pairs, = sorted_unique(st.tok_unit[ok] << 32 | h[ok])            # distinct (unit, word)
    words, per_word = sorted_unique(st.unit_doc[pairs >> 32] << 32 | (pairs & 0xFFFFFFFF), counts=True)
    key = st.tok_doc[idx].astype(np.int64) << 32 | h[idx]
    pos = np.minimum(np.searchsorted(words, key), len(words) - 1)
    units = np.where(words[pos] == key, per_word[pos], 1)
    return (np.minimum(units - 1, 3) / 3).astype(np.float32)


def head_copies(b: Base) -> list[bool]:
    """Per unit: a repeated headline. The unit (>= HEAD_COPY_MIN_TOKENS tokens, among the
    first HEAD_COPY_WITHIN units) copies one of the first three such units, and neither of
    its neighbours is a copy: a whole duplicated body is a run of copies, a repeated
    headline stands alone (often under a section label, a dek or a photo)."""
    keys = b.unit_keys
    n = len(keys)
    ntok = np.bincount(b.tok_unit[b.tok_unit >= 0], minlength=n)
    heads = [keys[i] for i in range(min(n, HEAD_COPY_WITHIN)) if ntok[i] >= HEAD_COPY_MIN_TOKENS][:3]
    seen: set[bytes] = set()
    copy = []
    for key in keys:
        copy.append(key in seen)
        seen.add(key)
    return [i < HEAD_COPY_WITHIN and copy[i] and keys[i] in heads and ntok[i] >= HEAD_COPY_MIN_TOKENS
            and not (i > 0 and copy[i - 1]) and not (i + 1 < n and copy[i + 1]) for i in range(n)]


def dense_features(bs: Sequence[Base], W: np.ndarray, st: Stack, doc_proba: np.ndarray | None = None) -> np.ndarray:
    """Shape, position, topicality and word-score aggregates for every unit of a batch
    (n_units × len(DENSE_NAMES)); ``W`` are the word scores of every token of the batch.

    ``doc_proba`` (n_docs × 3, ``filter.doc.CLASSES`` order): the document model's verdict,
    which fills the two document-topic columns (p(gambling_news), p(promo) of the unit's
    document); without it they are zero (a model trained without the document stage). This
    learned verdict replaced the keyword shares of the other units (issue 16, point 3).
    """
    n = len(st.unit_doc)
    X = np.zeros((n, len(DENSE_NAMES)), dtype=np.float32)
    if n == 0:
        return X
    doc = st.unit_doc
    first = st.unit_off[:-1]
    ok = st.tok_unit >= 0
    u = st.tok_unit[ok]
    F = st.tok_flags[ok]
    ntok = np.bincount(u, minlength=n).astype(np.float32)
    safe = np.maximum(ntok, 1)
    mean = lambda w: np.bincount(u, weights=w, minlength=n) / safe  # noqa: E731
    for col, flag in FLAG_MEANS:
        X[:, col] = mean(F[:, flag])
    X[:, 10] = np.minimum(np.bincount(u, weights=F[:, 9], minlength=n), 5)
    X[:, 1] = np.log1p(ntok)
    starts = np.concatenate([b.units.starts for b in bs])
    ends = np.concatenate([b.units.ends for b in bs])
    lens = (ends - starts).astype(np.float32)
    X[:, 0] = np.log1p(lens)
    # per-document median unit length (lengths are integers: the middle value, or the mean of
    # the two middle ones, is exact, as np.median's)
    lens_l = (ends - starts).tolist()
    med_l = []
    for a, b in zip(first.tolist(), st.unit_off[1:].tolist()):
        srt = sorted(lens_l[a:b])
        h = len(srt) // 2
        med_l.append(1.0 if b <= a else float(srt[h]) if len(srt) % 2 else (srt[h - 1] + srt[h]) / 2)
    med = np.array(med_l)
    med[med == 0] = 1.0
    X[:, 27] = np.log((lens + 1) / (med[doc] + 1))
    # one pass over the units for what needs their text
    last, bullet, code, dups, earlier, head = [], [], [], [], [], []
    for b in bs:
        text = b.units.text
        for s_, e_ in zip(b.units.starts.tolist(), b.units.ends.tolist()):
            c = text[e_ - 1]
            last.append(c)
            bullet.append(BULLET_RE.match(text, s_, s_ + 4) is not None)
            code.append(c == ")" and e_ - s_ < 400 and CODE_RE.search(text, s_, e_) is not None)
        counts: dict[bytes, int] = {}
        top = {key for key, blk in zip(b.unit_keys, b.units.block.tolist()) if blk < 5}
        for key in b.unit_keys:
            earlier.append(key in counts and key in top)
            counts[key] = counts.get(key, 0) + 1
        dups += [min(counts[key] - 1, 3) for key in b.unit_keys]
        head += head_copies(b)
    X[:, 5] = [c in ".!?\"”’'…)" for c in last]
    X[:, 6] = [c == ":" for c in last]
    X[:, 7] = bullet
    X[:, 25] = code
    X[:, 24] = dups
    X[:, 35] = earlier   # a copy of the unit appears earlier, in the first five blocks (a repeated headline)
    X[:, _HEAD_COPY] = head
    tok_url = np.concatenate([b.tok_url for b in bs])
    X[:, 8] = np.bincount(u, weights=tok_url[ok], minlength=n) > 0
    # position: blocks are numbered across the batch; local numbers per document
    blk_off = cumsum0([len(b.units.block_starts) for b in bs])
    nb = np.maximum(np.diff(blk_off), 1)[doc]
    blk = st.block - blk_off[:-1][doc]
    blk_counts = np.bincount(st.block)
    X[:, 13] = st.whole
    X[:, 14] = np.log1p(blk_counts[st.block])
    first_in_block = np.ones(n, dtype=bool)
    first_in_block[1:] = st.block[1:] != st.block[:-1]
    start_idx = np.maximum.accumulate(np.where(first_in_block, np.arange(n), 0))
    X[:, 15] = (np.arange(n) - start_idx) / np.maximum(blk_counts[st.block] - 1, 1)
    X[:, 16] = np.where(nb > 1, blk / np.maximum(nb - 1, 1), 0.0)
    X[:, 17] = np.minimum(nb - 1 - blk, 10) / 10
    X[:, 18] = np.minimum(blk, 10) / 10
    X[:, 19] = blk == 0
    X[:, 20] = blk == nb - 1
    # topicality: each unit's bag of topic words against the rest of its document and its first unit
    cols = np.concatenate([b.tok_topic for b in bs])[ok]
    is_first = np.zeros(n, dtype=bool)
    is_first[first[np.diff(st.unit_off) > 0]] = True
    X[:, 21], X[:, 22], X[:, 36], X[:, 37] = topic_similarities(u[cols >= 0], cols[cols >= 0], doc, is_first, n)
    keys = [k for b in bs for k in b.unit_keys]
    first_l = first.tolist()
    X[:, 23] = [w and i != first_l[d] and keys[i] == keys[first_l[d]]
                for i, (d, w) in enumerate(zip(doc.tolist(), st.whole.tolist()))]
    X[:, 26] = nb == 1
    # word scores: max/mean promo, max/mean boilerplate, share of promo-ish words
    P = W[ok]
    for j, col in ((28, PROMO), (30, BOILER)):
        mx = np.zeros(n, dtype=np.float32)
        np.maximum.at(mx, u, P[:, col])
        X[:, j] = mx
        X[:, j + 1] = mean(P[:, col])
    X[:, 32] = mean((P[:, PROMO] > 0.5).astype(np.float32))
    if doc_proba is not None:   # else zero: a model trained without the document stage
        X[:, _DOC_COLS[0]] = doc_proba[doc, DOC_GAMBLING_NEWS]
        X[:, _DOC_COLS[1]] = doc_proba[doc, DOC_PROMO]
    return X


def context_features(dense: np.ndarray, P1: np.ndarray, st: Stack) -> np.ndarray:
    """Stage-2 input for every unit of a batch: dense features, own and neighbouring (±2, same
    document) stage-1 probabilities and promo word scores (a brand next door), whether the
    neighbour shares the block and spans a whole block, and document aggregates (max promo,
    mean boilerplate)."""
    n, nd_cols = dense.shape
    out = np.empty((n, nd_cols + 3 + 4 * 7 + 2), dtype=np.float32)   # filled column block by block
    kernel = _compiled_features()
    if kernel is not None:
        kernel.context(np.ascontiguousarray(dense, np.float32), np.ascontiguousarray(P1, np.float32),
                       st.unit_doc, st.block, st.whole, st.unit_off, out)
        return out
    out[:, :nd_cols] = dense
    out[:, nd_cols:nd_cols + 3] = P1
    J = _neighbours(st.unit_doc, np.arange(n), (-2, -1, 1, 2))
    # per neighbour: P1 (3), promo word scores (2), same block (1), whole block (1)
    A = np.zeros((n + 1, 7), dtype=np.float32)   # the last row stays zero: index -1
    A[:n, :3] = P1
    A[:n, 3:5] = dense[:, [_PROMO_MAX, _PROMO_N]]
    A[:n, 6] = st.whole
    G = A[J]                                     # (4, n, 7)
    G[:, :, 5] = (J >= 0) & (st.block[np.maximum(J, 0)] == st.block[None, :])
    out[:, nd_cols + 3:nd_cols + 31] = G.transpose(1, 0, 2).reshape(n, 28)
    nd = len(st.unit_off) - 1
    mean_b = np.bincount(st.unit_doc, weights=P1[:, BOILER], minlength=nd) / np.maximum(np.diff(st.unit_off), 1)
    out[:, -2] = _doc_promo_max(P1, st)[st.unit_doc]
    out[:, -1] = mean_b[st.unit_doc]
    return out


def marker_distance(st: Stack, W: np.ndarray) -> np.ndarray:
    """Per token: how many tokens back, in the same unit, the last furniture marker word is
    (a word scoring boilerplate >= MARKER_MIN: "Baca", "Lihat", "Gambas"); MAX_AFTER_MARKER+1
    when there is none. Lets the token model follow a glued "Baca juga: <title>" to its end."""
    n = len(W)
    far = np.full(n, MAX_AFTER_MARKER + 1, dtype=np.int64)
    if not n:
        return far
    kernel = _compiled_features()
    if kernel is not None:   # the threshold in W's dtype, as numpy compares an array with a Python float
        kernel.marker(W, st.tok_unit, np.array(MARKER_MIN, W.dtype), far)
        return far
    idx = np.arange(n)
    last = np.maximum.accumulate(np.where(W[:, BOILER] >= MARKER_MIN, idx, -1))
    ok = (last >= 0) & (st.tok_unit[np.maximum(last, 0)] == st.tok_unit) & (st.tok_unit >= 0)
    return np.where(ok, np.minimum(idx - last, MAX_AFTER_MARKER + 1), far)


def candidates(W: np.ndarray, since: np.ndarray, st: Stack) -> np.ndarray:
    """Tokens next to (±1, same document) or at a word scoring promo or boilerplate ≥
    CANDIDATE_MIN, and the tokens up to MAX_AFTER_MARKER after a furniture marker in the same
    unit. Stopwords and bare numbers ("yang", "2") trigger nothing: their word scores carry no
    signal, and they are everywhere."""
    if not len(W):
        return np.zeros(0, dtype=np.int64)
    kernel = _compiled_features()
    if kernel is not None:
        return kernel.candidates(W, np.asarray(since, np.int64), st.tok_flags, st.tok_doc, st.tok_unit,
                                 len(st.unit_doc), np.array(MARKER_MIN, W.dtype), np.array(CANDIDATE_MIN, W.dtype))
    # promo-looking words, and furniture markers (common words that merely occur in furniture,
    # "pemerintah", "sekolah", score in between and trigger nothing)
    j = np.where(W[:, BOILER] >= MARKER_MIN, 1.0, W[:, PROMO])
    j = np.where((st.tok_flags[:, _STOP] > 0) | (st.tok_flags[:, _DIGIT] > 0), 0.0, j)
    m = j.copy()
    for k in (-1, 1):
        m = np.maximum(m, _take(j, st.near("tok", k)))
    # tokens after a marker matter only where furniture can be glued into running text
    # tokens outside every unit (tok_unit -1: e.g. a text of only invisible characters has
    # tokens but no units) read the appended 0
    unit_len = np.append(np.bincount(st.tok_unit[st.tok_unit >= 0], minlength=len(st.unit_doc)), 0)
    long_unit = unit_len[st.tok_unit] >= MIN_GLUED_UNIT
    return np.nonzero((m >= CANDIDATE_MIN) | ((since <= MAX_AFTER_MARKER) & long_unit))[0]


def token_features(st: Stack, W: np.ndarray, P1: np.ndarray, idx: np.ndarray, since: np.ndarray,
                   dense: np.ndarray) -> np.ndarray:
    """Token-model input for tokens ``idx`` of a batch: distance from the last furniture marker
    and the share of capitalised words since it, ±3 word scores, shapes of ±1, the unit's
    stage-1 probabilities, whether it spans its block, the document's max promo, the unit's
    two document columns (the page verdict, zero for a model trained without it; from the
    unit's row of ``dense``, the batch's ``dense_features``), and in how many other units the
    word recurs."""
    m, nf = len(idx), st.tok_flags.shape[1]
    nw = 2 * WINDOW + 1
    out = np.empty((m, 2 + 2 * nw + 3 * nf + 3 + 1 + 1 + 2 + 1), dtype=np.float32)   # filled block by block
    kernel = _compiled_features()
    if kernel is not None:
        kernel.token(st.tok_flags, np.ascontiguousarray(W, np.float32), np.ascontiguousarray(P1, np.float32),
                     np.asarray(idx, np.int64), np.asarray(since, np.int64), np.ascontiguousarray(dense, np.float32),
                     st.tok_doc, st.tok_unit, st.unit_doc, st.unit_off, st.whole, out)
        out[:, -1] = token_repeats(st, idx)
        return out
    caps = cumsum0(st.tok_flags[:, 2], np.float64)
    d = since[idx]
    start = np.maximum(idx - np.minimum(d, MAX_AFTER_MARKER), 0)
    cap_share = (caps[idx + 1] - caps[start]) / np.maximum(idx + 1 - start, 1)
    out[:, 0] = np.minimum(d, MAX_AFTER_MARKER + 1) / (MAX_AFTER_MARKER + 1)
    out[:, 1] = np.where(d <= MAX_AFTER_MARKER, cap_share, -1.0)
    J = _neighbours(st.tok_doc, idx, range(-WINDOW, WINDOW + 1))
    c = 2 + 2 * nw
    out[:, 2:c] = _take_padded(W[:, [PROMO, BOILER]], J)
    out[:, c:c + 3 * nf] = _take_padded(st.tok_flags, J[WINDOW - 1:WINDOW + 2])
    c += 3 * nf
    doc = st.tok_doc[idx]
    has_units = np.diff(st.unit_off)[doc] > 0
    # a token outside every unit takes its document's first unit
    unit = np.where(st.tok_unit[idx] >= 0, st.tok_unit[idx], st.unit_off[:-1][doc])
    unit = np.where(has_units, unit, -1)
    U = np.zeros((len(P1), 6), dtype=np.float32)
    U[:, :3] = P1
    U[:, 3] = st.whole
    U[:, 4:6] = dense[:, _DOC_COLS]
    Ut = _take_padded(U, unit[None, :])
    out[:, c:c + 4] = Ut[:, :4]
    out[:, c + 4] = _doc_promo_max(P1, st)[doc]
    out[:, c + 5:c + 7] = Ut[:, 4:6]   # the unit's document columns: the page verdict
    out[:, c + 7] = token_repeats(st, idx)
    return out



# ---------------------------------------------------------------- compiled context and token passes
# ``context_features`` and ``token_features`` are a few dozen small numpy calls each: on one
# document their fixed cost is most of their time (scripts/bench_stages.py: 0.18 ms of a
# 2.7 ms ``clean()`` against 0.03 ms per document in a batch). With numba (the ``fast`` extra)
# each is one compiled loop with the same arithmetic in the same order (float64 sums and
# quotients cast to float32 once, as numpy does), so the same bits;
# ``FILTER_COMPILED_FEATURES=0`` switches them off with the other compiled feature passes.

def _context_kernel(dense, P1, unit_doc, block, whole, unit_off, out):  # pragma: no cover - compiled
    n, nd = dense.shape
    ndoc = unit_off.shape[0] - 1
    pmax = np.zeros(ndoc, np.float32)
    bsum = np.zeros(ndoc, np.float64)
    for i in range(n):
        d = unit_doc[i]
        if P1[i, PROMO] > pmax[d]:
            pmax[d] = P1[i, PROMO]
        bsum[d] += np.float64(P1[i, BOILER])
    width = out.shape[1]
    for i in range(n):
        for c in range(nd):
            out[i, c] = dense[i, c]
        for c in range(3):
            out[i, nd + c] = P1[i, c]
        d = unit_doc[i]
        q = 0
        for k in (-2, -1, 1, 2):
            j = i + k
            c = nd + 3 + 7 * q
            if j >= 0 and j < n and unit_doc[j] == d:
                out[i, c] = P1[j, 0]
                out[i, c + 1] = P1[j, 1]
                out[i, c + 2] = P1[j, 2]
                out[i, c + 3] = dense[j, _PROMO_MAX]
                out[i, c + 4] = dense[j, _PROMO_N]
                out[i, c + 5] = 1.0 if block[j] == block[i] else 0.0
                out[i, c + 6] = 1.0 if whole[j] else 0.0
            else:
                for x in range(7):
                    out[i, c + x] = 0.0
            q += 1
        out[i, width - 2] = pmax[d]
        out[i, width - 1] = bsum[d] / max(unit_off[d + 1] - unit_off[d], 1)


def _token_kernel(flags, W, P1, idx, since, dense, tok_doc, tok_unit, unit_doc, unit_off, whole,
                  out):  # pragma: no cover - compiled
    """``token_features`` but its last column (``token_repeats``, filled by the caller)."""
    ntok, nf = flags.shape
    caps = np.zeros(ntok + 1, np.float64)
    for i in range(ntok):
        caps[i + 1] = caps[i] + np.float64(flags[i, 2])
    ndoc = unit_off.shape[0] - 1
    pmax = np.zeros(ndoc, np.float32)
    for u in range(unit_doc.shape[0]):
        if P1[u, PROMO] > pmax[unit_doc[u]]:
            pmax[unit_doc[u]] = P1[u, PROMO]
    nw = 2 * WINDOW + 1
    c0 = 2 + 2 * nw
    c1 = c0 + 3 * nf
    for r in range(idx.shape[0]):
        i = idx[r]
        d = since[i]
        start = max(i - min(d, MAX_AFTER_MARKER), 0)
        cap_share = (caps[i + 1] - caps[start]) / max(i + 1 - start, 1)
        out[r, 0] = min(d, MAX_AFTER_MARKER + 1) / (MAX_AFTER_MARKER + 1)
        out[r, 1] = cap_share if d <= MAX_AFTER_MARKER else -1.0
        doc = tok_doc[i]
        for q in range(nw):
            j = i + q - WINDOW
            ok = j >= 0 and j < ntok and tok_doc[j] == doc
            out[r, 2 + 2 * q] = W[j, PROMO] if ok else 0.0
            out[r, 3 + 2 * q] = W[j, BOILER] if ok else 0.0
            if q >= WINDOW - 1 and q <= WINDOW + 1:
                c = c0 + (q - WINDOW + 1) * nf
                for f in range(nf):
                    out[r, c + f] = flags[j, f] if ok else 0.0
        unit = tok_unit[i] if tok_unit[i] >= 0 else unit_off[doc]
        if unit_off[doc + 1] - unit_off[doc] > 0:
            out[r, c1] = P1[unit, 0]
            out[r, c1 + 1] = P1[unit, 1]
            out[r, c1 + 2] = P1[unit, 2]
            out[r, c1 + 3] = 1.0 if whole[unit] else 0.0
            out[r, c1 + 5] = dense[unit, _DOC_COL_GN]
            out[r, c1 + 6] = dense[unit, _DOC_COL_PROMO]
        else:
            for x in (0, 1, 2, 3, 5, 6):
                out[r, c1 + x] = 0.0
        out[r, c1 + 4] = pmax[doc]


def _marker_kernel(W, tok_unit, marker_min, out):  # pragma: no cover - compiled
    """``marker_distance`` into ``out`` (filled with MAX_AFTER_MARKER + 1 by the caller)."""
    last = -1
    for i in range(W.shape[0]):
        if W[i, BOILER] >= marker_min:
            last = i
        if last >= 0 and tok_unit[i] >= 0 and tok_unit[last] == tok_unit[i]:
            out[i] = min(i - last, MAX_AFTER_MARKER + 1)


def _candidates_kernel(W, since, flags, tok_doc, tok_unit, n_units, marker_min,
                       candidate_min):  # pragma: no cover - compiled
    """``candidates``: the thresholds come in W's dtype (numpy compares in it)."""
    n = W.shape[0]
    j = np.empty(n, W.dtype)
    for i in range(n):
        j[i] = 1.0 if W[i, BOILER] >= marker_min else W[i, PROMO]
        if flags[i, _STOP] > 0 or flags[i, _DIGIT] > 0:
            j[i] = 0.0
    unit_len = np.zeros(n_units, np.int64)
    for i in range(n):
        if tok_unit[i] >= 0:
            unit_len[tok_unit[i]] += 1
    out = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        m = j[i]
        if i > 0 and tok_doc[i - 1] == tok_doc[i] and j[i - 1] > m:
            m = j[i - 1]
        if i + 1 < n and tok_doc[i + 1] == tok_doc[i] and j[i + 1] > m:
            m = j[i + 1]
        ulen = unit_len[tok_unit[i]] if tok_unit[i] >= 0 else 0
        if m >= candidate_min or (since[i] <= MAX_AFTER_MARKER and ulen >= MIN_GLUED_UNIT):
            out[k] = i
            k += 1
    return out[:k]


def _repeats_kernel(tok_unit, tok_hash, unit_doc, tok_doc, idx):  # pragma: no cover - compiled
    """``token_repeats``: the same distinct (unit, word) and (document, word) keys, sorted."""
    out = np.zeros(idx.shape[0], np.float32)
    n = 0
    for i in range(tok_unit.shape[0]):
        if tok_unit[i] >= 0:
            n += 1
    if idx.shape[0] == 0 or n == 0:
        return out
    pairs = np.empty(n, np.int64)
    k = 0
    for i in range(tok_unit.shape[0]):
        if tok_unit[i] >= 0:
            pairs[k] = (tok_unit[i] << 32) | np.int64(tok_hash[i])
            k += 1
    pairs = np.sort(pairs)
    keys = np.empty(n, np.int64)
    m = 0
    for q in range(n):
        if q == 0 or pairs[q] != pairs[q - 1]:
            keys[m] = (unit_doc[pairs[q] >> 32] << 32) | (pairs[q] & 0xFFFFFFFF)
            m += 1
    keys = np.sort(keys[:m])
    words = np.empty(m, np.int64)
    per_word = np.empty(m, np.int64)
    w = 0
    for q in range(m):
        if q == 0 or keys[q] != keys[q - 1]:
            words[w] = keys[q]
            per_word[w] = 0
            w += 1
        per_word[w - 1] += 1
    words, per_word = words[:w], per_word[:w]
    for r in range(idx.shape[0]):
        key = (tok_doc[idx[r]] << 32) | np.int64(tok_hash[idx[r]])
        pos = min(np.searchsorted(words, key), w - 1)
        units = per_word[pos] if words[pos] == key else 1
        out[r] = min(units - 1, 3) / 3
    return out


class _Kernels(NamedTuple):
    context: Any
    token: Any
    marker: Any
    candidates: Any
    repeats: Any


_DOC_COL_GN, _DOC_COL_PROMO = _DOC_COLS
_COMPILED_FEATURES: list = []   # the compiled _Kernels once loaded ([None]: not available)


def _compiled_features() -> _Kernels | None:
    """The compiled context, token, marker, candidate and repeat passes, or None (numba absent
    or ``FILTER_COMPILED_FEATURES=0``)."""
    if not _COMPILED_FEATURES:
        from filter.jit import jit_or_none

        fns = (_context_kernel, _token_kernel, _marker_kernel, _candidates_kernel, _repeats_kernel)
        first = jit_or_none(fns[0], "FILTER_COMPILED_FEATURES")
        _COMPILED_FEATURES.append(None if first is None else
                                  _Kernels(first, *(jit_or_none(f, "FILTER_COMPILED_FEATURES") for f in fns[1:])))
    return _COMPILED_FEATURES[0]


class FilterModel:
    """The trained filter model: ``predict_spans(text)`` returns scored promo/boilerplate spans.

    Fit with ``filter.training.fit.fit_model`` (it needs out-of-fold predictions across documents);
    this class holds the fitted parts and the inference path.
    """

    def __init__(self, random_state: int = 0, n_folds: int = 3, unit_features: int = 2 ** 18,
                 unit_alpha: float = 2e-6, max_iter: int = 100, tok_max_iter: int = 60,
                 content_rate: float = 0.2):
        self.random_state = random_state
        self.content_rate = content_rate
        self.n_folds = n_folds
        self.unit_features = unit_features
        self.unit_alpha = unit_alpha
        self.max_iter = max_iter
        self.tok_max_iter = tok_max_iter

    # fitted attributes (set by filter.training.fit): words_, unit_clf_, scaler_, ctx_clf_, tok_clf_,
    # kind_clf_, stopwords_, lexicon_, reader_, thresholds, version, meta_

    # ------------------------------------------------------------ featurisation
    def vocab(self) -> TokenVocab:
        """The token vocabulary cache of this model instance (created on first use)."""
        v = self.__dict__.get("_vocab")
        if v is None:
            v = self.__dict__.setdefault("_vocab", TokenVocab(self.lexicon_, self.stopwords_, reader=self.reader_))
        return v

    def bases(self, texts: Sequence[str]) -> list[Base]:
        """Units, tokens and model-independent features of a batch of documents."""
        units = [make_units(t) for t in texts]
        vocab = self.vocab()
        with vocab.lock:   # the shared vocabulary grows in place: one batch at a time
            return self._bases(texts, units, vocab)

    def _bases(self, texts: Sequence[str], units: list[Units], vocab: TokenVocab) -> list[Base]:
        if len(vocab) > vocab.max_size:
            vocab.clear()
        spans_of, ids_of = [], []
        for t in texts:
            se = token_offsets(t)
            if se is not None:   # the compiled scan (``filter.features.token_offsets``)
                spans_of.append(se)
                ids_of.append(vocab.intern([t[s:e] for s, e in se.tolist()]))
                continue
            # split keeps the tokens (odd items) and the gaps between them: offsets by cumsum
            parts = _TOKEN_SPLIT.split(t)
            bounds = cumsum0(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
            spans_of.append(np.column_stack([bounds[1:-1:2], bounds[2::2]]))
            ids_of.append(vocab.intern(parts[1::2]))
        vocab.sync()
        out = []
        for text, u, se, ids in zip(texts, units, spans_of, ids_of):
            tok_unit = _unit_of_tokens(u, se[:, 0])
            tok_hash = vocab.hash[ids]
            flags = token_flags(text, se, vocab.flags[ids], tok_unit)
            out.append(Base(u, se, ids, list(map(vocab.norm.__getitem__, ids.tolist())), tok_hash, tok_unit, flags,
                            vocab.url[ids], vocab.topic_col[ids], _unit_keys(u, se[:, 0], tok_hash),
                            _spaced_runs(se, ids, tok_unit, vocab)))
        return out

    def base(self, text: str) -> Base:
        return self.bases([text])[0]

    def unit_entries(self, bs: Sequence[Base], st: Stack, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stage-1 input as sparse entries (row-major, columns ascending within a row): hashed
        word uni- and bigrams of each unit (l2-normalised), then the scaled dense features in
        columns ``unit_features ...``."""
        rows = st.tok_unit
        h = np.concatenate([b.tok_hash for b in bs]) if bs else np.zeros(0, np.uint64)
        pair = (rows[1:] == rows[:-1]) & (rows[1:] >= 0)
        R = [rows[rows >= 0], rows[1:][pair]]
        H = [h[rows >= 0], _bigram(h[:-1][pair], h[1:][pair])]
        # letter+digit words (brand-shaped) also count as one placeholder word, so "daftar
        # <brand> sekarang" generalises to brands never seen in training
        mixed = (st.tok_flags[:, 0] > 0) & (rows >= 0) if len(rows) else np.zeros(0, bool)
        if mixed.any():
            hp = np.where(mixed, _PLACEHOLDER, h)
            near = pair & (mixed[1:] | mixed[:-1])
            R += [rows[mixed], rows[1:][near]]
            H += [hp[mixed], _bigram(hp[:-1][near], hp[1:][near])]
        spaced = [(r[0] + st.unit_off[i], r[1]) for i, b in enumerate(bs) for r in b.spaced]
        if spaced:
            R.append(np.array([x for x, _ in spaced], np.int64))
            H.append(np.array([x for _, x in spaced], np.uint64))
        n = len(st.unit_doc)
        cols = (np.concatenate(H) % np.uint64(self.unit_features)).astype(np.int64)
        r, c, v = l2_rows(np.concatenate(R), cols, n)
        D = as_scaler(self.scaler_).transform(dense)
        dr, dc = np.nonzero(D)
        # word entries first, then dense ones: within each row, columns ascend (CSR order)
        rows = np.concatenate([r, dr])
        order = np.argsort(rows, kind="stable")
        return (rows[order], np.concatenate([c, dc + self.unit_features])[order],
                np.concatenate([v, D[dr, dc].astype(np.float64)])[order])

    def unit_matrix(self, bs: Sequence[Base], st: Stack, dense: np.ndarray):
        """Stage-1 input as a scipy CSR matrix (training)."""
        import scipy.sparse as sp

        r, c, v = self.unit_entries(bs, st, dense)
        return sp.csr_matrix((v, (r, c)), shape=(len(st.unit_doc), self.unit_features + dense.shape[1]))

    def _tree_proba(self, name: str, X: np.ndarray) -> np.ndarray:
        """Boosted-tree probabilities (``filter.trees``: the same values as scikit-learn's)."""
        return as_trees(getattr(self, name)).predict_proba(X)

    @property
    def uses_doc_verdict(self) -> bool:
        """Whether the span stages take the document model's verdict as a feature (models
        trained with ``fit_model(doc_proba=...)``)."""
        return bool(getattr(self, "doc_features_", False))

    def attach_doc_model(self, doc_model: Any) -> "FilterModel":
        """A copy of this model (sharing its arrays) whose span stages read the verdict of
        ``doc_model`` — the one they were trained with — when no ``doc_proba`` is passed.
        ``Cleaner`` pairs its own copy; the shared model itself is never changed."""
        import copy

        twin = copy.copy(self)
        twin.__dict__["_doc_model"] = doc_model
        return twin

    @property
    def paired_doc_model(self) -> Any:
        """The document model ``attach_doc_model`` paired this copy with (None if unpaired)."""
        return self.__dict__.get("_doc_model")

    def _doc_proba(self, texts: Sequence[str], doc_proba: np.ndarray | None) -> np.ndarray | None:
        if not self.uses_doc_verdict:
            return None
        if doc_proba is not None:
            a = np.asarray(doc_proba, dtype=np.float32)
            if a.shape != (len(texts), len(DOC_CLASSES)):
                raise ValueError(f"doc_proba has shape {a.shape}; expected ({len(texts)}, {len(DOC_CLASSES)}), "
                                 f"one row per text")
            return a
        dm = self.__dict__.get("_doc_model")
        if dm is None:
            raise ModelError("this span model takes the document model's verdict as a feature: load it with "
                             "Cleaner.load() or call attach_doc_model(filter.doc.load_doc_model(...))")
        return dm.predict_proba(list(texts)).astype(np.float32)

    def analyze_many(self, texts: Sequence[str], doc_proba: np.ndarray | None = None) -> list[Analysis]:
        """Run every model on a batch of documents (one model call per stage for the batch);
        ``doc_proba``: the document model's probabilities per text (else computed when needed)."""
        doc_proba = self._doc_proba(texts, doc_proba)
        vocab = self.vocab()
        with vocab.lock:   # token ids are valid for the vocabulary state they were read from
            bs = self.bases(texts)
            ids = np.concatenate([b.tok_ids for b in bs]) if bs else np.zeros(0, np.int64)
            W_all = vocab.probabilities(ids, self.words_)
        ntok = cumsum0([len(b.toks) for b in bs])
        nun = cumsum0([len(b.units) for b in bs])
        Ws = [W_all[ntok[i]:ntok[i + 1]] for i in range(len(bs))]
        P2s: list[np.ndarray] = [np.zeros((0, 3), np.float32)] * len(bs)
        kinds_all: list[str] = []
        st = Stack.of(bs)
        P1 = np.zeros((int(nun[-1]), 3), np.float32)
        dense = np.zeros((0, len(DENSE_NAMES)), np.float32)
        if nun[-1]:
            dense = dense_features(bs, W_all, st, doc_proba)
            r1, c1, v1 = self.unit_entries(bs, st, dense)
            unit_lin = as_linear(self.unit_clf_)
            P1[:, unit_lin.classes_] = unit_lin.proba_entries(r1, c1, v1, len(P1))
            X2 = context_features(dense, P1, st)
            P2 = np.zeros_like(P1)
            P2[:, self.ctx_clf_.classes_] = self._tree_proba("ctx_clf_", X2)
            P2s = [P2[nun[i]:nun[i + 1]] for i in range(len(bs))]
            kinds_all = ["boilerplate"] * len(P2)
            # kinds only where a boilerplate span is possible (saves the 11-class model elsewhere)
            rows = np.nonzero(P2[:, BOILER] >= KIND_MIN)[0]
            if self.kind_clf_ is not None and len(rows):
                kind_lin = as_linear(self.kind_clf_)
                pos = np.full(len(P2), -1)
                pos[rows] = np.arange(len(rows))
                sel = pos[r1] >= 0
                kp = kind_lin.proba_entries(pos[r1[sel]], c1[sel], v1[sel], len(rows))
                for r, k in zip(rows.tolist(), kind_lin.classes_[kp.argmax(axis=1)].tolist()):
                    kinds_all[r] = k
        since = marker_distance(st, W_all)
        cand = candidates(W_all, since, st)
        # the token model sees the unit's stage-1 probabilities (out-of-fold in training)
        CP = np.zeros((len(cand), 3), np.float32)
        if len(cand):
            CP[:, self.tok_clf_.classes_] = self._tree_proba("tok_clf_", token_features(st, W_all, P1, cand, since, dense))
        cut = np.searchsorted(cand, st.tok_off)
        cands = [cand[cut[i]:cut[i + 1]] - st.tok_off[i] for i in range(len(bs))]
        spaced_words = [r[4] for b in bs for r in b.spaced]
        spaced_p = self.words_.predict_proba(spaced_words)[:, PROMO].tolist() if spaced_words else []
        out, soff = [], 0
        for i, b in enumerate(bs):
            c = cands[i]
            cp = CP[cut[i]:cut[i + 1]]
            kinds = kinds_all[nun[i]:nun[i + 1]] if kinds_all else [""] * len(b.units)
            out.append(Analysis(b, P2s[i], c, cp, Ws[i], unit_kinds=kinds, spaced_promo=spaced_p[soff:soff + len(b.spaced)]))
            soff += len(b.spaced)
        return out

    def analyze(self, text: str) -> Analysis:
        return self.analyze_many([text])[0]

    def decode(self, a: Analysis, thresholds: dict[str, float] | None = None,
               config: DecodeConfig | None = None) -> list[Span]:
        """Spans of an analysed document under per-label ``thresholds`` and a decode ``config``
        (defaults: the model's own); the steps are in ``filter.decode``."""
        return decode_steps(self, a, thresholds, config).spans

    # ------------------------------------------------------------ public inference
    def predict_spans(self, text: str, thresholds: dict[str, float] | None = None) -> list[Span]:
        """Scored spans, sorted and non-overlapping, for the given (or stored) per-label thresholds."""
        return self.predict_spans_many([text], thresholds)[0]

    def predict_spans_many(self, texts: Sequence[str], thresholds: dict[str, float] | None = None,
                           counts: dict[str, int] | None = None,
                           doc_proba: np.ndarray | None = None) -> list[list[Span]]:
        """``predict_spans`` for a batch: much faster per document than one call each. When
        ``counts`` is given, each decode step's firings over the batch are added to it (the
        caller owns the dict, so a shared model stays thread-safe). Memory stays bounded: the
        batch runs in parts of at most ``MAX_BATCH_CHARS`` characters, and a document longer
        than ``filter.window.LONG_DOC_CHARS`` is read in overlapping windows, each with the
        whole document's verdict (``doc_proba``, computed here when not given)."""
        from filter.window import LONG_DOC_CHARS, predict_windowed

        doc_proba = self._doc_proba(texts, doc_proba)

        out: list[list[Span]] = [[] for _ in texts]
        part: list[int] = []
        size = 0

        def run(part: list[int]) -> None:
            dp = None if doc_proba is None else doc_proba[part]
            for j, a in zip(part, self.analyze_many([texts[j] for j in part], dp)):
                r = decode_steps(self, a, thresholds)
                out[j] = r.spans
                if counts is not None:
                    add_counts(counts, r.counts)

        for i, t in enumerate(texts):
            if not t or t.isspace():   # (not t.strip(): that copies a long document)
                continue
            if len(t) > LONG_DOC_CHARS:
                row = None if doc_proba is None else doc_proba[i:i + 1]
                out[i] = predict_windowed(lambda ts: self.predict_spans_many(
                    ts, thresholds, counts, None if row is None else np.repeat(row, len(ts), axis=0)), t)
                continue
            part.append(i)
            size += len(t)
            if size >= MAX_BATCH_CHARS:
                run(part)
                part, size = [], 0
        if part:
            run(part)
        return out

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state):
        self.__dict__.update(state)


__all__ = ["FilterModel", "WordScorer", "Analysis", "Base", "Stack", "DENSE_NAMES"]
