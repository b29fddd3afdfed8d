"""Vectorised inference for a fitted ``HistGradientBoostingClassifier``.

scikit-learn predicts tree by tree, with a fixed cost per tree and call that dominates when a
document has only a few dozen rows (hundreds of trees × two models per document). Here
all trees are flattened into one node table once, and every row walks every tree in
lock-step with numpy. The result equals the estimator's own ``predict_proba`` (a test checks
it); numeric features only, as the filter uses.
"""
from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier


class CompiledTrees:
    """``predict_proba`` of a fitted HistGradientBoostingClassifier without per-tree overhead."""

    def __init__(self, clf: HistGradientBoostingClassifier):
        preds = clf._predictors  # list (iterations) of list (one tree per class / one for binary)
        self.classes_ = clf.classes_
        self.n_out = len(preds[0])
        feats, thr, left, right, leaf, value, nan_left, roots, outs = [], [], [], [], [], [], [], [], []
        off = 0
        for it in preds:
            for k, tree in enumerate(it):
                nodes = tree.nodes
                if nodes["is_categorical"].any():
                    raise ValueError("categorical splits are not supported")
                n = len(nodes)
                feats.append(nodes["feature_idx"].astype(np.int64))
                thr.append(nodes["num_threshold"].astype(np.float64))
                left.append(nodes["left"].astype(np.int64) + off)
                right.append(nodes["right"].astype(np.int64) + off)
                leaf.append(nodes["is_leaf"].astype(bool))
                value.append(nodes["value"].astype(np.float64))
                nan_left.append(nodes["missing_go_to_left"].astype(bool))
                roots.append(off)
                outs.append(k)
                off += n
        self.feature = np.concatenate(feats)
        self.threshold = np.concatenate(thr)
        self.left = np.concatenate(left)
        self.right = np.concatenate(right)
        self.is_leaf = np.concatenate(leaf)
        self.value = np.concatenate(value)
        self.nan_left = np.concatenate(nan_left)
        self.roots = np.asarray(roots, dtype=np.int64)
        self.out = np.asarray(outs, dtype=np.int64)
        self.baseline = np.asarray(clf._baseline_prediction, dtype=np.float64).ravel()
        self.depth = int(max(tree.nodes["depth"].max() for it in preds for tree in it)) + 1
        # leaves point to themselves so the walk can run a fixed number of steps
        idx = np.arange(len(self.feature))
        self.left = np.where(self.is_leaf, idx, self.left)
        self.right = np.where(self.is_leaf, idx, self.right)
        self.feature = np.where(self.is_leaf, 0, self.feature)

    def raw(self, X: np.ndarray, chunk: int = 4096) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        out = np.tile(self.baseline, (n, 1))
        if n == 0:
            return out
        for a in range(0, n, chunk):
            Xc = X[a:a + chunk]
            rows = np.arange(len(Xc))[:, None]
            cur = np.broadcast_to(self.roots, (len(Xc), len(self.roots))).copy()
            for _ in range(self.depth):
                x = Xc[rows, self.feature[cur]]
                go_left = np.where(np.isnan(x), self.nan_left[cur], x <= self.threshold[cur])
                cur = np.where(go_left, self.left[cur], self.right[cur])
            vals = self.value[cur]
            for k in range(self.n_out):
                out[a:a + chunk, k] += vals[:, self.out == k].sum(axis=1)
        return out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        raw = self.raw(X)
        if self.n_out == 1:
            p = 1.0 / (1.0 + np.exp(-raw[:, 0]))
            return np.column_stack([1 - p, p])
        raw -= raw.max(axis=1, keepdims=True)
        e = np.exp(raw)
        return e / e.sum(axis=1, keepdims=True)
