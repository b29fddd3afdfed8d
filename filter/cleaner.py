"""The library entry point: ``Cleaner.load()`` once, then ``clean(text)`` per document.

Pipeline: segment → featurize → classify → decode spans (all inside the model's
``predict_spans``) → render (``filter.render``). A ``Cleaner`` holds only the loaded model and
an immutable removal policy; ``clean`` keeps no state between calls, so one instance is safe
to share between threads.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence

from filter.spans import LABELS, CleanResult, Span, check_spans

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "filter-id-news.npz"


class SpanModel(Protocol):
    """What a Cleaner needs from a model: scored spans for a text, and its identity."""

    version: str
    thresholds: dict[str, float]

    def predict_spans(self, text: str) -> list[Span]:
        """All candidate spans with calibrated scores, sorted and non-overlapping."""


@dataclass(frozen=True)
class Policy:
    """What to remove: labels in ``remove`` whose score reaches the threshold.

    ``threshold=None`` uses the per-label thresholds stored with the model (chosen on the
    validation split); a number overrides them for every label.
    ``annotate_only`` reports the spans and leaves the text untouched.
    ``remove`` is a label or a collection of labels: ``remove="promo"`` is the one label "promo".
    """

    remove: tuple[str, ...] = LABELS
    threshold: float | None = None
    annotate_only: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.remove, str):  # one label, not its letters
            object.__setattr__(self, "remove", (self.remove,))
        elif not isinstance(self.remove, tuple):
            object.__setattr__(self, "remove", tuple(self.remove))
        bad = [r for r in self.remove if r not in LABELS]
        if bad:
            raise ValueError(f"unknown label(s) to remove: {', '.join(bad)}; choose from {', '.join(LABELS)}")
        if self.threshold is not None and not (0.0 <= self.threshold <= 1.0):
            raise ValueError(f"threshold must be between 0 and 1, got {self.threshold}")


def _only_strings(texts: Iterable[Any]) -> Iterator[str]:
    """Pass ``texts`` through, raising ``TypeError`` at the first item that is not a ``str``."""
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be str, not {type(t).__name__}")
        yield t


@dataclass
class Cleaner:
    """Cleans documents with a loaded model under a removal policy."""

    model: SpanModel
    policy: Policy = field(default_factory=Policy)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, **policy: Any) -> "Cleaner":
        """Load a model artifact (default: the bundled one in ``models/``), verifying its checksum."""
        from filter.artifact import load_model

        return cls(load_model(path or os.environ.get("FILTER_MODEL") or DEFAULT_MODEL), Policy(**policy))

    @property
    def version(self) -> str:
        return self.model.version

    def with_policy(self, **changes: Any) -> "Cleaner":
        from dataclasses import replace

        return Cleaner(self.model, replace(self.policy, **changes))

    def _keep(self, span: Span) -> bool:
        th = self.policy.threshold
        return span.score >= (th if th is not None else self.model.thresholds.get(span.label, 0.5))

    def detect_many(self, texts: Sequence[str], counts: dict[str, int] | None = None) -> list[list[Span]]:
        """``detect`` for a batch: one model call per stage for the whole batch when the model can.
        When ``counts`` is given (a dict the caller owns), each decode step's firings are added
        to it (``filter.decode``; models without decode steps add nothing)."""
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"text must be str, not {type(t).__name__}")
        many = getattr(self.model, "predict_spans_many", None)
        if many is not None:
            th = None if self.policy.threshold is None else dict.fromkeys(LABELS, self.policy.threshold)
            raw = many(list(texts), th) if counts is None else many(list(texts), th, counts=counts)
        else:
            raw = [self.model.predict_spans(t) for t in texts]
        return [check_spans(t, [s for s in spans if self._keep(s)]) for t, spans in zip(texts, raw)]

    def detect(self, text: str) -> list[Span]:
        """Spans whose score reaches the policy's (or the model's per-label) threshold."""
        return self.detect_many([text])[0]

    def _result(self, text: str, spans: list[Span]) -> CleanResult:
        from filter.render import render

        if self.policy.annotate_only:
            cleaned = text
        else:
            cleaned = render(text, [s for s in spans if s.label in self.policy.remove])
        return CleanResult(text, cleaned, spans, self.model.version)

    def clean(self, text: str) -> CleanResult:
        """Clean one document. Raises TypeError for non-string input."""
        return self._result(text, self.detect(text))

    def clean_batch(self, texts: Sequence[str], counts: dict[str, int] | None = None) -> list[CleanResult]:
        """Clean a list of documents with one model call per stage (faster than ``clean`` each);
        ``counts`` as in ``detect_many``."""
        return [self._result(t, s) for t, s in zip(texts, self.detect_many(texts, counts))]

    def clean_many(self, texts: Iterable[str], n_jobs: int = 1, chunksize: int = 64) -> Iterator[CleanResult]:
        """Clean many documents in input order; ``n_jobs>1`` uses processes (model loaded once per worker).

        Every item must be a ``str``: any other value (``None`` included) raises ``TypeError``
        naming its position, whatever ``n_jobs`` is, when the iteration reaches it (results
        before it have been yielded). For records that may lack a text, use the CLI or
        ``filter.parallel.clean_records``, which return an error per record instead.
        """
        texts = _only_strings(texts)
        if n_jobs == 1:
            batch: list[str] = []
            for t in texts:
                batch.append(t)
                if len(batch) >= chunksize:
                    yield from self.clean_batch(batch)
                    batch = []
            if batch:
                yield from self.clean_batch(batch)
            return
        from filter.parallel import imap_clean

        yield from imap_clean(self, texts, n_jobs=n_jobs, chunksize=chunksize)

    def clean_frame(self, df: "Any", text_column: str = "text", prefix: str = "") -> "Any":
        """Return a copy of a pandas DataFrame with ``cleaned``, ``spans`` and ratio columns added."""
        if text_column not in df.columns:
            raise KeyError(f"no column {text_column!r}; columns are {list(df.columns)}")
        col = list(df[text_column])
        ok = [i for i, t in enumerate(col) if isinstance(t, str)]
        results: list[CleanResult | None] = [None] * len(col)
        for i, r in zip(ok, self.clean_batch([col[i] for i in ok])):
            results[i] = r
        out = df.copy()
        out[prefix + "cleaned"] = [r.cleaned if r else None for r in results]
        out[prefix + "spans"] = [[s.to_dict() for s in r.spans] if r else None for r in results]
        for key in ("junk_ratio", "promo_ratio", "boilerplate_ratio"):
            out[prefix + key] = [r.quality()[key] if r else None for r in results]
        return out
