"""Optional numba compilation of the runtime's hot loops (the ``fast`` extra)."""
from __future__ import annotations

import os
from typing import Any

__all__ = ["jit_or_none"]


def jit_or_none(fn: Any, switch: str) -> Any:
    """``fn`` compiled by numba, or None when numba is absent or the environment variable
    ``switch`` is "0" (the callers then run their numpy/Python path, same results)."""
    if os.environ.get(switch, "1") == "0":
        return None
    try:
        import numba
    except ImportError:
        return None
    return numba.njit(cache=True, nogil=True)(fn)
