"""Worker processes in real subprocesses: they die with their parent, and ``clean_many(n_jobs=2)``
works from a plain script without a ``__main__`` guard and from code with no file (a notebook)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = str(Path(__file__).parent)

_SLOW_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from fakes import fake_cleaner
if __name__ == "__main__":  # guarded, so this test is about worker shutdown only
    cleaner = fake_cleaner(model_delay=0.05)
    texts = ["Warga Gacor77 desa %d" % i for i in range(100000)]
    for i, r in enumerate(cleaner.clean_many(texts, n_jobs=2, chunksize=2)):
        if i == 3:
            print("running", flush=True)
"""


def _children() -> dict[int, int]:
    """pid -> parent pid of every live (not zombie) process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            out[int(d)] = int(fields[1])
    return out


def _descendants(pid: int) -> set[int]:
    procs, found, grew = _children(), {pid}, True
    while grew:
        new = {p for p, pp in procs.items() if pp in found} - found
        found |= new
        grew = bool(new)
    return found - {pid}


_CLI_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from fakes import fake_cleaner
import filter.cli.clean as clean_cli
from filter.cli import app

if __name__ == "__main__":
    clean_cli.load_cleaner = lambda model=None, **policy: fake_cleaner(model_delay=0.05, **policy)
    print("running", flush=True)
    app(["clean", {src!r}, "-o", {out!r}, "-j", "2", "-q", "--chunksize", "2"])
"""


def _kill_parent_and_wait(proc: subprocess.Popen) -> None:
    line = proc.stdout.readline()
    assert line.strip() == "running", proc.stderr.read()
    deadline = time.monotonic() + 60
    kids: set[int] = set()
    while len(kids) < 2 and time.monotonic() < deadline:  # the workers are up
        time.sleep(0.2)
        kids = _descendants(proc.pid)
    assert len(kids) >= 2
    time.sleep(0.5)
    kids = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 15
    alive = kids
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = kids & set(_children())
    assert not alive, f"orphaned processes still alive 15 s after the parent was killed: {sorted(alive)}"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("how", ["library", "cli"])
def test_workers_exit_when_the_parent_is_killed(tmp_path, how):
    if how == "library":
        code = _SLOW_SCRIPT.format(tests=TESTS)
    else:
        src = tmp_path / "in.jsonl"
        src.write_text("".join(f'{{"id": {i}, "text": "Warga Gacor77 desa {i}"}}\n' for i in range(20000)))
        code = _CLI_SCRIPT.format(tests=TESTS, src=str(src), out=str(tmp_path / "out.jsonl"))
    script = tmp_path / "slow.py"
    script.write_text(code)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _kill_parent_and_wait(proc)
    finally:
        if proc.poll() is None:
            proc.kill()


_NO_GUARD = """
import sys
sys.path.insert(0, {tests!r})
from fakes import FakeModel
from filter.cleaner import Cleaner


class Shouting(FakeModel):  # defined in __main__: must reach the workers all the same
    version = "shouting"


print("top level ran", flush=True)
cleaner = Cleaner(Shouting())
texts = ["Warga Gacor77 desa %d\\nBaca juga: x" % i for i in range(60)]
serial = [cleaner.clean(t).cleaned for t in texts]
parallel = [r.cleaned for r in cleaner.clean_many(texts, n_jobs=2, chunksize=5)]
print("same" if parallel == serial else "different", flush=True)
"""


@pytest.mark.parametrize("how", ["script", "stdin"])
def test_clean_many_in_processes_without_a_main_guard(tmp_path, how):
    code = _NO_GUARD.format(tests=TESTS)
    if how == "script":
        script = tmp_path / "plain.py"
        script.write_text(code)
        cmd, stdin = [sys.executable, str(script)], None
    else:  # code without a file, as a notebook cell runs
        cmd, stdin = [sys.executable, "-"], code
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["top level ran", "same"], out.stdout + out.stderr
    assert "Traceback" not in out.stderr
