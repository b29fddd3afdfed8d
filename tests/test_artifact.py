"""Artifacts are verified before unpickling; version drift warns."""
import json
import shutil
import warnings

import pytest
from sklearn.linear_model import LogisticRegression

from filter.artifact import ModelError, ModelVersionWarning, load_model, meta_path, save_model
from filter.cleaner import DEFAULT_MODEL


class Tiny(LogisticRegression):
    version = "tiny-1"
    thresholds = {"promo": 0.5, "boilerplate": 0.5}


@pytest.fixture()
def artifact(tmp_path):
    model = Tiny().fit([[0.0], [1.0]], [0, 1])
    path = tmp_path / "tiny.joblib"
    meta = save_model(model, path, {"training": {"data_sha256": "x"}})
    return path, meta


def test_round_trip_and_metadata(artifact):
    path, meta = artifact
    assert meta["artifact"]["sha256"] and meta["sklearn_version"]
    assert json.loads(meta_path(path).read_text())["model_version"] == "tiny-1"
    assert load_model(path).predict([[1.0]])[0] == 1


def test_tampered_file_is_refused_before_unpickling(artifact):
    path, _ = artifact
    with open(path, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelError, match="does not match its metadata"):
        load_model(path)


def test_missing_metadata_is_refused(artifact):
    path, _ = artifact
    meta_path(path).unlink()
    with pytest.raises(ModelError, match="metadata"):
        load_model(path)


def test_sklearn_version_mismatch_warns(artifact):
    path, _ = artifact
    meta = json.loads(meta_path(path).read_text())
    meta["sklearn_version"] = "0.0.1"
    meta_path(path).write_text(json.dumps(meta))
    with pytest.warns(ModelVersionWarning, match="0.0.1"):
        load_model(path)


def test_bundled_model_tampered_copy_is_refused(tmp_path):
    if not DEFAULT_MODEL.exists():
        pytest.skip("no bundled model")
    copy = tmp_path / DEFAULT_MODEL.name
    shutil.copy(DEFAULT_MODEL, copy)
    shutil.copy(meta_path(DEFAULT_MODEL), meta_path(copy))
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelError):
        load_model(copy)
    from filter import Cleaner
    with pytest.raises(ModelError):
        Cleaner.load(copy)
