"""``filter.evaluation.speed``: the parallel ceiling that ``filter bench`` reports next to clean_many."""
from __future__ import annotations

from filter.evaluation.speed import parallel_ceiling, spin, start_pool


def test_spin_is_deterministic_work():
    assert spin(1000) == spin(1000)
    assert spin(0) == 0


def test_parallel_ceiling_is_a_positive_ratio_bounded_by_the_process_count():
    pool = start_pool(2)
    try:
        c = parallel_ceiling(pool, 2, work=200_000)
    finally:
        pool.shutdown()
    assert 0 < c <= 2.6
