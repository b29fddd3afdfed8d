"""Ordered, memory-bounded parallel cleaning with a process pool.

``n_jobs`` processes clean: ``n_jobs`` workers, or with ``caller_cleans`` (``Cleaner.clean_many``)
the calling process and ``n_jobs - 1`` workers, the caller cleaning a chunk itself whenever the
oldest chunk in flight is not back yet and the workers have work queued, instead of waiting (a
worker costs ~0.8 s of CPU before its first result; the caller already has the model; but a
document that kills its process then may kill the caller: ``clean_records``, the CLI's path,
keeps every document in a worker). Each worker receives the ``Cleaner`` once (pool
initializer), so the model is unpickled once per worker, not once per task; it is pickled once,
to a temporary file the workers read side by side (``_ship``), not down each worker's start-up
pipe. Texts are sent in chunks; at most ``max_pending`` chunks are in flight, so the input
iterable is consumed lazily and memory does not grow with input size. Results come back in
input order.

The pool is joblib's loky executor (joblib is a core dependency): workers are started by
fork+exec, never plain ``fork`` (a process that has already run an OpenMP model and then forks
gets workers that hang at their first prediction), and they do not re-run the caller's
``__main__``, so ``clean_many(n_jobs=2)`` works from a plain script without an
``if __name__ == "__main__":`` guard and from a notebook (objects defined there are sent with
cloudpickle). Each worker watches its parent and exits within a second when the parent dies
(even by SIGKILL), and limits OpenMP/BLAS threads to its share of the cores.

``min_parallel_chars`` (used by ``filter clean`` when ``--workers`` is not given) starts workers
only once the input has proved large enough to repay their start-up; a smaller input is
cleaned in-process. ``PoolStats.workers`` says how many processes did the work.
"""
from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import chain, islice
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
PARENT_POLL_SECONDS = 0.5
# The automatic choice (``filter clean`` without ``--workers``; ``min_parallel_chars``): workers
# start only for inputs longer than this many characters of text, and only as many as the
# machine has idle cores (1-minute load average). On this 2-core machine idle (load 0.4-1.3,
# scripts/bench_batch.py --workers 1,2 --rounds 3, medians, worker start-up included), two workers
# against one process: 1.33x on 2,000 articles (~4.5 M characters), 1.56x on 4,500 (~10 M), 1.79x
# on 6,000 (13.4 M); busy (load 5-10) they were slower than one (0.65-0.72x), which the idle-core
# check guards against. Below ~4 M characters the 3-9 s start-up eats the gain.
AUTO_MIN_PARALLEL_CHARS = 5_000_000


def idle_cores() -> int:
    """Cores not busy by the 1-minute load average (all cores where it cannot be read)."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cores
    return max(0, min(cores, int(cores - load + 0.5)))


@dataclass
class PoolStats:
    """Filled in by ``imap_clean``: how many processes cleaned the input (1 = in-process) and,
    for the automatic choice, why no workers were started."""

    workers: int = 0
    reason: str = ""


def _thread_limit(threads: int | None) -> Any:
    """Cap OpenMP/BLAS threads of this process (threadpoolctl); returns the limiter or None."""
    if threads is None:
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return threadpool_limits(limits=threads)


def _thread_cap(threads: int | None) -> Any:
    """A threadpoolctl controller of this process's OpenMP/BLAS libraries (scanned once), for
    ``_clean_capped``; None when ``threads`` is None or threadpoolctl is absent."""
    if threads is None:
        return None
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return ThreadpoolController()


def _clean_capped(cleaner: "Cleaner", texts: list[str | None], errors: str, cap: Any,
                  threads: int | None) -> list[CleanResult | Failure | None]:
    """``_clean_batch`` with this process's OpenMP/BLAS threads capped at ``threads`` during the
    call only. Reason: a cap held across ``yield`` outlives the call (the caller's own code
    between items runs capped) and generators that end in another order than they started
    restore each other's caps, leaving the process capped."""
    if cap is None:
        return _clean_batch(cleaner, texts, errors)
    with cap.limit(limits=threads):
        return _clean_batch(cleaner, texts, errors)


def _watch_parent(parent_pid: int, poll: float = PARENT_POLL_SECONDS) -> None:
    """Exit this worker as soon as its parent is gone (re-parented: ``getppid`` changes)."""
    while True:
        time.sleep(poll)
        if os.getppid() != parent_pid:
            os._exit(1)


