"""Per-stage wall time of one ``clean(text)`` call per document against ``clean_batch`` (prints
numbers; not a test). Each stage is wrapped with a ``perf_counter`` accumulator (no profiler,
which inflates small numpy calls), the two paths run interleaved on the same real articles,
and the last round is printed in milliseconds per document. ``--warm`` also times the decode
steps twice in a row on the same analysis (the second call with its code and data still hot).

    python scripts/bench_stages.py --docs 1024 --rounds 2 --warm
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FILTER_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT))

import filter.cleaner as C  # noqa: E402
import filter.doc as D  # noqa: E402
import filter.langid as L  # noqa: E402
import filter.model as M  # noqa: E402

# (owner, attribute, label): the stages of ``Cleaner._analyse_many`` and ``FilterModel.analyze_many``
STAGES = [
    (D.DocModel, "predict_proba", "document model"),
    (M.FilterModel, "analyze_many", "span models (all)"),
    (M.FilterModel, "bases", "  segment + tokens"),
    (M.Stack, "of", "  stack"),
    (M, "dense_features", "  dense features"),
    (M.FilterModel, "unit_entries", "  unit entries"),
    (M, "context_features", "  context features"),
    (M.FilterModel, "_tree_proba", "  boosted trees"),
    (M, "marker_distance", "  marker distance"),
    (M, "candidates", "  candidates"),
    (M, "token_features", "  token features"),
    (M, "decode_steps", "decode steps"),
    (L, "page_language", "language id"),
    (C, "apply_page_steps", "page steps"),
    (C.Cleaner, "_result", "render"),
]


def wrap(owner: Any, name: str, label: str, acc: dict[str, float]) -> None:
    f: Callable = getattr(owner, name)

    def timed(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            acc[label] += time.perf_counter() - t0

    setattr(owner, name, timed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warm", action="store_true", help="time the decode steps twice in a row")
    args = ap.parse_args()
    from filter.cleaner import Cleaner
    from filter.training.corpus import load_articles

    arts, _ = load_articles(SHARED / "corpus" / "news")
    texts = [a.text for a in arts[:args.docs]]
    cleaner = Cleaner.load()
    acc: dict[str, float] = defaultdict(float)
    for owner, name, label in STAGES:
        wrap(owner, name, label, acc)
    for i in range(0, min(len(texts), 2 * args.batch), args.batch):   # warm-up: caches, kernels
        cleaner.clean_batch(texts[i:i + args.batch])

    def run(mode: str) -> float:
        t0 = time.perf_counter()
        if mode == "batch":
            for i in range(0, len(texts), args.batch):
                cleaner.clean_batch(texts[i:i + args.batch])
        else:
            for t in texts:
                cleaner.clean(t)
        return time.perf_counter() - t0

    last: dict[str, tuple[float, dict[str, float]]] = {}
    for _ in range(args.rounds):
        for mode in ("batch", "single"):
            acc.clear()
            total = run(mode)
            last[mode] = (total, dict(acc))
    n = len(texts)
    print(f"{n} articles, ms per document (last of {args.rounds} interleaved rounds)")
    print(f"{'stage':24s} {'clean()':>9s} {'batch':>9s} {'ratio':>6s}")
    for _, _, label in [(None, None, "total")] + STAGES:
        s = last["single"][0] if label == "total" else last["single"][1].get(label, 0.0)
        b = last["batch"][0] if label == "total" else last["batch"][1].get(label, 0.0)
        print(f"{label:24s} {s * 1e3 / n:9.3f} {b * 1e3 / n:9.3f} {s / b if b else float('nan'):6.2f}")
    if args.warm:
        inner = M.decode_steps   # the timed wrapper
        first: list[float] = []
        again: list[float] = []

        def twice(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            r = inner(*a, **k)
            first.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            inner(*a, **k)
            again.append(time.perf_counter() - t0)
            return r

        M.decode_steps = twice
        for t in texts:
            cleaner.clean(t)
        print(f"decode steps, one clean() per document: {sum(first) * 1e3 / n:.3f} ms, "
              f"the same call at once again: {sum(again) * 1e3 / n:.3f} ms")


if __name__ == "__main__":
    main()
