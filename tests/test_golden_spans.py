"""Refactors keep behaviour: spans on the bundled sample, the seeds and the shared dev sets are
byte-identical to the stored ones (``tests/data/golden_spans.json``: offsets, labels, kinds and
scores only, no text). A change that is *meant* to change spans (a retrained model, a decode
step removed after ablation) regenerates the file with ``python tests/test_golden_spans.py``
and says so in its commit."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden_spans.json"
SETS = {"sample": ROOT / "data" / "samples" / "sample.jsonl", "seeds": ROOT / "data" / "seeds.jsonl",
        "dev": ROOT.parent / "shared" / "gold" / "dev.jsonl", "dev_web": ROOT.parent / "shared" / "gold" / "dev_web.jsonl"}


def current_spans(model, path: Path) -> dict[str, list]:
    recs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    spans = model.predict_spans_many([r["text"] for r in recs])
    return {str(r.get("id", i)): [[s.start, s.end, s.label, s.kind, round(s.score, 6)] for s in sp]
            for i, (r, sp) in enumerate(zip(recs, spans))}


@pytest.fixture(scope="module")
def model():
    from filter import Cleaner

    return Cleaner.load().model


@pytest.mark.parametrize("name", list(SETS))
def test_spans_match_the_stored_ones(model, name):
    path = SETS[name]
    if not path.exists():
        pytest.skip(f"{path} not available (../shared absent)")
    want = json.loads(GOLDEN.read_text())[name]
    got = current_spans(model, path)
    assert got.keys() == want.keys()
    diff = [k for k in want if got[k] != want[k]]
    assert not diff, f"{len(diff)} documents changed, e.g. {diff[:3]}: {got[diff[0]]} != {want[diff[0]]}"


if __name__ == "__main__":   # regenerate after an intended change
    from filter import Cleaner

    m = Cleaner.load(sys.argv[1] if len(sys.argv) > 1 else None).model
    GOLDEN.write_text(json.dumps({k: current_spans(m, p) for k, p in SETS.items() if p.exists()}, sort_keys=True))
    print("wrote", GOLDEN)
