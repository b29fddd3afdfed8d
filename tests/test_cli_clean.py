"""`filter clean` and `filter inspect` through typer's CliRunner, with the fake model."""
from __future__ import annotations

import re

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import fake_cleaner, rendered
from typer.testing import CliRunner

import filter.cli.clean as clean_cli
from filter.cli import app
from filter.io import partial_path

ROOT = Path(__file__).resolve().parents[1]
REAL_MODEL = Path(os.environ.get("FILTER_MODEL") or ROOT / "models" / "filter-id-news.joblib")

DOCS = [
    {"id": "n1", "title": "Banjir", "text": "Banjir melanda desa.\nBaca juga: Jalan rusak di kota\nWarga mengungsi ke balai desa."},
    {"id": "n2", "title": "Pasar", "text": "Harga beras naik. Kunjungi Gacor77 untuk bonus. Pedagang mengeluh."},
    {"id": "n3", "title": "Sekolah", "text": "Sekolah baru diresmikan oleh bupati."},
]


@pytest.fixture
def fake(monkeypatch):
    """Use the fake model in the CLI; ``fake.model_kw`` configures it (e.g. interrupt_after)."""
    model_kw: dict = {}

    def load(model=None, **policy):
        return fake_cleaner(**policy, **{f"model_{k}": v for k, v in model_kw.items()})

    monkeypatch.setattr(clean_cli, "load_cleaner", load)
    load.model_kw = model_kw
    return load


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def check_results(out: list[dict], docs=DOCS) -> None:
    assert [o["id"] for o in out] == [d["id"] for d in docs]
    by = {o["id"]: o for o in out}
    assert by["n1"]["cleaned"] == rendered(docs[0]["text"]) and "Baca juga" not in by["n1"]["cleaned"]
    assert by["n2"]["cleaned"] == rendered(docs[1]["text"])
    assert [s["label"] for s in by["n1"]["spans"]] == ["boilerplate"]
    assert "Gacor77" not in by["n2"]["cleaned"] and by["n2"]["spans"][0]["kind"] == "inline_brand"
    assert by["n3"]["cleaned"] == DOCS[2]["text"] and by["n3"]["spans"] == []
    assert by["n2"]["promo_ratio"] > 0 and by["n1"]["boilerplate_ratio"] > 0 and by["n3"]["junk_ratio"] == 0
    assert all(o["model_version"] == "fake-1" for o in out)


# ---------------------------------------------------------------- formats

def test_jsonl_in_jsonl_out(tmp_path, fake):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    res = run("clean", src, "-o", tmp_path / "out.jsonl", "--workers", 1)
    assert res.exit_code == 0, res.stderr
    out = jsonl(tmp_path / "out.jsonl")
    check_results(out)
    assert [o["title"] for o in out] == ["Banjir", "Pasar", "Sekolah"]
    assert "text" not in out[0]
    assert "3 documents, 0 failed" in res.stderr and "docs/s" in res.stderr
    assert not partial_path(tmp_path / "out.jsonl").exists()


def test_stdout_and_stdin(tmp_path, fake):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    res = run("clean", src, "-j", 1)
    assert res.exit_code == 0
    check_results([json.loads(line) for line in res.stdout.splitlines()])
    res = run("clean", "-", "-j", 1, "--quiet", input=src.read_text(encoding="utf-8"))
    assert res.exit_code == 0 and res.stderr == ""
    check_results([json.loads(line) for line in res.stdout.splitlines()])
    res = run("clean", "-", "--input-format", "txt", "-j", 1, input="Main Slot88 hari ini.\nBerita biasa.")
    [rec] = [json.loads(line) for line in res.stdout.splitlines()]
    assert rec["id"] == "-" and rec["cleaned"] == rendered("Main Slot88 hari ini.\nBerita biasa.")


def test_csv_in_csv_out_with_quoted_newlines(tmp_path, fake):
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "title", "text"])
        w.writeheader()
        w.writerows(DOCS)
    res = run("clean", src, "-o", tmp_path / "out.csv", "-j", 2)
    assert res.exit_code == 0, res.stderr
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["spans"] = json.loads(r["spans"])
        for k in ("junk_ratio", "promo_ratio", "boilerplate_ratio"):
            r[k] = float(r[k])
    check_results(rows)
    assert rows[0]["title"] == "Banjir" and rows[0]["error"] == ""


