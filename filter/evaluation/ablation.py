"""Measured contribution of each decode step: decode with every step on, then once with each
revision rule off, and compare on labelled sets (``filter evaluate --ablate``).

Each document is analysed once (the models run once); only the cheap decode stage is re-run per
configuration. A row per (set, step): how many documents the step changes, and the change in
junk F1, content retention, span recall per label and perfect documents when it is switched
OFF (negative = the step helps). ``fires`` counts what the step changed with every step on.

Given the Cleaner's removal policy (and its document model), the page-level steps that run after
the decode (``filter.cleaner.PAGE_STEPS``: ``language_guard``, ``promo_page``) are measured the
same way: the document verdicts and languages are computed once per set, and the Cleaner's own
``apply_page_steps`` is re-applied per configuration, so "all steps on" is what
``Cleaner.detect_many`` returns. Their rows have ``level`` "page"; ``promo_page`` needs the
document model (without one its row is absent).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from filter.decode import RULES, DecodeConfig, add_counts
from filter.decode import decode as decode_steps
from filter.evaluation.metrics import Metrics, evaluate
from filter.spans import Span

METRICS = ("junk_f1", "retention", "promo_span_recall", "boilerplate_span_recall", "perfect_docs")


@dataclass(frozen=True)
class AblationRow:
    """One step switched off on one set: documents changed and metric deltas (off − all on)."""

    set: str
    step: str
    fires: int                 # what the step changed over the set, with every step on
    docs_changed: int
    junk_f1: float
    retention: float
    promo_span_recall: float
    boilerplate_span_recall: float
    perfect_docs: int
    level: str = "decode"      # "decode": a rule of filter.decode; "page": a page-level step after it


@dataclass
class Ablation:
    """The ablation table: per set, the metrics with every step on and one row per step."""

    sets: dict[str, dict[str, Any]] = field(default_factory=dict)   # set -> {"docs": n, metric: value}
    rows: list[AblationRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        clean = lambda v: None if isinstance(v, float) and math.isnan(v) else v  # noqa: E731
        return {"sets": self.sets, "rows": [{k: clean(v) for k, v in asdict(r).items()} for r in self.rows]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Ablation":
        nan = lambda v: math.nan if v is None else v  # noqa: E731
        return cls(dict(d.get("sets", {})), [AblationRow(**{k: nan(v) for k, v in r.items()}) for r in d.get("rows", [])])

    def row(self, set_name: str, step: str) -> AblationRow:
        for r in self.rows:
            if r.set == set_name and r.step == step:
                return r
        raise KeyError(f"no ablation row for step {step!r} on set {set_name!r}")

    def format(self) -> str:
        """One plain-text table: a row per step, a column group per set."""
        return format_ablation(self)


def _key(spans: Sequence[Span]) -> list[tuple]:
    return [(s.start, s.end, s.label, s.kind) for s in spans]


def _kept(spans: Sequence[Span], th: Mapping[str, float]) -> list[Span]:
    """What a Cleaner with the model's thresholds keeps (``Cleaner._keep``)."""
    return [s for s in spans if s.score >= th.get(s.label, 0.5)]


def analyse(model: Any, texts: Sequence[str], batch: int = 128) -> list[Any]:
    """The model's analyses of ``texts`` (None for blank ones), batch by batch."""
    from threadpoolctl import threadpool_limits

    out: list[Any] = [None] * len(texts)
    live = [i for i, t in enumerate(texts) if t and t.strip()]
    with threadpool_limits(limits=1, user_api="openmp"):
        for k in range(0, len(live), batch):
            idx = live[k:k + batch]
            for i, a in zip(idx, model.analyze_many([texts[i] for i in idx])):
                out[i] = a
    return out


@dataclass(frozen=True)
class PageInputs:
    """What the page-level steps need per document, computed once: the document verdict (None
    without a document model) and whether the page is confidently not Indonesian."""

    verdicts: list[Any]
    foreign: list[bool]


def page_inputs(texts: Sequence[str], doc_model: Any = None) -> PageInputs:
    """Document verdicts (batch) and the language guard's verdict for ``texts``, as the Cleaner
    computes them."""
    from filter.langid import page_language

    verdicts = doc_model.verdicts(list(texts)) if doc_model is not None else [None] * len(texts)
    return PageInputs(list(verdicts), [page_language(t)[1] for t in texts])


def _decode_all(model: Any, analyses: Sequence[Any], th: Mapping[str, float], cfg: DecodeConfig,
                counts: dict[str, int] | None = None, texts: Sequence[str] | None = None,
                page: PageInputs | None = None, policy: Any = None) -> list[list[Span]]:
    """Kept spans per document under ``cfg``; with ``page`` and ``policy``, then the page-level
    steps (``filter.cleaner.apply_page_steps``) as the Cleaner runs them."""
    from filter.cleaner import apply_page_steps

    out = []
    for i, a in enumerate(analyses):
        if a is None:
            kept: list[Span] = []
        else:
            r = decode_steps(model, a, dict(th), cfg)
            if counts is not None:
                add_counts(counts, r.counts)
            kept = _kept(r.spans, th)
        if page is not None and policy is not None and texts is not None:
            kept = apply_page_steps(texts[i], kept, page.verdicts[i], page.foreign[i], policy, counts)
        out.append(kept)
    return out


