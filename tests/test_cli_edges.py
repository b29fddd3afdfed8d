"""Batch and library edges (issue 18): output-path errors before any work, the workers default
and summary, one behaviour for bad values, the review round trip, CSV/Parquet keeping data, CLI
polish. The CLI runs through typer's CliRunner with the fake model."""
from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest
from fakes import fake_cleaner
from test_cli_clean import DOCS, _one_line_error, fake, jsonl, run, write_jsonl  # noqa: F401 - fixture

import filter.cli.clean as clean_cli
from filter.cleaner import Policy
from filter.io import CsvWriter, ParquetWriter, read_records
from filter.parallel import PoolStats, imap_clean

FORMATS = ["jsonl", "csv", "parquet", "txt"]


def _name(fmt: str) -> str:
    return "out" if fmt == "txt" else f"x.{fmt}"


@pytest.fixture
def no_model(monkeypatch):
    """Fail the test if the CLI loads a model: output errors must come first."""
    def load(*args, **kwargs):
        raise AssertionError("the model was loaded before the output path was checked")

    monkeypatch.setattr(clean_cli, "load_cleaner", load)


# ---------------------------------------------------------------- 1. output-path errors

@pytest.mark.parametrize("fmt", FORMATS)
def test_unwritable_output_paths_fail_before_the_model_loads(tmp_path, fmt, no_model):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    good = write_jsonl(tmp_path / "in.jsonl", DOCS)
    afile = tmp_path / "afile"
    afile.write_text("x")
    _one_line_error(run("clean", good, "-o", afile / _name(fmt), "--output-format", fmt),
                    contains=f"{afile} is a file, not a directory")
    _one_line_error(run("clean", good, "-o", Path("/proc/nope") / _name(fmt), "--output-format", fmt),
                    contains="cannot write /proc/nope")
    _one_line_error(run("clean", good, "-o", good, "--output-format", fmt), contains="is also an input")


@pytest.mark.parametrize("fmt", FORMATS)
def test_read_only_output_directory(tmp_path, fmt, no_model, monkeypatch):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    good = write_jsonl(tmp_path / "in.jsonl", DOCS)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.access(ro, os.W_OK):  # root ignores permission bits: let the file system refuse instead
        real_open = os.open

        def read_only_open(path, flags, *args, **kwargs):
            if str(path).startswith(str(ro)) and flags & os.O_CREAT:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", read_only_open)
    try:
        res = run("clean", good, "-o", ro / _name(fmt), "--output-format", fmt)
    finally:
        ro.chmod(0o755)
    _one_line_error(res, contains=f"cannot write {ro / _name(fmt)}")
    assert "Traceback" not in res.output


def test_output_equal_to_an_input_through_a_link_or_as_a_txt_index(tmp_path, no_model):
    good = write_jsonl(tmp_path / "in.jsonl", DOCS)
    link = tmp_path / "link.jsonl"
    link.symlink_to(good)
    _one_line_error(run("clean", good, "-o", link), contains="is also an input")
    out_dir = tmp_path / "outdir"
    out_dir.mkdir()
    index = write_jsonl(out_dir / "index.jsonl", DOCS)
    _one_line_error(run("clean", index, "-o", out_dir), contains="is also an input")


def test_output_directory_with_a_trailing_slash(tmp_path, fake):
    good = write_jsonl(tmp_path / "in.jsonl", DOCS)
    res = run("clean", good, "-o", f"{tmp_path / 'newdir'}/")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "newdir").iterdir()) == ["index.jsonl", "n1.txt", "n2.txt", "n3.txt"]
    _one_line_error(run("clean", good, "-o", f"{tmp_path / 'other'}/", "--output-format", "jsonl"),
                    contains="is a directory; --output-format jsonl writes one file")
    assert not (tmp_path / "other").exists()


# ---------------------------------------------------------------- 2. workers default and summary

def test_summary_says_how_many_workers(tmp_path, fake):
    good = write_jsonl(tmp_path / "in.jsonl", DOCS)
    res = run("clean", good, "-o", tmp_path / "a.jsonl")   # default: this small input stays in-process
    assert res.exit_code == 0 and "1 process (no workers: input under 5 M characters)" in res.stderr, res.stderr
    res = run("clean", good, "-o", tmp_path / "b.jsonl", "-j", 2)
    assert res.exit_code == 0 and "2 workers" in res.stderr, res.stderr
    assert jsonl(tmp_path / "a.jsonl") == jsonl(tmp_path / "b.jsonl")


def test_workers_start_only_past_the_size_threshold_and_on_idle_cores(monkeypatch):
    import filter.parallel as par

    texts = [f"Warga desa {i} Gacor77" for i in range(50)]
    serial = [r.cleaned for r in imap_clean(fake_cleaner(), texts, n_jobs=1)]

    def run_auto(min_chars: int, idle: int) -> PoolStats:
        monkeypatch.setattr(par, "idle_cores", lambda: idle)
        stats = PoolStats()
        out = [r.cleaned for r in imap_clean(fake_cleaner(), texts, n_jobs=2, min_parallel_chars=min_chars,
                                             chunksize=5, stats=stats)]
        assert out == serial
        return stats

    small, big, busy = run_auto(10_000, 2), run_auto(100, 2), run_auto(100, 1)
    assert (small.workers, big.workers, busy.workers) == (1, 2, 1)
    assert small.reason == "input under 0.01 M characters" and big.reason == ""
    assert busy.reason == "1 idle core (load average)"