def test_parquet_in_parquet_out(tmp_path, fake):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pd.DataFrame(DOCS).to_parquet(tmp_path / "in.parquet")
    res = run("clean", tmp_path / "in.parquet", "-o", tmp_path / "out.parquet", "-j", 1)
    assert res.exit_code == 0, res.stderr
    df = pd.read_parquet(tmp_path / "out.parquet")
    assert df["junk_ratio"].dtype == "float64"
    rows = df.to_dict("records")
    for r in rows:
        r["spans"] = json.loads(r["spans"])
    check_results(rows)


def test_txt_inputs_and_txt_output_dir(tmp_path, fake):
    d = tmp_path / "docs"
    d.mkdir()
    for doc in DOCS:
        (d / f"{doc['id']}.txt").write_text(doc["text"], encoding="utf-8")
    res = run("clean", d, "-o", tmp_path / "out", "--output-format", "txt", "-j", 1)
    assert res.exit_code == 0, res.stderr
    idx = jsonl(tmp_path / "out" / "index.jsonl")
    assert [i["id"] for i in idx] == ["n1.txt", "n2.txt", "n3.txt"]
    assert [i["file"] for i in idx] == ["n1.txt", "n2.txt", "n3.txt"]
    assert (tmp_path / "out" / "n3.txt").read_text(encoding="utf-8") == DOCS[2]["text"]
    assert "Gacor77" not in (tmp_path / "out" / "n2.txt").read_text(encoding="utf-8")
    # a glob of txt files, JSONL to stdout
    res = run("clean", str(d / "n*.txt"), "-j", 1)
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == ["n1.txt", "n2.txt", "n3.txt"]


def test_text_and_id_fields_and_fallback_ids(tmp_path, fake):
    src = write_jsonl(tmp_path / "in.jsonl", [{"doc": "A", "body": "Gacor77 ada"}, {"body": "tanpa id"}])
    res = run("clean", src, "--text-field", "body", "--id-field", "doc", "-j", 1)
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["A", 2] and out[0]["cleaned"] == rendered("Gacor77 ada")


def test_policy_options(tmp_path, fake):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = [json.loads(x) for x in run("clean", src, "--remove", "promo", "-j", 1).stdout.splitlines()]
    assert "Baca juga" in out[0]["cleaned"] and "Gacor77" not in out[1]["cleaned"]
    assert len(out[0]["spans"]) == 1  # still reported
    out = [json.loads(x) for x in run("clean", src, "--threshold", "0.85", "-j", 1).stdout.splitlines()]
    assert out[0]["spans"] == [] and out[1]["spans"] != []  # boilerplate 0.8 < 0.85 <= promo 0.9
    out = [json.loads(x) for x in run("clean", src, "--annotate-only", "-j", 1).stdout.splitlines()]
    assert [o["cleaned"] for o in out] == [d["text"] for d in DOCS] and out[1]["spans"]


# ---------------------------------------------------------------- bad records, exit codes

MIXED = [
    json.dumps({"id": "ok1", "text": "Berita Gacor77 pagi"}),
    "{broken json",
    json.dumps({"id": "num", "text": 42}),
    json.dumps({"id": "null", "text": None}),
    json.dumps({"id": "missing", "body": "x"}),
    json.dumps(["not", "an", "object"]),
    json.dumps({"id": "boom", "text": "RUSAK total"}),
    json.dumps({"id": "empty", "text": ""}),
    json.dumps({"id": "ok2", "text": "Berita sore"}),
]


@pytest.mark.parametrize("workers", [1, 2])
def test_mixed_good_and_bad_records_on_error_record(tmp_path, fake, workers):
    fake.model_kw["fail_on"] = "RUSAK"
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(("\n".join(MIXED[:7]) + "\n").encode() + b'{"id": "badutf", "text": "x\xff y"}\n'
                    + ("\n".join(MIXED[7:]) + "\n").encode())
    res = run("clean", src, "-o", tmp_path / "out.jsonl", "-j", workers, "--chunksize", 2)
    assert res.exit_code == 1
    out = jsonl(tmp_path / "out.jsonl")
    assert [o["id"] for o in out] == ["ok1", 2, "num", "null", "missing", 6, "boom", "badutf", "empty", "ok2"]
    errs = {o["id"]: o.get("error") for o in out}
    assert errs["ok1"] is None and errs["ok2"] is None and errs["empty"] is None and errs["badutf"] is None
    assert errs[2].startswith("invalid JSON") and "not an object" in errs[6]
    assert "int, not a string" in errs["num"] and "null" in errs["null"] and "missing text field" in errs["missing"]
    assert errs["boom"].startswith("RuntimeError")
    by = {o["id"]: o for o in out}
    assert by["boom"]["text"] == "RUSAK total" and by["num"]["text"] == 42 and by[2]["raw"] == "{broken json"
    assert by["badutf"]["cleaned"] == "x\ufffd y" and "invalid UTF-8" in by["badutf"]["warning"]
    assert by["empty"]["cleaned"] == "" and by["ok1"]["cleaned"] == rendered("Berita Gacor77 pagi")
    assert "10 documents, 6 failed, 1 with warnings" in res.stderr


