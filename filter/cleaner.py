"""The library entry point: ``Cleaner.load()`` once, then ``clean(text)`` per document.

Pipeline: segment → featurize → classify → decode spans (all inside the model's
``predict_spans``) → page-level steps (the document model's verdict, ``filter.doc``, and the
language guard, ``filter.langid``; ``apply_page_steps``) → render (``filter.render``). A
``Cleaner`` holds the loaded span model, the document model (optional) and an immutable policy;
``clean`` keeps no state between calls, so one instance is safe to share between threads.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, Iterator, Protocol, Sequence

from filter.doc import DEFAULT_DOC_MODEL
from filter.spans import DOC_KEYS, LABELS, CleanResult, Span, check_spans

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

    Document-level steps: ``promo_pages`` (needs the document model, ``Cleaner.doc_model``)
    turns a page the document model calls ``promo`` into promo spans over all
    its text outside the kept boilerplate spans (``filter.doc.promo_page_spans``);
    ``language_guard`` keeps, in a document confidently detected as not Indonesian, only spans
    scoring at least ``foreign_threshold`` (the span model learned Indonesian).
    """

    remove: tuple[str, ...] = LABELS
    threshold: float | None = None
    annotate_only: bool = False
    promo_pages: bool = True
    language_guard: bool = True
    foreign_threshold: float = 0.9

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
        if not (0.0 <= self.foreign_threshold <= 1.0):
            raise ValueError(f"foreign_threshold must be between 0 and 1, got {self.foreign_threshold}")


# The page-level steps, in the order ``apply_page_steps`` runs them after the span decode; each is
# switched by the ``Policy`` field of the same meaning (``PAGE_STEP_SWITCHES``).
PAGE_STEPS = ("language_guard", "promo_page")
PAGE_STEP_SWITCHES = {"language_guard": "language_guard", "promo_page": "promo_pages"}


def language_guard(spans: Sequence[Span], threshold: float) -> list[Span]:
    """The out-of-language step: on a page confidently not Indonesian, keep only spans scoring at
    least ``threshold`` (``Policy.foreign_threshold``).

    Reason: the span model learned Indonesian pages; on English, Malay or Vietnamese text its
    scores are not calibrated, and ordinary sentences there look as unfamiliar as promotion, so
    at the Indonesian thresholds it removes large parts of a foreign page's text (issue 16: an
    English page lost over a third of it). Only spans the model is confident about stay.
    The language comes from ``filter.langid`` (py3langid, offline), computed once per page.
    """
    return [s for s in spans if s.score >= threshold]


def apply_page_steps(text: str, kept: Sequence[Span], verdict: Any, foreign: bool, policy: Policy,
                     counts: dict[str, int] | None = None) -> list[Span]:
    """The page-level steps after the span decode, on one page's kept spans: ``language_guard``
    (when ``foreign``; counts the spans it drops), then ``promo_page`` (when the document
    ``verdict`` is ``promo``; counts the pages, ``filter.doc.promo_page_spans``). Each runs only
    when its ``Policy`` switch is on. Pure: the models' outputs come in, spans go out; the
    Cleaner and the ablation (``filter.evaluation.ablation``) share it."""
    from filter.doc import promo_page_spans

    out = list(kept)
    if policy.language_guard and foreign:
        n = len(out)
        out = language_guard(out, policy.foreign_threshold)
        if counts is not None and n > len(out):
            counts["language_guard"] = counts.get("language_guard", 0) + n - len(out)
    if policy.promo_pages and verdict is not None and verdict.label == "promo":
        out = promo_page_spans(text, out, verdict.score)
        if counts is not None:
            counts["promo_page"] = counts.get("promo_page", 0) + 1
    return out


def _not_str(i: int, item: Any) -> TypeError:
    return TypeError(f"texts[{i}] must be str, not {type(item).__name__}")


