"""Batch throughput and memory benchmark (prints numbers; not a test).

Throughput: cleans real corpus articles (all files of ``../shared/corpus/news``, distinct
articles, cycled only when ``--n`` exceeds them) with 1 and 2 workers, and ``auto`` (what
``filter clean`` does without ``--workers``: workers only for inputs over
``filter.parallel.AUTO_MIN_PARALLEL_CHARS``), in ``--rounds`` interleaved rounds (1, 2, auto, 1, 2,
auto, ...: a shared machine's drift hits every setting alike), and prints each run, the median
per setting and its speed-up over 1 worker. Each time includes starting the workers (loky:
fork+exec, import, unpickle the model). Memory scaling: streams 10k and 50k
documents through ``filter clean`` and prints the peak RSS of each run, which must not grow
with the input size. Each measurement runs in a fresh process so peaks do not mix.

    python scripts/bench_batch.py --n 6000 --workers 1,2,auto --rounds 3
    python scripts/bench_batch.py                       # the trained model (models/...)
    python scripts/bench_batch.py --fake                # the test fake model (checks the machinery)
    python scripts/bench_batch.py --memory --fake --sizes 10000,50000
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FILTER_SHARED", ROOT.parent / "shared"))
NEWS_DIR = SHARED / "corpus" / "news"
CORPUS_FILE = NEWS_DIR / "multi_outlet_2025_gikirima_indonews_scrapper.jsonl.gz"  # fallback without filter.training
sys.path.insert(0, str(ROOT))


def load_texts(n: int) -> list[str]:
    """``n`` article texts from the corpus (cycled if it has fewer)."""
    texts: list[str] = []
    try:
        from filter.training.corpus import load_articles

        files = sorted(p for p in NEWS_DIR.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz", ".csv")))
        arts, _ = load_articles(SHARED / "corpus", files=files)
        texts = [a.text for a in arts]
    except ImportError:
        with gzip.open(CORPUS_FILE, "rt", encoding="utf-8") as fh:
            for line in fh:
                try:
                    t = json.loads(line).get("text")
                except ValueError:
                    continue
                if isinstance(t, str) and t.strip():
                    texts.append(t)
    if not texts:
        sys.exit(f"no articles found in {CORPUS_FILE}")
    return [texts[i % len(texts)] for i in range(n)]


def make_cleaner(args: argparse.Namespace):
    if args.fake:
        sys.path.insert(0, str(ROOT / "tests"))
        from fakes import fake_cleaner

        return fake_cleaner()
    from filter.cleaner import Cleaner

    return Cleaner.load(args.model)


def peak_rss_mb() -> tuple[float, float]:
    """(this process, largest terminated child) peak RSS in MB.

    Our own peak is VmHWM (``ru_maxrss`` would include the launching process's memory, which
    Linux carries across exec).
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) / 1024
    except OSError:
        pass
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