@dataclass(frozen=True)
class _Shipped:
    """Where the parent wrote the pickled cleaner for its workers to read (``_start_pool``):
    ``fd`` is the parent's open descriptor when ``path`` is its ``/proc/<pid>/fd/<fd>`` entry
    (the file itself already unlinked), ``None`` when ``path`` is a named temporary file. A worker
    that starts after the run has ended may find the descriptor number reused for another file
    or pipe of the parent: ``ident`` tells it so (``_read_shipped``)."""

    path: str
    fd: int | None = None
    ident: tuple[int, int] = (0, 0)   # (st_dev, st_ino) of the file: what a worker must find at ``path``


def _ship(cleaner: "Cleaner") -> _Shipped:
    """Pickle ``cleaner`` once (cloudpickle, as loky would) to a temporary file for the workers.

    Reason: as an initializer argument the cleaner (~33 MB pickled with the bundled models) is
    pickled again for every worker and written down the pipe that starts it, and loky starts the
    workers one after another, each write blocking until that worker's interpreter is up and has
    read it all: on 2 cores the second worker started ~0.3 s after the first, which sat idle
    until both were started (6,000-article runs). A path is a few bytes: the workers start at once
    and read the file side by side.

    Nothing is left behind, even when the whole process group is killed: where ``/proc`` exposes
    this process's descriptors (Linux) the file is unlinked as soon as it is created, and the workers open it
    through ``/proc/<pid>/fd/<fd>``; the kernel frees it when the descriptor closes, at
    ``_unship`` or at this process's death. Elsewhere the named file is registered with loky's
    resource tracker (removed if this process dies, not if the tracker is killed too)."""
    import tempfile

    from joblib.externals.loky.backend import resource_tracker
    from joblib.externals.loky.backend.reduction import dumps

    data = dumps(cleaner)
    fd, path = tempfile.mkstemp(prefix="filter-cleaner-", suffix=".pkl")
    proc = f"/proc/{os.getpid()}/fd/{fd}"
    named = not os.path.exists(proc)
    try:
        if named:
            resource_tracker.register(path, "file")
        else:   # unnamed before a byte is written: a kill during the write leaves nothing either
            os.unlink(path)
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(data)
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        if named:
            _unship(_Shipped(path))
        raise
    if not named:
        return _Shipped(proc, fd, (st.st_dev, st.st_ino))
    os.close(fd)
    return _Shipped(path, None, (st.st_dev, st.st_ino))


def _read_shipped(shipped: _Shipped) -> "Cleaner | None":
    """The cleaner ``_ship`` wrote, or None when the run has ended (the file is gone, or its
    descriptor number now names another file or a pipe of the parent: opened without blocking
    and checked before a byte is read, so a worker never reads the parent's data)."""
    import errno
    import pickle

    try:
        fd = os.open(shipped.path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENXIO):   # gone, or now a socket
            return None
        raise
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != shipped.ident:
            return None
        return pickle.loads(fh.read())


def _unship(shipped: _Shipped) -> None:
    """Free what ``_ship`` made: close the descriptor, or remove the named file."""
    if shipped.fd is not None:
        os.close(shipped.fd)
        return
    from joblib.externals.loky.backend import resource_tracker

    try:
        os.unlink(shipped.path)
    except FileNotFoundError:
        pass
    resource_tracker.unregister(shipped.path, "file")


def _init_worker(cleaner: "Cleaner | _Shipped", threads: int | None = None, parent_pid: int | None = None) -> None:
    global _WORKER_CLEANER, _THREAD_LIMIT
    if isinstance(cleaner, _Shipped):
        loaded = _read_shipped(cleaner)
        if loaded is None:   # the run ended before this worker started: it gets no task
            return
        cleaner = loaded
    _WORKER_CLEANER = cleaner
    _THREAD_LIMIT = _thread_limit(threads)
    if parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(parent_pid,), name="filter-parent-watch", daemon=True).start()


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


def _serial(cleaner: "Cleaner", texts: Iterator[str | None], chunksize: int, errors: str,
            threads: int | None) -> Iterator[CleanResult | Failure | None]:
    cap = _thread_cap(threads)
    for chunk in _chunks(texts, chunksize):
        yield from _clean_capped(cleaner, chunk, errors, cap, threads)


def _start_pool(cleaner: "Cleaner | _Shipped", jobs: int, threads: int, timeout: float | None = None) -> Any:
    """A loky process pool whose workers hold ``cleaner`` and exit when this process dies (and,
    with ``timeout``, after that many idle seconds; loky starts them again on the next task)."""
    from joblib.externals.loky.process_executor import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(cleaner, threads, os.getpid()),
                               timeout=timeout)