def test_on_error_skip_and_fail(tmp_path, fake):
    fake.model_kw["fail_on"] = "RUSAK"
    src = write_jsonl(tmp_path / "mixed.jsonl", MIXED)
    res = run("clean", src, "-o", tmp_path / "skip.jsonl", "--on-error", "skip", "-j", 1)
    assert res.exit_code == 1
    assert [o["id"] for o in jsonl(tmp_path / "skip.jsonl")] == ["ok1", "empty", "ok2"]
    res = run("clean", src, "-o", tmp_path / "fail.jsonl", "--on-error", "fail", "-j", 1)
    assert res.exit_code == 1 and "record 2 failed: invalid JSON" in res.stderr
    assert not (tmp_path / "fail.jsonl").exists() and not partial_path(tmp_path / "fail.jsonl").exists()


# ---------------------------------------------------------------- user errors

def _one_line_error(res, code=2, contains=""):
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("filter: error: "), res.stderr
    assert contains in lines[0]
    assert "Traceback" not in res.stderr and res.exception is None or isinstance(res.exception, SystemExit)


def test_user_errors(tmp_path, fake):
    good = write_jsonl(tmp_path / "in.jsonl", DOCS)
    (tmp_path / "data.xml").write_text("<x/>")
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("id,body\n1,halo\n", encoding="utf-8")
    _one_line_error(run("clean", tmp_path / "nope.jsonl"), contains="no such file")
    _one_line_error(run("clean", tmp_path / "data.xml"), contains="unknown input format")
    _one_line_error(run("clean", good, "--input-format", "yaml"), contains="unknown input format 'yaml'")
    _one_line_error(run("clean", nocol), contains="no column 'text'")
    _one_line_error(run("clean", good, "-o", tmp_path / "o.json"), contains="unknown output format")
    _one_line_error(run("clean", good, "--output-format", "txt"), contains="needs an output directory")
    _one_line_error(run("clean", good, "--resume"), contains="--resume needs an output file")
    _one_line_error(run("clean", good, "--remove", "ads"), contains="unknown label(s) in --remove: ads")
    _one_line_error(run("clean", good, "--threshold", "1.5"), contains="--threshold must be between 0 and 1")
    _one_line_error(run("clean", good, "--on-error", "ignore"), contains="--on-error must be one of")
    _one_line_error(run("clean", good, "-o", good), contains="is also an input")
    _one_line_error(run("clean", str(tmp_path / "*.none")), contains="no files match")
    _one_line_error(run("inspect", tmp_path / "missing.txt"), contains="no such file")
    _one_line_error(run("inspect", good, "--id", "zz"), contains="no record with id 'zz'")


def test_unreadable_and_missing_model_are_user_errors(tmp_path):
    good = write_jsonl(tmp_path / "in.jsonl", DOCS)
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"this is not a model")
    _one_line_error(run("clean", good, "--model", junk), contains="cannot load model")
    _one_line_error(run("clean", good, "--model", tmp_path / "none.joblib"), contains="model file not found")
    _one_line_error(run("inspect", "--text", "teks", "--model", junk), contains="cannot load model")


def test_corrupt_gzip_is_a_user_error(tmp_path, fake):
    bad = tmp_path / "in.jsonl.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage" * 10)
    res = run("clean", bad, "-o", tmp_path / "out.jsonl", "-j", 1)
    _one_line_error(res)
    assert not (tmp_path / "out.jsonl").exists()


# ---------------------------------------------------------------- interruption and resume

def many_docs(n: int) -> list[dict]:
    return [{"id": f"d{i:04d}", "text": f"Kabar {i}. Main Slot{i % 90 + 10} sekarang.\nBaca juga: kabar {i + 1}"}
            for i in range(n)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "txt"])