class DescendantPeak:
    """Samples the resident memory of this process's descendants (the pool workers, which are
    children of the fork server and so invisible to ``RUSAGE_CHILDREN``) every 0.1 s."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _status(pid: str) -> dict[str, str]:
        try:
            return dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
        except OSError:
            return {}

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.1):
            parents = {}
            for d in os.listdir("/proc"):
                if d.isdigit():
                    st = self._status(d)
                    if st:
                        parents[d] = (st.get("PPid", "").strip(), st.get("VmRSS", "0 kB").split()[0])
            desc, grew = {me}, True
            while grew:
                new = {p for p, (pp, _) in parents.items() if pp in desc} - desc
                desc |= new
                grew = bool(new)
            for p in desc - {me}:
                self.peak_kb = max(self.peak_kb, int(parents[p][1]))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def one_throughput(args: argparse.Namespace) -> None:
    texts = load_texts(args.n)
    cleaner = make_cleaner(args)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    sampler = DescendantPeak()
    t0 = time.perf_counter()
    from filter.parallel import imap_clean

    from filter.parallel import AUTO_MIN_PARALLEL_CHARS, PoolStats

    threads = args.threads or None
    auto = args.workers == "auto"
    stats = PoolStats()
    spans = sum(len(r.spans) for r in imap_clean(cleaner, texts, n_jobs=-1 if auto else int(args.workers),
                                                 chunksize=args.chunksize, threads_per_worker=threads,
                                                 min_parallel_chars=AUTO_MIN_PARALLEL_CHARS if auto else 0,
                                                 stats=stats))
    secs = time.perf_counter() - t0
    kids = sampler.stop()
    own, _ = peak_rss_mb()
    print(json.dumps({"docs": len(texts), "mb": mb, "secs": secs, "spans": spans, "rss": own, "rss_worker": kids,
                      "used": stats.workers, "distinct": len(set(texts))}))


def one_cli(args: argparse.Namespace) -> None:
    import filter.cli.clean as clean_cli
    from filter.cli import app

    if args.fake:
        sys.path.insert(0, str(ROOT / "tests"))
        from fakes import fake_cleaner

        clean_cli.load_cleaner = lambda model=None, **p: fake_cleaner(**p)
    cli = ["clean", args.input, "-o", args.output, "-q"]
    if args.workers != "auto":
        cli += ["--workers", str(args.workers)]
    if args.model and not args.fake:
        cli += ["--model", args.model]
    sampler = DescendantPeak()
    t0 = time.perf_counter()
    try:
        app(cli)
    except SystemExit as exc:
        code = exc.code
    secs = time.perf_counter() - t0
    kids = sampler.stop()
    own, _ = peak_rss_mb()
    print(json.dumps({"code": code, "secs": secs, "rss": own, "rss_worker": kids}))


def child(args: argparse.Namespace, *extra: str) -> dict:
    cmd = [sys.executable, __file__, *extra, "--workers", str(args.workers_now), "--chunksize", str(args.chunksize),
           "--threads", str(args.threads)]
    cmd += ["--fake"] if args.fake else (["--model", args.model] if args.model else [])
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"benchmark child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def throughput(args: argparse.Namespace) -> None:
    import statistics

    print(f"model: {'fake (tests/fakes.py)' if args.fake else args.model or 'default'}; "
          f"{args.n} articles from {NEWS_DIR}; chunksize {args.chunksize}; "
          f"threads/process {args.threads or 'default'}; {os.cpu_count()} cores; {args.rounds} interleaved rounds")
    runs: dict[str, list[dict]] = {w: [] for w in args.worker_list}
    for rnd in range(args.rounds):
        for w in args.worker_list:
            args.workers_now = w
            r = child(args, "--_one", "--n", str(args.n))
            runs[w].append(r)
            worker = f", worker {r['rss_worker']:.0f} MB" if r["used"] > 1 else ""
            print(f"round {rnd + 1} workers={w} (used {r['used']}): {r['docs'] / r['secs']:7.1f} docs/s  "
                  f"{r['mb'] / r['secs']:5.2f} MB/s  {r['secs']:6.1f} s  peak RSS main {r['rss']:.0f} MB{worker}  "
                  f"({r['docs']} docs, {r['distinct']} distinct, {r['mb']:.1f} MB, {r['spans']} spans)", flush=True)
    med = {w: statistics.median(r["secs"] for r in rs) for w, rs in runs.items()}
    base = med.get("1")
    for w, secs in med.items():
        rs = runs[w]
        each = ", ".join(f"{r['secs']:.1f}" for r in rs)
        up = f"  speed-up over 1 worker {base / secs:4.2f}x" if base else ""
        print(f"median workers={w}: {secs:6.1f} s  {rs[0]['docs'] / secs:7.1f} docs/s  "
              f"(runs {each} s){up}")


def memory(args: argparse.Namespace) -> None:
    print(f"model: {'fake (tests/fakes.py)' if args.fake else args.model or 'default'}; streaming through `filter clean`")
    texts = load_texts(min(max(args.sizes), 5000))
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            src = Path(tmp) / f"in-{size}.jsonl"
            with open(src, "w", encoding="utf-8") as fh:
                for i in range(size):
                    fh.write(json.dumps({"id": f"doc{i}", "text": texts[i % len(texts)]}, ensure_ascii=False) + "\n")
            mb = src.stat().st_size / 1e6
            for w in args.worker_list:
                args.workers_now = w
                r = child(args, "--_cli", "--input", str(src), "--output", str(Path(tmp) / f"out-{size}-{w}.jsonl"))
                worker = f", worker {r['rss_worker']:.0f} MB" if r['rss_worker'] > 0 else ""
                print(f"{size:>7} docs ({mb:6.1f} MB) workers={w}: peak RSS main {r['rss']:.0f} MB{worker}, "
                      f"{r['secs']:.1f} s, {size / r['secs']:.0f} docs/s, exit {r['code']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model artifact (default: the bundled one)")
    ap.add_argument("--fake", action="store_true", help="use the fake test model")
    ap.add_argument("--n", type=int, default=2000, help="articles for the throughput run")
    ap.add_argument("--workers", default="1,2,auto", help="worker counts (or auto), comma-separated")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the median is reported)")
    ap.add_argument("--chunksize", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1,
                    help="OpenMP/BLAS threads per process, as `filter clean` uses (0: library default)")
    ap.add_argument("--memory", action="store_true", help="memory-scaling mode")
    ap.add_argument("--sizes", default="10000,50000", help="document counts for --memory")
    ap.add_argument("--_one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--_cli", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--output", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._one:
        return one_throughput(args)
    if args._cli:
        return one_cli(args)
    args.worker_list = [x.strip() for x in args.workers.split(",")]
    args.sizes = [int(x) for x in args.sizes.split(",")]
    if not args.fake and args.model is None and not (ROOT / "models" / "filter-id-news.joblib").exists():
        sys.exit("no trained model at models/filter-id-news.joblib; pass --model PATH or --fake")
    memory(args) if args.memory else throughput(args)


if __name__ == "__main__":
    main()
