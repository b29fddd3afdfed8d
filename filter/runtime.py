"""Inference without scikit-learn: plain-array model parts and the array artifact.

scikit-learn stays the training library; what inference needs is exported once to plain
arrays (``.npz``, no pickles) plus a JSON spec, both checksummed, and loaded with numpy alone:

- ``Linear``: a linear log-loss model (coefficients kept transposed and contiguous in the dtype
  they are stored in; scored from sparse entries with ``np.bincount``, summed in the same order
  scipy's sparse product sums them, so probabilities equal scikit-learn's);
- ``Scaler``: a standard scaler, applied exactly as scikit-learn does on float32 input;
- ``CompiledTrees`` (``filter.trees``): boosted trees as one node table;
- any object of a runtime ``filter`` module (the ``FilterModel``, the ``WordScorer``, a document
  model, ...): its public fields, encoded generically (arrays, sets, dicts, tuples, nested
  objects), so a retrained model with new parts exports with the same function.

``export_arrays(model, path)`` writes ``<path>`` (``.npz``) and ``<stem>.spec.json``;
``load_arrays(path)`` verifies both checksums (recorded in the spec and in the model's
metadata) before reading anything, and refuses a mismatch with ``ModelError``.
"""
from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1
RUNTIME_MODULES = ("filter.model", "filter.trees", "filter.runtime", "filter.doc", "filter.decode", "filter.features")


# ---------------------------------------------------------------- hashing (scikit-learn compatible)

def _mmh3():
    import mmh3

    return mmh3


def hash_unsigned(strings) -> list[int]:
    """``sklearn.utils.murmurhash3_32(s, positive=True)`` for each string (seed 0, UTF-8)."""
    h = _mmh3().hash
    return [h(s, 0, False) for s in strings]


def hashed_columns(features: list[str], n_features: int) -> np.ndarray:
    """Columns ``HashingVectorizer`` gives ``features``: ``abs(murmurhash3_32(f)) % n``."""
    h = _mmh3().hash
    a = np.fromiter((h(f, 0, True) for f in features), dtype=np.int64, count=len(features))
    return np.where(a == -2 ** 31, (2 ** 31 - 1 - (n_features - 1)) % n_features, np.abs(a) % n_features)


def expit(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):   # exp(800) = inf gives exactly 0, as scipy's expit
        return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- linear models

def _entry_sums(rows, cols, vals, coef_t, n_rows):  # pragma: no cover - compiled
    """``z[:, k] = np.bincount(rows, weights=vals * coef_t[cols, k], minlength=n_rows)`` for every
    class ``k``: each entry's float64 product added to its row in entry order, as bincount does."""
    z = np.zeros((n_rows, coef_t.shape[1]))
    for i in range(rows.shape[0]):
        r, c, v = rows[i], cols[i], vals[i]
        if r < 0 or r >= n_rows or c < 0 or c >= coef_t.shape[0]:
            raise IndexError("entry outside the matrix")
        for k in range(coef_t.shape[1]):
            z[r, k] += v * np.float64(coef_t[c, k])
    return z


_COMPILED: list = []   # the compiled ``_entry_sums`` once loaded ([None]: not available)


def _compiled_entry_sums():
    """The numba-compiled ``_entry_sums``, or None (numba absent or ``FILTER_COMPILED_LINEAR=0``)."""
    if not _COMPILED:
        from filter.jit import jit_or_none

        _COMPILED.append(jit_or_none(_entry_sums, "FILTER_COMPILED_LINEAR"))
    return _COMPILED[0]


@dataclass
class Linear:
    """A fitted one-vs-rest log-loss linear model as arrays."""

    classes_: np.ndarray
    coef_t: np.ndarray       # (n_features × n_classes), C-contiguous, stored dtype (float32)
    intercept_: np.ndarray   # float64 (n_classes,)

    @classmethod
    def from_sklearn(cls, clf) -> "Linear":
        return cls(np.asarray(clf.classes_), np.ascontiguousarray(clf.coef_.T), np.asarray(clf.intercept_, np.float64))

    @property
    def n_features(self) -> int:
        return self.coef_t.shape[0]

    def decision_entries(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_rows: int) -> np.ndarray:
        """Decision values of a sparse matrix given as entries (row-major, columns ascending
        within a row: the order scipy's CSR product sums in, so the sums are the same). With
        numba, one compiled pass (``_entry_sums``: the sums ``np.bincount`` makes, in its order)
        instead of gathering the coefficient rows and one ``bincount`` per class."""
        kernel = _compiled_entry_sums()
        if kernel is not None and len(rows):
            return kernel(np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(vals, np.float64),
                          self.coef_t, n_rows) + self.intercept_
        W = self.coef_t[cols]
        z = np.empty((n_rows, W.shape[1]))
        v = np.asarray(vals, dtype=np.float64)
        for k in range(W.shape[1]):
            z[:, k] = np.bincount(rows, weights=v * W[:, k], minlength=n_rows)
        return z + self.intercept_

    @staticmethod
    def proba(z: np.ndarray) -> np.ndarray:
        """Probabilities from decision values, as scikit-learn's one-vs-rest ``predict_proba``."""
        p = expit(z)
        if p.shape[1] == 1:
            return np.column_stack([1 - p[:, 0], p[:, 0]])
        s = p.sum(axis=1, keepdims=True)
        return np.divide(p, s, out=np.full_like(p, 1.0 / p.shape[1]), where=s > 0)

    def proba_entries(self, rows, cols, vals, n_rows: int) -> np.ndarray:
        return self.proba(self.decision_entries(rows, cols, vals, n_rows))

    def proba_dense(self, X: np.ndarray) -> np.ndarray:
        """``predict_proba`` of a dense matrix (entries in row order: sums as for sparse input)."""
        r, c = np.nonzero(X)
        return self.proba_entries(r, c, X[r, c], len(X))


