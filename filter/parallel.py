"""Ordered, memory-bounded parallel cleaning with a process pool.

Each worker receives the ``Cleaner`` once (pool initializer), so the model is unpickled once per
worker, not once per task. Texts are sent in chunks; at most ``max_pending`` chunks are in
flight, so the input iterable is consumed lazily and memory does not grow with input size.
Results come back in input order.

Workers are started with ``forkserver`` (``spawn`` where it does not exist), never plain
``fork``: a process that has already run an OpenMP model (scikit-learn's gradient boosting,
GNU libgomp) and then forks gets workers that hang at their first prediction. The model must
therefore be picklable and its classes importable (not defined in ``__main__``). Each worker
limits OpenMP/BLAS threads to its share of the cores, so workers do not oversubscribe them.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterable, Iterator, Literal, Protocol, Sequence

from filter.spans import CleanResult


class Cleaner(Protocol):
    """What the pool needs of a cleaner (``filter.cleaner.Cleaner``; this module never imports it)."""

    def clean(self, text: str) -> CleanResult: ...

    def clean_batch(self, texts: Sequence[str]) -> list[CleanResult]: ...


class Record(Protocol):
    """What ``clean_records`` needs of an input record (``filter.io.Record``)."""

    text: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Failure:
    """Stands in for the result of a text whose cleaning raised (``errors="return"``)."""

    error: str

    @classmethod
    def of(cls, exc: BaseException) -> "Failure":
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return cls(f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__)


def effective_jobs(n_jobs: int | None) -> int:
    """``None``/``-1`` → all cores; ``-k`` → all but ``k-1``; never less than 1."""
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs == 0:
        return cores
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return n_jobs


_WORKER_CLEANER: "Cleaner | None" = None
_THREAD_LIMIT: Any = None


def default_context(preload: Iterable[str] = ()) -> Any:
    """A fork-safe multiprocessing context: forkserver, else spawn.

    The fork server imports ``preload`` (e.g. the model's module, hence scikit-learn) once, so
    workers forked from it start in well under a second; importing runs no OpenMP code, so
    this stays fork-safe. It has effect only when the server is not running yet.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        mods = ["filter.parallel", *(m for m in preload if m and m != "__main__")]
        ctx.set_forkserver_preload(list(dict.fromkeys(mods)))
        return ctx
    return multiprocessing.get_context("spawn")


def _thread_limit(threads: int | None) -> Any:
    """Cap OpenMP/BLAS threads of this process (threadpoolctl); returns the limiter or None."""
    if threads is None:
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return threadpool_limits(limits=threads)


def _init_worker(cleaner: "Cleaner", threads: int | None = None) -> None:
    global _WORKER_CLEANER, _THREAD_LIMIT
    _WORKER_CLEANER = cleaner
    _THREAD_LIMIT = _thread_limit(threads)


def _clean_one(cleaner: "Cleaner", text: str | None, errors: str) -> CleanResult | Failure | None:
    if text is None:
        return None
    if errors == "raise":
        return cleaner.clean(text)
    try:
        return cleaner.clean(text)
    except Exception as exc:  # one bad document must not sink the others
        return Failure.of(exc)


def _clean_batch(cleaner: "Cleaner", texts: list[str | None], errors: str) -> list[CleanResult | Failure | None]:
    """Clean a chunk with one batched model call; if the batch fails, clean one by one so a bad
    document fails alone (and ``errors="raise"`` raises its own exception)."""
    live = [i for i, t in enumerate(texts) if t is not None]
    out: list[CleanResult | Failure | None] = [None] * len(texts)
    batch = getattr(cleaner, "clean_batch", None)
    if batch is not None and live:
        try:
            for i, r in zip(live, batch([texts[i] for i in live])):
                out[i] = r
            return out
        except Exception:  # noqa: BLE001 - fall back to isolate the failing document
            pass
    return [_clean_one(cleaner, t, errors) for t in texts]


def _clean_chunk(texts: list[str | None], errors: str) -> list[CleanResult | Failure | None]:
    """Clean a chunk in a worker; the original texts are not sent back (the parent has them)."""
    assert _WORKER_CLEANER is not None, "worker not initialised"
    out = _clean_batch(_WORKER_CLEANER, texts, errors)
    for r in out:
        if isinstance(r, CleanResult):
            r.text = ""
    return out


def _restore(results: list[CleanResult | Failure | None], texts: list[str | None]) -> list:
    for r, t in zip(results, texts):
        if isinstance(r, CleanResult):
            r.text = t  # type: ignore[assignment]
    return results


def _chunks(it: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(it, size)):
        yield chunk


def imap_clean(
    cleaner: "Cleaner",
    texts: Iterable[str | None],
    n_jobs: int | None = -1,
    chunksize: int = 64,
    *,
    errors: Literal["raise", "return"] = "raise",
    max_pending: int | None = None,
    mp_context: Any = None,
    threads_per_worker: int | None = None,
) -> Iterator[CleanResult | Failure | None]:
    """Clean ``texts`` in input order with ``n_jobs`` processes (``1`` = serial, in-process).

    ``errors="raise"`` re-raises the first exception a document causes; ``"return"`` yields a
    ``Failure`` in its place and goes on. ``None`` items are placeholders that yield ``None``
    (they keep positions aligned with a caller's own records). At most ``max_pending`` chunks
    (default ``2 * n_jobs``) are read ahead. ``threads_per_worker`` caps each worker's
    OpenMP/BLAS threads (default: cores // n_jobs, at least 1; serially: no cap unless given,
    and then only while iterating). ``mp_context`` defaults to ``default_context()``.
    """
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, got {chunksize}")
    jobs = effective_jobs(n_jobs)
    if jobs == 1:
        limit_ctx = _thread_limit(threads_per_worker)
        try:
            for chunk in _chunks(iter(texts), chunksize):
                yield from _clean_batch(cleaner, chunk, errors)
        finally:
            if limit_ctx is not None:
                limit_ctx.restore_original_limits()
        return
    pending: deque[tuple[Future, list]] = deque()
    limit = max_pending or 2 * jobs
    chunks = _chunks(iter(texts), chunksize)
    ctx = mp_context or default_context([type(cleaner).__module__, type(getattr(cleaner, "model", None)).__module__])
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // jobs)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                               initargs=(cleaner, threads))
    try:
        for chunk in chunks:
            pending.append((pool.submit(_clean_chunk, chunk, errors), chunk))
            if len(pending) >= limit:
                fut, sent = pending.popleft()
                yield from _restore(fut.result(), sent)
        while pending:
            fut, sent = pending.popleft()
            yield from _restore(fut.result(), sent)
    finally:
        for fut, _ in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def clean_records(
    cleaner: "Cleaner",
    records: Iterable["Record"],
    n_jobs: int | None = -1,
    chunksize: int = 64,
    **kwargs: Any,
) -> Iterator[tuple["Record", CleanResult | None, str | None]]:
    """Pair each record with its result or error message, in input order.

    Records that already carry an ``error`` (unreadable input) are not cleaned; they come back
    with ``(record, None, record.error)``. A document whose cleaning raises comes back with
    ``(record, None, "ExceptionType: message")``. Only in-flight records are held in memory.
    """
    held: deque["Record"] = deque()

    def texts() -> Iterator[str | None]:
        for rec in records:
            held.append(rec)
            yield None if rec.error is not None else rec.text

    for out in imap_clean(cleaner, texts(), n_jobs=n_jobs, chunksize=chunksize, errors="return", **kwargs):
        rec = held.popleft()
        if out is None:
            yield rec, None, rec.error
        elif isinstance(out, Failure):
            yield rec, None, out.error
        else:
            yield rec, out, None
