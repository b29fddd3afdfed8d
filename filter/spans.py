"""Result data model: offset-addressed spans and the cleaning result.

Offsets are Python string offsets (code points, end exclusive) into the *original* text;
``text[span.start:span.end]`` is the span. Spans in a result are sorted and never overlap.
"""
from __future__ import annotations

import json
import math
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

LABELS = ("promo", "boilerplate")
DOC_KEYS = ("doc_label", "doc_score", "language")


@dataclass(frozen=True, slots=True)
class Span:
    """A junk span: ``text[start:end]`` with a label, a free-text kind, a probability and its
    provenance: ``step``, the decode step that made it or last changed it (``filter.decode``;
    "" when unknown, e.g. spans read from elsewhere)."""

    start: int
    end: int
    label: str
    kind: str = ""
    score: float = 1.0
    step: str = ""

    def __post_init__(self) -> None:
        try:  # accept numpy integers, store plain ints
            start, end = operator.index(self.start), operator.index(self.end)
        except TypeError:
            raise ValueError(f"span offsets must be integers, got {self.start!r}:{self.end!r}") from None
        if not (0 <= start <= end):
            raise ValueError(f"invalid span offsets {start}:{end}")
        if self.label not in LABELS:
            raise ValueError(f"unknown span label {self.label!r}; expected one of {LABELS}")
        try:
            score = float(self.score)
        except (TypeError, ValueError):
            raise ValueError(f"span score must be a number, got {self.score!r}") from None
        if not math.isfinite(score):
            raise ValueError(f"span score must be finite, got {score}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "score", score)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label,
                "kind": self.kind, "score": round(float(self.score), 4), "step": self.step}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Span":
        return cls(int(d["start"]), int(d["end"]), str(d["label"]),
                   str(d.get("kind", "")), float(d.get("score", 1.0)), str(d.get("step", "")))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> "Span":
        return cls.from_dict(json.loads(s))


_NON_SPACE = re.compile(r"\S")   # \s is str.isspace()


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` with surrounding whitespace (``str.isspace``) left out, without copying
    the range; ``(start, start)`` when it is all whitespace."""
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return start, start
    while text[end - 1].isspace():
        end -= 1
    return first.start(), end


def check_spans(text: str, spans: Iterable[Span]) -> list[Span]:
    """Return spans sorted; raise ValueError if any is out of bounds or overlaps another."""
    out = sorted(spans, key=lambda s: (s.start, s.end))
    prev_end = 0
    for s in out:
        if s.end > len(text):
            raise ValueError(f"span {s.start}:{s.end} out of bounds for text of length {len(text)}")
        if s.start < prev_end:
            raise ValueError(f"span {s.start}:{s.end} overlaps the previous span ending at {prev_end}")
        prev_end = s.end
    return out


@dataclass(slots=True)
class CleanResult:
    """The outcome of cleaning one document.

    ``cleaned`` is derived from ``text`` and the *removed* spans (see ``filter.render``);
    ``spans`` lists every detected span, removed or (in annotate-only mode) not.
    Ratios are shares of the original characters covered by spans: a document quality score.
    ``doc_label`` is the document model's verdict (``promo``, ``gambling_news``, ``ordinary``;
    empty without a document model), ``doc_score`` its calibrated probability, ``language``
    the detected language code (``id`` for Indonesian; empty for a text without letters).
    """

    text: str
    cleaned: str
    spans: list[Span] = field(default_factory=list)
    model_version: str = ""
    doc_label: str = ""
    doc_score: float | None = None
    language: str = ""

    def _ratio(self, label: str | None) -> float:
        if not self.text:
            return 0.0
        n = sum(s.end - s.start for s in self.spans if label is None or s.label == label)
        return n / len(self.text)

    @property
    def junk_ratio(self) -> float:
        return self._ratio(None)

    @property
    def promo_ratio(self) -> float:
        return self._ratio("promo")

    @property
    def boilerplate_ratio(self) -> float:
        return self._ratio("boilerplate")

    def quality(self) -> dict[str, float]:
        return {"junk_ratio": round(self.junk_ratio, 4), "promo_ratio": round(self.promo_ratio, 4),
                "boilerplate_ratio": round(self.boilerplate_ratio, 4)}

    def doc_fields(self) -> dict[str, Any]:
        """``doc_label``, ``doc_score`` (rounded) and ``language``, as written to outputs."""
        return {"doc_label": self.doc_label,
                "doc_score": None if self.doc_score is None else round(float(self.doc_score), 4),
                "language": self.language}

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "cleaned": self.cleaned,
                "spans": [s.to_dict() for s in self.spans],
                **self.quality(), **self.doc_fields(), "model_version": self.model_version}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CleanResult":
        score = d.get("doc_score")
        return cls(d["text"], d["cleaned"], [Span.from_dict(s) for s in d.get("spans", [])],
                   d.get("model_version", ""), str(d.get("doc_label") or ""),
                   None if score is None else float(score), str(d.get("language") or ""))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> "CleanResult":
        return cls.from_dict(json.loads(s))