def test_idle_cores_reads_the_load_average(monkeypatch):
    import filter.parallel as par

    monkeypatch.setattr(par.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(par.os, "getloadavg", lambda: (1.2, 0.0, 0.0))
    assert par.idle_cores() == 3
    monkeypatch.setattr(par.os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert par.idle_cores() == 0


# ---------------------------------------------------------------- 5. one behaviour for bad values

@pytest.mark.parametrize("n_jobs", [1, 2])
def test_clean_many_rejects_a_non_string_the_same_way_in_processes(n_jobs):
    cleaner = fake_cleaner()
    it = cleaner.clean_many(["satu Gacor77", "dua", None, "empat"], n_jobs=n_jobs, chunksize=1)
    with pytest.raises(TypeError, match=r"texts\[2\] must be str, not NoneType"):
        list(it)


def test_a_string_label_is_one_label():
    assert Policy(remove="promo").remove == ("promo",)
    assert Policy(remove=["promo", "boilerplate"]).remove == ("promo", "boilerplate")
    with pytest.raises(ValueError, match="unknown label"):
        Policy(remove="promo,boilerplate")
    cleaner = fake_cleaner(remove="promo")
    out = cleaner.clean("Kabar Gacor77 hari ini\nBaca juga: lain")
    assert "Gacor77" not in out.cleaned and "Baca juga" in out.cleaned


# ---------------------------------------------------------------- 7. review round trip

def _review_data(path: Path) -> dict:
    m = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', path.read_text("utf-8"), re.S)
    assert m
    return json.loads(m.group(1))


@pytest.fixture
def review_model(monkeypatch):
    import filter.cli.evaluate as ev

    calls = []

    def load(model, threshold):
        calls.append(model)
        return fake_cleaner()

    monkeypatch.setattr(ev, "load_cleaner", load)
    return calls


def test_clean_keep_text_then_review_shows_what_the_batch_run_did(tmp_path, fake, review_model):
    good = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out.jsonl"
    assert run("clean", good, "-o", out, "--keep-text").exit_code == 0
    rows = jsonl(out)
    assert [r["text"] for r in rows] == [d["text"] for d in DOCS]
    res = run("review", out, "-o", tmp_path / "r.html")
    assert res.exit_code == 0, res.output
    data = _review_data(tmp_path / "r.html")
    assert review_model == []  # shown as the batch run left it, no model
    assert data["gold"] is False and [d["id"] for d in data["docs"]] == ["n1", "n2", "n3"]
    assert [len(d["r"]) for d in data["docs"]] == [len(r["spans"]) for r in rows] == [1, 1, 0]
    # with the gold file, the batch run's spans are marked against it
    gold = write_jsonl(tmp_path / "gold.jsonl", [{**d, "spans": []} for d in DOCS])
    res = run("review", out, "--gold", gold, "-o", tmp_path / "g.html")
    assert res.exit_code == 0, res.output
    data = _review_data(tmp_path / "g.html")
    assert data["gold"] is True and review_model == []
    assert {r[2] for d in data["docs"] for r in d["r"]} == {"fp-promo", "fp-boilerplate"}


def test_unscored_spans_are_not_gold_without_the_gold_option(tmp_path, review_model):
    src = write_jsonl(tmp_path / "in.jsonl", [{**d, "spans": []} for d in DOCS])
    res = run("review", src, "-o", tmp_path / "r.html")
    assert res.exit_code == 0, res.output
    data = _review_data(tmp_path / "r.html")
    assert data["gold"] is False and len(review_model) == 1  # the model's removals, no false positives
    assert all(not r[2].startswith(("fp-", "fn-")) for d in data["docs"] for r in d["r"])
    assert sum(len(d["r"]) for d in data["docs"]) == 2


def test_review_gold_errors(tmp_path, review_model):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    other = write_jsonl(tmp_path / "gold.jsonl", [{"id": "zz", "text": "lain", "spans": []}])
    _one_line_error(run("review", src, "--gold", other, "-o", tmp_path / "r.html"), contains="no gold record with id 'n1'")
    changed = write_jsonl(tmp_path / "changed.jsonl", [{**d, "text": d["text"] + "!", "spans": []} for d in DOCS])
    _one_line_error(run("review", src, "--gold", changed, "-o", tmp_path / "r.html"), contains="its text differs")
    _one_line_error(run("review", "-o", tmp_path / "r.html"), contains="give INPUT files to review, or --gold FILE")


# ---------------------------------------------------------------- 8. CSV/Parquet keep the data

def _rows_with_extra() -> list[dict]:
    return [{"id": "a", "cleaned": "x", "spans": [], "extra": "mine", "n": 0},
            {"id": "b", "cleaned": "y", "spans": [], "extra": "mine too", "n": 7, "late": "new field"}]


def test_csv_input_field_named_extra_is_not_overwritten(tmp_path):
    import csv

    w = CsvWriter(tmp_path / "o.csv", chunk_rows=1)
    for r in _rows_with_extra():
        w.write(r)
    w.close()
    with open(tmp_path / "o.csv", newline="", encoding="utf-8") as fh:
        back = list(csv.DictReader(fh))
    assert [r["extra"] for r in back] == ["mine", "mine too"]
    assert json.loads(back[1]["_extra"]) == {"late": "new field"} and back[0]["_extra"] == ""


def test_parquet_keeps_pass_through_types_and_names(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    w = ParquetWriter(tmp_path / "o.parquet", chunk_rows=1)
    for r in _rows_with_extra() + [{"id": "c", "cleaned": "z", "spans": [], "extra": "e", "n": "not a number"}]:
        w.write(r)
    w.close()
    table = pq.read_table(tmp_path / "o.parquet")
    assert str(table.schema.field("n").type) == "int64"
    rows = table.to_pylist()
    assert [r["n"] for r in rows] == [0, 7, None] and [r["extra"] for r in rows] == ["mine", "mine too", "e"]
    assert json.loads(rows[1]["_extra"]) == {"late": "new field"}
    assert json.loads(rows[2]["_extra"]) == {"n": "not a number"}  # did not fit the int column: kept, not lost


def test_parquet_round_trip_through_the_cli_keeps_int_columns(tmp_path, fake):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{**d, "n": i} for i, d in enumerate(DOCS)]), src)
    assert run("clean", src, "-o", tmp_path / "out.parquet").exit_code == 0
    table = pq.read_table(tmp_path / "out.parquet")
    assert str(table.schema.field("n").type) == "int64" and table.column("n").to_pylist() == [0, 1, 2]


