"""Clean a Dask (or Spark) DataFrame partition by partition (extra: ``pip install filter[dask]``).

>>> import dask.dataframe as dd
>>> from filter.dask import clean_dataframe
>>> ddf = dd.read_parquet("articles/*.parquet")
>>> out = clean_dataframe(ddf, text_column="text")        # lazy; .to_parquet(...) to run

Each worker process loads the model once (a per-process cache keyed by model path and policy),
not once per partition. The added columns are ``cleaned`` (string), ``spans`` (JSON string),
``junk_ratio``/``promo_ratio``/``boilerplate_ratio`` (float64), ``doc_label`` (string),
``doc_score`` (float64), ``language`` (string), ``model_version`` (string) and
``error`` (object: null, or why the row could not be cleaned — a null or non-string text).
An input column with one of those names is kept as ``input_<name>`` (``input_names``).

Spark (``mapInPandas``) uses ``clean_partition`` the same way::

    from pyspark.sql.types import DoubleType, StringType, StructField, StructType
    from filter.dask import OUTPUT_COLUMNS, clean_partition, input_names

    def clean_batches(batches):
        for pdf in batches:
            out = clean_partition(pdf, text_column="text", model_path="/models/filter-id-news.npz")
            yield out.astype({"cleaned": object, "spans": object, "model_version": object})

    added = [StructField(c, DoubleType() if c.endswith(("_ratio", "_score")) else StringType()) for c in OUTPUT_COLUMNS]
    kept = [StructField(n, f.dataType) for n, f in zip(input_names(sdf.columns), sdf.schema.fields)]
    cleaned = sdf.mapInPandas(clean_batches, schema=StructType(kept + added))

(each Python worker loads the model once thanks to the same per-process cache).
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from filter.cleaner import Cleaner, Policy

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd
    import pandas as pd

RATIOS = ("junk_ratio", "promo_ratio", "boilerplate_ratio")
OUTPUT_COLUMNS = ("cleaned", "spans", *RATIOS, "doc_label", "doc_score", "language", "model_version", "error")


def input_names(columns: "Any") -> list[str]:
    """The input columns as ``clean_partition`` returns them: a column named like an output
    column (``spans``, ``error``, ``language``, ...) becomes ``input_<name>`` (prefixed again
    while that name is taken), as ``filter clean`` does, instead of being overwritten."""
    taken = set(map(str, columns)) | set(OUTPUT_COLUMNS)
    out = []
    for col in columns:
        name = col
        if col in OUTPUT_COLUMNS:
            name = f"input_{col}"
            while name in taken:
                name = f"input_{name}"
            taken.add(name)
        out.append(name)
    return out


@lru_cache(maxsize=4)
def _cached_cleaner(model_path: str | None, policy_items: tuple) -> Cleaner:
    return Cleaner.load(model_path, **dict(policy_items))


def get_cleaner(model_path: str | None = None, **policy: Any) -> Cleaner:
    """The cleaner for ``model_path`` and ``policy``, loaded once per process."""
    Policy(**policy)  # validate early, in the caller's process
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in policy.items()))
    return _cached_cleaner(None if model_path is None else str(model_path), items)


def _is_null(v: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def output_schema_ddl() -> str:
    """The added columns as a Spark DDL fragment, for ``mapInPandas``."""
    return ("cleaned string, spans string, junk_ratio double, promo_ratio double, "
            "boilerplate_ratio double, doc_label string, doc_score double, language string, "
            "model_version string, error string")


def clean_partition(pdf: "pd.DataFrame", text_column: str = "text", model_path: str | None = None,
                    cleaner: Cleaner | None = None, **policy: Any) -> "pd.DataFrame":
    """A copy of ``pdf`` with the output columns added; every row gets a result or an ``error``.

    ``cleaner`` overrides ``model_path``/``policy`` (it is then shipped with each task).
    """
    import pandas as pd

    if text_column not in pdf.columns:
        raise KeyError(f"no column {text_column!r}; columns are {list(pdf.columns)}")
    c = cleaner if cleaner is not None else get_cleaner(model_path, **policy)
    cleaned, spans, ratios, errors = [], [], {k: [] for k in RATIOS}, []
    doc: dict[str, list] = {"doc_label": [], "doc_score": [], "language": []}
    for text in pdf[text_column].tolist():
        try:
            if not isinstance(text, str):
                raise TypeError(f"text is {'null' if _is_null(text) else type(text).__name__}, not a string")
            r = c.clean(text)
        except Exception as exc:
            cleaned.append(None)
            spans.append(None)
            for k in RATIOS:
                ratios[k].append(float("nan"))
            doc["doc_label"].append(None)
            doc["doc_score"].append(float("nan"))
            doc["language"].append(None)
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        cleaned.append(r.cleaned)
        spans.append(json.dumps([s.to_dict() for s in r.spans], ensure_ascii=False))
        q = r.quality()
        for k in RATIOS:
            ratios[k].append(q[k])
        d = r.doc_fields()
        doc["doc_label"].append(d["doc_label"])
        doc["doc_score"].append(float("nan") if d["doc_score"] is None else d["doc_score"])
        doc["language"].append(d["language"])
        errors.append(None)
    out = pdf.copy()
    out.columns = input_names(pdf.columns)
    out["cleaned"] = pd.Series(cleaned, index=pdf.index, dtype="string")
    out["spans"] = pd.Series(spans, index=pdf.index, dtype="string")
    for k in RATIOS:
        out[k] = pd.Series(ratios[k], index=pdf.index, dtype="float64")
    out["doc_label"] = pd.Series(doc["doc_label"], index=pdf.index, dtype="string")
    out["doc_score"] = pd.Series(doc["doc_score"], index=pdf.index, dtype="float64")
    out["language"] = pd.Series(doc["language"], index=pdf.index, dtype="string")
    out["model_version"] = pd.Series([c.version] * len(pdf), index=pdf.index, dtype="string")
    out["error"] = pd.Series(errors, index=pdf.index, dtype="object")
    return out


def _meta(ddf: "dd.DataFrame") -> "pd.DataFrame":
    import pandas as pd

    meta = ddf._meta.copy()
    meta.columns = input_names(meta.columns)
    for col in ("cleaned", "spans"):
        meta[col] = pd.Series([], dtype="string")
    for k in RATIOS:
        meta[k] = pd.Series([], dtype="float64")
    meta["doc_label"] = pd.Series([], dtype="string")
    meta["doc_score"] = pd.Series([], dtype="float64")
    meta["language"] = pd.Series([], dtype="string")
    meta["model_version"] = pd.Series([], dtype="string")
    meta["error"] = pd.Series([], dtype="object")
    return meta


def clean_dataframe(ddf: "dd.DataFrame", text_column: str = "text", model_path: str | None = None,
                    cleaner: Cleaner | None = None, **policy: Any) -> "dd.DataFrame":
    """Lazily clean ``text_column`` of a Dask DataFrame with ``map_partitions`` (correct ``meta``).

    Pass ``model_path`` (each worker loads it once) or, for tests and small jobs, a ready
    ``cleaner`` (serialised with the tasks).
    """
    if text_column not in ddf.columns:
        raise KeyError(f"no column {text_column!r}; columns are {list(ddf.columns)}")
    if cleaner is None:
        Policy(**policy)
    return ddf.map_partitions(clean_partition, text_column=text_column, model_path=model_path,
                              cleaner=cleaner, meta=_meta(ddf), **policy)
