"""The full pipeline (span model + page verdict + page steps, as ``Cleaner.load()`` runs it) on
the validation split's held-out web PAGES, by the kinds dev_web is made of, so the validation
number and dev_web's can be compared like for like.

``filter train`` reports validation on the documents the span model trains on
(``span_documents``), which leaves out whole promotion pages and search snippets (they are judged
by the document model): its "validation-web" part has no promotion page in it, while a third of
dev_web's pages are promotion pages. Here every held-out web page counts, the page verdicts are
out of fold (``filter.training.stacking.doc_proba_out_of_fold``, as ``scripts/valid_parts.py``
computes them, cached with ``--proba-cache``), and the kinds are:

- ``P``: whole promotion pages (origin ``web_promo``: real pages and gambling "artikel" READMEs)
- ``H``: journalism and essays about gambling (``web_news``)
- ``B``: small-site pages (``web_page``; validation holds no real page with promotion slipped in)

    python scripts/valid_pipeline.py --data DATA --corpus ../shared/corpus --proba-cache F.npy
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from filter.artifact import load_model
from filter.cleaner import Cleaner, load_default_doc_model
from filter.evaluation.metrics import detect_all, evaluate
from filter.training.fit import read_jsonl
from filter.training.stacking import FixedVerdicts, doc_proba_out_of_fold

KINDS = {"web_promo": "P", "web_news": "H", "web_page": "B"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--model", type=Path, default=None, help="span model (default: the bundled one)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--proba-cache", type=Path, default=None)
    ap.add_argument("--update-card", action="store_true", help="store the numbers in the model metadata and card")
    args = ap.parse_args()
    va = read_jsonl(args.data / "valid.jsonl")
    doc = load_default_doc_model()
    if args.proba_cache is not None and args.proba_cache.exists():
        proba = np.load(args.proba_cache)
    else:
        fit_kw = {"c": float(doc.meta.get("c", 30.0)), "n_hash": doc.n_hash, "max_chars": doc.max_chars,
                  "stack": doc.stack_coef is not None, "features": doc.features}
        proba = doc_proba_out_of_fold(va, args.corpus, args.data, seed=args.seed, **fit_kw)
        if args.proba_cache is not None:
            np.save(args.proba_cache, proba)
    if len(proba) != len(va):
        raise SystemExit(f"{args.proba_cache}: {len(proba)} rows for {len(va)} validation documents")
    from filter.cleaner import DEFAULT_MODEL

    model = load_model(args.model or DEFAULT_MODEL)
    verdicts = FixedVerdicts([d["text"] for d in va], proba, doc=doc)   # out-of-fold, labelled by doc
    cleaner = Cleaner(model.attach_doc_model(verdicts), doc_model=verdicts)
    pages = [d for d in va if d.get("origin") in KINDS]
    sets = {"web pages": pages, **{f"web-{k}": [d for d in pages if KINDS[d["origin"]] == k]
                                   for k in sorted(set(KINDS.values()))}}
    keys = ("docs", "junk_f1", "retention", "junk_precision", "junk_recall", "promo_recall", "promo_span_recall",
            "boilerplate_recall", "perfect_share")
    res: dict = {"data": str(args.data), "sets": {}, "verdicts": {}}
    for name, docs in sets.items():
        ev = evaluate(docs, detect_all(cleaner, docs)).overall.to_dict()
        res["sets"][name] = {k: ev.get(k) for k in keys}
        print(name, json.dumps(res["sets"][name]))
    labels = [doc.classes[i] for i in doc.label_of(verdicts.predict_proba([d["text"] for d in pages]))]
    for k in sorted(set(KINDS.values())):
        got = [lab for d, lab in zip(pages, labels) if KINDS[d["origin"]] == k]
        res["verdicts"][k] = {c: got.count(c) for c in doc.classes}
        print(f"web-{k} page verdicts:", res["verdicts"][k])
    if args.update_card:
        from filter.artifact import meta_path, read_meta
        from filter.evaluation.card import write_card

        path = Path(args.model or DEFAULT_MODEL)
        meta = read_meta(path)
        meta["validation_pages"] = res
        meta_path(path).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_card(meta, path.parent / "README.md")


if __name__ == "__main__":
    main()
