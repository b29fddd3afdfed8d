"""Fit a ``FilterModel`` on labelled documents (stacked, out-of-fold at every level).

Folds are groups of *host articles* (a natural document and its injected variants share a
fold), so no stage ever sees out-of-fold predictions made on text it trained on.

1. word scorer: out-of-fold word probabilities, then a final fit on all words;
2. unit model (stage 1): out-of-fold unit probabilities from the hashed n-grams + dense features;
3. context model (stage 2): gradient boosting on stage-1 OOF probabilities of each unit and its
   neighbours; its own OOF probabilities feed the token model;
4. token model: gradient boosting on windows of word probabilities around candidate tokens;
5. boilerplate kind classifier;
6. per-label thresholds chosen on the validation split, for the model's decode config.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from filter.features import CLASSES, IGNORE
from filter.training.inject import JOURNALISTIC
from filter.training.inject import FORMS as PROMO_FORMS
from filter.model import (
    Base, FilterModel, Stack, WordScorer, candidates, context_features, dense_features,
    marker_distance, token_features,
)
from filter.training.labels import unit_and_token_labels

Progress = Callable[[str], None]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def read_lexicon(path: Path) -> frozenset[str]:
    """One entry per line, ``#`` comments; entries are normalised like the text they match."""
    from filter.normalize import normalize

    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.update(normalize(line).split())
    return frozenset(out)


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
                if limit and len(out) >= limit:
                    break
    return out


