"""Regression tests for the final review: results before a bad item are not lost, a dict of
non-int values is not mistaken for a vocabulary, document-model failures are ModelErrors."""
from __future__ import annotations

import pytest

from filter.cleaner import Cleaner, Policy
from filter.runtime import ModelError
from filter.spans import Span


class _Stub:
    version, thresholds = "stub", {"promo": 0.5, "boilerplate": 0.5}

    def predict_spans(self, text: str) -> list[Span]:
        return []


def test_clean_many_yields_the_results_before_a_bad_item():
    got = []
    with pytest.raises(TypeError, match=r"texts\[2\]"):
        for r in Cleaner(_Stub()).clean_many(["a", "b", None, "d"]):
            got.append(r.text)
    assert got == ["a", "b"]


def test_foreign_threshold_is_validated():
    with pytest.raises(ValueError, match="foreign_threshold"):
        Policy(foreign_threshold=1.5)


def test_only_int_ranges_are_encoded_as_vocabularies():
    import numpy as np

    from filter.runtime import _Writer   # the exporter's dict rule is what is tested

    w = _Writer()
    assert w.enc({"x": 0, "y": 1})["$"] == "strindex"
    assert w.enc({"a": False, "b": True})["$"] == "map"           # bools are not a vocabulary
    assert w.enc({"promo": 0.0, "boilerplate": 1.0})["$"] == "map"  # nor floats
    assert w.enc({"x": np.array([1, 2]), "y": np.array([3, 4])})["$"] == "map"   # nor arrays (raised before)


def test_doc_model_errors_are_model_errors(tmp_path):
    from filter.doc import DocModelError, load_doc_model

    assert issubclass(DocModelError, ModelError)
    (tmp_path / "d.npz").write_bytes(b"not a zip")
    import hashlib
    import json
    (tmp_path / "d.json").write_text(json.dumps({"artifact": {"sha256": hashlib.sha256(b"not a zip").hexdigest()}}))
    with pytest.raises(ModelError, match="unreadable"):
        load_doc_model(tmp_path / "d.npz")


def _filter(*args: str, env: dict | None = None):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "filter", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_bench_with_a_missing_model_is_one_error_line(tmp_path):
    out = _filter("bench", "--model", str(tmp_path / "nope.npz"), "--docs", "1", "--corpus", str(tmp_path))
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.strip().startswith("filter: error:"), out.stderr


def test_evaluate_uses_the_model_named_by_FILTER_MODEL(tmp_path):
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[1] / "data" / "seeds.jsonl"
    out = _filter("evaluate", "--gold", str(seeds), env={"FILTER_MODEL": str(tmp_path / "other.npz")})
    assert out.returncode == 2 and "other.npz" in out.stderr, out.stderr


def test_train_reads_its_gold_files_before_fitting(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train.jsonl", "valid.jsonl"):
        (data / name).write_text('{"id": "a", "text": "Satu dua tiga.", "spans": []}\n')
    bad = tmp_path / "gold.jsonl"
    bad.write_text("{not json\n")
    out = _filter("train", "--data", str(data), "-o", str(tmp_path / "m.joblib"), "--gold", str(bad))
    assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr
    assert "filter: error" in out.stderr and "training on" not in out.stderr, out.stderr


def test_reported_language_follows_the_guard_rule():
    # one rule for the output, the clean summary and the guard: a low-confidence guess is not a
    # language ("abc" was reported as "zxx" and counted as "not Indonesian" in the summary)
    from filter.langid import page_language

    assert page_language("abc") == ("id", False)
    assert page_language("12 34") == ("", False)
    code, foreign = page_language("The president opened a new bridge in East Kalimantan on Monday, officials said.")
    assert (code, foreign) == ("en", True)
