"""The document verdict as a span-stage feature: the two document-topic columns carry the
document model's probabilities, a model trained on them refuses to run without them, and the
out-of-fold grouping keeps every version of a page in one fold."""
from __future__ import annotations

import numpy as np
import pytest

from filter.model import DENSE_NAMES, DOC_GAMBLING_NEWS, DOC_PROMO, FilterModel, dense_features
from filter.runtime import ModelError
from filter.training.stacking import fold_of_group, span_doc_group

from test_features import _bare_stack

COL_NEWS, COL_PROMO = DENSE_NAMES.index("doc_gambling_news"), DENSE_NAMES.index("doc_promo")


def test_doc_proba_fills_the_document_columns_per_document():
    bs, st = _bare_stack(["Polisi menggerebek lokasi judi. Warga lega.\nKapolres memberi keterangan.",
                          "Menteri bertemu warga.\nMain slot di Hoki88 sekarang."])
    W = np.full((len(st.tok_doc), 3), 1 / 3, dtype=np.float32)
    proba = np.array([[0.1, 0.8, 0.1], [0.2, 0.1, 0.7]], dtype=np.float32)
    X = dense_features(bs, W, st, proba)
    for u, d in enumerate(st.unit_doc):
        assert X[u, COL_NEWS] == pytest.approx(proba[d, DOC_GAMBLING_NEWS])
        assert X[u, COL_PROMO] == pytest.approx(proba[d, DOC_PROMO])
    # every other column is the same as without the verdict, and without it these two are zero
    X0 = dense_features(bs, W, st)
    assert not X0[:, [COL_NEWS, COL_PROMO]].any()
    rest = [j for j in range(X.shape[1]) if j not in (COL_NEWS, COL_PROMO)]
    np.testing.assert_array_equal(X[:, rest], X0[:, rest])


def test_a_model_trained_on_the_verdict_needs_the_document_model():
    m = FilterModel()
    assert not m.uses_doc_verdict
    m.doc_features_ = True
    with pytest.raises(ModelError, match="document model"):
        m._doc_proba(["teks"], None)
    got = m._doc_proba(["a", "b"], np.array([[1, 0, 0], [0, 0, 1]]))
    assert got.shape == (2, 3) and got.dtype == np.float32

    class _Doc:
        def predict_proba(self, texts):
            return np.tile([0.2, 0.3, 0.5], (len(texts), 1))

    twin = m.attach_doc_model(_Doc())
    np.testing.assert_allclose(twin._doc_proba(["a"], None), [[0.2, 0.3, 0.5]])
    with pytest.raises(ModelError):   # the shared model is not changed by pairing a copy
        m._doc_proba(["teks"], None)
    assert "_doc_model" not in twin.__getstate__()   # the document model is not stored in the span model
    with pytest.raises(ValueError, match="one row per text"):
        m._doc_proba(["a", "b"], np.zeros((3, 3)))


def test_out_of_fold_groups_follow_the_document_examples():
    nat = {"id": "a-4630b2098e8a7c1a-nat", "source": "https://finance.detik.com/x"}
    inj = {"id": "a-4630b2098e8a7c1a-inj", "source": "https://finance.detik.com/x"}
    web = {"id": "w-1ce38b4402cc-web_news", "source": "https://www.surabayapagi.com/read/a"}
    web2 = {"id": "w-ffff-web_news", "source": "https://surabayapagi.com/read/b"}
    assert span_doc_group(nat) == span_doc_group(inj) == "article:a-4630b2098e8a7c1a"
    assert span_doc_group(web) == span_doc_group(web2) and span_doc_group(web).startswith("host:")
    folds = {fold_of_group(f"host:h{i}", 4) for i in range(200)}
    assert folds == {0, 1, 2, 3}


def test_pairing_with_the_document_model_is_checked_on_load(tmp_path):
    import json

    from filter.artifact import ModelVersionWarning
    from filter.cleaner import check_doc_pairing

    path = tmp_path / "m.npz"
    (tmp_path / "m.json").write_text(json.dumps({"doc_model": {"sha256": "a" * 64}}))
    m = FilterModel()
    m.doc_features_ = True

    class _Doc:
        def __init__(self, sha):
            self.meta = {"artifact": {"sha256": sha}}

    with pytest.raises(ModelError, match="no document model"):
        check_doc_pairing(m, None, path)
    check_doc_pairing(m, _Doc("a" * 64), path)            # the one it was trained with: silent
    with pytest.warns(ModelVersionWarning, match="document model"):
        check_doc_pairing(m, _Doc("b" * 64), path)
    check_doc_pairing(FilterModel(), None, path)          # a model without the feature needs none