def files_hash(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


@dataclass
class Prepared:
    bases: list[Base]
    unit_y: list[np.ndarray]
    unit_kind: list[list[str]]
    tok_y: list[np.ndarray]
    fold: np.ndarray


def _fold_of(doc: dict, k: int) -> int:
    """Host article for natural text; for injected text the first *promotion* template (or
    comment) family, else the first boilerplate family. Out-of-fold predictions on a promo
    family then come from models that never saw it — as on validation and real pages.
    (Keying on any family let boilerplate families, which sort first, scatter every promo
    family over all folds.)"""
    pairs = list(zip(doc.get("forms", []), doc.get("template_families", [])))
    promo = sorted(f for form, f in pairs if f and form in PROMO_FORMS)
    fams = promo or sorted(f for f in doc.get("template_families", []) if f)
    key = fams[0] if fams else str(doc.get("source") or doc.get("url") or doc.get("id"))
    return int(hashlib.md5(key.encode()).hexdigest(), 16) % k


def prepare(model: FilterModel, docs: Sequence[dict], progress: Progress) -> Prepared:
    bases, uy, uk, ty = [], [], [], []
    t0 = time.time()
    for i, d in enumerate(docs):
        if i % 500 == 0:
            batch = model.bases([x["text"] for x in docs[i:i + 500]])
        b = batch[i % 500]
        ul, kinds, tl = unit_and_token_labels(b, d.get("spans", []), d.get("ignore", []))
        bases.append(b)
        uy.append(ul)
        uk.append(kinds)
        ty.append(tl)
        if (i + 1) % 2000 == 0:
            progress(f"  featurised {i + 1}/{len(docs)} documents ({time.time() - t0:.0f}s)")
    fold = np.array([_fold_of(d, model.n_folds) for d in docs])
    return Prepared(bases, uy, uk, ty, fold)


def _word_rows(prep: Prepared, doc_idx: Iterable[int], vocab: dict[str, int],
               hold_out: set[str] = frozenset()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique (word, label) rows of some documents: word index into ``vocab``, label, count.

    Words in ``hold_out`` are left out entirely (see ``fit_model``)."""
    counts: dict[tuple[int, int], int] = {}
    for i in doc_idx:
        for w, y in zip(prep.bases[i].tok_norm, prep.tok_y[i]):
            if y != IGNORE and w not in hold_out:
                key = (vocab[w], int(y))
                counts[key] = counts.get(key, 0) + 1
    keys = sorted(counts)
    idx = np.array([k[0] for k in keys], dtype=np.int64)
    ys = np.array([k[1] for k in keys], dtype=np.int64)
    return idx, ys, np.array([counts[k] for k in keys], dtype=np.float64)


# Document weights "as each source deserves" (units and tokens of a document count this many
# times in stages 2-4 and the unit model). Synthetic documents (natural outlet text with weak
# labels, injections, decoys) weigh 1. Real gambling journalism from the open web is the
# scarcest and costliest-to-get-wrong evidence (a removed news sentence), real web furniture
# and real promotion pages are the page shapes the synthetic data lacks; SERP snippets and
# tweets are short and noisier; short news texts are derived, not new text.
# The unit model's balanced class weights already multiply every promo unit about tenfold
# (promo units are ~3% of all units), so promotion pages weigh 1: at 5 (first retrain) their
# units outweighed the journalism's about 7:1 and news about gambling lost a fifth of its text
# (validation web_news retention 0.798, dev-H 0.957). Doubling the journalism's weight
# (web_news 20 -> 40, hard_negative 5 -> 20) with promo pages at 1 raised validation-web
# retention to 0.947 and dev-H to 0.973 with validation-outlets promo recall unchanged
# (0.943), so the negatives were doubled once more (web_news 80, hard_negative 40: validation-web
# retention 0.956, junk F1 0.927). A whole promotion page is judged at page level (the document
# model's verdict); at sentence level its neutral-sounding "educational" lines contradict the
# journalism, so its lines weigh little: at 0.25 validation-web retention 0.969 (F1 0.915), at
# 0.05 (snippets 0.25) 0.979 (F1 0.889; overall validation F1 0.900 against 0.906), chosen for
# retention; real small-site pages (content and furniture) 20. All runs: docs/RESULTS.md.
ORIGIN_WEIGHTS: dict[str, float] = {
    "hard_negative": 40.0, "web_news": 80.0, "web_page": 20.0, "web_promo": 0.05,
    "snippet_promo": 0.25, "snippet_page": 5.0, "social": 10.0, "short": 2.0,
    # only in builds made with the inject_news step (off by default); chosen on validation among
    # 3 / 10 / 30: junk F1 0.9157 / 0.9132 / 0.9144, held-out web hosts 0.668 / 0.634 / 0.629
    "injected_news": 3.0,
}


# Step "page_level_origins": whole promotion pages and search snippets are judged at PAGE level
# (the document model, filter.doc, trained on them), not by the span model. Trained at sentence
# level, a promotion page's neutral "educational" and human-interest lines teach that news-like
# sentences about gambling are promotion, which is exactly what journalism about gambling looks
# like. Measured (same build, same seed; full pipeline with the page verdict; dev sets evaluated
# only): with them at weight 0.05/0.25 (m5) dev-H retention 0.989, dev junk F1 0.914, dev_web
# retention 0.898 (web-H 0.962); without them (E1) dev-H 0.9965, dev F1 0.936, dev_web retention
# 0.956 (web-H 0.981), validation junk F1 0.900 -> 0.902. The documents stay in the build (the
# document model uses the same material); ``fit_model(exclude_origins=())`` switches this off.
PAGE_LEVEL_ORIGINS: tuple[str, ...] = ("web_promo", "snippet_promo", "snippet_page")


def span_documents(docs: Sequence[dict], exclude_origins: Sequence[str] = PAGE_LEVEL_ORIGINS) -> list[dict]:
    """The documents the span model trains and chooses thresholds on (``PAGE_LEVEL_ORIGINS`` left out)."""
    return [d for d in docs if d.get("origin") not in exclude_origins]


def doc_weights(docs: Sequence[dict], weights: dict[str, float] | None = None) -> np.ndarray:
    """Per document: ``ORIGIN_WEIGHTS`` of its ``origin`` (1 for synthetic and unknown origins)."""
    w = ORIGIN_WEIGHTS if weights is None else weights
    return np.array([float(w.get(d.get("origin", ""), 1.0)) for d in docs])


def _subsample(y: np.ndarray, keep_all: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows to train on and their weights: every row in ``keep_all``, others at ``rate`` (weight 1/rate)."""
    rng = np.random.default_rng(seed)
    pick = keep_all | (rng.random(len(y)) < rate)
    w = np.where(keep_all, 1.0, 1.0 / rate)
    return np.nonzero(pick)[0], w[pick]


def fit_model(train: Sequence[dict], valid: Sequence[dict], model: FilterModel | None = None,
              progress: Progress = print, origin_weights: dict[str, float] | None = None,
              exclude_origins: Sequence[str] = PAGE_LEVEL_ORIGINS, doc_proba: np.ndarray | None = None,
              doc_model: Any = None, valid_doc_proba: np.ndarray | None = None) -> FilterModel:
    """Fit every stage on ``train`` and choose thresholds on ``valid``. ``origin_weights``
    replaces ``ORIGIN_WEIGHTS`` (e.g. all 1.0 to measure what the weights contribute);
    documents of ``exclude_origins`` are left to the document stage (``PAGE_LEVEL_ORIGINS``).

    ``doc_proba`` (one row per ``train`` document, out of fold: ``filter.training.stacking``)
    and ``doc_model`` (the final document model, for the validation documents and at
    inference) make the document verdict a feature of the span stages; ``valid_doc_proba`` (one
    row per ``valid`` document, out of fold too) replaces ``doc_model``'s verdicts on the
    validation documents when the thresholds are chosen (the document model's training split
    shares web hosts with the span validation split)."""
    if (doc_proba is None) != (doc_model is None):
        raise ValueError("doc_proba and doc_model go together")
    n_tr, n_va = len(train), len(valid)
    if valid_doc_proba is not None:
        from filter.training.stacking import FixedVerdicts

        doc_model = FixedVerdicts([d["text"] for d in valid], valid_doc_proba)
    if doc_proba is not None:
        if len(doc_proba) != n_tr:
            raise ValueError(f"doc_proba has {len(doc_proba)} rows for {n_tr} training documents")
        doc_proba = np.asarray(doc_proba, np.float32)[[d.get("origin") not in exclude_origins for d in train]]
    train, valid = span_documents(train, exclude_origins), span_documents(valid, exclude_origins)
    if len(train) < n_tr or len(valid) < n_va:
        progress(f"page_level_origins: {n_tr - len(train)} training and {n_va - len(valid)} validation documents "
                 f"of {', '.join(exclude_origins)} left to the document stage")
    m = model or FilterModel()
    m.doc_features_ = doc_proba is not None
    m.stopwords_ = read_lexicon(DATA_DIR / "lexicons" / "stopwords_id.txt")
    m.lexicon_ = read_lexicon(DATA_DIR / "lexicons" / "promo_terms.txt")
    m.reader_ = read_lexicon(DATA_DIR / "lexicons" / "reader_words.txt")
    K = m.n_folds
    rs = m.random_state
    t0 = time.time()
    progress(f"featurising {len(train)} training documents")
    prep = prepare(m, train, progress)
    n_docs = len(train)

    # 1. word scorer, out of fold (words hashed once, folds fit on row subsets)
    progress(f"[{time.time() - t0:.0f}s] word scorer ({K} folds + final)")
    vocab_list = sorted({w for b in prep.bases for w in b.tok_norm})
    vocab = {w: i for i, w in enumerate(vocab_list)}
    XW = WordScorer(random_state=rs)._vec().transform(vocab_list)
    # Words that only ever occur as promotion (brand names, mostly) are held out of the word
    # scorer that scores their own fold: out-of-fold scores then behave like scores of the
    # unseen brands the model meets in validation and in the wild.
    content_words = {w for b, y in zip(prep.bases, prep.tok_y) for w, t in zip(b.tok_norm, y) if t == 0}
    fold_promo = [set() for _ in range(K)]
    for i, (b, y) in enumerate(zip(prep.bases, prep.tok_y)):
        fold_promo[prep.fold[i]].update(w for w, t in zip(b.tok_norm, y) if t == 1 and w not in content_words)
    W_oof: list[np.ndarray | None] = [None] * n_docs
    for k in range(K):
        idx, ys, wts = _word_rows(prep, np.nonzero(prep.fold != k)[0], vocab, fold_promo[k])
        ws = WordScorer(random_state=rs).fit(XW[idx], ys, wts, words=[vocab_list[i] for i in idx])
        for i in np.nonzero(prep.fold == k)[0]:
            W_oof[i] = ws.predict_proba(prep.bases[i].tok_norm)
    idx, ys, wts = _word_rows(prep, range(n_docs), vocab)
    m.words_ = WordScorer(random_state=rs).fit(XW[idx], ys, wts, words=[vocab_list[i] for i in idx])
    del XW

    # 2. unit model, out of fold
    progress(f"[{time.time() - t0:.0f}s] unit model ({K} folds + final)")
    st = Stack.of(prep.bases)
    W_all = np.vstack(W_oof)
    D = dense_features(prep.bases, W_all, st, doc_proba)
    doc_of_unit = st.unit_doc
    Y = np.concatenate(prep.unit_y)
    m.scaler_ = StandardScaler().fit(D)
    X1 = m.unit_matrix(prep.bases, st, D)
    keep = Y != IGNORE
    unit_fold = prep.fold[doc_of_unit]
    P1 = np.zeros((len(Y), 3), dtype=np.float32)

    def unit_clf():
        return SGDClassifier(loss="log_loss", alpha=m.unit_alpha, max_iter=12, tol=None,
                             class_weight="balanced", random_state=rs, n_jobs=2)

    # real news about gambling is scarce and is where removing news hurts most; real web pages
    # are the shapes synthetic data lacks: their units and tokens count ORIGIN_WEIGHTS times
    doc_w = doc_weights(train, origin_weights)
    progress(f"  document weights by origin: {dict(sorted(Counter(d.get('origin', '') for d in train).items()))} "
             f"x {origin_weights or ORIGIN_WEIGHTS}")
    unit_w = doc_w[doc_of_unit]
    for k in range(K):
        tr = keep & (unit_fold != k)
        clf = unit_clf().fit(X1[tr], Y[tr], sample_weight=unit_w[tr])
        te = unit_fold == k
        P1[np.ix_(te, clf.classes_)] = clf.predict_proba(X1[te])
    m.unit_clf_ = unit_clf().fit(X1[keep], Y[keep], sample_weight=unit_w[keep])
    progress(f"  {int(keep.sum())} units, class counts {np.bincount(Y[keep], minlength=3).tolist()}")

    # 3. context model (stacked on stage-1 out-of-fold probabilities); content units subsampled
    progress(f"[{time.time() - t0:.0f}s] context model")
    X2 = context_features(D, P1, st)
    kept = np.nonzero(keep)[0]
    rows, w = _subsample(Y[kept], (Y[kept] != 0) | (unit_w[kept] > 1), m.content_rate, rs)
    rows = kept[rows]
    m.ctx_clf_ = _hgb(m).fit(X2[rows], Y[rows], sample_weight=w * unit_w[rows])
    del X2

    # 4. token model on candidate tokens (stage-1 OOF unit probabilities as context)
    progress(f"[{time.time() - t0:.0f}s] token model")
    since = marker_distance(st, W_all)
    cand = candidates(W_all, since, st)
    ty = np.concatenate(prep.tok_y)[cand]
    ok = ty != IGNORE
    cand, TYa = cand[ok], ty[ok]
    # tokens whose label differs from their unit's are inline insertions: always kept
    unit = st.tok_unit[cand]
    TKa = np.where(unit >= 0, Y[np.maximum(unit, 0)], 0) != TYa
    TXa = token_features(st, W_all, P1, cand, since, D)
    del W_all
    tok_w = doc_w[st.tok_doc[cand]]
    rows, w = _subsample(TYa, TKa | (tok_w > 1), m.content_rate, rs + 1)
    w = w * tok_w[rows]
    progress(f"  {len(TYa)} candidate tokens ({len(rows)} used), class counts {np.bincount(TYa, minlength=3).tolist()}")
    # the token model scores about a tenth of all tokens at inference: few trees keep it fast
    # (on an earlier model, its first 50 of 150 trees scored the same on dev and validation)
    m.tok_clf_ = _hgb(m, m.tok_max_iter).fit(TXa[rows], TYa[rows], sample_weight=w)
    del TXa

    # 5. boilerplate kinds
    kinds = np.array([k for ks in prep.unit_kind for k in ks], dtype=object)
    bmask = Y == CLASSES.index("boilerplate")
    if bmask.sum() and len(set(kinds[bmask])) > 1:
        m.kind_clf_ = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=20, tol=None,
                                    random_state=rs).fit(X1[bmask], kinds[bmask])
    else:
        m.kind_clf_ = None

    # 5b. promo phrases: keyword phrases seen substituted into training text, to complete
    # a token run that caught only part of one (journalistic words excluded)
    m.phrases_ = promo_phrases(train, prep.bases)

    # linear weights as float32: half the artifact size and load time, same predictions to 1e-6
    for clf in (m.words_.clf_, m.unit_clf_, m.kind_clf_):
        if clf is not None:
            clf.coef_ = clf.coef_.astype(np.float32)

    # 6. thresholds on the validation split
    m.thresholds = {"promo": 0.5, "boilerplate": 0.5}
    progress(f"[{time.time() - t0:.0f}s] thresholds on {len(valid)} validation documents")
    if valid:
        m.thresholds = choose_thresholds(m.attach_doc_model(doc_model) if doc_model is not None else m, valid)
    progress(f"[{time.time() - t0:.0f}s] done; thresholds {m.thresholds}")
    return m


def promo_phrases(docs: Sequence[dict], bases: Sequence[Base], min_count: int = 2) -> frozenset[tuple[str, ...]]:
    """Normalised 2–4-word phrases of ``keyword_substitution`` spans seen at least ``min_count``
    times, leaving out any with a word journalists use too ("judi", "taruhan", ...)."""
    counts: dict[tuple[str, ...], int] = {}
    for d, b in zip(docs, bases):
        for sp in d.get("spans", []):
            if sp.get("kind") != "keyword_substitution":
                continue
            i = int(np.searchsorted(b.toks[:, 0], sp["start"]))
            j = int(np.searchsorted(b.toks[:, 1], sp["end"], side="right"))
            words = tuple(b.tok_norm[i:j])
            if 2 <= len(words) <= 4 and not set(words) & JOURNALISTIC:
                counts[words] = counts.get(words, 0) + 1
    return frozenset(p for p, c in counts.items() if c >= min_count)


def _hgb(m: FilterModel, max_iter: int | None = None) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=max_iter or m.max_iter, learning_rate=0.2, max_leaf_nodes=31, max_depth=8,
                                          l2_regularization=1.0, early_stopping=True, validation_fraction=0.1,
                                          n_iter_no_change=10, random_state=m.random_state)


