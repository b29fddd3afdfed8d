"""The span model: classify units and tokens, then decode spans.

Four learned parts, all scikit-learn:

1. ``WordScorer`` — p(content/promo/boilerplate | word) from character n-grams, word shape
   and identity of the *normalised* word (robust to unseen brand spellings). Scores for the
   training vocabulary are precomputed into a table; only unseen words are featurised.
2. Unit model (stage 1) — a linear model over hashed word n-grams of each sentence/line plus
   dense shape, position, topicality and word-score aggregates.
3. Context model (stage 2, stacked sequential learning) — gradient boosting over the stage-1
   *out-of-fold* probabilities of the unit and its neighbours plus the dense features.
4. Token model — gradient boosting over word scores in a ±3 window, token shape and the
   unit's context probabilities: finds promotion inserted *inside* a content sentence.

``analyze`` runs the models on a text; ``decode`` turns probabilities into spans for given
per-label thresholds (so thresholds can be swept without re-running the models).
"""
from __future__ import annotations

import bisect
import re
import weakref
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

from filter.features import (
    CLASSES, DENSE_NAMES, Units, coverage_labels, cosine_topicality, dense_unit_features,
    intrinsic_flags, make_units, token_flags, tokenize,
)
from filter.normalize import deleet, normalize
from filter.spans import Span

PROMO, BOILER = 1, 2
WINDOW = 3          # token model context: ±3 words
NEIGH = 2           # stage-2 context: ±2 units
CANDIDATE_MIN = 0.35  # token model runs where a neighbouring word scores at least this much junk
MIN_GLUED_UNIT = 15   # boilerplate token runs only inside units of at least this many tokens
SMALL_BATCH = 64      # below this many rows, boosted trees run through filter.trees


# ---------------------------------------------------------------- fast linear scoring

_COEF_T: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # memo: contiguous coef_.T per model


def linear_proba(clf: SGDClassifier, X) -> np.ndarray:
    """``clf.predict_proba(X)`` for a one-vs-rest log-loss model, with a cached contiguous
    coefficient matrix (scikit-learn copies ``coef_.T`` on every call)."""
    coef_t = _COEF_T.get(clf)
    if coef_t is None:
        coef_t = _COEF_T[clf] = np.ascontiguousarray(clf.coef_.T)
    z = np.asarray(X @ coef_t) + clf.intercept_
    p = expit(z)
    if p.shape[1] == 1:
        return np.column_stack([1 - p[:, 0], p[:, 0]])
    s = p.sum(axis=1, keepdims=True)
    return np.divide(p, s, out=np.full_like(p, 1.0 / p.shape[1]), where=s > 0)


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


class WordScorer(BaseEstimator, ClassifierMixin):
    """p(class | word) for normalised words; a lookup table covers the training vocabulary."""

    def __init__(self, n_features: int = 2 ** 19, alpha: float = 1e-6, table_min_count: int = 2,
                 random_state: int = 0):
        self.n_features = n_features
        self.alpha = alpha
        self.table_min_count = table_min_count
        self.random_state = random_state

    def _vec(self) -> HashingVectorizer:
        return HashingVectorizer(analyzer=word_analyzer, n_features=self.n_features,
                                 alternate_sign=False, norm="l2")

    def fit(self, X, y: np.ndarray, sample_weight: np.ndarray | None = None, *, words: Sequence[str]):
        """Fit on hashed word features ``X`` (rows = ``words``; see ``_vec``)."""
        self.clf_ = SGDClassifier(loss="log_loss", alpha=self.alpha, max_iter=15, tol=None,
                                  random_state=self.random_state, n_jobs=2)
        self.clf_.fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.clf_.classes_
        weight: dict[str, float] = {}
        first: dict[str, int] = {}
        sw = sample_weight if sample_weight is not None else np.ones(len(words))
        for i, (w, c) in enumerate(zip(words, sw)):
            weight[w] = weight.get(w, 0.0) + float(c)
            first.setdefault(w, i)
        vocab = sorted(w for w, c in weight.items() if c >= self.table_min_count)
        probs = np.zeros((len(vocab), len(CLASSES)), dtype=np.float32)
        if vocab:
            probs[:, self.clf_.classes_] = linear_proba(self.clf_, X[[first[w] for w in vocab]])
        self.table_ = {w: i for i, w in enumerate(vocab)}
        self.table_probs_ = probs.astype(np.float16)
        return self

    def _raw_proba(self, words: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(words), len(CLASSES)), dtype=np.float32)
        if not len(words):
            return out
        p = linear_proba(self.clf_, self._vec().transform(words))
        out[:, self.clf_.classes_] = p
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


