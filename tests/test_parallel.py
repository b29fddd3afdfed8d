"""Process-pool cleaning: same results as serial, in order, lazily, model shipped once per worker."""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import FakeModel, fake_cleaner, rendered

from filter.cleaner import Cleaner, Policy
from filter.io import Record
from filter.parallel import Failure, clean_records, effective_jobs, imap_clean


def make_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["polisi", "warga", "desa", "Gacor77", "banjir", "pasar", "Slot88", "harga", "jalan", "sekolah"]
    out = []
    for i in range(n):
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 20))) for _ in range(rng.randint(1, 5))]
        if i % 3 == 0:
            lines.insert(1, f"Baca juga: berita nomor {i}")
        out.append("\n".join(lines))
    return out


_PATHS = (str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent))


def run_script(body: str, imports: str = "sys", timeout: float = 60) -> subprocess.CompletedProcess:
    """``body`` run by a fresh interpreter that imports ``imports`` and finds the project and
    these tests' helpers (``fakes``, ``test_parallel``) on its path."""
    code = f"import {imports}; sys.path[:0] = {list(_PATHS)!r}\n" + body
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)


def test_effective_jobs():
    cores = os.cpu_count() or 1
    assert effective_jobs(None) == cores and effective_jobs(-1) == cores
    assert effective_jobs(1) == 1 and effective_jobs(3) == 3
    assert effective_jobs(-cores - 5) == 1


def test_parallel_equals_serial_in_order():
    texts = make_texts(300)
    cleaner = fake_cleaner()
    serial = [r.to_dict() for r in imap_clean(cleaner, texts, n_jobs=1)]
    parallel = [r.to_dict() for r in imap_clean(cleaner, texts, n_jobs=2, chunksize=7)]
    assert parallel == serial
    assert [r["text"] for r in parallel] == texts
    assert sum(len(r["spans"]) for r in serial) > 100  # the fake model did find things


def test_clean_many_uses_the_pool_and_matches_serial():
    texts = make_texts(120, seed=1)
    cleaner = fake_cleaner(remove=("promo",))
    assert [r.cleaned for r in cleaner.clean_many(texts, n_jobs=2, chunksize=5)] == \
           [cleaner.clean(t).cleaned for t in texts]


def test_errors_return_failure_in_place_and_raise_mode():
    texts = ["baik satu", "RUSAK di sini", "baik Gacor77", None]
    cleaner = fake_cleaner(model_fail_on="RUSAK")
    for n_jobs in (1, 2):
        out = list(imap_clean(cleaner, texts, n_jobs=n_jobs, chunksize=1, errors="return"))
        assert out[0].cleaned == "baik satu"
        assert isinstance(out[1], Failure) and out[1].error.startswith("RuntimeError: fake model failure")
        assert out[2].cleaned == rendered("baik Gacor77") and "Gacor" not in out[2].cleaned and out[3] is None
        with pytest.raises(RuntimeError, match="fake model failure"):
            list(imap_clean(cleaner, texts, n_jobs=n_jobs, chunksize=1))


def test_input_is_consumed_lazily():
    pulled = 0

    def gen():
        nonlocal pulled
        for t in make_texts(2000, seed=2):
            pulled += 1
            yield t

    it = imap_clean(fake_cleaner(), gen(), n_jobs=2, chunksize=10, max_pending=3)
    next(it)
    assert pulled <= 10 * 4  # at most max_pending chunks (+ the one being submitted) read ahead
    rest = list(it)
    assert len(rest) == 1999 and pulled == 2000


class CountingModel(FakeModel):
    """Appends a line to ``log`` each time it is unpickled (i.e. shipped to a process)."""

    def __init__(self, log: str) -> None:
        super().__init__()
        self.log = log

    def __setstate__(self, state):
        self.__dict__.update(state)
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()}\n")