def _start_shipped(cleaner: "Cleaner", jobs: int, threads: int, timeout: float | None = None) -> tuple[Any, "_Shipped"]:
    """``cleaner`` shipped (``_ship``) and a pool whose workers read it (``_start_pool``); the
    shipped file is freed if the pool cannot start."""
    shipped = _ship(cleaner)
    try:
        return _start_pool(shipped, jobs, threads, timeout=timeout), shipped
    except BaseException:
        _unship(shipped)
        raise


def _kill(pool: Any, wait: bool = False) -> None:
    """``pool.shutdown(kill_workers=True)`` without loky's manager-thread traceback.

    Reason: loky's kill-shutdown fails the pending work items but leaves their ids queued, and
    its manager thread then looks one up and dies on a ``KeyError``, printed to stderr as
    "Exception in thread ExecutorManagerThread" whenever a run with chunks still queued is
    stopped (a caller that breaks out of ``clean_many`` early): nothing leaked, but it reads like a
    crash. The queued ids are taken out first, so the manager thread finds none; their futures
    are failed by the shutdown as before. (``_work_ids`` is loky's; without it, the plain
    shutdown.) No ``cancel()``: see ``imap_clean``."""
    import queue

    ids = getattr(pool, "_work_ids", None)
    if ids is not None:
        try:
            while True:
                ids.get_nowait()
        except queue.Empty:
            pass
    pool.shutdown(wait=wait, kill_workers=True)


def _stop_workers(pool: Any, shipped: "_Shipped", pid: int, wait: bool = False) -> None:
    """Kill a kept pool's workers (with ``wait``, return once loky has reaped them) and free its
    shipped cleaner (run once, by ``_Workers.stop``). In a process forked from the one that
    started them, only this process's copy of the descriptor is closed: the workers and the
    file are the parent's."""
    if os.getpid() != pid:
        if shipped.fd is not None:
            os.close(shipped.fd)
        return
    # kill: a retired pool may still run an abandoned run's chunks
    _kill(pool, wait=wait)
    _unship(shipped)


_DEAD = object()


class Same:
    """An object's identity in a ``WorkerPool`` key: equal to another ``Same`` of that very
    object while it lives. Reason: an ``id()`` is reused by a later object once the first is
    freed, so a model dropped and replaced by one at its address looked unchanged. Holds the
    object weakly where it can (a kept pool does not keep an old model alive)."""

    __slots__ = ("_ref", "_weak", "__weakref__")

    def __init__(self, obj: Any) -> None:
        try:
            self._ref: Any = weakref.ref(obj)
            self._weak = True
        except TypeError:   # None, or a type without weak references: held strongly
            self._ref, self._weak = obj, False

    def _obj(self) -> Any:
        if not self._weak:
            return self._ref
        obj = self._ref()
        return _DEAD if obj is None else obj

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Same):
            return NotImplemented
        obj = self._obj()
        return obj is not _DEAD and obj is other._obj()

    def __hash__(self) -> int:
        return id(self._obj())


@dataclass(eq=False)
class _Workers:
    """One started pool of a ``WorkerPool``: the executor, the shipped cleaner its workers read
    (kept until the pool is shut down: a worker that exits idle is restarted on the next task
    and reads it again), what it was started for, and how many runs use it now.

    ``stop`` (a ``weakref.finalize``: it runs once) kills the workers and frees the shipped
    cleaner; it also runs when the object is garbage-collected, e.g. with a Cleaner dropped
    without ``close()``, whose shipped file (an unlinked temporary file as large as the pickled
    cleaner) would otherwise stay open until the process exits."""

    pool: Any
    shipped: "_Shipped"
    key: Any
    users: int = 0
    retired: bool = False
    stop: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.stop = weakref.finalize(self, _stop_workers, self.pool, self.shipped, os.getpid())


