"""The analysis notebooks execute without errors (nbclient, kernel python3) and are committed
with outputs. 01/02 need the committed model; 03 needs ../shared (corpus or gold)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from filter.cleaner import DEFAULT_MODEL

MODEL = Path(os.environ.get("FILTER_MODEL") or DEFAULT_MODEL)  # what Cleaner.load() loads

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
SHARED = Path(os.environ.get("FILTER_SHARED", ROOT.parent / "shared"))
NOTEBOOKS = ["01_evaluation.ipynb", "02_error_analysis.ipynb", "03_training_data.ipynb"]


def _outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_with_outputs_and_no_errors(name):
    nb = nbformat.read(NB_DIR / name, as_version=4)
    outs = _outputs(nb)
    assert outs, f"{name} is committed without outputs"
    assert not [o for o in outs if o.output_type == "error"], f"{name} was committed with an error output"
    assert any("image/png" in o.get("data", {}) for o in outs), f"{name} has no figure"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_sources_match_builder(name):
    """The .ipynb cell sources are those of notebooks/build_notebooks.py (edit there)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_notebooks", NB_DIR / "build_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    want = [c.source for c in mod.NOTEBOOKS[name]().cells]
    have = [c.source for c in nbformat.read(NB_DIR / name, as_version=4).cells]
    assert have == want


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes(name):
    if name != "03_training_data.ipynb" and not MODEL.exists():
        pytest.skip("no committed model")
    if name == "03_training_data.ipynb" and not (ROOT / "work" / "data" / "train.jsonl").exists() \
            and not (SHARED / "corpus").exists():
        pytest.skip("neither work/data nor ../shared/corpus available")
    nb = nbformat.read(NB_DIR / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NB_DIR)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    assert not [o for o in _outputs(nb) if o.output_type == "error"]


@pytest.mark.parametrize("name", ["01_evaluation.ipynb", "02_error_analysis.ipynb"])
def test_committed_outputs_are_of_the_committed_model(name):
    """Outputs that name a span model name the one Cleaner.load() reads (they went stale once)."""
    import json
    import re

    meta = MODEL.with_suffix(".json")
    if not meta.exists():
        pytest.skip("no committed model metadata")
    version = json.loads(meta.read_text(encoding="utf-8"))["model_version"]
    text = json.dumps(_outputs(nbformat.read(NB_DIR / name, as_version=4)))
    named = set(re.findall(r"filter-id-news-\d{8}-[0-9a-f]{8}", text))
    assert named == {version}, f"{name} outputs name {sorted(named)}, the committed model is {version}"