def ignore_as_optional(docs: Sequence[dict]) -> list[dict]:
    """Score weakly labelled documents fairly: their unsure (ignored) ranges become optional spans."""
    return [{**d, "spans": list(d.get("spans", [])) + [
        {"start": a, "end": b, "label": "boilerplate", "kind": "unsure", "optional": True}
        for a, b in d.get("ignore", [])]} for d in docs]


TOLERANCE = 0.005
# of near-equal operating points: boilerplate takes the highest threshold (removing news costs
# more than leaving a link), promotion the lowest (missed promotion on unseen templates is the
# weak spot; the retention constraint guards the news)
PREFER_HIGH = {"promo": False, "boilerplate": True}


def choose_thresholds(m: FilterModel, valid: Sequence[dict], min_retention: float = 0.99,
                      tolerance: float = TOLERANCE) -> dict[str, float]:
    """Per label, among thresholds whose overall content retention stays ≥ ``min_retention``
    and whose F1 for that label is within ``tolerance`` of the best, the highest
    (boilerplate) or lowest (promo) one — see ``PREFER_HIGH``. F1 is flat over a wide range
    of thresholds, so the tie-break decides; it encodes which error costs more. Coordinate
    ascent (boilerplate, promo, boilerplate), since one label's threshold changes the other's
    retention budget.

    The validation labels of natural documents are weak (the labeller misses some real
    boilerplate, which then counts against retention), hence 0.99 rather than stricter."""
    from filter.evaluation.metrics import evaluate

    valid = ignore_as_optional(valid)
    analyses = [a for i in range(0, len(valid), 256) for a in _analyze_batch(m, [d["text"] for d in valid[i:i + 256]])]
    grid = [round(x, 2) for x in np.arange(0.3, 0.96, 0.05)]
    best = {"promo": 0.5, "boilerplate": 0.5}
    for label in ("boilerplate", "promo", "boilerplate"):
        scored = []
        for t in grid:
            th = dict(best)
            th[label] = t
            preds = [m.decode(a, th) if a is not None else [] for a in analyses]
            r = evaluate(valid, preds).overall
            p, rec = getattr(r, f"{label}_precision"), getattr(r, f"{label}_recall")
            f1 = 2 * p * rec / (p + rec) if p + rec > 0 else 0.0   # NaN (nothing predicted): p + rec > 0 is False
            scored.append((r.retention >= min_retention, f1, t))
        ok = [s for s in scored if s[0]] or scored
        top = max(s[1] for s in ok)
        near = [s[2] for s in ok if s[1] >= top - tolerance]
        best[label] = float(max(near) if PREFER_HIGH[label] else min(near))
    return best


def _analyze_batch(m: FilterModel, texts: list[str]) -> list:
    live = [i for i, t in enumerate(texts) if t.strip()]
    out: list = [None] * len(texts)
    for i, a in zip(live, m.analyze_many([texts[i] for i in live])):
        out[i] = a
    return out
