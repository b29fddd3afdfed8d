"""``filter bench``: real corpus articles, interleaved rounds, medians per method."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from filter.cleaner import DEFAULT_MODEL
from filter.cli import app
from filter.cli.train import _paragraph_html

pytestmark = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no bundled model")


def test_bench_prints_median_of_interleaved_rounds(corpus_dir):
    res = CliRunner().invoke(app, ["bench", "--corpus", str(corpus_dir), "--docs", "30", "--batch", "8",
                                   "--rounds", "2", "--skip", "clean_many,trafilatura,justext"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["docs"] == 30 and out["rounds"] == 2
    assert [m["method"] for m in out["methods"]] == ["clean", "clean_batch(8)"]
    for m in out["methods"]:
        lo, hi = sorted(m["runs_mb_per_s"])
        assert lo <= m["mb_per_s"] <= hi            # the median of two rounds lies between them
        assert m["vs_trafilatura"] is None          # left out: no ratio
    assert out["peak_rss_mb"] > 0 and out["load_s"] > 0 and out["startup_s"] > 0
    assert "clean_batch(8)" in res.output and "MB/s" in res.output


def test_bench_ratios_to_trafilatura(corpus_dir):
    pytest.importorskip("trafilatura")
    res = CliRunner().invoke(app, ["bench", "--corpus", str(corpus_dir), "--docs", "10", "--batch", "5",
                                   "--rounds", "1", "--skip", "clean_many,justext"])
    assert res.exit_code == 0, res.output
    rows = {m["method"]: m for m in json.loads(res.output.strip().splitlines()[-1])["methods"]}
    assert rows["trafilatura"]["vs_trafilatura"] == 1.0
    ratio = rows["clean"]["mb_per_s"] / rows["trafilatura"]["mb_per_s"]
    assert abs(rows["clean"]["vs_trafilatura"] - ratio) < 0.01


def test_paragraph_html_makes_each_line_a_paragraph():
    html = _paragraph_html("Judul <b>\n\nBaris dua & tiga")
    assert "<p>Judul &lt;b&gt;</p><p>Baris dua &amp; tiga</p>" in html


def test_bench_missing_corpus_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(app, ["bench", "--corpus", str(tmp_path / "nope")])
    assert res.exit_code != 0 and "not found" in res.output


def test_bench_reports_clean_many_against_the_machines_parallel_ceiling(corpus_dir):
    res = CliRunner().invoke(app, ["bench", "--corpus", str(corpus_dir), "--docs", "12", "--batch", "4",
                                   "--jobs", "2", "--rounds", "1", "--skip", "clean,trafilatura,justext"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    rows = {m["method"]: m for m in out["methods"]}
    assert set(rows) == {"clean_batch(4)", "clean_many(2)", "clean_many(2) kept"}
    ratio = rows["clean_many(2)"]["mb_per_s"] / rows["clean_batch(4)"]["mb_per_s"]
    assert abs(out["many_vs_batch"] - ratio) < 0.02
    kept = rows["clean_many(2) kept"]["mb_per_s"] / rows["clean_batch(4)"]["mb_per_s"]
    assert abs(out["many_kept_vs_batch"] - kept) < 0.02
    assert 0 < out["parallel_ceiling"] <= 3.0        # 2 processes cannot do much more than 2x
    assert "parallel ceiling of 2 processes" in res.output


def test_bench_without_clean_many_measures_no_ceiling(corpus_dir):
    res = CliRunner().invoke(app, ["bench", "--corpus", str(corpus_dir), "--docs", "5", "--batch", "5",
                                   "--rounds", "1", "--skip", "clean_many,trafilatura,justext"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["parallel_ceiling"] is None and out["many_vs_batch"] is None and out["many_kept_vs_batch"] is None


@pytest.mark.parametrize("args, says", [(["--batch", "0"], "--batch"), (["--docs", "0"], "--docs"),
                                        (["--docs", "-5"], "--docs"), (["--jobs", "0"], "--jobs"),
                                        (["--skip", "clean,bogus"], "bogus")])
def test_bench_bad_arguments_are_one_line_errors(tmp_path, args, says):
    # checked before the corpus or the model is read (the corpus here does not exist)
    res = CliRunner().invoke(app, ["bench", "--corpus", str(tmp_path / "nope"), *args])
    assert res.exit_code == 2 and says in res.output and "Traceback" not in res.output


def test_clean_batch_refuses_one_str():
    from filter.cleaner import Cleaner

    with pytest.raises(TypeError, match="not one str"):
        Cleaner.load().clean_batch("abc")
