"""What the document-level steps cost per document: ``clean()`` with and without them, and the
document verdict and language detection alone, on real corpus articles.

    python scripts/bench_doc.py --docs 500 --rounds 3

Rounds are interleaved (each round times every variant once, in turn); medians are printed.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "news")
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from filter import Cleaner
    from filter.langid import detect_language
    from filter.training.corpus import load_articles

    arts, _ = load_articles(args.corpus, limit=max(1, args.docs // 4))
    texts = [a.text for a in arts][: args.docs]
    chars = sum(map(len, texts))
    with_doc = Cleaner.load()
    without = with_doc.with_policy(promo_pages=False, language_guard=False)
    without.doc_model = None
    detect_language(texts[0])  # load the language model once, outside the timings

    def clean_each(c: Cleaner) -> None:
        for t in texts:
            c.clean(t)

    variants = {
        "clean() span model only": lambda: clean_each(without),
        "clean() + document steps": lambda: clean_each(with_doc),
        "document verdict only": lambda: [with_doc.doc_model.verdicts([t]) for t in texts],
        "language detection only": lambda: [detect_language(t) for t in texts],
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    print(f"{len(texts)} articles, {chars / 1e6:.2f} MB, {args.rounds} interleaved rounds (medians)")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:28s} {med / len(texts) * 1e3:7.3f} ms/doc  {chars / med / 1e6:6.2f} MB/s")
    base = statistics.median(times["clean() span model only"])
    full = statistics.median(times["clean() + document steps"])
    print(f"document steps add {(full - base) / len(texts) * 1e3:.3f} ms/doc ({(full / base - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