# ---------------------------------------------------------------- per-document analysis

@dataclass
class Base:
    """Model-independent features of one document."""

    units: Units
    norm_units: list[str]
    toks: list[tuple[int, int]]
    tok_norm: list[str]
    tok_unit: np.ndarray
    tok_flags: np.ndarray
    topic: np.ndarray
    title_sim: np.ndarray


@dataclass
class Analysis:
    """Model outputs for one document, ready to decode under any thresholds."""

    base: Base
    unit_proba: np.ndarray                     # stage-2 probabilities (n_units × 3)
    cand: np.ndarray                           # token indices scored by the token model
    cand_proba: np.ndarray                     # their probabilities (n_cand × 3)
    tok_word_proba: np.ndarray                 # word-scorer probabilities of every token
    unit_kinds: list[str] = field(default_factory=list)


def _unit_of_tokens(units: Units, toks: list[tuple[int, int]]) -> np.ndarray:
    if not toks or not len(units):
        return np.full(len(toks), -1, dtype=np.int64)
    starts = np.fromiter((s for s, _ in toks), dtype=np.int64, count=len(toks))
    u = np.searchsorted(units.starts, starts, side="right") - 1
    u = np.clip(u, 0, len(units) - 1)
    inside = (starts >= units.starts[u]) & (starts < units.ends[u])
    return np.where(inside, u, -1)


