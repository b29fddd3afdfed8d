"""Validation by part for several span models, with the same out-of-fold document verdicts.

``filter train`` reports its own model's validation parts (``filter.cli.train._valid_parts``);
this scores other models (e.g. the bundled one) on the same split the same way, so models
trained on different builds can be compared on one validation set.

``python scripts/valid_parts.py --data DATA --corpus ../shared/corpus MODEL.npz [MODEL.npz ...]``
(``--proba-cache F.npy`` keeps the out-of-fold verdicts between runs; ``--thresholds promo=0.6,boilerplate=0.7``,
repeatable, also scores each model under other thresholds than its stored ones.)
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from filter.artifact import load_model
from filter.cleaner import load_default_doc_model
from filter.cli.train import _eval_sets, _valid_parts
from filter.training.fit import read_jsonl, span_documents
from filter.training.stacking import FixedVerdicts, doc_proba_out_of_fold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--proba-cache", type=Path, default=None)
    ap.add_argument("--thresholds", action="append", default=[])
    args = ap.parse_args()
    va = span_documents(read_jsonl(args.data / "valid.jsonl"))
    doc = load_default_doc_model()
    fit_kw = {"c": float(doc.meta.get("c", 30.0)), "n_hash": doc.n_hash, "max_chars": doc.max_chars,
              "stack": doc.stack_coef is not None, "features": doc.features}
    if args.proba_cache is not None and args.proba_cache.exists():
        proba = np.load(args.proba_cache)
    else:
        proba = doc_proba_out_of_fold(va, args.corpus, args.data, seed=args.seed, **fit_kw)
        if args.proba_cache is not None:
            np.save(args.proba_cache, proba)
    verdicts = FixedVerdicts([d["text"] for d in va], proba)
    keys = ("docs", "junk_f1", "retention", "junk_precision", "junk_recall", "promo_span_recall", "boilerplate_recall", "perfect_share")
    for path in args.models:
        model = load_model(path).attach_doc_model(verdicts)
        variants = [dict(model.thresholds)] + [
            {k: float(v) for k, v in (kv.split("=") for kv in t.split(","))} for t in args.thresholds]
        for th in variants:
            model.thresholds = {**model.thresholds, **th}
            res = _eval_sets(model, {"validation": va, **_valid_parts(va)})
            for part, m in res.items():
                print(json.dumps({"model": str(path), "thresholds": model.thresholds, "part": part,
                                  **{k: m.get(k) for k in keys}}), flush=True)


if __name__ == "__main__":
    main()
