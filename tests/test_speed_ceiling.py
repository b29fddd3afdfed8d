"""``filter.evaluation.speed``: the parallel ceiling that ``filter bench`` reports next to clean_many."""
from __future__ import annotations

from filter.evaluation.speed import parallel_ceiling, start_pool


def test_parallel_ceiling_is_a_positive_ratio_bounded_by_the_process_count():
    pool = start_pool(2)
    try:
        c = parallel_ceiling(pool, 2, work=200_000)
        one = parallel_ceiling(pool, 1, work=200_000)
    finally:
        pool.shutdown()
    assert 0 < c <= 3.0        # two processes cannot do much more than twice the work
    assert 0 < one <= 1.5      # one worker is at most one process's speed (plus timing noise)