def tok_stats(units: Units, tok_unit: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per unit: max/mean promo, max/mean boilerplate word score, share of promo-ish words."""
    n = len(units)
    out = np.zeros((n, 5), dtype=np.float32)
    if n == 0 or len(tok_unit) == 0:
        return out
    ok = tok_unit >= 0
    u = tok_unit[ok]
    p = P[ok]
    cnt = np.bincount(u, minlength=n).astype(np.float32)
    safe = np.maximum(cnt, 1)
    for j, col in ((0, PROMO), (2, BOILER)):
        mx = np.zeros(n, dtype=np.float32)
        np.maximum.at(mx, u, p[:, col])
        out[:, j] = mx
        out[:, j + 1] = np.bincount(u, weights=p[:, col], minlength=n) / safe
    out[:, 4] = np.bincount(u, weights=(p[:, PROMO] > 0.5).astype(np.float32), minlength=n) / safe
    return out


def _shift(A: np.ndarray, k: int, fill: float = 0.0) -> np.ndarray:
    """Row i of the result is row i+k of A (fill outside)."""
    out = np.full_like(A, fill)
    n = len(A)
    if k > 0 and k < n:
        out[:n - k] = A[k:]
    elif k < 0 and -k < n:
        out[-k:] = A[:n + k]
    elif k == 0:
        out[:] = A
    return out


def context_features(dense: np.ndarray, P1: np.ndarray, units: Units) -> np.ndarray:
    """Stage-2 input: dense features, own and neighbouring stage-1 probabilities, doc aggregates."""
    n = len(dense)
    cols = [dense, P1]
    for k in (-2, -1, 1, 2):
        cols.append(_shift(P1, k))
        same = _shift(units.block[:, None].astype(np.float32), k, -1.0)[:, 0] == units.block
        cols.append(same[:, None].astype(np.float32))
        cols.append(_shift(units.whole[:, None].astype(np.float32), k))
    doc = np.tile(np.r_[P1[:, PROMO].max(initial=0), P1[:, BOILER].mean() if n else 0.0], (n, 1))
    cols.append(doc.astype(np.float32))
    return np.hstack(cols).astype(np.float32)


def token_features(base: Base, W: np.ndarray, unit_proba: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Token-model input for tokens ``idx``: ±3 word scores, shapes of ±1, unit probabilities."""
    cols = []
    junk = W[:, [PROMO, BOILER]]
    for k in range(-WINDOW, WINDOW + 1):
        cols.append(_shift(junk, k)[idx])
    for k in (-1, 0, 1):
        cols.append(_shift(base.tok_flags, k)[idx])
    tu = base.tok_unit[idx]
    up = unit_proba[np.maximum(tu, 0)] if len(unit_proba) else np.zeros((len(idx), 3), np.float32)
    cols.append(up)
    cols.append(base.units.whole[np.maximum(tu, 0)][:, None].astype(np.float32) if len(base.units) else np.zeros((len(idx), 1), np.float32))
    doc = unit_proba[:, PROMO].max(initial=0) if len(unit_proba) else 0.0
    cols.append(np.full((len(idx), 1), doc, dtype=np.float32))
    return np.hstack(cols).astype(np.float32)


def candidates(W: np.ndarray) -> np.ndarray:
    """Tokens next to (±1) or at a word scoring promo or boilerplate ≥ CANDIDATE_MIN."""
    if not len(W):
        return np.zeros(0, dtype=np.int64)
    j = np.maximum(W[:, PROMO], W[:, BOILER])
    m = j.copy()
    for k in (-1, 1):
        m = np.maximum(m, _shift(j[:, None], k)[:, 0])
    return np.nonzero(m >= CANDIDATE_MIN)[0]


# ---------------------------------------------------------------- decoding

_INLINE_WS = " \t\xa0\u200b\u200e\u200f\u3000"


def attach_whitespace(text: str, spans: list[Span], whole: set[tuple[int, int]]) -> list[Span]:
    """Give each sub-line span one adjoining whitespace run (FORMAT.md geometry).

    The run after it when text follows on the same line, otherwise the run before it;
    never into another span. ``whole`` lists spans that are whole lines (left as is).
    """
    spans = sorted(spans, key=lambda s: s.start)
    out: list[Span] = []
    for i, s in enumerate(spans):
        if (s.start, s.end) in whole:
            out.append(s)
            continue
        nxt_start = spans[i + 1].start if i + 1 < len(spans) else len(text)
        e = s.end
        while e < nxt_start and text[e] in _INLINE_WS:
            e += 1
        if e > s.end and e < len(text) and text[e] not in "\r\n":
            out.append(Span(s.start, e, s.label, s.kind, s.score))
            continue
        prev_end = out[-1].end if out else 0
        b = s.start
        while b > prev_end and text[b - 1] in _INLINE_WS:
            b -= 1
        out.append(Span(b, s.end, s.label, s.kind, s.score))
    return out


def merge_touching(spans: list[Span]) -> list[Span]:
    """Merge spans of the same label that touch; the merged score is the minimum."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: s.start):
        if out and out[-1].label == s.label and out[-1].end >= s.start:
            p = out[-1]
            kind = p.kind if p.kind == s.kind else (p.kind if (p.end - p.start) >= (s.end - s.start) else s.kind)
            out[-1] = Span(p.start, max(p.end, s.end), p.label, kind, min(p.score, s.score))
        else:
            out.append(s)
    return out


class FilterModel(BaseEstimator):
    """The trained filter model: ``predict_spans(text)`` returns scored promo/boilerplate spans.

    Fit with ``filter.train.fit_model`` (it needs out-of-fold predictions across documents);
    this class holds the fitted parts and the inference path.
    """

    def __init__(self, random_state: int = 0, n_folds: int = 3, unit_features: int = 2 ** 18,
                 unit_alpha: float = 2e-6, max_iter: int = 150, content_rate: float = 0.2):
        self.random_state = random_state
        self.content_rate = content_rate
        self.n_folds = n_folds
        self.unit_features = unit_features
        self.unit_alpha = unit_alpha
        self.max_iter = max_iter

    # fitted attributes (set by filter.train): words_, unit_clf_, scaler_, ctx_clf_, tok_clf_,
    # kind_clf_, stopwords_, lexicon_, thresholds, version, meta_

    # ------------------------------------------------------------ vectorizers
    def unit_vectorizer(self) -> HashingVectorizer:
        return HashingVectorizer(n_features=self.unit_features, ngram_range=(1, 2), alternate_sign=False,
                                 lowercase=False, token_pattern=r"(?u)\b\w+\b", norm="l2")

    def topic_vectorizer(self, stopwords: frozenset[str]) -> HashingVectorizer:
        return HashingVectorizer(n_features=2 ** 16, alternate_sign=False, lowercase=False,
                                 token_pattern=r"(?u)\b[^\W\d_]{3,}\b", norm="l2",
                                 stop_words=sorted(w for w in stopwords if re.fullmatch(r"[^\W\d_]{3,}", w)))

    # ------------------------------------------------------------ stages
    def _token_info(self, raw: str) -> tuple:
        """(normalised form, intrinsic flags) of a token string, memoised per model instance."""
        cache = self.__dict__.setdefault("_tok_cache", {})
        hit = cache.get(raw)
        if hit is None:
            norm = normalize(raw)
            hit = (norm, intrinsic_flags(raw, norm, self.lexicon_, self.stopwords_))
            if len(cache) > 500_000:
                cache.clear()
            cache[raw] = hit
        return hit

    def base(self, text: str) -> Base:
        """Units, tokens and model-independent features of one document (topicality filled later)."""
        units = make_units(text)
        norm_units = [normalize(t) for t in units.texts()]
        toks = tokenize(text)
        info = [self._token_info(text[s:e]) for s, e in toks]
        tok_norm = [x[0] for x in info]
        tok_unit = _unit_of_tokens(units, toks)
        flags = token_flags(text, toks, [x[1] for x in info], tok_unit)
        return Base(units, norm_units, toks, tok_norm, tok_unit, flags, np.zeros(len(units)), np.zeros(len(units)))

    def bases(self, texts: Sequence[str]) -> list[Base]:
        """``base`` for many documents, with topicality computed in one vectoriser call."""
        bs = [self.base(t) for t in texts]
        all_units = [u for b in bs for u in b.norm_units]
        if all_units:
            tv = self.__dict__.get("_topic_vec")
            if tv is None:
                tv = self.__dict__["_topic_vec"] = self.topic_vectorizer(self.stopwords_)
            M = tv.transform(all_units)
            off = 0
            for b in bs:
                n = len(b.units)
                if n:
                    b.topic, b.title_sim = cosine_topicality(M[off:off + n])
                off += n
        return bs

    def dense(self, b: Base, W: np.ndarray) -> np.ndarray:
        return dense_unit_features(b.units, b.norm_units, b.tok_unit, b.tok_flags, b.topic, b.title_sim,
                                   tok_stats(b.units, b.tok_unit, W))

    def unit_matrix(self, norm_units: list[str], dense: np.ndarray):
        Xw = self.unit_vectorizer().transform(norm_units)
        Xd = sp.csr_matrix(self.scaler_.transform(dense))
        return sp.hstack([Xw, Xd], format="csr")

    def _tree_proba(self, name: str, X: np.ndarray) -> np.ndarray:
        """Boosted-tree probabilities: the vectorised walk for a few rows, scikit-learn's for many."""
        clf = getattr(self, name)
        if len(X) > SMALL_BATCH:
            return clf.predict_proba(X)
        from filter.trees import CompiledTrees

        key = "_compiled_" + name
        c = self.__dict__.get(key)
        if c is None:
            c = self.__dict__[key] = CompiledTrees(clf)
        return c.predict_proba(X)

    def analyze_many(self, texts: Sequence[str]) -> list[Analysis]:
        """Run every model on a batch of documents (one model call per stage for the batch)."""
        bs = self.bases(texts)
        ntok = np.r_[0, np.cumsum([len(b.toks) for b in bs])]
        nun = np.r_[0, np.cumsum([len(b.units) for b in bs])]
        W_all = self.words_.predict_proba([w for b in bs for w in b.tok_norm])
        Ws = [W_all[ntok[i]:ntok[i + 1]] for i in range(len(bs))]
        P1s: list[np.ndarray] = [np.zeros((0, 3), np.float32)] * len(bs)
        P2s: list[np.ndarray] = [np.zeros((0, 3), np.float32)] * len(bs)
        kinds_all: list[str] = []
        if nun[-1]:
            dense = [self.dense(b, W) for b, W in zip(bs, Ws)]
            X1 = self.unit_matrix([u for b in bs for u in b.norm_units], np.vstack(dense))
            P1 = np.zeros((X1.shape[0], 3), np.float32)
            P1[:, self.unit_clf_.classes_] = linear_proba(self.unit_clf_, X1)
            X2 = np.vstack([context_features(d, P1[nun[i]:nun[i + 1]], b.units)
                            for i, (b, d) in enumerate(zip(bs, dense))])
            P2 = np.zeros_like(P1)
            P2[:, self.ctx_clf_.classes_] = self._tree_proba("ctx_clf_", X2)
            P2s = [P2[nun[i]:nun[i + 1]] for i in range(len(bs))]
            P1s = [P1[nun[i]:nun[i + 1]] for i in range(len(bs))]
            if self.kind_clf_ is not None:
                kp = linear_proba(self.kind_clf_, X1)
                kinds_all = list(self.kind_clf_.classes_[kp.argmax(axis=1)])
        cands = [candidates(W) for W in Ws]
        # the token model sees the unit's stage-1 probabilities (out-of-fold in training)
        feats = [token_features(b, W, P1, c) for b, W, P1, c in zip(bs, Ws, P1s, cands) if len(c)]
        CP = np.zeros((0, 3), np.float32)
        if feats:
            CP = np.zeros((sum(len(f) for f in feats), 3), np.float32)
            CP[:, self.tok_clf_.classes_] = self._tree_proba("tok_clf_", np.vstack(feats))
        out, off = [], 0
        for i, b in enumerate(bs):
            c = cands[i]
            cp = CP[off:off + len(c)]
            off += len(c)
            kinds = kinds_all[nun[i]:nun[i + 1]] if kinds_all else [""] * len(b.units)
            out.append(Analysis(b, P2s[i], c, cp, Ws[i], kinds))
        return out

    def analyze(self, text: str) -> Analysis:
        return self.analyze_many([text])[0]

    def decode(self, a: Analysis, thresholds: dict[str, float] | None = None) -> list[Span]:
        th = dict(self.thresholds)
        if thresholds:
            th.update(thresholds)
        b = a.base
        text = b.units.text
        u = b.units
        spans: list[Span] = []
        whole: set[tuple[int, int]] = set()
        junk_unit = np.zeros(len(u), dtype=bool)
        unit_label = np.zeros(len(u), dtype=np.int64)
        unit_score = np.zeros(len(u), dtype=np.float32)
        for i in range(len(u)):
            p = a.unit_proba[i]
            lab = PROMO if p[PROMO] >= p[BOILER] else BOILER
            if p[lab] >= th[CLASSES[lab]]:
                junk_unit[i] = True
                unit_label[i] = lab
                unit_score[i] = p[lab]
        # whole blocks where every unit is junk with one label
        for blk in np.unique(u.block[junk_unit]) if junk_unit.any() else []:
            idx = np.nonzero(u.block == blk)[0]
            labs = set(unit_label[idx][junk_unit[idx]])
            if junk_unit[idx].all() and len(labs) == 1:
                lab = labs.pop()
                s, e = int(u.block_starts[blk]), int(u.block_ends[blk])
                kind = self._unit_kind(a, idx[0], lab, whole_block=True)
                spans.append(Span(s, e, CLASSES[lab], kind, float(unit_score[idx].min())))
                whole.add((s, e))
                junk_unit[idx] = False  # handled
                continue
            for i in idx[junk_unit[idx]]:
                lab = unit_label[i]
                spans.append(Span(int(u.starts[i]), int(u.ends[i]), CLASSES[lab],
                                  self._unit_kind(a, i, lab, whole_block=False), float(unit_score[i])))
        # units whose start lies inside a unit-level span (spans are in document order)
        if spans:
            ss = np.array([s.start for s in spans])
            se = np.array([s.end for s in spans])
            k = np.searchsorted(ss, u.starts, side="right") - 1
            inside = (k >= 0) & (u.starts < se[np.maximum(k, 0)])
            covered_units = set(np.nonzero(inside)[0].tolist())
        else:
            covered_units = set()
        # inline token runs inside content units
        spans += self._token_spans(a, th, covered_units)
        spans = self._propagate(a, spans, th)
        spans = attach_whitespace(text, spans, whole)
        return merge_touching(spans)

    def _unit_kind(self, a: Analysis, i: int, lab: int, whole_block: bool) -> str:
        if lab == PROMO:
            if not whole_block:
                return "promo_sentence"
            nb = len(a.base.units.block_starts)
            blk = a.base.units.block[i]
            return "promo_line" if blk in (0, nb - 1) else "injected_paragraph"
        return a.unit_kinds[i] if a.unit_kinds else "boilerplate"

    def _token_spans(self, a: Analysis, th: dict[str, float], covered_units: set[int]) -> list[Span]:
        b = a.base
        out: list[Span] = []
        run: list[int] = []
        run_lab = 0

        def flush():
            if run:
                s = b.toks[run[0]][0]
                e = b.toks[run[-1]][1]
                score = float(np.mean([pr[run_lab] for pr in (a.cand_proba[pos[t]] for t in run)]))
                words = [b.tok_norm[t] for t in run]
                kind = "inline_brand" if run_lab == PROMO and any(
                    any(c.isdigit() for c in w) or len(w) >= 4 and w not in self.lexicon_ for w in words[:1]) \
                    else ("keyword_substitution" if run_lab == PROMO else "inline")
                out.append(Span(s, e, CLASSES[run_lab], kind, score))

        pos = {int(t): j for j, t in enumerate(a.cand)}
        unit_len = np.bincount(b.tok_unit[b.tok_unit >= 0], minlength=len(b.units))
        prev = -2
        for j, t in enumerate(a.cand):
            t = int(t)
            if b.tok_unit[t] in covered_units:
                continue
            p = a.cand_proba[j]
            lab = PROMO if p[PROMO] >= p[BOILER] else BOILER
            # furniture glued into running text lives in long (flattened) units; a short line
            # is a heading or a whole item, which the unit model decides
            if p[lab] < th[CLASSES[lab]] or (lab == BOILER and unit_len[b.tok_unit[t]] < MIN_GLUED_UNIT):
                flush()
                run, prev = [], -2
                continue
            contiguous = t == prev + 1 and lab == run_lab and b.tok_unit[t] == b.tok_unit[prev] \
                and "\n" not in b.units.text[b.toks[prev][1]:b.toks[t][0]]
            if not contiguous:
                flush()
                run = []
            run_lab = lab
            run.append(t)
            prev = t
        flush()
        return out

    def _propagate(self, a: Analysis, spans: list[Span], th: dict[str, float]) -> list[Span]:
        """A brand confidently flagged once is flagged at every other mention in the document."""
        b = a.base
        sure = sorted((s for s in spans if s.label == "promo" and s.score >= max(th["promo"], 0.8)),
                      key=lambda s: s.start)
        if not sure or not b.toks:
            return spans
        # brand-like words: letters and digits, ≥ 4 characters, scored promo by the word scorer
        cand = [t for t in np.nonzero(a.tok_word_proba[:, PROMO] >= 0.5)[0]
                if len(w := b.tok_norm[t]) >= 4 and any(c.isdigit() for c in w) and any(c.isalpha() for c in w)]
        if not cand:
            return spans
        sure_starts = [s.start for s in sure]
        brands: dict[str, float] = {}
        for t in cand:
            ts, te = b.toks[t]
            k = bisect.bisect_right(sure_starts, ts) - 1
            if k >= 0 and te <= sure[k].end:
                w = b.tok_norm[t]
                brands[w] = max(brands.get(w, 0.0), sure[k].score)
        if not brands:
            return spans
        covered = sorted((s.start, s.end) for s in spans)
        starts = [c[0] for c in covered]
        extra = []
        for t in cand:
            w = b.tok_norm[t]
            if w in brands:
                ts, te = b.toks[t]
                k = bisect.bisect_right(starts, ts) - 1
                if k >= 0 and covered[k][1] > ts:
                    continue
                extra.append(Span(ts, te, "promo", "inline_brand", brands[w]))
        return spans + extra

    # ------------------------------------------------------------ public inference
    def predict_spans(self, text: str, thresholds: dict[str, float] | None = None) -> list[Span]:
        """Scored spans, sorted and non-overlapping, for the given (or stored) per-label thresholds."""
        return self.predict_spans_many([text], thresholds)[0]

    def predict_spans_many(self, texts: Sequence[str], thresholds: dict[str, float] | None = None) -> list[list[Span]]:
        """``predict_spans`` for a batch: much faster per document than one call each."""
        from threadpoolctl import threadpool_limits

        live = [i for i, t in enumerate(texts) if t and t.strip()]
        out: list[list[Span]] = [[] for _ in texts]
        if not live:
            return out
        # one OpenMP thread: per-document inputs are small, and scikit-learn's threaded tree
        # predictor spins far more CPU than it saves (measured 20x slower on 2 busy cores)
        with threadpool_limits(limits=1, user_api="openmp"):
            for i, a in zip(live, self.analyze_many([texts[i] for i in live])):
                out[i] = self.decode(a, thresholds)
        return out

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state):
        self.__dict__.update(state)


def unit_and_token_labels(b: Base, spans: list[dict], ignore: Sequence[Sequence[int]]):
    """Gold labels for a document's units and tokens."""
    ul, uk = coverage_labels(len(b.units), b.units.starts, b.units.ends, spans, ignore)
    ts = [s for s, _ in b.toks]
    te = [e for _, e in b.toks]
    tl, _ = coverage_labels(len(b.toks), ts, te, spans, ignore)
    return ul, uk, tl


__all__ = ["FilterModel", "WordScorer", "Analysis", "Base", "DENSE_NAMES"]