def test_cleaner_is_shipped_once_per_worker(tmp_path):
    # loky starts workers by fork+exec: the cleaner is pickled to each worker, once
    log = tmp_path / "unpickled.log"
    cleaner = Cleaner(CountingModel(str(log)))
    texts = make_texts(200, seed=3)
    out = list(imap_clean(cleaner, texts, n_jobs=2, chunksize=4))
    assert [r.cleaned for r in out] == [cleaner.clean(t).cleaned for t in texts]
    assert len(out) == 200
    pids = log.read_text().split()
    assert len(pids) == len(set(pids)) <= 2  # 50 chunks, but at most one unpickling per worker


class ParentCounting:
    """A cleaner wrapper counting, in this process only, the texts it cleans (workers get copies)."""

    def __init__(self, cleaner) -> None:
        self.cleaner, self.pid, self.seen = cleaner, os.getpid(), 0

    def clean(self, text):
        return self.clean_batch([text])[0]

    def clean_batch(self, texts):
        if os.getpid() == self.pid:
            self.seen += len(texts)
        return self.cleaner.clean_batch(texts)


def test_calling_process_cleans_its_share_in_order(tmp_path):
    # caller_cleans: n_jobs=2 is this process and one worker; it cleans chunks while the worker starts
    log = tmp_path / "unpickled.log"
    wrapped = ParentCounting(Cleaner(CountingModel(str(log))))
    texts = make_texts(300, seed=4)
    out = list(imap_clean(wrapped, texts, n_jobs=2, chunksize=7, caller_cleans=True))
    assert [r.cleaned for r in out] == [wrapped.cleaner.clean(t).cleaned for t in texts]
    assert [r.text for r in out] == texts
    assert 0 < wrapped.seen < len(texts)
    pids = log.read_text().split() if log.exists() else []
    assert len(pids) <= 1 and str(os.getpid()) not in pids   # one worker, the caller unpickled nothing


def test_shipped_cleaner_leaves_no_named_file(tmp_path, monkeypatch):
    # the pickled cleaner the workers read must not outlive the run, even if every process is
    # SIGKILLed: on Linux its name is gone before any worker starts (read via /proc/<pid>/fd)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    texts = make_texts(120, seed=5)
    it = imap_clean(fake_cleaner(), texts, n_jobs=2, chunksize=5)
    first = next(it)
    during = sorted(p.name for p in tmp_path.glob("filter-cleaner-*"))
    rest = list(it)
    assert [first.text] + [r.text for r in rest] == texts
    if Path(f"/proc/{os.getpid()}/fd").is_dir():
        assert during == []
    assert list(tmp_path.glob("filter-cleaner-*")) == []


def test_clean_records_pairs_records_with_results_or_errors():
    recs = [Record(0, "a", "ok Gacor77"), Record(1, "b", None, error="invalid JSON"),
            Record(2, "c", "RUSAK"), Record(3, "d", "")]
    for n_jobs in (1, 2):
        out = list(clean_records(fake_cleaner(model_fail_on="RUSAK"), recs, n_jobs=n_jobs, chunksize=2))
        assert [r.id for r, _, _ in out] == ["a", "b", "c", "d"]
        assert out[0][1].cleaned == rendered("ok Gacor77") and out[0][2] is None
        assert out[1][1] is None and out[1][2] == "invalid JSON"
        assert out[2][1] is None and "RuntimeError" in out[2][2]
        assert out[3][1].cleaned == "" and out[3][2] is None


def test_bad_arguments():
    with pytest.raises(ValueError):
        list(imap_clean(fake_cleaner(), ["x"], errors="ignore"))
    with pytest.raises(ValueError):
        list(imap_clean(fake_cleaner(), ["x"], chunksize=0))


_OMP_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from fakes import OpenMPModel
from filter.cleaner import Cleaner

if __name__ == "__main__":
    cleaner = Cleaner(OpenMPModel())
    texts = ["Warga Gacor77 desa %d\\nBaca juga: x" % i for i in range(40)]
    serial = [cleaner.clean(t).to_dict() for t in texts]  # the parent runs OpenMP first
    parallel = [r.to_dict() for r in cleaner.clean_many(texts, n_jobs=2, chunksize=5)]
    print("same" if parallel == serial else "different")