def test_span_doc_groups_of_tweets_and_readmes_match_the_document_examples():
    from filter.training.docs import README_GROUPS

    assert span_doc_group({"id": "w-tweet-510", "source": "tweet:navyoceans_"}) == "user:navyoceans_"
    repo, group = next(iter(README_GROUPS.items()))
    assert span_doc_group({"id": "w-readme-x-2", "source": f"github:{repo}"}) == f"readme:{group}"


@pytest.fixture(scope="module")
def verdict_cleaner():
    """The bundled cleaner: its span model was trained on the page verdict (docs/RESULTS.md, D3)."""
    from filter.cleaner import Cleaner

    c = Cleaner.load()
    return c, c


def test_a_verdict_model_cleans_the_same_alone_in_a_batch_and_in_workers(verdict_cleaner):
    _, c = verdict_cleaner
    assert c.model.uses_doc_verdict
    texts = ["Polisi menggerebek judi online di Medan. Pelaku ditahan.\nBaca juga: Harga cabai naik",
             "Daftar sekarang di Hoki88, bonus new member 100%!\nSitus slot gacor hari ini.",
             "", "\u200b", ("Berita hari ini tentang pertanian dan panen padi. " * 1400)]
    one = [c.clean(t).spans for t in texts]
    assert [r.spans for r in c.clean_batch(texts)] == one
    assert [r.spans for r in c.clean_many(texts, n_jobs=2, chunksize=2)] == one


def test_a_verdict_model_without_a_document_model_is_refused(verdict_cleaner):
    from filter.artifact import load_model
    from filter.cleaner import DEFAULT_MODEL, Cleaner

    _, c = verdict_cleaner
    assert Cleaner(c.model, c.policy).doc_model is c.doc_model   # a paired model keeps its document model
    with pytest.raises(ModelError, match="no document model"):
        Cleaner(load_model(DEFAULT_MODEL), c.policy, None)

    class _Other:
        classes = ("promo", "ordinary", "gambling_news")
        meta: dict = {}

    with pytest.raises(ModelError, match="document classes"):
        Cleaner(c.model, c.policy, _Other())


def test_fixed_verdicts_look_up_precomputed_probabilities_by_text():
    from filter.training.stacking import FixedVerdicts

    fv = FixedVerdicts(["a", "b"], np.array([[1, 0, 0], [0.1, 0.2, 0.7]]))
    np.testing.assert_allclose(fv.predict_proba(["b", "a", "b"]), [[0.1, 0.2, 0.7], [1, 0, 0], [0.1, 0.2, 0.7]])
    with pytest.raises(KeyError):   # a text without a precomputed verdict is an error, not a guess
        fv.predict_proba(["c"])
    m = FilterModel()
    m.doc_features_ = True
    np.testing.assert_allclose(m.attach_doc_model(fv)._doc_proba(["a"], None), [[1, 0, 0]])


def test_fixed_verdicts_with_the_document_model_give_its_page_verdicts():
    from filter.doc import load_doc_model
    from filter.training.stacking import FixedVerdicts

    doc = load_doc_model()
    proba = np.array([[0.9, 0.05, 0.05], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]])
    fv = FixedVerdicts(["a", "b", "c"], proba, doc=doc)
    got = [v.label for v in fv.verdicts(["a", "b", "c"])]
    assert got == [v.label for v in doc.verdicts_of(proba.astype(np.float32))]
    assert got[:2] == ["ordinary", "promo"] and doc.promo_threshold > 0.6   # 0.6 < threshold: not promo
    assert got[2] != "promo"
    with pytest.raises(TypeError, match="doc="):   # probabilities only without the labelling model
        FixedVerdicts(["a"], proba[:1]).verdicts(["a"])


def test_fit_model_wants_the_verdicts_and_the_document_model_together():
    from filter.training.fit import fit_model

    with pytest.raises(ValueError, match="together"):
        fit_model([], [], doc_proba=np.zeros((0, 3)))


@pytest.mark.parametrize("suffix", [".joblib", ".npz"])
def test_a_span_model_from_before_the_document_stage_is_refused_on_load(tmp_path, suffix):
    """Its document-topic columns were keyword shares, which this filter no longer computes."""
    from filter.artifact import load_model, save_model

    path = tmp_path / "m.joblib"
    save_model(FilterModel(), path, {})   # never fitted: no doc_features_, like a pre-stage model
    with pytest.raises(ModelError, match="before the document stage"):
        load_model(path.with_suffix(suffix))
    m = FilterModel()
    m.doc_features_ = False
    save_model(m, path, {})
    assert not load_model(path.with_suffix(suffix)).uses_doc_verdict
