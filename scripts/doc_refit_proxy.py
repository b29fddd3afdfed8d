"""Does ``--refit-all`` help, threshold transfer included? A proxy measured on the real validation
split: inside the train split, 25% of the groups (hash of seed and group) play validation. Model A
is fitted on the other 75% (temperature on its out-of-fold logits, threshold chosen on the
pseudo-validation), model B is A refitted on all train groups with A's temperature and threshold
(what ``fit_doc_model(refit_all=True)`` does). Both are scored on the untouched validation split.

``python scripts/doc_refit_proxy.py --corpus ../shared/corpus --data DATA --seeds 0 1 -o out.jsonl``
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))   # run as a script: its sibling module

from doc_learning_curve import experiment_parser, group_rank, metrics, split_examples  # noqa: E402

from filter.training import docs as D  # noqa: E402


def main() -> None:
    args = experiment_parser([0]).parse_args()
    with open(args.out, "a", encoding="utf-8") as fh:
        for seed, examples, valid in split_examples(args):
            inner = [replace(e, split="valid" if group_rank(seed, e.group, 7) < 0.25 else "train")
                     for e in examples if e.split == "train"]
            a, rep_a = D.fit_doc_model(inner, seed=seed)
            b, rep_b = D.fit_doc_model(inner, seed=seed, refit_all=True)
            row = {"seed": seed, "inner_train": sum(e.split == "train" for e in inner),
                   "inner_valid": sum(e.split == "valid" for e in inner), "threshold": a.promo_threshold,
                   "temperature": a.temperature}
            for name, m in (("A", a), ("B", b)):
                proba = m.predict_proba([e.text for e in valid])
                row[name] = {"chosen": metrics(valid, proba, m.promo_threshold), "t05": metrics(valid, proba, 0.5)}
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            print(json.dumps({k: row[k] for k in ("seed", "inner_train", "inner_valid", "threshold")}), flush=True)


if __name__ == "__main__":
    main()
