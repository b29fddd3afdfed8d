"""``filter bench``: real corpus articles through the bundled model, median of repeated runs."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from filter.cleaner import DEFAULT_MODEL
from filter.cli import app

pytestmark = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no bundled model")


def test_bench_prints_median_of_runs(corpus_dir):
    res = CliRunner().invoke(app, ["bench", "--corpus", str(corpus_dir), "--docs", "30", "--batch", "8",
                                   "--repeat", "2"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["docs"] == 30 and len(out["runs_mb_per_s"]) == 2
    lo, hi = sorted(out["runs_mb_per_s"])
    assert lo <= out["mb_per_s"] <= hi            # the median of two runs lies between them
    assert out["mb_per_s"] > 0 and out["peak_rss_mb"] > 0 and out["load_s"] > 0


def test_bench_missing_corpus_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(app, ["bench", "--corpus", str(tmp_path / "nope")])
    assert res.exit_code != 0 and "not found" in res.output
