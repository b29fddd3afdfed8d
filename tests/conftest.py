"""Shared fixtures. Tests that need ../shared skip cleanly when it is absent."""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FILTER_SHARED", ROOT.parent / "shared"))
# derived-model caches (filter.langid) go to a directory of this test run, not the user's home;
# set here so CLI subprocesses inherit it
if "FILTER_CACHE_DIR" not in os.environ:
    os.environ["FILTER_CACHE_DIR"] = _CACHE = tempfile.mkdtemp(prefix="filter-test-cache-")
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not available (../shared absent)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _need(SHARED)


@pytest.fixture(scope="session")
def corpus_dir(shared_dir) -> Path:
    return _need(shared_dir / "corpus")


def _load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def seeds() -> list[dict]:
    """The five seed articles; the project's copy in data/ works without ../shared."""
    return _load_jsonl(ROOT / "data" / "seeds.jsonl")


@pytest.fixture(scope="session")
def dev(shared_dir) -> list[dict]:
    return _load_jsonl(_need(shared_dir / "gold" / "dev.jsonl"))
