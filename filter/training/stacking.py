"""The document verdict as a feature of the span stages: out-of-fold document probabilities
for the span model's training documents.

The span model learns "the rest of this page is about gambling" from the document model's
probabilities (p(gambling_news), p(promo)) instead of a keyword share. At inference those come
from the final document model; in training they must come from document models that did not
see the document (else they are overconfident exactly where the span model learns to trust
them). ``doc_proba_out_of_fold`` fits ``n_folds`` document models on the document classifier's
training examples (``filter.training.docs.load_doc_examples``) with one fold of groups left
out, and scores the span documents of that fold. A span document's group is the one its text
has among the document examples — the outlet article (``article:<id>``, shared by its natural,
injected and decoy versions), the web host (``host:<host>``), the tweet's user or the README's
repository group — so no fold model saw any version of the page it scores. The validation
documents are scored the same way (``filter train --doc-verdict``), since the document model's
training split shares web hosts with the span validation split.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from filter.doc import CLASSES
from filter.training.docs import README_GROUPS, DocExample, fit_doc_model, host_of, load_doc_examples

__all__ = ["span_doc_group", "fold_of_group", "doc_proba_out_of_fold", "FixedVerdicts"]


class FixedVerdicts:
    """Stands in for the document model with probabilities computed beforehand (out of fold),
    looked up by text: the validation documents' verdicts when choosing thresholds. With
    ``doc`` (the document model whose threshold labels them), it also gives the page verdicts
    (``verdicts_of``/``verdicts``), so a ``Cleaner`` can run its page steps on them."""

    classes = CLASSES

    def __init__(self, texts: Sequence[str], proba: np.ndarray, doc: Any = None) -> None:
        self._by_text = dict(zip(texts, np.asarray(proba, dtype=np.float32)))
        self.doc = doc

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self._by_text[t] for t in texts], dtype=np.float32).reshape(len(texts), len(CLASSES))

    def _labeller(self) -> Any:
        if self.doc is None:
            raise TypeError("FixedVerdicts without a document model (doc=...) gives probabilities only")
        return self.doc

    def label_of(self, proba: np.ndarray) -> np.ndarray:
        return self._labeller().label_of(proba)

    def verdicts_of(self, proba: np.ndarray) -> list:
        return self._labeller().verdicts_of(proba)

    def verdicts(self, texts: Sequence[str]) -> list:
        return self.verdicts_of(self.predict_proba(texts))


def span_doc_group(rec: dict) -> str:
    """The document-example group of a span-dataset record (see the module docstring): the
    outlet article, the web host, the tweet's user or the README's repository group, named as
    ``filter.training.docs`` names them."""
    src = str(rec.get("source") or "")
    if str(rec.get("id", "")).startswith("a-"):
        return f"article:{rec['id'].rsplit('-', 1)[0]}"
    if src.startswith("http"):
        return f"host:{host_of(src)}"
    if src.startswith("tweet:"):
        return f"user:{src[len('tweet:'):]}"
    if src.startswith("github:"):
        repo = src[len("github:"):]
        return f"readme:{README_GROUPS.get(repo, repo)}"
    return src or str(rec.get("id", ""))


def fold_of_group(group: str, n_folds: int, seed: int = 0) -> int:
    return int(hashlib.md5(f"{seed}:{group}".encode()).hexdigest(), 16) % n_folds


def doc_proba_out_of_fold(docs: Sequence[dict], corpus_dir: Path, data_dir: Path, n_folds: int = 4,
                          seed: int = 0, progress: Callable[[str], None] = print,
                          examples: Sequence[DocExample] | None = None, **fit_kw) -> np.ndarray:
    """Document-model probabilities (``filter.doc.CLASSES`` columns) for each of ``docs``, each
    from a model fitted on the document examples of the other folds' groups (train split only)."""
    t0 = time.time()
    ex = [e for e in (examples if examples is not None else load_doc_examples(corpus_dir, data_dir, seed=seed))
          if e.split == "train"]
    ex_fold = np.array([fold_of_group(e.group, n_folds, seed) for e in ex])
    doc_fold = np.array([fold_of_group(span_doc_group(d), n_folds, seed) for d in docs])
    out = np.zeros((len(docs), len(CLASSES)), dtype=np.float32)
    for f in range(n_folds):
        idx = np.flatnonzero(doc_fold == f)
        if not len(idx):
            continue
        model, _ = fit_doc_model([e for e, k in zip(ex, ex_fold) if k != f], seed=seed, **fit_kw)
        out[idx] = model.predict_proba([docs[i]["text"] for i in idx])
        progress(f"  document verdict fold {f + 1}/{n_folds}: {len(idx)} span documents "
                 f"({time.time() - t0:.0f}s)")
    return out
