"""A small deterministic stand-in for the trained model, for tests that must not depend on it.

``FakeModel`` implements the ``SpanModel`` protocol with two rules:

- a token matching ``[A-Za-z]+\\d{2,3}`` (e.g. ``Gacor77``) is ``promo``/``inline_brand``, score 0.9;
- a line starting with ``Baca juga:`` (any case) is ``boilerplate``/``related_link``, score 0.8.

Options make it misbehave on purpose: ``fail_on`` raises ``RuntimeError`` for texts containing
that marker, ``interrupt_after`` raises ``KeyboardInterrupt`` on the n-th call (per process),
``delay`` sleeps per call.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from filter.cleaner import Cleaner, Policy
from filter.spans import Span

PROMO = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+\d{2,3}(?![A-Za-z0-9])")
BOILER = re.compile(r"(?im)^[ \t]*baca juga:[^\r\n]*")


@dataclass
class FakeModel:
    version: str = "fake-1"
    thresholds: dict = None  # type: ignore[assignment]
    fail_on: str | None = None
    interrupt_after: int | None = None
    delay: float = 0.0
    calls: int = 0

    def __post_init__(self) -> None:
        if self.thresholds is None:
            self.thresholds = {"promo": 0.5, "boilerplate": 0.5}

    def predict_spans(self, text: str) -> list[Span]:
        self.calls += 1
        if self.interrupt_after is not None and self.calls > self.interrupt_after:
            raise KeyboardInterrupt
        if self.fail_on is not None and self.fail_on in text:
            raise RuntimeError(f"fake model failure on {self.fail_on!r}")
        if self.delay:
            time.sleep(self.delay)
        spans = [Span(m.start(), m.end(), "boilerplate", "related_link", 0.8) for m in BOILER.finditer(text)]
        covered = [(s.start, s.end) for s in spans]
        for m in PROMO.finditer(text):
            if not any(a <= m.start() < b for a, b in covered):
                spans.append(Span(m.start(), m.end(), "promo", "inline_brand", 0.9))
        return sorted(spans, key=lambda s: s.start)


def fake_cleaner(**policy) -> Cleaner:
    """A Cleaner around a fresh ``FakeModel``; keyword args starting with ``model_`` go to the model."""
    model_kw = {k[len("model_"):]: policy.pop(k) for k in list(policy) if k.startswith("model_")}
    return Cleaner(FakeModel(**model_kw), Policy(**policy))


def rendered(text: str, remove: tuple[str, ...] = ("promo", "boilerplate")) -> str:
    """What ``filter.render`` makes of ``text`` with the fake model's spans removed (test oracle)."""
    from filter.render import render

    return render(text, [s for s in FakeModel().predict_spans(text) if s.label in remove])


class OpenMPModel(FakeModel):
    """The fake rules, plus a small scikit-learn gradient-boosting prediction per call.

    ``HistGradientBoostingClassifier.predict_proba`` runs OpenMP (GNU libgomp) threads, like the
    real model: a process that has used them and then forks gets hanging workers.
    """

    def __init__(self) -> None:
        super().__init__(version="fake-omp-1")
        import numpy as np
        from sklearn.ensemble import HistGradientBoostingClassifier

        rng = np.random.default_rng(0)
        X = rng.normal(size=(200, 3))
        self.hgb = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(X, X[:, 0] > 0)

    def predict_spans(self, text: str) -> list[Span]:
        import numpy as np

        self.hgb.predict_proba(np.full((200, 3), float(len(text))))
        return super().predict_spans(text)