class WorkerPool:
    """Worker processes kept between ``imap_clean`` calls (``Cleaner.clean_many`` keeps one per
    cleaner), so a later call does not pay the workers' start-up again.

    Reason (issue 17): a worker costs ~0.8 s of CPU before its first result, which bounds a
    call on 6,000 articles to ~1.7x one process on 2 cores; ingestion code calls ``clean_many``
    once per file or batch and paid it every time. A run that ends early (the caller stopped
    iterating, or a document raised) or an executor that broke retires its pool: its workers
    are killed once no other run uses them, and the next call starts fresh ones. A pool started
    for another ``key`` (a cleaner with another model, document model, policy or thresholds) or
    another number of workers or threads is replaced. Idle workers exit after
    ``idle_timeout`` seconds (loky restarts them on the next task); ``close`` stops them now,
    and every open pool is closed at interpreter exit or when it is garbage-collected. A process
    forked from this one does not use (or stop) this process's workers: it starts its own.
    """

    def __init__(self, idle_timeout: float = 300.0) -> None:
        self.idle_timeout = idle_timeout
        # reentrant: the garbage collector may finalise an abandoned run (``release``) on the
        # thread that holds the lock in ``acquire``, at any allocation
        self._lock = threading.RLock()
        self._current: _Workers | None = None
        self.started = 0   # pools started (a counter for tests and benchmarks)
        _OPEN_POOLS.add(self)

    def acquire(self, cleaner: "Cleaner", key: Any, workers: int, threads: int) -> _Workers:
        """A started pool for ``cleaner`` (reused when started for the same ``key``, workers
        and threads); the caller must ``release`` it."""
        want = (key, workers, threads)
        with self._lock:
            cur = self._current
            # the key first: comparing it may allocate, and so finalise (and retire) a run
            if cur is not None and (cur.key != want or cur.retired):
                self._retire(cur)
                cur = self._current = None
            if cur is None:
                pool, shipped = _start_shipped(cleaner, workers, threads, timeout=self.idle_timeout)
                cur = self._current = _Workers(pool, shipped, want)
                self.started += 1
            cur.users += 1
            return cur

    def release(self, workers: _Workers, finished: bool) -> None:
        """End one run on ``workers``; a run that did not finish retires them."""
        with self._lock:
            workers.users -= 1
            if not finished or workers.retired:   # a retired pool stops with its last run
                self._retire(workers)

    def close(self, wait: bool = False) -> None:
        """Stop the workers (now, or when the runs still using them end); with ``wait``, return
        once they are killed and reaped (unless a run still uses them)."""
        with self._lock:
            cur, self._current = self._current, None
            if cur is None:
                return
            # waiting: stopped here, outside the lock, rather than by ``stop`` (detached: it runs no more)
            detached = cur.stop.detach() if wait and cur.users == 0 else None
            if detached is None:
                self._retire(cur)
                return
            cur.retired = True
        _, _, args, _ = detached   # (object, function, args, kwargs)
        _stop_workers(*args, wait=True)

    def _retire(self, workers: _Workers) -> None:
        workers.retired = True
        if self._current is workers and workers.users == 0:
            self._current = None
        if workers.users == 0:
            workers.stop()   # once, however often a pool is retired


_OPEN_POOLS: "weakref.WeakSet[WorkerPool]" = weakref.WeakSet()


@atexit.register
def _close_open_pools() -> None:
    for pool in list(_OPEN_POOLS):
        pool.close()


def _forget_pools_after_fork() -> None:
    """In a forked child: the kept pools are the parent's (their manager threads do not exist
    here, so a task submitted to one never completes, and its workers are not this process's to
    kill). Each ``WorkerPool`` forgets its pool (closing only the child's copy of the shipped
    descriptor) and gets a new lock (another thread may have held it at the fork); the next
    call starts workers of the child's own."""
    for pool in list(_OPEN_POOLS):
        pool._lock = threading.RLock()
        cur, pool._current = pool._current, None
        if cur is not None:
            cur.stop()   # started by another process: closes this process's descriptor only


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_after_fork)