def test_interrupted_run_leaves_no_final_output_and_resume_completes(tmp_path, fake, fmt):
    src = write_jsonl(tmp_path / "in.jsonl", many_docs(600))
    out = tmp_path / ("outdir" if fmt == "txt" else f"out.{fmt}")
    args = ["clean", src, "-o", out, "--output-format", fmt, "-j", 1]
    fake.model_kw["interrupt_after"] = 450
    res = run(*args)
    # documents are cleaned in batches, so the interrupt loses the batch it hit (< chunksize)
    m = re.search(r"interrupted after (\d+) documents", res.stderr)
    assert res.exit_code == 130 and m and "--resume" in res.stderr, res.stderr
    done = int(m.group(1))
    assert 450 - 64 <= done <= 450
    final = out / "index.jsonl" if fmt == "txt" else out
    assert not final.exists() and partial_path(final).exists()
    fake.model_kw.clear()
    res = run(*args, "--resume")
    assert res.exit_code == 0, res.stderr
    assert f"{600 - done} documents" in res.stderr and f"{done} already done" in res.stderr
    assert not partial_path(final).exists()
    reference = tmp_path / ("ref" if fmt == "txt" else f"ref.{fmt}")
    assert run("clean", src, "-o", reference, "--output-format", fmt, "-j", 1).exit_code == 0
    if fmt == "txt":
        assert jsonl(final) == jsonl(reference / "index.jsonl")
        assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in reference.iterdir())
    elif fmt == "parquet":  # row groups differ; the rows must not
        import pyarrow.parquet as pq

        assert pq.read_table(final).to_pylist() == pq.read_table(reference).to_pylist()
    else:
        assert final.read_bytes() == reference.read_bytes()
    # resuming a complete output adds nothing
    res = run(*args, "--resume")
    assert res.exit_code == 0 and "0 documents" in res.stderr and "600 already done" in res.stderr