# ---------------------------------------------------------------- 10. CLI polish

def test_inspect_a_missing_file_is_an_error_and_literal_text_is_explicit(tmp_path, fake):
    _one_line_error(run("inspect", "nonexist"), contains='no such file: nonexist (to inspect a literal text, pass --text')
    _one_line_error(run("inspect"), contains="give a file")
    res = run("inspect", "--text", "nonexist Gacor77", "--no-color")
    assert res.exit_code == 0 and "[-promo:inline_brand 0.90: Gacor77-]" in res.stdout


def test_inspect_says_which_record_it_shows(tmp_path, fake):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    res = run("inspect", src, "--no-color")
    assert res.exit_code == 0 and "id n1" in res.stdout
    assert f"record 1 of 3 in {src} (id n1); pick another with --id ID or --index N" in res.stderr
    res = run("inspect", src, "--index", 2, "--no-color")
    assert "id n2" in res.stdout and "record 2 of 3" in res.stderr
    _one_line_error(run("inspect", src, "--index", 9), contains="--index 9 is past the end")
    single = tmp_path / "one.txt"
    single.write_text("Satu dokumen.", encoding="utf-8")
    assert run("inspect", single).stderr == ""


def test_version_and_help_without_noise():
    from filter import __version__

    res = run("--version")
    assert res.exit_code == 0 and res.stdout.strip() == f"filter {__version__}"
    for cmd in ([], ["clean"], ["inspect"], ["review"], ["evaluate"], ["train"], ["bench"], ["data"]):
        res = run(*cmd, "--help")
        assert res.exit_code == 0, (cmd, res.output)
        assert "<bool>" not in res.stdout and "``" not in res.stdout, (cmd, res.stdout)


def test_unterminated_json_string_is_reported_as_such(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "a", "text": "tanpa tanda kutip penutup\n{"id": "b", "text": "baik"}\n', encoding="utf-8")
    recs = list(read_records([p]))
    assert "Unterminated string" in recs[0].error and "control character" not in recs[0].error
    assert recs[1].text == "baik"


class DyingModel:
    """Kills its own process on a text containing "MATI" (a worker lost to the OOM killer)."""

    version = "dying-1"
    thresholds = {"promo": 0.5, "boilerplate": 0.5}

    def predict_spans(self, text: str) -> list:
        if "MATI" in text:
            os._exit(9)
        return []


def test_a_dead_worker_is_one_error_line_and_the_partial_output_is_kept(tmp_path, monkeypatch):
    from filter.cleaner import Cleaner

    monkeypatch.setattr(clean_cli, "load_cleaner", lambda model=None, **policy: Cleaner(DyingModel(), Policy(**policy)))
    rows = [{"id": i, "text": f"berita {i}"} for i in range(40)] + [{"id": 40, "text": "MATI"}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    res = run("clean", src, "-o", tmp_path / "out.jsonl", "-j", 2, "--chunksize", 4)
    _one_line_error(res, contains="a worker process died")
    assert not (tmp_path / "out.jsonl").exists()