_CONVERTED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # fitted estimator -> runtime form


def _converted(obj, kind: type, convert):
    """``obj`` when it already is a ``kind``, else its runtime form (converted once per object)."""
    if isinstance(obj, kind):
        return obj
    out = _CONVERTED.get(obj)
    if out is None:
        out = _CONVERTED[obj] = convert(obj)
    return out


def as_linear(clf) -> Linear:
    """The ``Linear`` form of a fitted scikit-learn linear model."""
    return _converted(clf, Linear, Linear.from_sklearn)


@dataclass
class Scaler:
    """A fitted standard scaler: ``(X - mean) / scale`` with scikit-learn's float32 rounding."""

    mean_: np.ndarray
    scale_: np.ndarray

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=np.float32 if np.asarray(X).dtype == np.float32 else np.float64)
        X -= self.mean_.astype(X.dtype)   # scikit-learn casts its statistics to the input's dtype
        X /= self.scale_.astype(X.dtype)
        return X


def as_scaler(s) -> Scaler:
    return s if isinstance(s, Scaler) else Scaler(np.asarray(s.mean_), np.asarray(s.scale_))


def as_trees(clf):
    """The ``CompiledTrees`` form of a fitted boosted-tree model."""
    from filter.trees import CompiledTrees

    return _converted(clf, CompiledTrees, CompiledTrees.from_sklearn)


# ---------------------------------------------------------------- generic encoding

class ModelError(Exception):
    """The model artifact is missing, tampered with or unreadable."""


def _kind(obj: Any) -> str:
    if hasattr(obj, "_predictors") and hasattr(obj, "_baseline_prediction"):
        return "trees"
    if type(obj).__name__ == "CompiledTrees":
        return "trees"
    if isinstance(obj, Linear) or (hasattr(obj, "coef_") and hasattr(obj, "intercept_")):
        return "linear"
    if isinstance(obj, Scaler) or (hasattr(obj, "mean_") and hasattr(obj, "scale_") and hasattr(obj, "var_")):
        return "scaler"
    return "object"


class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, a: np.ndarray) -> dict:
        a = np.asarray(a)
        if a.dtype == object or a.dtype.kind == "U":
            items = a.tolist()
            if all(isinstance(x, str) for x in items):
                return {"$": "strings", "key": self.array(_join(items))["key"], "n": len(items)}
            raise TypeError(f"cannot export an object array of {type(items[0]).__name__}")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = a
        return {"$": "array", "key": key}

    def enc(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, float, np.integer, np.floating, np.bool_)):
            return obj.item() if isinstance(obj, np.generic) else obj
        if isinstance(obj, np.ndarray):
            return self.array(obj)
        if isinstance(obj, (set, frozenset)):
            items = sorted(obj, key=repr)
            if all(isinstance(x, str) for x in items) and len(items) > 1000:
                return {"$": "strset", "frozen": isinstance(obj, frozenset), "key": self.array(_join(items))["key"],
                        "n": len(items)}
            return {"$": "set", "frozen": isinstance(obj, frozenset), "items": [self.enc(x) for x in items]}
        if isinstance(obj, tuple):
            return {"$": "tuple", "items": [self.enc(x) for x in obj]}
        if isinstance(obj, list):
            return [self.enc(x) for x in obj]
        if isinstance(obj, dict):
            keys = list(obj)
            if keys and all(isinstance(k, str) for k in keys) and all(type(v) is int for v in obj.values()) \
                    and list(obj.values()) == list(range(len(keys))):
                return {"$": "strindex", "key": self.array(_join(keys))["key"], "n": len(keys)}   # a vocabulary
            if all(isinstance(k, str) for k in keys):
                return {"$": "map", "items": {k: self.enc(v) for k, v in obj.items()}}
            return {"$": "dict", "items": [[self.enc(k), self.enc(v)] for k, v in obj.items()]}
        kind = _kind(obj)
        if kind == "trees":
            arrays, spec = as_trees(obj).to_arrays()
            return {"$": "trees", "arrays": {k: self.enc(v) for k, v in arrays.items()}, **spec}
        if kind == "linear":
            lin = as_linear(obj)
            return {"$": "linear", "classes": self.enc(lin.classes_), "coef_t": self.enc(lin.coef_t),
                    "intercept": self.enc(lin.intercept_)}
        if kind == "scaler":
            s = as_scaler(obj)
            return {"$": "scaler", "mean": self.enc(s.mean_), "scale": self.enc(s.scale_)}
        cls = type(obj)
        if cls.__module__ not in RUNTIME_MODULES:
            raise TypeError(f"cannot export {cls.__module__}.{cls.__qualname__}: not a runtime filter class "
                            f"({', '.join(RUNTIME_MODULES)})")
        fields = {k: v for k, v in vars(obj).items() if not k.startswith("_")}
        return {"$": "object", "class": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {k: self.enc(v) for k, v in fields.items()}}


