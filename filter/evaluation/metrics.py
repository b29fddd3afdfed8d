"""Token-level evaluation of predicted junk spans against gold annotations.

Scoring rules (all pure functions of the text, the gold spans and the predicted spans):

- **Tokens** are the ``\\w+`` matches of the text (Unicode word characters), so whitespace
  and punctuation never count; a span is scored by the words it removes.
- A token **belongs to** a set of spans when at least half of its characters are covered by
  them; its label/kind/score come from the span covering most of it. This applies alike to
  gold spans (token is *junk*), optional gold spans (token is *ignored*: it counts nowhere)
  and predicted spans (token is *removed*).
- **Junk precision/recall/F1** are over tokens, micro-averaged over documents: junk tokens
  removed / removed tokens, junk tokens removed / junk tokens. **Retention** is the share of
  content tokens kept. Per-label **recall** is the share of that label's gold tokens removed
  (under any predicted label); per-label **precision** is the share of tokens removed under
  that predicted label that are gold junk; **label accuracy** is the share of correctly
  removed junk tokens whose predicted label equals the gold label.
- A non-optional gold **span is removed** when at least 80% of its tokens are removed; a span
  with no word characters (``(*)``) when 80% of its non-space characters are covered.
- A document is **perfect** when every non-optional gold span is removed and its retention
  is at least 0.99 (1.0 when it has no content tokens).
- Documents are grouped by **id category** (the id without its trailing ``-NNN``:
  ``seed``, ``dev-N``, ``dev-H``, ``dev-T``) and by ``outlet`` when records carry one.

``evaluate`` returns an :class:`EvalReport`; ``token_table`` / ``span_table`` /
``gold_span_table`` give per-token and per-span frames for plots (confusion matrices,
precision-recall curves, calibration, threshold sweeps).
"""
from __future__ import annotations

import gzip
import json
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from filter.spans import LABELS, Span

TOKEN_RE = re.compile(r"\w+")
SPAN_REMOVED_SHARE = 0.8
PERFECT_RETENTION = 0.99
CLASSES = ("content",) + LABELS  # token classes; index = code
_CODE = {c: i for i, c in enumerate(CLASSES)}
_CAT_RE = re.compile(r"^(.*)-\d+$")

Predictor = Callable[[str], Sequence[Span]]


# ---------------------------------------------------------------- input

@dataclass(frozen=True, slots=True)
class GoldSpan:
    start: int
    end: int
    label: str
    kind: str = ""
    optional: bool = False


