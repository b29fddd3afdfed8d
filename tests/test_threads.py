"""One Cleaner shared between threads gives each thread the spans a serial run gives (the token
vocabulary it shares grows under a lock)."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from filter.cleaner import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no bundled model")
def test_threads_share_a_cleaner():
    from filter import Cleaner

    texts = [json.loads(line)["text"] for p in (ROOT / "data" / "samples" / "sample.jsonl", ROOT / "data" / "seeds.jsonl")
             for line in open(p, encoding="utf-8") if line.strip()]
    # variants with words no vocabulary has seen yet, so the threads grow it concurrently
    texts = [t + f" Kata{i}baru{j}." for j in range(6) for i, t in enumerate(texts)]
    serial = [r.spans for r in Cleaner.load().clean_batch(texts)]
    shared = Cleaner.load()
    with ThreadPoolExecutor(4) as ex:
        threaded = list(ex.map(lambda t: shared.clean(t).spans, texts))
    assert threaded == serial