def _only_strings(texts: Iterable[Any]) -> Iterator[str]:
    """Pass ``texts`` through, raising ``TypeError`` at the first item that is not a ``str``."""
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise _not_str(i, t)
        yield t


def load_default_doc_model(doc_path: str | os.PathLike | None = None) -> Any:
    """The document model a Cleaner pairs with the span model: ``doc_path``, else
    ``$FILTER_DOC_MODEL``, else the bundled ``models/filter-doc.npz`` when present (else None)."""
    from filter.doc import load_doc_model

    doc = doc_path or os.environ.get("FILTER_DOC_MODEL")
    if doc is None and DEFAULT_DOC_MODEL.exists():
        doc = DEFAULT_DOC_MODEL
    return load_doc_model(doc) if doc else None


def check_doc_pairing(model: Any, doc_model: Any, path: str | os.PathLike | None) -> None:
    """A span model trained on the document verdict needs a document model with the same
    classes, and the one it was trained with: another one (recorded in the metadata at
    ``path``) loads with a warning (its probabilities are not the ones the span stages learned
    to read)."""
    if not getattr(model, "uses_doc_verdict", False):
        return
    from filter.artifact import ModelVersionWarning, read_meta
    from filter.doc import CLASSES
    from filter.runtime import ModelError

    name = Path(path).name if path is not None else "this span model"
    if doc_model is None:
        raise ModelError(f"{name} takes the document model's verdict as a feature, "
                         f"but no document model was given (models/filter-doc.npz or $FILTER_DOC_MODEL)")
    if tuple(getattr(doc_model, "classes", CLASSES)) != CLASSES:
        raise ModelError(f"{name} reads the document classes {CLASSES}; the document model has "
                         f"{tuple(doc_model.classes)}")
    if path is None:
        return
    want = (read_meta(path).get("doc_model") or {}).get("sha256")
    have = ((getattr(doc_model, "meta", None) or {}).get("artifact") or {}).get("sha256")
    if want and have and want != have:
        import warnings

        warnings.warn(f"{name} was trained with document model {want[:12]}…, "
                      f"loaded {have[:12]}…; its spans may differ", ModelVersionWarning, stacklevel=3)