"""


def test_parallel_with_openmp_model_used_in_parent_first(tmp_path):
    # the default start method must work (and not hang) with an sklearn/OpenMP model that the
    # parent process has already run; run in a subprocess so a hang fails instead of blocking
    pytest.importorskip("sklearn")
    script = tmp_path / "omp.py"
    script.write_text(_OMP_SCRIPT.format(tests=str(Path(__file__).parent)))
    try:
        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("clean_many hung after the parent used OpenMP (fork-unsafe start method?)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "same"


def test_worker_initializer_caps_openmp_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    pytest.importorskip("sklearn.ensemble")
    from filter import parallel

    parallel._init_worker(fake_cleaner(), threads=1)
    try:
        info = [i for i in threadpoolctl.threadpool_info() if i["user_api"] in ("openmp", "blas")]
        assert info and all(i["num_threads"] == 1 for i in info)
    finally:
        parallel._THREAD_LIMIT.restore_original_limits()
        parallel._WORKER_CLEANER = None


def _omp_threads() -> list[int]:
    import threadpoolctl

    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "openmp"]


class CapRecording:
    """A cleaner wrapper recording this process's OpenMP thread counts while it cleans."""

    def __init__(self, cleaner) -> None:
        self.cleaner, self.pid, self.seen = cleaner, os.getpid(), []

    def clean(self, text):
        return self.clean_batch([text])[0]

    def clean_batch(self, texts):
        if os.getpid() == self.pid:
            self.seen.append(_omp_threads())
        return self.cleaner.clean_batch(texts)


def test_serial_thread_cap_holds_while_a_chunk_is_cleaned_only():
    pytest.importorskip("threadpoolctl")
    pytest.importorskip("sklearn.ensemble")
    before = _omp_threads()
    between = []

    def texts():
        for t in ["a Gacor77", "b", "c"]:
            between.append(_omp_threads())
            yield t

    wrapped = CapRecording(fake_cleaner())
    out = list(imap_clean(wrapped, texts(), n_jobs=1, chunksize=1, threads_per_worker=1))
    assert len(out) == 3
    assert wrapped.seen and all(x == [1] * len(before) for x in wrapped.seen)   # capped while cleaning
    assert all(x == before for x in between)   # not while the caller's own code runs
    assert _omp_threads() == before


def test_interleaved_generators_leave_the_thread_limits_as_they_were():
    # two clean_many generators ending in another order than they started (and one closed
    # half-way) used to restore each other's caps, leaving this process capped
    pytest.importorskip("threadpoolctl")
    pytest.importorskip("sklearn.ensemble")
    before = _omp_threads()
    wrapped = CapRecording(fake_cleaner())
    a = imap_clean(wrapped, ["satu Gacor77"] * 4, n_jobs=2, chunksize=1, caller_cleans=True)
    b = imap_clean(wrapped, ["dua"] * 8, n_jobs=2, chunksize=1, caller_cleans=True)
    for _ in zip(a, b):
        pass
    b.close()
    assert _omp_threads() == before


_BREAK_OUT = (  # clean_many (kept workers) left early by the caller
    "from fakes import fake_cleaner\n"
    "n = 0\n"
    "for r in fake_cleaner().clean_many(['satu Gacor77'] * 400, n_jobs=2, chunksize=2):\n"
    "    n += 1\n"
    "    if n == 10:\n"
    "        break\n"
    "print('stopped after', n)\n"
)
_CLOSE_PER_RUN = (  # a per-run pool (filter clean's path) closed early
    "from fakes import fake_cleaner\n"
    "from filter.parallel import imap_clean\n"
    "it = imap_clean(fake_cleaner(), ['satu Gacor77'] * 400, n_jobs=2, chunksize=2)\n"
    "for _ in range(10):\n"
    "    next(it)\n"
    "it.close()\n"
    "import time; time.sleep(0.5)\n"
    "print('stopped after', 10)\n"
)