def gold_spans(doc: Mapping[str, Any]) -> list[GoldSpan]:
    """The gold spans of a record (``spans`` list of dicts), validated and sorted."""
    text = doc.get("text")
    if not isinstance(text, str):
        raise ValueError(f"record {doc.get('id', '?')}: 'text' must be a string")
    out = []
    for s in doc.get("spans") or []:
        try:
            g = GoldSpan(int(s["start"]), int(s["end"]), str(s["label"]), str(s.get("kind", "")),
                         bool(s.get("optional", False)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"record {doc.get('id', '?')}: malformed span {s!r}") from exc
        if not (0 <= g.start <= g.end <= len(text)) or g.label not in LABELS:
            raise ValueError(f"record {doc.get('id', '?')}: invalid span {s!r}")
        out.append(g)
    return sorted(out, key=lambda g: (g.start, g.end))


def category(doc_id: str) -> str:
    """Id category: the id without its trailing ``-NNN`` (``dev-N-017`` -> ``dev-N``)."""
    m = _CAT_RE.match(doc_id or "")
    return m.group(1) if m else (doc_id or "doc")


def read_gold(path: str | Path) -> list[dict]:
    """Read a gold JSON Lines file (``.jsonl`` or ``.jsonl.gz``); ValueError with a clear message."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"gold file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    docs = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise ValueError(f"{path}:{n}: a gold record needs a string 'text' field")
            if "spans" not in rec:   # scored as "nothing to remove" otherwise, without a word
                raise ValueError(f"{path}:{n}: a gold record needs a 'spans' list (empty for a clean text); "
                                 f"is this a gold file?")
            rec.setdefault("id", f"{path.stem}-{n:03d}")
            gold_spans(rec)  # validate now, with the line number in the message
            docs.append(rec)
    if not docs:
        raise ValueError(f"gold file is empty: {path}")
    return docs


def _as_spans(spans: Iterable[Span | Mapping[str, Any]]) -> list[Span]:
    out = [s if isinstance(s, Span) else Span.from_dict(s) for s in spans]
    return sorted(out, key=lambda s: (s.start, s.end))


def predict_all(predict: Predictor, docs: Sequence[Mapping[str, Any]]) -> list[list[Span]]:
    """Apply a predictor ``text -> spans`` to every document."""
    return [list(predict(d["text"])) for d in docs]


@dataclass
class _FixedSpans:
    """A SpanModel stand-in that returns precomputed candidates (to reuse ``Cleaner.detect``)."""

    version: str
    thresholds: dict
    spans: list

    def predict_spans(self, text: str) -> list[Span]:
        return list(self.spans)


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def detect_all(cleaner: Any, docs: Sequence[Mapping[str, Any]], batch_size: int = 64) -> list[list[Span]]:
    """``cleaner.detect`` for every document, batched through ``detect_many`` when available."""
    texts = [d["text"] for d in docs]
    many = getattr(cleaner, "detect_many", None)
    if many is None:
        return [list(cleaner.detect(t)) for t in texts]
    return [list(s) for b in _batches(texts, batch_size) for s in many(list(b))]


CANDIDATE_FLOOR = 0.1   # the threshold candidates are decoded at (threshold sweeps, PR curves)


def predict_with_candidates(cleaner: Any, docs: Sequence[Mapping[str, Any]], batch_size: int = 64,
                            floor: float = CANDIDATE_FLOOR) -> tuple[list[list[Span]], list[list[Span]]]:
    """``(detected, candidates)`` for every document.

    ``detected`` are exactly what ``cleaner.detect`` returns. ``candidates`` are the scored spans
    the model proposes down to ``floor``: a model that decodes at thresholds
    (``predict_spans_many``) decodes them at ``floor`` for every label, so a threshold sweep or a
    PR curve over their scores sees below the shipped thresholds (the decode steps depend on the
    thresholds, so a span's fate at another threshold is approximated by its score). A model
    without thresholds returns its candidates from ``predict_spans``; one pass then gives both.
    """
    from filter.cleaner import Cleaner
    from filter.spans import LABELS

    texts = [d["text"] for d in docs]
    many = getattr(cleaner.model, "predict_spans_many", None)
    if many is not None:
        low = dict.fromkeys(LABELS, floor)
        candidates = [list(s) for b in _batches(texts, batch_size) for s in many(list(b), low)]
        return detect_all(cleaner, docs, batch_size), candidates
    candidates = [list(cleaner.model.predict_spans(t)) for t in texts]
    if getattr(cleaner.policy, "threshold", None) is not None:
        return detect_all(cleaner, docs, batch_size), candidates
    detected = []
    for t, cand in zip(texts, candidates):
        fixed = _FixedSpans(cleaner.model.version, dict(cleaner.model.thresholds), cand)
        detected.append(Cleaner(fixed, cleaner.policy).detect(t))
    return detected, candidates


# ---------------------------------------------------------------- token alignment

def _cover(starts: np.ndarray, ends: np.ndarray, spans: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Characters of each token covered by ``spans`` and the index of the span covering most."""
    covered = np.zeros(len(starts), dtype=np.int64)
    best = np.full(len(starts), -1, dtype=np.int64)
    best_ov = np.zeros(len(starts), dtype=np.int64)
    for i, s in enumerate(spans):
        lo = int(np.searchsorted(ends, s.start, side="right"))
        hi = int(np.searchsorted(starts, s.end, side="left"))
        if hi <= lo:
            continue
        ov = np.minimum(ends[lo:hi], s.end) - np.maximum(starts[lo:hi], s.start)
        ov = np.maximum(ov, 0)
        covered[lo:hi] += ov
        better = ov > best_ov[lo:hi]
        best[lo:hi][better] = i
        best_ov[lo:hi][better] = ov[better]
    return covered, best


@dataclass
class DocTokens:
    """Per-token alignment of one document (arrays of equal length)."""

    starts: np.ndarray
    ends: np.ndarray
    gold: np.ndarray       # class code (0 content, 1 promo, 2 boilerplate)
    gold_span: np.ndarray  # index into ``golds`` (non-optional), -1
    ignored: np.ndarray    # bool: inside an optional gold span
    pred: np.ndarray       # class code of the predicted span, 0 when not removed
    pred_span: np.ndarray  # index into ``preds``, -1
    score: np.ndarray      # score of the predicted span covering the token, 0.0
    golds: list[GoldSpan]
    preds: list[Span]


def align(text: str, golds: Sequence[GoldSpan], preds: Sequence[Span]) -> DocTokens:
    """Align gold and predicted spans onto the ``\\w+`` tokens of ``text``."""
    toks = [(m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
    starts = np.array([t[0] for t in toks], dtype=np.int64)
    ends = np.array([t[1] for t in toks], dtype=np.int64)
    length = ends - starts
    req = [g for g in golds if not g.optional]
    opt = [g for g in golds if g.optional]
    preds = list(preds)

    cov, best = _cover(starts, ends, req)
    is_junk = cov * 2 >= length
    gold = np.zeros(len(toks), dtype=np.int8)
    gold_span = np.where(is_junk, best, -1)
    if req:
        codes = np.array([_CODE[g.label] for g in req], dtype=np.int8)
        gold[is_junk] = codes[best[is_junk]]
    ocov, _ = _cover(starts, ends, opt)
    ignored = (ocov * 2 >= length) & ~is_junk

    pcov, pbest = _cover(starts, ends, preds)
    removed = pcov * 2 >= length
    pred = np.zeros(len(toks), dtype=np.int8)
    score = np.zeros(len(toks), dtype=np.float64)
    pred_span = np.where(removed, pbest, -1)
    if preds:
        pcodes = np.array([_CODE[p.label] for p in preds], dtype=np.int8)
        pscores = np.array([float(p.score) for p in preds], dtype=np.float64)
        pred[removed] = pcodes[pbest[removed]]
        score[removed] = pscores[pbest[removed]]
    return DocTokens(starts, ends, gold, gold_span, ignored, pred, pred_span, score, req, preds)


def _char_covered_share(text: str, g: GoldSpan, preds: Sequence[Span]) -> float:
    idx = [i for i in range(g.start, g.end) if not text[i].isspace()]
    if not idx:
        return 1.0
    hit = sum(1 for i in idx if any(p.start <= i < p.end for p in preds))
    return hit / len(idx)


# ---------------------------------------------------------------- per-document scoring

@dataclass(frozen=True)
class SpanOutcome:
    """How much of one non-optional gold span was removed."""

    start: int
    end: int
    label: str
    kind: str
    tokens: int
    removed_tokens: int
    removed_share: float
    removed: bool


@dataclass
class DocEval:
    """Token counts and span outcomes of one document."""

    id: str
    category: str
    outlet: str | None
    counts: dict[str, int]
    spans: list[SpanOutcome]

    @property
    def retention(self) -> float:
        n = self.counts["content_tokens"]
        return 1.0 if n == 0 else 1.0 - self.counts["content_removed"] / n

    @property
    def perfect(self) -> bool:
        return all(s.removed for s in self.spans) and self.retention >= PERFECT_RETENTION


def evaluate_doc(doc: Mapping[str, Any], predicted: Iterable[Span | Mapping[str, Any]]) -> DocEval:
    """Score one gold document against its predicted spans."""
    text = doc["text"]
    golds = gold_spans(doc)
    preds = _as_spans(predicted)
    t = align(text, golds, preds)
    scored = ~t.ignored
    junk = (t.gold > 0) & scored
    removed = (t.pred > 0) & scored
    content = (t.gold == 0) & scored
    c: dict[str, int] = {
        "tokens": int(scored.sum()),
        "junk_tokens": int(junk.sum()),
        "content_tokens": int(content.sum()),
        "removed_tokens": int(removed.sum()),
        "junk_removed": int((junk & removed).sum()),
        "content_removed": int((content & removed).sum()),
        "label_match": int((junk & removed & (t.gold == t.pred)).sum()),
    }
    for label in LABELS:
        code = _CODE[label]
        c[f"{label}_tokens"] = int((t.gold == code)[scored].sum())
        c[f"{label}_removed"] = int(((t.gold == code) & removed).sum())
        c[f"{label}_predicted"] = int(((t.pred == code) & scored).sum())
        c[f"{label}_predicted_junk"] = int(((t.pred == code) & junk).sum())
    outcomes = []
    req = [g for g in golds if not g.optional]
    for i, g in enumerate(req):
        mine = t.gold_span == i
        n = int(mine.sum())
        if n:
            k = int((mine & (t.pred > 0)).sum())
            share = k / n
        else:
            k, share = 0, _char_covered_share(text, g, preds)
        outcomes.append(SpanOutcome(g.start, g.end, g.label, g.kind, n, k, share,
                                    share >= SPAN_REMOVED_SHARE - 1e-12))
    doc_id = str(doc.get("id", ""))
    outlet = doc.get("outlet")
    return DocEval(doc_id, category(doc_id), str(outlet) if outlet is not None else None, c, outcomes)


# ---------------------------------------------------------------- aggregation

def _div(a: float, b: float) -> float:
    return a / b if b else math.nan


@dataclass(frozen=True)
class Metrics:
    """Micro-averaged metrics over a group of documents (NaN where undefined)."""

    docs: int
    tokens: int
    junk_tokens: int
    content_tokens: int
    removed_tokens: int
    junk_precision: float
    junk_recall: float
    junk_f1: float
    retention: float
    label_accuracy: float
    promo_recall: float
    boilerplate_recall: float
    promo_precision: float
    boilerplate_precision: float
    spans: int
    spans_removed: int
    span_recall: float
    promo_spans: int
    promo_span_recall: float
    boilerplate_spans: int
    boilerplate_span_recall: float
    perfect_docs: int
    perfect_share: float

    @classmethod
    def from_docs(cls, docs: Sequence[DocEval]) -> "Metrics":
        c: dict[str, int] = defaultdict(int)
        for d in docs:
            for k, v in d.counts.items():
                c[k] += v
        p = _div(c["junk_removed"], c["removed_tokens"])
        r = _div(c["junk_removed"], c["junk_tokens"])
        f1 = _f1(p, r)
        spans = [s for d in docs for s in d.spans]
        by = {lab: [s for s in spans if s.label == lab] for lab in LABELS}
        perfect = sum(d.perfect for d in docs)
        return cls(
            docs=len(docs), tokens=c["tokens"], junk_tokens=c["junk_tokens"],
            content_tokens=c["content_tokens"], removed_tokens=c["removed_tokens"],
            junk_precision=p, junk_recall=r, junk_f1=f1,
            retention=1.0 - _div(c["content_removed"], c["content_tokens"]),
            label_accuracy=_div(c["label_match"], c["junk_removed"]),
            promo_recall=_div(c["promo_removed"], c["promo_tokens"]),
            boilerplate_recall=_div(c["boilerplate_removed"], c["boilerplate_tokens"]),
            promo_precision=_div(c["promo_predicted_junk"], c["promo_predicted"]),
            boilerplate_precision=_div(c["boilerplate_predicted_junk"], c["boilerplate_predicted"]),
            spans=len(spans), spans_removed=sum(s.removed for s in spans),
            span_recall=_div(sum(s.removed for s in spans), len(spans)),
            promo_spans=len(by["promo"]),
            promo_span_recall=_div(sum(s.removed for s in by["promo"]), len(by["promo"])),
            boilerplate_spans=len(by["boilerplate"]),
            boilerplate_span_recall=_div(sum(s.removed for s in by["boilerplate"]), len(by["boilerplate"])),
            perfect_docs=perfect, perfect_share=_div(perfect, len(docs)),
        )

    def to_dict(self) -> dict[str, float | int | None]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class KindMetrics:
    label: str
    kind: str
    spans: int
    spans_removed: int
    span_recall: float
    tokens: int
    token_recall: float


def _kind_metrics(docs: Sequence[DocEval]) -> list[KindMetrics]:
    groups: dict[tuple[str, str], list[SpanOutcome]] = defaultdict(list)
    for d in docs:
        for s in d.spans:
            groups[(s.label, s.kind)].append(s)
    out = []
    for (label, kind), ss in sorted(groups.items()):
        n_tok = sum(s.tokens for s in ss)
        out.append(KindMetrics(label, kind, len(ss), sum(s.removed for s in ss),
                               _div(sum(s.removed for s in ss), len(ss)), n_tok,
                               _div(sum(s.removed_tokens for s in ss), n_tok)))
    return out


@dataclass
class EvalReport:
    """Metrics overall, per id category, per outlet, per label and per span kind."""

    name: str
    overall: Metrics
    by_category: dict[str, Metrics]
    by_outlet: dict[str, Metrics]
    by_kind: list[KindMetrics]
    docs: list[DocEval] = field(repr=False, default_factory=list)

    def group(self, name: str) -> Metrics:
        """Metrics of a category or outlet by name (``overall`` for all documents)."""
        if name == "overall":
            return self.overall
        if name in self.by_category:
            return self.by_category[name]
        if name in self.by_outlet:
            return self.by_outlet[name]
        raise KeyError(f"no group {name!r}; have {['overall', *self.by_category, *self.by_outlet]}")

    def to_frame(self) -> "Any":
        """One row per group (``group`` = overall | category | outlet, ``name``), metric columns."""
        import pandas as pd

        rows = [{"predictor": self.name, "group": "overall", "name": "overall", **asdict(self.overall)}]
        rows += [{"predictor": self.name, "group": "category", "name": k, **asdict(m)} for k, m in self.by_category.items()]
        rows += [{"predictor": self.name, "group": "outlet", "name": k, **asdict(m)} for k, m in self.by_outlet.items()]
        return pd.DataFrame(rows)

    def label_frame(self) -> "Any":
        """Per-label rows: token recall/precision and span recall, overall."""
        import pandas as pd

        m = self.overall
        return pd.DataFrame([
            {"predictor": self.name, "label": lab,
             "gold_tokens": sum(d.counts[f"{lab}_tokens"] for d in self.docs),
             "token_recall": getattr(m, f"{lab}_recall"),
             "token_precision": getattr(m, f"{lab}_precision"),
             "spans": getattr(m, f"{lab}_spans"),
             "span_recall": getattr(m, f"{lab}_span_recall")}
            for lab in LABELS])

    def kind_frame(self) -> "Any":
        import pandas as pd

        return pd.DataFrame([{"predictor": self.name, **asdict(k)} for k in self.by_kind])

    def docs_frame(self) -> "Any":
        """One row per document: counts, retention, junk recall, spans missed, perfect."""
        import pandas as pd

        rows = []
        for d in self.docs:
            c = d.counts
            rows.append({"id": d.id, "category": d.category, "outlet": d.outlet, **c,
                         "junk_recall": _div(c["junk_removed"], c["junk_tokens"]),
                         "retention": d.retention,
                         "spans": len(d.spans), "spans_missed": sum(not s.removed for s in d.spans),
                         "perfect": d.perfect})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "overall": self.overall.to_dict(),
                "by_category": {k: m.to_dict() for k, m in self.by_category.items()},
                "by_outlet": {k: m.to_dict() for k, m in self.by_outlet.items()},
                "by_kind": [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                             for k, v in asdict(km).items()} for km in self.by_kind]}

    def format_table(self, outlets: bool = False, kinds: bool = True) -> str:
        """A plain-text table for the terminal."""
        return format_reports([self], outlets=outlets, kinds=kinds)


def evaluate(gold_docs: Sequence[Mapping[str, Any]], predicted: Sequence[Iterable[Span | Mapping[str, Any]]],
             name: str = "model") -> EvalReport:
    """Score predicted spans (one list per gold document, same order) against the gold."""
    if len(gold_docs) != len(predicted):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(predicted)} predictions")
    docs = [evaluate_doc(g, p) for g, p in zip(gold_docs, predicted)]
    cats: dict[str, list[DocEval]] = defaultdict(list)
    outs: dict[str, list[DocEval]] = defaultdict(list)
    for d in docs:
        cats[d.category].append(d)
        if d.outlet is not None:
            outs[d.outlet].append(d)
    return EvalReport(
        name=name, overall=Metrics.from_docs(docs),
        by_category={k: Metrics.from_docs(v) for k, v in cats.items()},
        by_outlet={k: Metrics.from_docs(v) for k, v in sorted(outs.items())},
        by_kind=_kind_metrics(docs), docs=docs)


def evaluate_predictor(gold_docs: Sequence[Mapping[str, Any]], predict: Predictor, name: str = "model") -> EvalReport:
    """``evaluate`` with predictions made by ``predict(text) -> spans``."""
    return evaluate(gold_docs, predict_all(predict, gold_docs), name=name)


# ---------------------------------------------------------------- terminal formatting

_COLS = (("docs", "docs", "{:d}"), ("junk_precision", "P", "{:.3f}"), ("junk_recall", "R", "{:.3f}"),
         ("junk_f1", "F1", "{:.3f}"), ("retention", "retain", "{:.4f}"),
         ("promo_recall", "promoR", "{:.3f}"), ("boilerplate_recall", "bpR", "{:.3f}"),
         ("promo_span_recall", "promoSpR", "{:.3f}"), ("boilerplate_span_recall", "bpSpR", "{:.3f}"),
         ("perfect_docs", "perfect", "{:d}"))


def _fmt(v: Any, f: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f.format(v)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def format_reports(reports: Sequence[EvalReport], outlets: bool = False, kinds: bool = True) -> str:
    """Side-by-side terminal tables for one or more reports on the same gold documents."""
    header = ["predictor", "group", *(c[1] for c in _COLS)]
    rows = []
    for rep in reports:
        groups = [("overall", rep.overall), *sorted(rep.by_category.items())]
        if outlets:
            groups += list(rep.by_outlet.items())
        for name, m in groups:
            rows.append([rep.name, name, *(_fmt(getattr(m, k), f) for k, _, f in _COLS)])
    out = [_table(header, rows)]
    if kinds:
        keys = sorted({(k.label, k.kind) for r in reports for k in r.by_kind})
        header = ["label", "kind", "spans", *(f"{r.name} spanR" for r in reports)]
        krows = []
        for lab, kind in keys:
            per = [{(k.label, k.kind): k for k in r.by_kind}.get((lab, kind)) for r in reports]
            n = next(k.spans for k in per if k is not None)
            krows.append([lab, kind or "-", str(n),
                          *(_fmt(k.span_recall if k else None, "{:.3f}") for k in per)])
        out.append(_table(header, krows))
    return "\n\n".join(out)


# ---------------------------------------------------------------- tables for notebooks

def token_table(gold_docs: Sequence[Mapping[str, Any]], predicted: Sequence[Iterable[Span | Mapping[str, Any]]]) -> "Any":
    """One row per ``\\w+`` token: doc id, category, outlet, offsets, gold and predicted class,
    gold/predicted kind, predicted score (0 when no span covers it) and ``ignored`` (optional).

    Pass *all candidate spans* (``model.predict_spans``) to sweep thresholds afterwards:
    a token is removed at threshold ``t`` when ``pred != 'content'`` and ``score >= t``.
    """
    import pandas as pd

    if len(gold_docs) != len(predicted):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(predicted)} predictions")
    parts = []
    for doc, preds in zip(gold_docs, predicted):
        t = align(doc["text"], gold_spans(doc), _as_spans(preds))
        n = len(t.starts)
        gk = np.array([t.golds[i].kind if i >= 0 else "" for i in t.gold_span], dtype=object)
        pk = np.array([t.preds[i].kind if i >= 0 else "" for i in t.pred_span], dtype=object)
        doc_id = str(doc.get("id", ""))
        parts.append(pd.DataFrame({
            "doc_id": [doc_id] * n, "category": [category(doc_id)] * n,
            "outlet": [doc.get("outlet")] * n,
            "start": t.starts, "end": t.ends,
            "gold": np.array(CLASSES, dtype=object)[t.gold], "gold_kind": gk,
            "ignored": t.ignored,
            "pred": np.array(CLASSES, dtype=object)[t.pred], "pred_kind": pk,
            "score": t.score,
        }))
    if not parts:
        return pd.DataFrame(columns=["doc_id", "category", "outlet", "start", "end", "gold", "gold_kind",
                                     "ignored", "pred", "pred_kind", "score"])
    return pd.concat(parts, ignore_index=True)


def span_table(gold_docs: Sequence[Mapping[str, Any]], predicted: Sequence[Iterable[Span | Mapping[str, Any]]]) -> "Any":
    """One row per predicted span: offsets, label, kind, score, its tokens, the share of them
    that are gold junk (``junk_share``) and of the same gold label (``label_share``), and
    ``correct`` = junk_share >= 0.5 (for calibration plots). Ignored tokens do not count."""
    import pandas as pd

    rows = []
    for doc, preds in zip(gold_docs, predicted):
        text = doc["text"]
        golds = gold_spans(doc)
        t = align(text, golds, _as_spans(preds))
        req = [g for g in golds if not g.optional]
        for i, p in enumerate(t.preds):
            mine = (t.pred_span == i) & ~t.ignored
            n = int(mine.sum())
            if n:
                junk = float((t.gold[mine] > 0).mean())
                same = float((t.gold[mine] == _CODE[p.label]).mean())
            else:  # no word characters: use character overlap with gold spans
                chars = [k for k in range(p.start, p.end) if not text[k].isspace()] or list(range(p.start, p.end))
                hits = [next((g for g in req if g.start <= k < g.end), None) for k in chars]
                junk = _div(sum(h is not None for h in hits), len(chars))
                same = _div(sum(h is not None and h.label == p.label for h in hits), len(chars))
                junk = 0.0 if math.isnan(junk) else junk
                same = 0.0 if math.isnan(same) else same
            doc_id = str(doc.get("id", ""))
            rows.append({"doc_id": doc_id, "category": category(doc_id), "start": p.start, "end": p.end,
                         "label": p.label, "kind": p.kind, "score": float(p.score), "tokens": n,
                         "junk_share": junk, "label_share": same, "correct": junk >= 0.5})
    return pd.DataFrame(rows, columns=["doc_id", "category", "start", "end", "label", "kind", "score",
                                       "tokens", "junk_share", "label_share", "correct"])


def gold_span_table(gold_docs: Sequence[Mapping[str, Any]], predicted: Sequence[Iterable[Span | Mapping[str, Any]]]) -> "Any":
    """One row per non-optional gold span with its removed share and outcome."""
    import pandas as pd

    rows = []
    for doc, preds in zip(gold_docs, predicted):
        d = evaluate_doc(doc, preds)
        for s in d.spans:
            rows.append({"doc_id": d.id, "category": d.category, "outlet": d.outlet, **asdict(s)})
    return pd.DataFrame(rows, columns=["doc_id", "category", "outlet", *(f.name for f in fields(SpanOutcome))])


def _f1(p: float, r: float) -> float:
    """F1 of a precision and a recall; 0 when either is 0, NaN when both are undefined."""
    return 2 * p * r / (p + r) if (p + r) > 0 else (0.0 if p == 0 or r == 0 else math.nan)


def threshold_sweep(table: "Any", thresholds: Sequence[float] | None = None, label: str | None = None,
                    base: Mapping[str, float] | None = None) -> "Any":
    """Junk precision/recall/F1 and content retention of a ``token_table`` as a threshold varies.

    With ``label=None`` one threshold applies to every label; with a label, only that label's
    threshold varies and the others stay at ``base`` (default 0.5).
    """
    import pandas as pd

    if thresholds is None:
        thresholds = np.round(np.linspace(0.0, 1.0, 101), 2)
    t = table[~table["ignored"].astype(bool)]
    junk = (t["gold"] != "content").to_numpy()
    pred = t["pred"].to_numpy()
    score = t["score"].to_numpy()
    base = dict(base or {})
    base_thr = np.array([base.get(p, 0.5) for p in pred], dtype=np.float64)
    rows = []
    for th in thresholds:
        thr = np.where(pred == label, th, base_thr) if label is not None else th
        removed = (pred != "content") & (score >= thr)
        tp = int((removed & junk).sum())
        p = _div(tp, int(removed.sum()))
        r = _div(tp, int(junk.sum()))
        f1 = _f1(p, r)
        n_content = int((~junk).sum())
        rows.append({"threshold": float(th), "junk_precision": p, "junk_recall": r, "junk_f1": f1,
                     "retention": 1.0 - _div(int((removed & ~junk).sum()), n_content)})
    return pd.DataFrame(rows)


def pr_curve(table: "Any", label: str) -> "Any":
    """Token precision-recall points for one label: a token is positive when its gold class is
    ``label``; its score is the predicted score when predicted as ``label``, else 0 (such
    tokens are never removed, so the curve ends at the highest recall candidates reach)."""
    import pandas as pd
    from sklearn.metrics import precision_recall_curve

    t = table[~table["ignored"].astype(bool)]
    y = (t["gold"] == label).to_numpy()
    s = np.where(t["pred"].to_numpy() == label, t["score"].to_numpy(), 0.0)
    if not y.any():
        return pd.DataFrame(columns=["threshold", "precision", "recall"])
    prec, rec, th = precision_recall_curve(y, s)
    df = pd.DataFrame({"threshold": np.append(th, np.nan), "precision": prec, "recall": rec})
    # tokens no candidate span covers have score 0: a threshold of 0 is not an operating point
    return df[~(df["threshold"] <= 0)].reset_index(drop=True)


def calibration(spans: "Any", bins: int = 10) -> "Any":
    """Reliability table of a ``span_table``: per score bin, mean score, share correct, count."""
    import pandas as pd

    if len(spans) == 0:
        return pd.DataFrame(columns=["bin", "mean_score", "frac_correct", "count"])
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(spans["score"].to_numpy(), edges[1:-1]), 0, bins - 1)
    df = pd.DataFrame({"bin": idx, "score": spans["score"].to_numpy(),
                       "correct": spans["correct"].astype(float).to_numpy()})
    g = df.groupby("bin").agg(mean_score=("score", "mean"), frac_correct=("correct", "mean"),
                              count=("score", "size")).reset_index()
    g["bin_low"] = edges[g["bin"]]
    g["bin_high"] = edges[g["bin"] + 1]
    return g


def confusion(table: "Any", normalize: bool = False) -> "Any":
    """Gold-by-predicted token counts over the classes content/promo/boilerplate."""
    import pandas as pd

    t = table[~table["ignored"].astype(bool)]
    m = pd.crosstab(pd.Categorical(t["gold"], CLASSES), pd.Categorical(t["pred"], CLASSES),
                    rownames=["gold"], colnames=["predicted"], dropna=False)
    if normalize:
        m = m.div(m.sum(axis=1).replace(0, np.nan), axis=0)
    return m