def _join(strings: list[str]) -> np.ndarray:
    for s in strings:
        if "\n" in s:
            raise ValueError("strings with line breaks cannot be stored joined")
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def _split(a: np.ndarray, n: int) -> list[str]:
    return a.tobytes().decode("utf-8").split("\n") if n else []


def _dec(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(node, list):
        return [_dec(x, arrays) for x in node]
    if not isinstance(node, dict):
        return node
    tag = node.get("$")
    if tag == "array":
        return arrays[node["key"]]
    if tag == "strings":
        return np.array(_split(arrays[node["key"]], node["n"]), dtype=object)
    if tag == "strindex":
        words = _split(arrays[node["key"]], node["n"])
        return dict(zip(words, range(len(words))))
    if tag == "strset":
        items = _split(arrays[node["key"]], node["n"])
        return frozenset(items) if node["frozen"] else set(items)
    if tag == "set":
        items = [_dec(x, arrays) for x in node["items"]]
        return frozenset(items) if node["frozen"] else set(items)
    if tag == "tuple":
        return tuple(_dec(x, arrays) for x in node["items"])
    if tag == "map":
        return {k: _dec(v, arrays) for k, v in node["items"].items()}
    if tag == "dict":
        return {_dec(k, arrays): _dec(v, arrays) for k, v in node["items"]}
    if tag == "linear":
        return Linear(_dec(node["classes"], arrays), _dec(node["coef_t"], arrays), _dec(node["intercept"], arrays))
    if tag == "scaler":
        return Scaler(_dec(node["mean"], arrays), _dec(node["scale"], arrays))
    if tag == "trees":
        from filter.trees import CompiledTrees

        return CompiledTrees.from_arrays({k: _dec(v, arrays) for k, v in node["arrays"].items()}, node)
    if tag == "object":
        module, name = node["class"].split(":")
        if module not in RUNTIME_MODULES:
            raise ModelError(f"artifact names class {node['class']}, outside the runtime modules")
        cls = getattr(importlib.import_module(module), name)
        obj = cls.__new__(cls)
        obj.__dict__.update({k: _dec(v, arrays) for k, v in node["fields"].items()})
        return obj
    raise ModelError(f"unknown node {tag!r} in the array artifact")


# ---------------------------------------------------------------- files

def spec_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p.with_name(p.stem + ".spec.json")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_arrays(model: Any, path: str | os.PathLike) -> dict[str, Any]:
    """Write ``model`` as ``<path>`` (npz: arrays only, no pickles) + ``<stem>.spec.json``;
    returns the checksums to record in the model's metadata."""
    path = Path(path)
    w = _Writer()
    tree = w.enc(model)
    buf = io.BytesIO()
    np.savez_compressed(buf, **w.arrays)
    data = buf.getvalue()
    spec = {"format": FORMAT, "npz_sha256": _sha256(data), "model": tree}
    spec_bytes = (json.dumps(spec, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    for target, blob in ((path, data), (spec_path(path), spec_bytes)):
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, target)
    return {"file": path.name, "bytes": len(data), "sha256": _sha256(data),
            "spec_file": spec_path(path).name, "spec_sha256": _sha256(spec_bytes)}


def load_arrays(path: str | os.PathLike, expected: dict[str, Any] | None = None) -> Any:
    """Verify and load an array artifact (no unpickling, no scikit-learn). ``expected`` holds the
    checksums recorded in the model's metadata (``export_arrays``' return value)."""
    path = Path(path)
    sp = spec_path(path)
    for p in (path, sp):
        if not p.exists():
            raise ModelError(f"model file {p} not found")
    data, spec_bytes = path.read_bytes(), sp.read_bytes()
    if expected is not None:
        for blob, key, p in ((data, "sha256", path), (spec_bytes, "spec_sha256", sp)):
            actual = _sha256(blob)
            if expected.get(key) != actual:
                raise ModelError(f"model file {p} does not match its metadata (sha256 {actual[:12]}… != "
                                 f"{str(expected.get(key))[:12]}…); refusing to load it")
    try:
        spec = json.loads(spec_bytes)
    except ValueError as exc:
        raise ModelError(f"model spec {sp} is unreadable: {exc}") from exc
    if spec.get("format") != FORMAT:
        raise ModelError(f"model spec {sp} has format {spec.get('format')!r}; this filter reads format {FORMAT}")
    if spec.get("npz_sha256") != _sha256(data):
        raise ModelError(f"model file {path} does not match its spec {sp.name}; refusing to load it")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"model file {path} could not be read: {exc}") from exc
    return _dec(spec["model"], arrays)
