"""Learning curve of the document model on the host-held-out validation split.

For each split seed (``load_doc_examples(seed=...)``, valid_share 0.25) and each fraction of the
TRAIN groups (whole groups, nested: the 25% groups are inside the 50% ones, chosen by a hash of
seed and group so every class and source is subsampled alike), fit the default configuration
(``fit_doc_model`` with its defaults; temperature on out-of-fold train logits) and measure on the
fixed validation split, at the fit's own chosen promo threshold and at a fixed 0.5.

Note: the injected web pages (``web_injected``) are built at load time from the full train promo
pool, so a kept injected page may carry lines of a dropped promotion page; the validation split is
untouched. Validation only: gold files are not read here.

``python scripts/doc_learning_curve.py --corpus ../shared/corpus --data DATA --seeds 0 1 2
--fractions 0.25 0.5 0.75 1.0 -o curve.jsonl``
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from filter.doc import CLASSES
from filter.training import docs as D

WEB_SOURCES = ("web_promo", "web_gambling_news", "web_ordinary", "web_injected")


def group_rank(seed: int, group: str, draw: int = 0) -> float:
    key = f"lc{seed}:{group}" if not draw else f"lc{seed}.{draw}:{group}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def subsample(examples, fraction: float, seed: int, draw: int = 0):
    if fraction >= 1.0:
        return list(examples)
    return [e for e in examples if e.split != "train" or group_rank(seed, e.group, draw) < fraction]


def metrics(valid, proba: np.ndarray, threshold: float) -> dict:
    ip, ig, io = (CLASSES.index(c) for c in ("promo", "gambling_news", "ordinary"))
    y = np.array([CLASSES.index(e.label) for e in valid])
    p = proba.copy()
    pred = np.where(p[:, ip] >= threshold, ip, -1)
    rest = p.copy()
    rest[:, ip] = -np.inf
    pred = np.where(pred < 0, rest.argmax(axis=1), pred)
    web = np.array([e.source in WEB_SOURCES for e in valid])

    def pr(mask, k):
        tp = int(((pred == k) & (y == k) & mask).sum())
        npred, ntrue = int(((pred == k) & mask).sum()), int(((y == k) & mask).sum())
        return tp, npred, ntrue

    out = {}
    for name, mask in (("all", np.ones(len(y), bool)), ("web", web)):
        tp, npred, ntrue = pr(mask, ip)
        out[f"{name}_promo_P"] = tp / npred if npred else float("nan")
        out[f"{name}_promo_R"] = tp / ntrue if ntrue else float("nan")
        out[f"{name}_promo_tp"], out[f"{name}_promo_pred"], out[f"{name}_promo_n"] = tp, npred, ntrue
    tp, npred, ntrue = pr(np.ones(len(y), bool), ig)
    out["gn_R"] = tp / ntrue
    tp, npred, ntrue = pr(np.ones(len(y), bool), io)
    out["ord_P"] = tp / npred if npred else float("nan")
    out["acc"] = float((pred == y).mean())
    ll = -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1))
    out["logloss"] = float(ll.mean())
    out["web_logloss"] = float(ll[web].mean())
    return out


def experiment_parser(seeds: list[int]) -> argparse.ArgumentParser:
    """The options every document-model experiment script takes (corpus, data, split seeds, output)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=seeds)
    ap.add_argument("-o", "--out", type=Path, required=True)
    return ap


def split_examples(args: argparse.Namespace):
    """(seed, all examples, validation examples) for each ``host_split`` seed of ``args.seeds``."""
    for seed in args.seeds:
        examples = D.load_doc_examples(args.corpus, args.data, seed=seed)
        yield seed, examples, [e for e in examples if e.split == "valid"]


def main() -> None:
    ap = experiment_parser([0, 1, 2])
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--draw", type=int, default=0, help="another subsample of the train groups (0: the nested one)")
    args = ap.parse_args()
    with open(args.out, "a", encoding="utf-8") as fh:
        for seed, examples, valid in split_examples(args):
            for frac in args.fractions:
                t0 = time.perf_counter()
                sub = subsample(examples, frac, seed, args.draw)
                model, report = D.fit_doc_model(sub, seed=seed)
                proba = model.predict_proba([e.text for e in valid])
                n_train = sum(e.split == "train" for e in sub)
                n_groups = len({e.group for e in sub if e.split == "train"})
                row = {"seed": seed, "fraction": frac, "draw": args.draw, "n_train": n_train, "train_groups": n_groups,
                       "n_valid": len(valid), "temperature": report.temperature,
                       "threshold": report.promo_threshold,
                       "chosen": metrics(valid, proba, report.promo_threshold),
                       "t05": metrics(valid, proba, 0.5), "seconds": round(time.perf_counter() - t0, 1)}
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                print(json.dumps({k: row[k] for k in ("seed", "fraction", "n_train", "threshold", "seconds")}),
                      flush=True)


if __name__ == "__main__":
    main()
