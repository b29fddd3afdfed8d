"""Long documents: time and peak memory of ``Cleaner.clean`` on 1, 10 and 50 MB texts (prints
numbers; not a test). Each size runs in a fresh process so peaks do not mix. The text is real
corpus articles joined into ONE line (the worst case: no line breaks to cut at) or, with
``--lines``, kept as lines. By default the first 400 articles of each corpus file are cycled
(2,000 articles, ~5 MB, so a long text repeats them); ``--distinct`` takes every article of the
corpus (~26 MB) before repeating any, so the words keep changing as in a real long text. The
text holds characters beyond U+FFFF (emoji), so Python stores it, and the cleaned text, with
4 bytes a character.

    python scripts/bench_long.py --sizes 1,10,50
    python scripts/bench_long.py --sizes 10,25 --distinct
    python scripts/bench_long.py --agreement      # windowed vs whole-document spans on a 300 KB text
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FILTER_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT))


def long_text(mb: float, lines: bool, distinct: bool = False) -> str:
    from filter.training.corpus import load_articles

    arts, _ = load_articles(SHARED / "corpus" / "news", limit=None if distinct else 400)
    sep = "\n" if lines else " "
    parts, size, i = [], 0, 0
    while size < mb * 1e6:
        t = arts[i % len(arts)].text
        parts.append(t if lines else " ".join(t.split()))
        size += len(t.encode("utf-8")) + 1
        i += 1
    return sep.join(parts)


def one(path: str) -> dict:
    from filter import Cleaner

    mb = os.path.getsize(path) / 1e6   # (not len(text.encode()): a copy of the text after the clean)
    text = Path(path).read_text(encoding="utf-8")
    lines = "\n" in text
    c = Cleaner.load()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    r = c.clean(text)
    dt = time.perf_counter() - t0
    return {"mb": round(mb, 2), "lines": lines, "seconds": round(dt, 2), "mb_per_s": round(mb / dt, 3),
            "spans": len(r.spans), "numba": "numba" in sys.modules, "rss_before_mb": round(base, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def agreement(kb: int = 300) -> dict:
    """Share of characters with the same label (none/promo/boilerplate) windowed vs whole."""
    import filter.window as W
    from filter import Cleaner

    text = long_text(kb / 1000, lines=True)
    c = Cleaner.load()
    windowed = c.detect(text)
    W.LONG_DOC_CHARS = 10 ** 12
    whole = c.detect(text)

    def labels(spans):
        out = bytearray(len(text))
        for s in spans:
            out[s.start:s.end] = bytes([1 if s.label == "promo" else 2]) * (s.end - s.start)
        return out

    a, b = labels(windowed), labels(whole)
    same = sum(x == y for x, y in zip(a, b))
    return {"chars": len(text), "same_label_share": round(same / len(text), 5),
            "junk_chars_windowed": sum(x > 0 for x in a), "junk_chars_whole": sum(x > 0 for x in b)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10,50")
    ap.add_argument("--lines", action="store_true")
    ap.add_argument("--distinct", action="store_true", help="every corpus article before repeating any")
    ap.add_argument("--agreement", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one)))
        return
    if args.agreement:
        print(json.dumps(agreement()))
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.sizes.split(","):
            path = Path(tmp) / f"{mb}.txt"
            path.write_text(long_text(float(mb), args.lines, args.distinct), encoding="utf-8")
            res = subprocess.run([sys.executable, __file__, "--one", str(path)], capture_output=True, text=True)
            print(res.stdout.strip() or res.stderr.strip().splitlines()[-1], flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
