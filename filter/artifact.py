"""Model artifacts: ``<name>.npz`` + ``<name>.spec.json`` (plain arrays, what inference
loads), ``<name>.joblib`` (the scikit-learn training objects) and ``<name>.json`` metadata.

A joblib file is code-bearing and version-fragile, so inference loads the array artifact
(``filter.runtime``: no unpickling, no scikit-learn, fast start-up). The metadata carries the
scikit-learn version, training-data hash, thresholds, the decode config they were chosen for,
metrics and the sha256 of every file;
``load_model`` checks the checksums *before* reading and refuses a mismatch. Loading a
``.joblib`` (still possible, e.g. to compare) warns on a scikit-learn version mismatch.
``save_model`` writes both forms; ``export_arrays_for`` adds the array form to an existing
joblib artifact (one call after a retrain by other means).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import platform
import warnings
from pathlib import Path
from typing import Any

from filter.runtime import RUNTIME_MODULES, ModelError, export_arrays, load_arrays, spec_path

__all__ = ["ModelError", "ModelVersionWarning", "load_model", "save_model", "export_arrays_for", "read_meta",
           "meta_path", "arrays_path"]


class ModelVersionWarning(UserWarning):
    """The artifact was trained with another scikit-learn version, or with another document
    model than the one loaded beside it."""


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def meta_path(path: str | os.PathLike) -> Path:
    return Path(path).with_suffix(".json")


def arrays_path(path: str | os.PathLike) -> Path:
    """The array artifact beside a model path (``<name>.npz``)."""
    return Path(path).with_suffix(".npz")


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Write the metadata of artifact ``path`` atomically (temp file, then rename)."""
    tmp = meta_path(path).with_name(meta_path(path).name + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, meta_path(path))


def save_model(model: Any, path: str | os.PathLike, meta: dict[str, Any]) -> dict[str, Any]:
    """Write the joblib file (compressed), the array artifact (for a model of a runtime filter
    class, e.g. ``FilterModel``) and their metadata; returns the metadata written."""
    import joblib
    import sklearn

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".joblib.tmp")
    joblib.dump(model, tmp, compress=("zlib", 6))
    os.replace(tmp, path)
    full = {
        "name": path.stem,
        "model_version": getattr(model, "version", ""),
        "trained_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "thresholds": getattr(model, "thresholds", {}),
        **({"decode_config": cfg.to_dict()} if (cfg := getattr(model, "decode_config_", None)) is not None else {}),
        **meta,
        "artifact": {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)},
    }
    if type(model).__module__ in RUNTIME_MODULES:   # a runtime model class: inference loads its arrays
        full["arrays"] = export_arrays(model, arrays_path(path))
    write_meta(path, full)
    return full


def export_arrays_for(path: str | os.PathLike) -> dict[str, Any]:
    """Add (or refresh) the array artifact of an existing joblib artifact: load it verified,
    export its arrays, record their checksums in the metadata; returns that record."""
    path = Path(path).with_suffix(".joblib")
    model = load_model(path)
    meta = read_meta(path)
    meta["arrays"] = export_arrays(model, arrays_path(path))
    write_meta(path, meta)
    return meta["arrays"]


def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    mp = meta_path(path)
    if not mp.exists():
        raise ModelError(f"model metadata {mp} is missing; refusing to load {Path(path).name} unverified")
    try:
        return json.loads(mp.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"model metadata {mp} is unreadable: {exc}") from exc


def load_model(path: str | os.PathLike) -> Any:
    """Load a model verified against its metadata: an ``.npz`` array artifact with numpy alone,
    a ``.joblib`` by unpickling (warns on a scikit-learn version mismatch)."""
    path = Path(path)
    if path.suffix == ".npz":
        return _load_arrays(path)
    if not path.exists():
        raise ModelError(f"model file {path} not found")
    import joblib
    import sklearn

    meta = read_meta(path)
    expected = meta.get("artifact", {}).get("sha256")
    data = path.read_bytes()   # the bytes checked are the bytes unpickled
    actual = hashlib.sha256(data).hexdigest()
    if expected != actual:
        raise ModelError(f"model file {path} does not match its metadata (sha256 {actual[:12]}… != "
                         f"{str(expected)[:12]}…); refusing to unpickle it")
    if meta.get("sklearn_version") != sklearn.__version__:
        warnings.warn(f"model {path.name} was trained with scikit-learn {meta.get('sklearn_version')}, "
                      f"running {sklearn.__version__}; predictions may differ", ModelVersionWarning, stacklevel=2)
    try:
        model = joblib.load(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a model error for the user
        raise ModelError(f"model file {path} could not be loaded: {exc}") from exc
    return _apply_meta(model, meta, path)


def _apply_meta(model: Any, meta: dict[str, Any], path: Path) -> Any:
    """Thresholds and the decode config they were chosen for, from the metadata (both forms).
    A span model from before the document stage (no ``doc_features_``) is refused: it was
    trained on keyword-share columns this filter no longer computes (they are the document
    verdict now), so its predictions would be silently wrong."""
    from filter.model import FilterModel

    if isinstance(model, FilterModel) and not hasattr(model, "doc_features_"):
        raise ModelError(f"model {path.name} was trained before the document stage (keyword-share features "
                         f"this filter no longer computes); retrain it with `filter train`")
    model.thresholds = dict(meta.get("thresholds") or getattr(model, "thresholds", {}))
    if "decode_config" in meta:   # the decode config the thresholds were chosen for (else the defaults)
        from filter.decode import DecodeConfig

        try:
            model.decode_config_ = DecodeConfig.from_dict(meta["decode_config"])
        except (TypeError, ValueError) as exc:
            raise ModelError(f"model metadata {meta_path(path)} has a bad decode_config: {exc}") from exc
    return model


def _load_arrays(path: Path) -> Any:
    if not path.exists():
        raise ModelError(f"model file {path} not found")
    meta = read_meta(path)
    expected = meta.get("arrays")
    if not expected or expected.get("file") != path.name or expected.get("spec_file") != spec_path(path).name:
        raise ModelError(f"model metadata {meta_path(path)} records no array artifact {path.name}; "
                         f"refusing to load it unverified")
    return _apply_meta(load_arrays(path, expected), meta, path)
