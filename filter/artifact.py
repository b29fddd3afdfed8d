"""Model artifacts: ``<name>.joblib`` plus ``<name>.json`` metadata, verified on load.

A joblib file is code-bearing and version-fragile, so every artifact carries its
scikit-learn version, training-data hash, thresholds, the decode config they were chosen for, metrics and the sha256 of the joblib
file. ``load_model`` checks the checksum *before* unpickling and refuses a mismatch; a
scikit-learn version mismatch is a warning.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import warnings
from pathlib import Path
from typing import Any


class ModelError(Exception):
    """The model artifact is missing, tampered with or unreadable."""


class ModelVersionWarning(UserWarning):
    """The artifact was trained with another scikit-learn version."""


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def meta_path(path: str | os.PathLike) -> Path:
    return Path(path).with_suffix(".json")


def save_model(model: Any, path: str | os.PathLike, meta: dict[str, Any]) -> dict[str, Any]:
    """Write the joblib file (compressed) and its metadata; returns the metadata written."""
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
    meta_path(path).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return full


def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    mp = meta_path(path)
    if not mp.exists():
        raise ModelError(f"model metadata {mp} is missing; refusing to load {Path(path).name} unverified")
    try:
        return json.loads(mp.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"model metadata {mp} is unreadable: {exc}") from exc


def load_model(path: str | os.PathLike) -> Any:
    """Verify the checksum recorded in the metadata, then unpickle; warn on a version mismatch."""
    import joblib
    import sklearn

    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file {path} not found")
    meta = read_meta(path)
    expected = meta.get("artifact", {}).get("sha256")
    actual = sha256_file(path)
    if expected != actual:
        raise ModelError(f"model file {path} does not match its metadata (sha256 {actual[:12]}… != "
                         f"{str(expected)[:12]}…); refusing to unpickle it")
    if meta.get("sklearn_version") != sklearn.__version__:
        warnings.warn(f"model {path.name} was trained with scikit-learn {meta.get('sklearn_version')}, "
                      f"running {sklearn.__version__}; predictions may differ", ModelVersionWarning, stacklevel=2)
    try:
        model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a model error for the user
        raise ModelError(f"model file {path} could not be loaded: {exc}") from exc
    model.thresholds = dict(meta.get("thresholds") or getattr(model, "thresholds", {}))
    if "decode_config" in meta:   # the decode config the thresholds were chosen for (else the defaults)
        from filter.decode import DecodeConfig

        try:
            model.decode_config_ = DecodeConfig.from_dict(meta["decode_config"])
        except (TypeError, ValueError) as exc:
            raise ModelError(f"model metadata {meta_path(path)} has a bad decode_config: {exc}") from exc
    return model