def imap_clean(
    cleaner: "Cleaner",
    texts: Iterable[str | None],
    n_jobs: int | None = -1,
    chunksize: int = 64,
    *,
    errors: Literal["raise", "return"] = "raise",
    max_pending: int | None = None,
    threads_per_worker: int | None = None,
    min_parallel_chars: int = 0,
    stats: PoolStats | None = None,
    caller_cleans: bool = False,
    keep: WorkerPool | None = None,
    keep_key: Any = None,
) -> Iterator[CleanResult | Failure | None]:
    """Clean ``texts`` in input order with ``n_jobs`` processes (``1`` = serial, in-process;
    ``n`` > 1 = ``n`` workers, or with ``caller_cleans`` this process and ``n - 1`` workers:
    faster, since a worker costs ~0.8 s of CPU before its first result, but a document that kills
    its process, e.g. out of memory, can then kill the caller instead of one worker).

    ``errors="raise"`` re-raises the first exception a document causes; ``"return"`` yields a
    ``Failure`` in its place and goes on. ``None`` items are placeholders that yield ``None``
    (they keep positions aligned with a caller's own records). At most ``max_pending`` chunks
    (default ``2 * n_jobs``; ``8 * n_jobs`` with ``caller_cleans``, which cleans chunks while the
    workers start) are read ahead. ``threads_per_worker`` caps each worker's OpenMP/BLAS threads
    (default: cores // n_jobs, at least 1; with ``caller_cleans`` the calling process's too, while
    it cleans a chunk; serially: no cap unless given, and then only while a chunk is cleaned). With
    ``min_parallel_chars > 0``, up to that many characters of text are read ahead first and
    workers start only if the input is longer; otherwise it is cleaned in-process.
    ``stats.workers`` receives the number of processes used. With ``keep`` (a ``WorkerPool``),
    the workers are taken from it and left running for the next call (``keep_key`` names what
    they were started for: a different key starts new ones).
    """
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, got {chunksize}")
    stats = stats if stats is not None else PoolStats()
    jobs = effective_jobs(n_jobs)
    source: Iterator[str | None] = iter(texts)
    if jobs > 1 and min_parallel_chars > 0:
        head: list[str | None] = []
        seen = 0
        for t in source:
            head.append(t)
            seen += len(t) if isinstance(t, str) else 0
            if seen > min_parallel_chars:
                break
        else:  # the whole input fits under the threshold: workers would not repay their start-up
            jobs, stats.reason = 1, f"input under {min_parallel_chars / 1e6:g} M characters"
        source = chain(head, source)
        if jobs > 1:
            idle = idle_cores()
            if idle < 2:  # workers would only compete with the machine's other work (and each other)
                jobs, stats.reason = 1, f"{idle} idle core{'s' if idle != 1 else ''} (load average)"
            else:
                jobs = min(jobs, idle)
    stats.workers = jobs
    if jobs == 1:
        yield from _serial(cleaner, source, chunksize, errors, threads_per_worker)
        return
    # caller_cleans: the calling process is one of the ``jobs`` processes: it starts ``jobs - 1``
    # workers and cleans chunks itself whenever the oldest chunk in flight is not back yet and
    # the workers have a chunk queued beyond the one they are cleaning. Reason (6,000 articles,
    # 2 cores): a worker costs ~0.8 s of CPU before its first result (interpreter and imports
    # ~0.3 s, the first call's numba/scipy imports and kernel cache loads ~0.5 s) while the
    # parent, which has the model already, sat blocked on results (0.2 s CPU in a 5 s run).
    workers = jobs - 1 if caller_cleans else jobs
    pending: deque[tuple[Future, list, bool]] = deque()   # (future, chunk, cleaned by a worker)
    # caller_cleans: room for the chunks the caller cleans while the workers start
    limit = max_pending or (8 if caller_cleans else 2) * jobs
    # chunks queued or running in the workers before the caller takes one
    backlog = 2 * workers if caller_cleans else limit
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // jobs)
    cap = _thread_cap(threads) if caller_cleans else None   # the caller, while it cleans: the workers' cap
    kept = keep.acquire(cleaner, keep_key, workers, threads) if keep is not None else None
    pool, shipped = (kept.pool, None) if kept is not None else _start_shipped(cleaner, workers, threads)
    chunks = _chunks(source, chunksize)
    more = True
    finished = False
    try:
        while True:
            while more and len(pending) < limit and \
                    sum(1 for f, _, w in pending if w and not f.done()) < backlog:
                chunk = next(chunks, None)
                if chunk is None:
                    more = False
                else:
                    pending.append((pool.submit(_clean_chunk, chunk, errors), chunk, True))
            if not pending:
                break
            fut, sent, _ = pending[0]
            if caller_cleans and more and not fut.done() and len(pending) < limit:
                chunk = next(chunks, None)
                if chunk is None:
                    more = False
                    continue
                local: Future = Future()
                try:
                    local.set_result(_clean_capped(cleaner, chunk, errors, cap, threads))
                except Exception as exc:  # raised when the iteration reaches this chunk
                    local.set_exception(exc)
                pending.append((local, chunk, False))
                continue
            pending.popleft()
            yield from _restore(fut.result(), sent)
        finished = True
    finally:
        # no ``cancel()`` of pending futures: loky's shutdown with ``kill_workers`` fails them
        # itself, and a cancelled one made its manager thread die on ``set_exception``
        # (InvalidStateError) before it stopped the workers: the interpreter then hung at exit.
        # All results in: the workers exit on their own, not waited for (joining them took ~0.16 s
        # of a 4.7 s run); interrupted, failed or abandoned by the caller: stop them now
        if kept is not None:
            keep.release(kept, finished)   # type: ignore[union-attr]
        else:
            if finished:
                pool.shutdown(wait=False)
            else:
                _kill(pool)
            _unship(shipped)   # type: ignore[arg-type]


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