_KILL_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from fakes import fake_cleaner, rendered
import filter.cli.clean as c
c.load_cleaner = lambda model=None, **p: fake_cleaner(model_delay=0.002, **p)
from filter.cli import main
sys.argv = ["filter", "clean", {src!r}, "-o", {out!r}, "-j", "2", "--chunksize", "8", "--quiet"]
main()
"""


def test_killed_process_leaves_no_final_output_and_resume_completes(tmp_path, fake):
    src = write_jsonl(tmp_path / "in.jsonl", many_docs(3000))
    out = tmp_path / "out.jsonl"
    script = _KILL_SCRIPT.format(tests=str(Path(__file__).parent), src=str(src), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    part = partial_path(out)
    deadline = time.time() + 30
    while time.time() < deadline and (not part.exists() or part.stat().st_size < 20_000):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert part.exists() and not out.exists()
    done = len(part.read_bytes().splitlines())
    assert 0 < done < 3000
    res = run("clean", src, "-o", out, "--resume", "-j", 2)
    assert res.exit_code == 0, res.stderr
    ids = [o["id"] for o in jsonl(out)]
    assert ids == [d["id"] for d in many_docs(3000)]  # complete, in order, no duplicates


# ---------------------------------------------------------------- inspect

def test_inspect_literal_text_plain_markers(fake):
    res = run("inspect", "--text", "Warga senang. Main Gacor77 sekarang.\nBaca juga: kabar lain", "--no-color")
    assert res.exit_code == 0, res.stderr
    assert "[-promo:inline_brand 0.90: Gacor77-]" in res.stdout
    assert "[-boilerplate:related_link 0.80: Baca juga: kabar lain-]" in res.stdout
    assert "1 promo, 1 boilerplate" in res.stdout and "\x1b[" not in res.stdout


def test_inspect_kept_spans_and_files(tmp_path, fake):
    p = tmp_path / "doc.txt"
    p.write_text("Baca juga: sesuatu\nGacor77 hadir", encoding="utf-8")
    res = run("inspect", p, "--remove", "promo")
    assert "[~boilerplate:related_link 0.80: Baca juga: sesuatu~]" in res.stdout
    assert "[-promo:inline_brand 0.90: Gacor77-]" in res.stdout
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    assert "Banjir melanda" in run("inspect", src).stdout
    res = run("inspect", src, "--id", "n2")
    assert "[-promo:inline_brand 0.90: Gacor77-]" in res.stdout and "id n2" in res.stdout
    assert "Slot88" in run("inspect", "-", input="ada Slot88 di sini").stdout


def test_inspect_jsonl_on_stdin_is_read_as_records(fake):
    # `cat out.jsonl | filter inspect -` used to mark spans inside the JSON text itself
    piped = "\n".join(json.dumps(d, ensure_ascii=False) for d in DOCS) + "\n"
    res = run("inspect", "-", "--id", "n2", input=piped)
    assert res.exit_code == 0 and "[-promo:inline_brand 0.90: Gacor77-]" in res.stdout
    assert '"text"' not in res.stdout and "standard input" in res.stderr
    res = run("inspect", "-", "--index", "1", input="ada Slot88 di sini")
    assert res.exit_code == 2 and "plain text" in res.stderr


def test_render_marked_colour():
    from filter.spans import Span

    text = "ab Gacor77 cd"
    s = clean_cli.render_marked(text, [Span(3, 10, "promo", "inline_brand", 0.93)], ("promo",), color=True)
    assert "\x1b[" in s and "Gacor77" in s and "promo:inline_brand 0.93" in s
    plain = clean_cli.render_marked(text, [Span(3, 10, "promo", "inline_brand", 0.93)], ("promo",), color=False)
    assert plain == "ab [-promo:inline_brand 0.93: Gacor77-] cd"


# ---------------------------------------------------------------- the real model (when trained)

needs_model = pytest.mark.skipif(not REAL_MODEL.exists(), reason="models/filter-id-news.joblib not trained yet")


@needs_model
def test_real_model_clean_sample(tmp_path):
    sample = ROOT / "data" / "samples" / "sample.jsonl"
    res = run("clean", sample, "-o", tmp_path / "out.jsonl", "-j", 2, "--model", REAL_MODEL)
    assert res.exit_code == 0, res.stderr
    out = jsonl(tmp_path / "out.jsonl")
    docs = jsonl(sample)
    assert [o["id"] for o in out] == [d["id"] for d in docs]
    for o, d in zip(out, docs):
        for s in o["spans"]:
            assert 0 <= s["start"] < s["end"] <= len(d["text"]) and s["label"] in ("promo", "boilerplate")
        assert len(o["cleaned"]) <= len(d["text"])
    assert sum(len(o["spans"]) for o in out) > 0


@needs_model
def test_real_model_parallel_equals_serial():
    from filter.cleaner import Cleaner

    cleaner = Cleaner.load(REAL_MODEL)
    texts = [d["text"] for d in jsonl(ROOT / "data" / "samples" / "sample.jsonl")] * 3
    assert [r.to_dict() for r in cleaner.clean_many(texts, n_jobs=2, chunksize=2)] == \
           [cleaner.clean(t).to_dict() for t in texts]


@needs_model
def test_real_model_inspect():
    res = run("inspect", ROOT / "data" / "samples" / "sample.jsonl", "--no-color", "--model", REAL_MODEL)
    assert res.exit_code == 0, res.stderr
    assert "[-" in res.stdout


# ---------------------------------------------------------------- progress and summary

def test_progress_bar_only_on_a_tty(tmp_path, fake, monkeypatch, capsys):
    p = clean_cli.Progress(enabled=True, total_bytes=1000)
    p.start -= 5  # pretend the run has been going for 5 s
    p.update(50, 500)
    p.done()
    err = capsys.readouterr().err
    assert "50 docs" in err and "50%" in err and "docs/s" in err
    quiet = clean_cli.Progress(enabled=False, total_bytes=1000)
    quiet.start -= 5
    quiet.update(50, 500)
    assert capsys.readouterr().err == ""
    # CliRunner's stderr is not a TTY: only the summary line appears
    src = write_jsonl(tmp_path / "in.jsonl", many_docs(50))
    res = run("clean", src, "-o", tmp_path / "o.jsonl", "-j", 1)
    assert res.stderr.count("\n") == 1 and "\r" not in res.stderr
    assert "50 documents, 0 failed, spans: promo 50, boilerplate 50" in res.stderr
    res = run("clean", src, "-o", tmp_path / "o2.jsonl", "-j", 1, "--quiet")
    assert res.stderr == "" and res.exit_code == 0


def test_broken_pipe_on_stdout_stops_quietly(tmp_path, fake, monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", many_docs(300))

    class Closed:
        def write(self, data):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    real = clean_cli.open_writer
    monkeypatch.setattr(clean_cli, "open_writer", lambda *a, **k: real(*a, stream=Closed(), **k))
    res = run("clean", src, "-j", 1)
    assert res.exit_code == 141 and "Traceback" not in res.stderr