@pytest.mark.parametrize("code", [_BREAK_OUT, _CLOSE_PER_RUN], ids=["clean_many", "per-run pool"])
def test_a_run_stopped_early_stops_its_workers_quietly_and_the_interpreter_exits(code):
    # cancelling loky futures before shutdown killed loky's manager thread: the worker stayed and
    # the interpreter hung at exit (InvalidStateError); loky's kill-shutdown left the failed
    # items' ids queued, and its manager thread died on one (a KeyError traceback on stderr)
    proc = run_script(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "stopped after 10" in proc.stdout
    for bad in ("InvalidStateError", "Exception in thread", "KeyError"):
        assert bad not in proc.stderr, proc.stderr[-2000:]


def test_a_late_worker_never_reads_a_reused_descriptor(tmp_path):
    # after the run the parent's descriptor number can name another file or a pipe: a worker
    # starting then must get no cleaner and must not read a byte of it
    from filter import parallel as par

    shipped = par._ship(fake_cleaner())
    assert par._read_shipped(shipped) is not None   # during the run: the cleaner
    par._unship(shipped)
    if shipped.fd is None:
        pytest.skip("no /proc/<pid>/fd here: the named-file path")
    r, w = os.pipe()
    other = None
    try:
        if shipped.fd not in (r, w):
            other = open(tmp_path / "user.txt", "w+")
        os.write(w, b"message for the parent")
        assert par._read_shipped(shipped) is None
        assert os.read(r, 100) == b"message for the parent"   # nothing stolen
    finally:
        os.close(r)
        os.close(w)
        if other is not None:
            other.close()


def test_clean_many_with_workers_raises_a_bad_item_at_its_position():
    texts = ["satu Gacor77"] * 40 + [None] + ["dua"] * 5
    got = []
    with pytest.raises(TypeError, match=r"texts\[40\] must be str, not NoneType"):
        for r in fake_cleaner().clean_many(texts, n_jobs=2, chunksize=4):
            got.append(r)
    assert len(got) == 40


# ----------------------------------------------------------------------------- kept workers

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _gone(pids, seconds: float = 20.0) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def test_clean_many_keeps_its_workers_for_the_next_call(tmp_path):
    log = tmp_path / "unpickled.log"
    cleaner = Cleaner(CountingModel(str(log)))
    texts = make_texts(200, seed=5)
    want = [cleaner.clean(t).cleaned for t in texts]
    for _ in range(3):
        assert [r.cleaned for r in cleaner.clean_many(texts, n_jobs=2, chunksize=4)] == want
    assert cleaner._workers.started == 1
    pids = log.read_text().split()
    assert len(pids) == 1 and str(os.getpid()) not in pids   # one worker, unpickled once for 3 calls
    workers = list(cleaner._workers._current.pool._processes)
    cleaner.close()
    assert cleaner._workers._current is None and _gone(workers)


def test_an_abandoned_run_or_another_policy_starts_new_workers():
    cleaner = fake_cleaner()
    texts = make_texts(300, seed=6)
    list(cleaner.clean_many(texts, n_jobs=2, chunksize=4))
    first = cleaner._workers._current
    it = cleaner.clean_many(texts, n_jobs=2, chunksize=4)
    next(it)
    it.close()   # stopped early: the workers may still run its chunks, so they are killed
    assert first.retired and cleaner._workers._current is None
    assert _gone(list(first.pool._processes))
    list(cleaner.clean_many(texts[:50], n_jobs=2, chunksize=4))
    assert cleaner._workers.started == 2
    second = cleaner._workers._current
    cleaner.policy = Policy(remove=("promo",))   # the workers' copy has the old policy
    out = [r.cleaned for r in cleaner.clean_many(texts[:50], n_jobs=2, chunksize=4)]
    assert out == [cleaner.clean(t).cleaned for t in texts[:50]]
    assert cleaner._workers.started == 3 and second.retired
    with cleaner:
        pass
    assert cleaner._workers._current is None


def test_a_cleaner_with_kept_workers_pickles_without_them():
    import pickle

    cleaner = fake_cleaner()
    list(cleaner.clean_many(make_texts(40, seed=7), n_jobs=2, chunksize=4))
    copy = pickle.loads(pickle.dumps(cleaner))
    assert copy._workers is None and cleaner._workers is not None
    cleaner.close()


def test_kept_workers_stop_at_interpreter_exit():
    code = (
        "from fakes import fake_cleaner\n"
        "c = fake_cleaner()\n"
        "print(len(list(c.clean_many(['satu Gacor77'] * 200, n_jobs=2, chunksize=2))))\n"
        "print('pids', *c._workers._current.pool._processes)\n"
    )
    proc = run_script(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines()[0] == "200"
    pids = [int(p) for p in proc.stdout.split("pids", 1)[1].split()]
    assert pids and _gone(pids)


def _names_the_shipped_file(fd: int) -> bool:
    try:
        return "filter-cleaner-" in os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_a_cleaner_dropped_without_close_frees_its_workers_and_shipped_file():
    """A Cleaner (or a ``with_policy`` copy) garbage-collected with kept workers: its workers stop
    and the descriptor of the shipped cleaner (an unlinked temporary file, ~33 MB with the
    bundled models) is closed, not held until the process exits."""
    import gc

    cleaner = fake_cleaner()
    list(cleaner.clean_many(make_texts(40, seed=8), n_jobs=2, chunksize=4))
    kept = cleaner._workers._current
    fd, pids = kept.shipped.fd, list(kept.pool._processes)
    assert fd is not None and _names_the_shipped_file(fd)
    del cleaner, kept
    gc.collect()
    assert not _names_the_shipped_file(fd)
    assert _gone(pids)


def test_an_abandoned_run_collected_inside_the_next_start_does_not_deadlock():
    """The cyclic garbage collector may finalise an abandoned run (its ``release`` takes the
    pool's lock) at any allocation, e.g. while ``acquire`` holds the lock and pickles the cleaner."""
    code = (
        "from fakes import fake_cleaner\n"
        "from test_parallel import make_texts\n"
        "import filter.parallel as P\n"
        "from filter.cleaner import Policy\n"
        "texts = make_texts(100, seed=9)\n"
        "c = fake_cleaner()\n"
        "it = c.clean_many(texts, n_jobs=2, chunksize=4)\n"
        "next(it)\n"
        "box = [it]; box.append(box)   # the abandoned run, caught in a reference cycle\n"
        "del it, box\n"
        "real = P._ship\n"
        "def ship(cleaner):\n"
        "    gc.collect()   # as the collector may, at any allocation of the pickling\n"
        "    return real(cleaner)\n"
        "P._ship = ship\n"
        "c.policy = Policy(remove=('promo',))   # another key: acquire starts a new pool\n"
        "print(len(list(c.clean_many(texts, n_jobs=2, chunksize=4))))\n"
        "c.close()\n"
    )
    try:
        proc = run_script(code, imports="sys, gc")
    except subprocess.TimeoutExpired:
        pytest.fail("clean_many deadlocked on the pool's lock")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["100"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_its_own_workers_and_leaves_the_parents():
    """A process forked while a Cleaner keeps workers inherits the parent's pool object, whose
    manager thread does not exist in the child: the child's clean_many must start its own
    workers (not wait forever on the parent's), and leave the parent's running."""
    code = (
        "from fakes import fake_cleaner\n"
        "from test_parallel import make_texts\n"
        "texts = make_texts(60, seed=10)\n"
        "c = fake_cleaner()\n"
        "want = [c.clean(t).cleaned for t in texts]\n"
        "assert [r.cleaned for r in c.clean_many(texts, n_jobs=2, chunksize=4)] == want\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    faulthandler.dump_traceback_later(30, exit=True)\n"
        "    ok = [r.cleaned for r in c.clean_many(texts, n_jobs=2, chunksize=4)] == want\n"
        "    c.close()\n"
        "    sys.stdout.flush()\n"
        "    os._exit(0 if ok else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print('child', os.waitstatus_to_exitcode(status))\n"
        "assert [r.cleaned for r in c.clean_many(texts, n_jobs=2, chunksize=4)] == want\n"
        "print('parent pools', c._workers.started)\n"
        "c.close()\n"
    )
    proc = run_script(code, imports="os, sys, faulthandler", timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["child", "0", "parent", "pools", "1"], proc.stderr[-2000:]


def test_kept_workers_follow_the_document_models_threshold():
    """The document model's promotion threshold (and temperature) changed in place: the kept
    workers' copy has the old one, so the next call starts new workers."""
    import numpy as np

    from filter.doc import N_DENSE, DocModel

    # all-zero coefficients: every page is 1/3 promotion, a promotion page when the threshold is <= 1/3
    doc = DocModel(coef=np.zeros((16 + N_DENSE, 3)), intercept=np.zeros(3), n_hash=16, promo_threshold=0.5)
    cleaner = Cleaner(FakeModel(), doc_model=doc)
    texts = make_texts(60, seed=11)
    assert [r.doc_label for r in cleaner.clean_many(texts, n_jobs=2, chunksize=4)] != ["promo"] * 60
    cleaner.doc_model.promo_threshold = 0.3
    want = [cleaner.clean(t) for t in texts]
    assert {r.doc_label for r in want} == {"promo"}
    got = list(cleaner.clean_many(texts, n_jobs=2, chunksize=4))
    assert [(r.doc_label, r.cleaned) for r in got] == [(r.doc_label, r.cleaned) for r in want]
    assert cleaner._workers.started == 2
    cleaner.close()


def test_kept_workers_are_not_reused_for_a_new_model_at_a_freed_models_address():
    """The key named the models by ``id()``: a model dropped and replaced by another one that the
    allocator put at the same address looked unchanged, and the kept workers went on cleaning
    with the old model while the caller used the new one."""
    texts = make_texts(60, seed=12)
    cleaner = Cleaner(FakeModel(version="A"))
    list(cleaner.clean_many(texts, n_jobs=2, chunksize=4))
    cleaner.model = None   # the old model dropped first (say, to free its memory) ...
    cleaner.model = FakeModel(version="B")   # ... and CPython usually reuses its address
    assert {r.model_version for r in cleaner.clean_many(texts, n_jobs=2, chunksize=4)} == {"B"}
    assert cleaner._workers.started == 2
    cleaner.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_close_wait_returns_once_the_workers_are_reaped():
    """``close(wait=True)``: the workers are gone and reaped when it returns, so their peak
    memory is in ``getrusage(RUSAGE_CHILDREN)`` (``filter bench``'s ``peak_worker_rss_mb`` read it
    while the last round's kept workers were still alive)."""
    cleaner = fake_cleaner()
    list(cleaner.clean_many(make_texts(40, seed=13), n_jobs=3, chunksize=2))
    pids = list(cleaner._workers._current.pool._processes)
    assert pids
    cleaner.close(wait=True)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)   # not even a zombie: reaped


def test_a_non_str_item_does_not_stop_the_kept_workers():
    """A ``TypeError`` for a bad item is the caller's input, not a broken pool: the next call
    reuses the workers."""
    cleaner = fake_cleaner()
    texts = make_texts(40, seed=14)
    list(cleaner.clean_many(texts, n_jobs=2, chunksize=4))
    with pytest.raises(TypeError, match=r"texts\[40\]"):
        list(cleaner.clean_many(texts + [None], n_jobs=2, chunksize=4))
    assert [r.cleaned for r in cleaner.clean_many(texts, n_jobs=2, chunksize=4)] == \
        [cleaner.clean(t).cleaned for t in texts]
    assert cleaner._workers.started == 1
    cleaner.close()


def test_a_cleaner_with_kept_workers_is_still_a_plain_dataclass():
    import dataclasses

    cleaner = fake_cleaner()
    list(cleaner.clean_many(make_texts(20, seed=8), n_jobs=2, chunksize=4))
    assert "_workers" not in dataclasses.asdict(cleaner)   # asdict used to fail on the pool's lock
    copy = dataclasses.replace(cleaner, policy=Policy(remove=("promo",)))
    assert copy._workers is None
    cleaner.close()
