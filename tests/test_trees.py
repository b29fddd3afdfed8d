"""The vectorised tree walk must reproduce HistGradientBoostingClassifier.predict_proba."""
import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from filter.trees import CompiledTrees


@pytest.mark.parametrize("n_classes", [2, 3])
def test_compiled_trees_match_sklearn(n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 7))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int) + (n_classes == 3) * (X[:, 3] > 1)
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values take the learned side
    clf = HistGradientBoostingClassifier(max_iter=40, max_depth=6, random_state=0).fit(X, y)
    Xt = rng.normal(size=(300, 7))
    Xt[rng.random(Xt.shape) < 0.05] = np.nan
    np.testing.assert_allclose(CompiledTrees.from_sklearn(clf).predict_proba(Xt), clf.predict_proba(Xt), atol=1e-9)


def test_compiled_trees_empty_input():
    X = np.random.default_rng(1).normal(size=(100, 3))
    clf = HistGradientBoostingClassifier(max_iter=5).fit(X, X[:, 0] > 0)
    assert CompiledTrees.from_sklearn(clf).predict_proba(np.zeros((0, 3))).shape == (0, 2)


def test_compiled_walk_equals_the_numpy_walk(monkeypatch):
    """With numba installed (the ``fast`` extra) large inputs take the compiled walk: same values."""
    from filter import trees

    if trees.compiled_walk() is None:
        pytest.skip("numba not installed")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(trees.COMPILED_MIN_ROWS + 50, 5))
    X[rng.random(X.shape) < 0.05] = np.nan
    clf = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, (X[:, 0] > 0) + (X[:, 1] > 1))
    ct = CompiledTrees.from_sklearn(clf)
    fast = ct.predict_proba(X)
    monkeypatch.setattr(trees, "_COMPILED", [None])
    np.testing.assert_array_equal(fast, ct.predict_proba(X))
    np.testing.assert_allclose(fast, clf.predict_proba(X), atol=1e-12)