def _metrics(m: Metrics) -> dict[str, Any]:
    return {k: getattr(m, k) for k in METRICS}


def page_steps_on(policy: Any, doc_model: Any) -> list[str]:
    """The page-level steps switched on in ``policy`` that can run (``promo_page`` needs a
    document model), in the Cleaner's order."""
    from filter.cleaner import PAGE_STEP_SWITCHES, PAGE_STEPS

    if policy is None:
        return []
    return [s for s in PAGE_STEPS if getattr(policy, PAGE_STEP_SWITCHES[s])
            and (s != "promo_page" or doc_model is not None)]


def ablate(model: Any, sets: Mapping[str, Sequence[Mapping[str, Any]]], steps: Sequence[str] | None = None,
           config: DecodeConfig | None = None, progress: Callable[[str], None] | None = None,
           policy: Any = None, doc_model: Any = None) -> Ablation:
    """Decode every set with ``config`` (default: the model's) and once per step in ``steps``
    (default: every revision rule still on) switched off; analyses are computed once per set.

    With ``policy`` (a ``filter.cleaner.Policy``; its ``threshold`` must be None), the page-level
    steps follow the decode in every configuration, as in ``Cleaner(model, policy, doc_model)``,
    and each page step switched on gets a row of its own (switched off in the policy)."""
    from filter.cleaner import PAGE_STEP_SWITCHES

    if policy is not None and policy.threshold is not None:
        raise ValueError("the ablation measures the model at its own thresholds: policy.threshold must be None")
    base_cfg = config or getattr(model, "decode_config_", None) or DecodeConfig()
    steps = [s for s in (steps if steps is not None else RULES) if base_cfg.on(s)]
    pages = page_steps_on(policy, doc_model)
    th = dict(model.thresholds)
    # a span model trained on the document verdict reads it from doc_model (a paired copy)
    paired = model.attach_doc_model(doc_model) if getattr(model, "uses_doc_verdict", False) and doc_model else model
    out = Ablation()
    for name, docs in sets.items():
        if progress:
            progress(f"ablation: analysing {len(docs)} documents of {name}")
        texts = [d["text"] for d in docs]
        analyses = analyse(paired, texts)
        page = page_inputs(texts, doc_model) if policy is not None else None
        fires: dict[str, int] = {}
        base_pred = _decode_all(model, analyses, th, base_cfg, fires, texts, page, policy)
        base = evaluate(docs, base_pred).overall
        out.sets[name] = {"docs": len(docs), **_metrics(base)}
        base_keys = [_key(p) for p in base_pred]
        configs = [(s, "decode", replace(base_cfg, off=base_cfg.off + (s,)), policy) for s in steps]
        configs += [(s, "page", base_cfg, replace(policy, **{PAGE_STEP_SWITCHES[s]: False})) for s in pages]
        for step, level, cfg, pol in configs:
            pred = _decode_all(model, analyses, th, cfg, None, texts, page, pol)
            m = evaluate(docs, pred).overall
            changed = sum(_key(p) != k for p, k in zip(pred, base_keys))
            out.rows.append(AblationRow(name, step, fires.get(step, 0), changed,
                                        *(getattr(m, k) - getattr(base, k) for k in METRICS), level=level))
        if progress:
            progress(f"ablation: {name} done ({len(configs)} steps)")
    return out


def _f(v: Any, signed: bool = True, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, int):
        return f"{v:+d}" if signed else str(v)
    return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


def format_ablation(ab: Ablation, markdown: bool = False) -> str:
    """The table: per set, a header line with the all-on metrics, then a row per step with its
    level (``decode``: a rule of ``filter/decode.py``; ``page``: a page-level step after the
    decode, ``filter/cleaner.py``), firings, documents changed and the deltas when it is off."""
    head = ["step", "level", "fires", "docs changed", "Δ junk F1", "Δ retention", "Δ promo spR", "Δ boiler spR", "Δ perfect"]
    lines: list[str] = []
    for name, base in ab.sets.items():
        title = (f"{name}: {base['docs']} documents; all steps on: junk F1 {_f(base['junk_f1'], False)}, "
                 f"retention {_f(base['retention'], False)}, promo spR {_f(base['promo_span_recall'], False, 3)}, "
                 f"boiler spR {_f(base['boilerplate_span_recall'], False, 3)}, perfect {base['perfect_docs']}")
        rows = [[r.step, r.level, str(r.fires), str(r.docs_changed), _f(r.junk_f1), _f(r.retention),
                 _f(r.promo_span_recall, digits=3), _f(r.boilerplate_span_recall, digits=3), _f(r.perfect_docs)]
                for r in ab.rows if r.set == name]
        if markdown:
            lines += [f"**{title}** (Δ = step switched off − all on; level page = a page-level step after the decode)", "",
                      "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(r) + " |" for r in rows] + [""]
        else:
            w = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
            lines += [title + "  (Δ = step switched off − all on)",
                      "  ".join(h.ljust(w[i]) for i, h in enumerate(head))]
            lines += ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rows] + [""]
    return "\n".join(lines).rstrip() + "\n"