@dataclass
class Cleaner:
    """Cleans documents with a loaded model under a removal policy."""

    model: SpanModel
    policy: Policy = field(default_factory=Policy)
    doc_model: Any = None
    # the worker processes ``clean_many(n_jobs>1)`` keeps between calls (``filter.parallel.WorkerPool``)
    # (a class-level default, not a dataclass field: ``dataclasses.asdict`` and ``replace`` ignore it)
    _workers: ClassVar[Any] = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (e.g. for workers) without the kept worker pool."""
        state = dict(self.__dict__)
        state["_workers"] = None
        return state

    def close(self, wait: bool = False) -> None:
        """Stop the worker processes ``clean_many`` keeps (they also exit after 5 idle minutes
        and at interpreter exit); with ``wait``, return once they have exited."""
        if self._workers is not None:
            self._workers.close(wait)

    def __enter__(self) -> "Cleaner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __post_init__(self) -> None:
        # a span model trained on the document verdict reads it from this document model (a
        # copy of the model is paired, so Cleaners sharing one model do not change each other)
        if getattr(self.model, "uses_doc_verdict", False):
            if self.doc_model is None:   # a model taken from another Cleaner keeps its pairing
                self.doc_model = getattr(self.model, "paired_doc_model", None)
            check_doc_pairing(self.model, self.doc_model, None)
            self.model = self.model.attach_doc_model(self.doc_model)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, doc_path: str | os.PathLike | None = None,
             **policy: Any) -> "Cleaner":
        """Load a model artifact (default: the bundled one in ``models/``), verifying its checksum,
        and the document model (``doc_path``, default the bundled ``models/filter-doc.npz`` when
        present; without one, results carry no document label, and a span model trained on the
        document verdict refuses to load)."""
        from filter.artifact import load_model

        path = path or os.environ.get("FILTER_MODEL") or DEFAULT_MODEL
        model, doc_model = load_model(path), load_default_doc_model(doc_path)
        check_doc_pairing(model, doc_model, path)
        return cls(model, Policy(**policy), doc_model)

    @property
    def version(self) -> str:
        return self.model.version

    def with_policy(self, **changes: Any) -> "Cleaner":
        from dataclasses import replace

        return Cleaner(self.model, replace(self.policy, **changes), self.doc_model)

    def _keep(self, span: Span) -> bool:
        th = self.policy.threshold
        return span.score >= (th if th is not None else self.model.thresholds.get(span.label, 0.5))

    def _analyse_many(self, texts: Sequence[str], counts: dict[str, int] | None = None
                      ) -> list[tuple[list[Span], Any, str]]:
        """Kept spans, document verdict (or None) and language code for each text.

        ``counts`` (a dict the caller owns) gets each decode step's firings (``filter.decode``;
        models without decode steps add nothing), ``promo_page`` (pages turned into promo
        spans) and ``language_guard`` (spans dropped from non-Indonesian pages).
        """
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"text must be str, not {type(t).__name__}")
        # the document verdict first: the span stages of a model trained on it take it as a feature
        proba = None
        if self.doc_model is None or not texts:
            verdicts: list[Any] = [None] * len(texts)
        elif getattr(self.model, "uses_doc_verdict", False):
            proba = self.doc_model.predict_proba(list(texts))
            verdicts = self.doc_model.verdicts_of(proba)
        else:
            verdicts = self.doc_model.verdicts(texts)
        many = getattr(self.model, "predict_spans_many", None)
        if many is not None:
            th = None if self.policy.threshold is None else dict.fromkeys(LABELS, self.policy.threshold)
            kw: dict[str, Any] = {} if counts is None else {"counts": counts}
            if proba is not None:
                kw["doc_proba"] = proba
            raw = many(list(texts), th, **kw)
        else:
            raw = [self.model.predict_spans(t) for t in texts]
        from filter.langid import page_language

        out = []
        for t, spans, verdict in zip(texts, raw, verdicts):
            language, foreign = page_language(t)
            kept = apply_page_steps(t, [s for s in spans if self._keep(s)], verdict,
                                    foreign, self.policy, counts)
            out.append((check_spans(t, kept), verdict, language))
        return out

    def document_fields(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """``doc_label``, ``doc_score`` and ``language`` per text, without span detection."""
        from filter.langid import page_language

        verdicts = self.doc_model.verdicts(texts) if self.doc_model is not None else [None] * len(texts)
        return [CleanResult(t, t, doc_label=v.label if v else "", doc_score=v.score if v else None,
                            language=page_language(t)[0]).doc_fields() for t, v in zip(texts, verdicts)]

    def detect_many(self, texts: Sequence[str], counts: dict[str, int] | None = None) -> list[list[Span]]:
        """``detect`` for a batch: one model call per stage for the whole batch when the model can;
        ``counts`` as in ``_analyse_many``."""
        return [spans for spans, _, _ in self._analyse_many(texts, counts)]

    def detect(self, text: str) -> list[Span]:
        """Spans whose score reaches the policy's (or the model's per-label) threshold, after the
        page-level steps (a promotion page's text becomes promo spans scored with the page
        verdict; a confidently foreign page keeps only spans >= ``foreign_threshold``)."""
        return self.detect_many([text])[0]

    def _result(self, text: str, spans: list[Span], verdict: Any = None, language: str = "") -> CleanResult:
        from filter.render import render

        if self.policy.annotate_only:
            cleaned = text
        else:
            cleaned = render(text, [s for s in spans if s.label in self.policy.remove])
        return CleanResult(text, cleaned, spans, self.model.version,
                           doc_label=verdict.label if verdict is not None else "",
                           doc_score=verdict.score if verdict is not None else None, language=language)

    def clean(self, text: str) -> CleanResult:
        """Clean one document. Raises TypeError for non-string input."""
        return self.clean_batch([text])[0]

    def clean_batch(self, texts: Sequence[str], counts: dict[str, int] | None = None) -> list[CleanResult]:
        """Clean a list of documents with one model call per stage (faster than ``clean`` each);
        ``counts`` as in ``detect_many``."""
        if isinstance(texts, str):   # a str is a sequence of one-character texts: surely a mistake
            raise TypeError("clean_batch takes a sequence of texts, not one str: use clean(text)")
        return [self._result(t, *a) for t, a in zip(texts, self._analyse_many(texts, counts))]

    def clean_many(self, texts: Iterable[str], n_jobs: int = 1, chunksize: int = 64) -> Iterator[CleanResult]:
        """Clean many documents in input order; ``n_jobs>1`` uses processes: this one and
        ``n_jobs - 1`` workers (model loaded once per worker; ``filter.parallel.imap_clean`` with
        ``caller_cleans``: a document that kills its process, e.g. out of memory, can kill this one).
        The workers are kept for the next call (``close()`` or ``with cleaner:`` stops them; idle
        ones exit after 5 minutes): a later call does not pay their ~0.8 s start-up again. They
        hold a copy of this cleaner: another model, document model or policy, or changed
        thresholds (``model.thresholds``, ``doc_model.promo_threshold`` / ``temperature``) start
        new ones; after any other change made in place to a model, call ``close()``.

        Every item must be a ``str``: any other value (``None`` included) raises ``TypeError``
        naming its position, whatever ``n_jobs`` is, when the iteration reaches it (results
        before it have been yielded). For records that may lack a text, use the CLI or
        ``filter.parallel.clean_records``, which return an error per record instead.
        """
        if n_jobs != 1:
            yield from self._clean_many_parallel(texts, n_jobs, chunksize)
            return
        batch: list[str] = []
        try:
            for t in _only_strings(texts):
                batch.append(t)
                if len(batch) >= chunksize:
                    yield from self.clean_batch(batch)
                    batch = []
        except TypeError:
            if batch:   # the items before the bad one are cleaned and yielded first
                yield from self.clean_batch(batch)
            raise
        if batch:
            yield from self.clean_batch(batch)

    def _clean_many_parallel(self, texts: Iterable[str], n_jobs: int, chunksize: int) -> Iterator[CleanResult]:
        """``clean_many`` with processes. A non-``str`` item goes on as a placeholder (read ahead
        with the rest), and its ``TypeError`` is raised when the results reach its position."""
        from filter.parallel import imap_clean

        bad: dict[int, TypeError] = {}

        def checked() -> Iterator[str | None]:
            for i, t in enumerate(texts):
                if isinstance(t, str):
                    yield t
                else:
                    bad[i] = _not_str(i, t)
                    yield None
                    return   # nothing after it is read: the iteration stops there

        from filter.parallel import Same, WorkerPool

        if self._workers is None:
            self._workers = WorkerPool()
        # what the workers' copy of this cleaner was made from: another model, document model,
        # policy or thresholds (the span model's, the document model's promotion threshold and
        # temperature) starts new workers; other changes made in place to a model are not seen:
        # close() first
        key = (Same(self.model), Same(self.doc_model), self.policy,
               tuple(sorted(getattr(self.model, "thresholds", {}).items())),
               getattr(self.doc_model, "promo_threshold", None), getattr(self.doc_model, "temperature", None))
        run = imap_clean(self, checked(), n_jobs=n_jobs, chunksize=chunksize, caller_cleans=True,
                         keep=self._workers, keep_key=key)
        for i, r in enumerate(run):
            if i in bad:
                # the bad item was the last one read: the run ends here, and ends finished (a run
                # left unfinished would stop the kept workers, which did nothing wrong)
                for _ in run:
                    pass
                raise bad[i]
            yield r

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
        for key in DOC_KEYS:
            out[prefix + key] = [r.doc_fields()[key] if r else None for r in results]
        return out
