"""What the machine itself allows, measured next to the cleaner in ``filter bench``.

``clean_many(n)`` can be at most ``n`` times ``clean_batch`` on ``n`` free cores, but on a shared
machine (or SMT siblings, or a CPU quota) ``n`` processes get less than ``n`` cores. The
*parallel ceiling* is measured the same way the cleaner is: one pure-Python CPU-bound task in
this process, then ``n`` such tasks at once in ``n`` worker processes of the same kind of pool
``clean_many`` uses; ceiling = n × serial time / parallel time. A ``clean_many(n)`` /
``clean_batch`` ratio is judged against it, not against ``n``. The ceiling's pool is started
before it is timed; ``clean_many`` starts its pool (and loads the model in each worker) inside
every timed call, as a user's call does, so its ratio also carries that start-up.
"""
from __future__ import annotations

import time
from typing import Any


def spin(n: int) -> int:
    """Fixed pure-Python work (no I/O, no allocation growth); returns a checksum."""
    s = 0
    for i in range(n):
        s = (s + i * i) & 0xFFFF
    return s


def start_pool(jobs: int) -> Any:
    """A loky process pool of ``jobs`` workers (the executor ``filter.parallel`` uses)."""
    from joblib.externals.loky.process_executor import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=jobs)
    list(pool.map(spin, [1000] * jobs))   # workers started before anything is timed
    return pool


def parallel_ceiling(pool: Any, jobs: int, work: int = 2_000_000, repeat: int = 3) -> float:
    """``jobs`` × (time of one ``spin(work)`` here) / (time of ``jobs`` of them at once in
    ``pool``), each time the best of ``repeat`` (a load spike in one sample is not the machine)."""
    def best(fn: Any) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    serial = best(lambda: spin(work))
    parallel = best(lambda: list(pool.map(spin, [work] * jobs)))
    return jobs * serial / parallel
