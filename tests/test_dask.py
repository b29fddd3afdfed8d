"""Dask DataFrame cleaning: correct meta, per-row errors, same results on a 2-process cluster."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fakes import fake_cleaner

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")

from filter import dask as fdask  # noqa: E402
from filter.dask import OUTPUT_COLUMNS, clean_dataframe, clean_partition  # noqa: E402


def frame(n: int = 60) -> "pd.DataFrame":
    texts = []
    for i in range(n):
        t = f"Berita {i} tentang desa.\nBaca juga: kabar {i}\nMain Slot{i % 80 + 10} gratis." if i % 2 else f"Kabar biasa {i}."
        texts.append(t)
    df = pd.DataFrame({"id": [f"d{i}" for i in range(n)], "text": texts, "n": range(n)})
    df.loc[7, "text"] = None
    return df


def expected(df: "pd.DataFrame") -> "pd.DataFrame":
    return clean_partition(df, cleaner=fake_cleaner())


def test_clean_partition_columns_dtypes_and_errors():
    df = frame(10)
    df["text"] = df["text"].astype(object)
    df.loc[3, "text"] = 12
    out = expected(df)
    assert list(out.columns) == ["id", "text", "n", *OUTPUT_COLUMNS]
    assert str(out["cleaned"].dtype) == "string" and str(out["spans"].dtype) == "string"
    assert all(out[k].dtype == "float64" for k in ("junk_ratio", "promo_ratio", "boilerplate_ratio"))
    assert out.loc[3, "error"].startswith("TypeError: text is int") and pd.isna(out.loc[3, "cleaned"])
    assert out.loc[7, "error"].startswith("TypeError: text is null") and pd.isna(out.loc[7, "junk_ratio"])
    assert out.loc[1, "error"] is None
    spans = json.loads(out.loc[1, "spans"])
    assert {s["label"] for s in spans} == {"promo", "boilerplate"}
    assert "Slot" not in out.loc[1, "cleaned"] and out.loc[0, "cleaned"] == "Kabar biasa 0."
    assert (out["model_version"] == "fake-1").all()
    with pytest.raises(KeyError, match="no column 'body'"):
        clean_partition(df, text_column="body", cleaner=fake_cleaner())


def test_input_columns_named_like_outputs_are_kept_not_overwritten():
    # a gold frame's spans, an upstream error note or language column used to be replaced
    df = frame(6)
    df["spans"] = "gold"
    df["error"] = "upstream note"
    df["language"] = "jv"
    df["input_language"] = "taken"
    out = expected(df)
    assert list(out.columns) == ["id", "text", "n", "input_spans", "input_error", "input_input_language",
                                 "input_language", *OUTPUT_COLUMNS]
    assert (out["input_spans"] == "gold").all() and (out["input_error"] == "upstream note").all()
    assert (out["input_input_language"] == "jv").all() and (out["input_language"] == "taken").all()
    assert out.loc[1, "error"] is None and out.loc[1, "spans"].startswith("[")
    assert fdask.input_names(df.columns) == list(out.columns[:len(df.columns)])
    ddf = dd.from_pandas(df, npartitions=2)
    got = clean_dataframe(ddf, cleaner=fake_cleaner())
    assert list(got.columns) == list(out.columns)
    pd.testing.assert_frame_equal(got.compute(scheduler="sync"), expected(ddf.compute(scheduler="sync")))


def test_clean_dataframe_meta_matches_and_sync_result_equals_pandas():
    df = frame()
    ddf = dd.from_pandas(df, npartitions=4)
    out = clean_dataframe(ddf, cleaner=fake_cleaner())
    got = out.compute(scheduler="sync")
    assert dict(out.dtypes) == dict(got.dtypes)
    pd.testing.assert_frame_equal(got, expected(ddf.compute(scheduler="sync")))
    assert got.loc[7, "error"] == "TypeError: text is null, not a string"
    with pytest.raises(KeyError):
        clean_dataframe(ddf, text_column="body", cleaner=fake_cleaner())


def test_model_loaded_once_per_process(monkeypatch):
    calls = []

    def load(path=None, **policy):
        calls.append((path, policy))
        return fake_cleaner(**policy)

    fdask._cached_cleaner.cache_clear()
    monkeypatch.setattr(fdask.Cleaner, "load", staticmethod(load))
    df = frame(20)
    ddf = dd.from_pandas(df, npartitions=5)
    got = clean_dataframe(ddf, model_path="m.joblib", remove=["promo"]).compute(scheduler="sync")
    assert len(calls) == 1 and calls[0] == ("m.joblib", {"remove": ("promo",)})
    assert got["cleaned"].str.contains("Baca juga").any()  # boilerplate kept with remove=promo
    clean_dataframe(ddf, model_path="m.joblib", remove=["promo"]).compute(scheduler="sync")
    assert len(calls) == 1
    fdask._cached_cleaner.cache_clear()
    with pytest.raises(ValueError):
        clean_dataframe(ddf, model_path="m.joblib", remove=["ads"])


def test_local_cluster_two_processes_equals_single_process():
    distributed = pytest.importorskip("distributed")
    df = frame(200)
    ddf = dd.from_pandas(df, npartitions=6)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        got = clean_dataframe(ddf, cleaner=fake_cleaner()).compute()
        pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert len(pids) == 2
    pd.testing.assert_frame_equal(got, expected(ddf.compute(scheduler="sync")))


def test_clean_partition_as_a_spark_map_in_pandas_function():
    # mapInPandas hands an iterator of pandas batches to a generator function
    df = frame(30)

    def clean_batches(batches):
        for pdf in batches:
            yield clean_partition(pdf, cleaner=fake_cleaner()).astype(
                {"cleaned": object, "spans": object, "model_version": object})

    batches = [df.iloc[i:i + 7] for i in range(0, len(df), 7)]
    got = pd.concat(list(clean_batches(iter(batches))))
    want = expected(df)
    assert got["cleaned"].tolist() == want["cleaned"].astype(object).tolist()
    assert got["error"].tolist() == want["error"].tolist() and len(got) == 30


_REAL = Path(os.environ.get("FILTER_MODEL") or Path(__file__).resolve().parents[1] / "models" / "filter-id-news.joblib")


@pytest.mark.skipif(not _REAL.exists(), reason="models/filter-id-news.joblib not trained yet")
def test_real_model_by_path_matches_cleaner():
    from filter.cleaner import Cleaner

    sample = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample.jsonl"
    docs = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines()]
    df = pd.DataFrame(docs)
    fdask._cached_cleaner.cache_clear()
    got = clean_dataframe(dd.from_pandas(df, npartitions=3), model_path=str(_REAL)).compute(scheduler="sync")
    cleaner = Cleaner.load(_REAL)
    assert got["cleaned"].tolist() == [cleaner.clean(t).cleaned for t in df["text"]]
    assert got["error"].isna().all() and (got["junk_ratio"] > 0).any()
