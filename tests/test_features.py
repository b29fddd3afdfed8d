"""Vectorised featurisation: batch topicality, row normalisation, the token vocabulary cache."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filter.features import SHAPE_FLAGS, TokenVocab, l2_rows, token_flags, topicality


def _reference(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Topicality of one document's dense, l2-normalised unit rows, written out plainly."""
    total = M.sum(axis=0)
    topic, title = np.zeros(len(M)), np.zeros(len(M))
    for k in range(len(M)):
        rest = total - M[k]
        d = np.linalg.norm(rest) * np.linalg.norm(M[k])
        topic[k] = 0.0 if d == 0 else np.clip(M[k] @ rest / d, 0, 1)
        title[k] = 0.0 if k == 0 else np.clip(M[k] @ M[0], 0, 1)
    return topic, title


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.lists(st.integers(0, 7), max_size=6), min_size=1, max_size=5), min_size=1, max_size=4))
def test_batch_topicality_equals_per_document_reference(docs):
    # docs -> units -> feature columns (a bag of words per unit)
    rows, cols, doc, first = [], [], [], []
    n = 0
    for d, units in enumerate(docs):
        for k, words in enumerate(units):
            rows += [n] * len(words)
            cols += words
            doc.append(d)
            first.append(k == 0)
            n += 1
    r, c, v = l2_rows(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), n)
    topic, title = topicality(r, c, v, np.array(doc), np.array(first), n)
    off = 0
    for units in docs:
        M = np.zeros((len(units), 8))
        for k, words in enumerate(units):
            for w in words:
                M[k, w] += 1
        norm = np.linalg.norm(M, axis=1, keepdims=True)
        M = np.divide(M, norm, out=np.zeros_like(M), where=norm > 0)
        ref_topic, ref_title = _reference(M)
        np.testing.assert_allclose(topic[off:off + len(units)], ref_topic, atol=1e-9)
        np.testing.assert_allclose(title[off:off + len(units)], ref_title, atol=1e-9)
        off += len(units)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.lists(st.integers(0, 300), max_size=12), min_size=1, max_size=6), min_size=1, max_size=5))
def test_compiled_topic_similarities_equal_the_numpy_ones(docs):
    """The compiled pass (``_topic_kernel``) gives the bits of ``l2_rows`` + ``topicality`` +
    ``neighbour_similarity``, also for units without topic words and one-unit documents."""
    from filter import features

    features.topic_similarities(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(1, np.int64),
                                np.ones(1, bool), 1)
    kernel = features._COMPILED[0]
    if kernel is None:
        pytest.skip("numba not installed")
    rows, cols, doc, first = [], [], [], []
    for d, units in enumerate(docs):
        for k, words in enumerate(units):
            rows += [len(doc)] * len(words)
            cols += words
            doc.append(d)
            first.append(k == 0)
    args = (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(doc, dtype=np.int64),
            np.array(first), len(doc))
    r, c, v = l2_rows(args[0], args[1], args[4])
    want = (*topicality(r, c, v, args[2], args[3], args[4]),
            *features.neighbour_similarity(r, c, v, args[2], args[4]))
    got = kernel(*args)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_l2_rows_counts_and_normalises():
    r, c, v = l2_rows(np.array([0, 0, 0, 2]), np.array([5, 5, 1, 3]), 3)
    assert list(zip(r.tolist(), c.tolist())) == [(0, 1), (0, 5), (2, 3)]
    np.testing.assert_allclose(v, [1 / np.sqrt(5), 2 / np.sqrt(5), 1.0])


class _Scorer:
    def __init__(self, value: float):
        self.value = value
        self.calls: list[list[str]] = []

    def predict_proba(self, words):
        self.calls.append(list(words))
        return np.tile([1 - self.value, self.value, 0.0], (len(words), 1)).astype(np.float32)


def test_vocab_interns_once_and_rescores_for_a_new_scorer():
    v = TokenVocab(frozenset({"slot"}), frozenset({"dan"}))
    ids = v.intern(["Slot", "dan", "Slot", "𝐌𝐮𝐬𝐭𝐚𝐧𝐠303"])
    assert ids.tolist() == [0, 1, 0, 2]
    v.sync()
    assert v.norm == ["slot", "dan", "mustang303"]
    assert v.flags[: len(v)].shape == (3, len(SHAPE_FLAGS)) and len(v.flags) >= len(v)   # room to grow
    assert v.flags[0, SHAPE_FLAGS.index("lexicon")] == 1 and v.flags[1, SHAPE_FLAGS.index("stop")] == 1
    assert v.topic_col[1] == -1 and v.topic_col[0] >= 0      # stopword vs content word
    a = _Scorer(0.9)
    p = v.probabilities(ids, a)
    assert p.shape == (4, 3) and a.calls == [["slot", "dan", "mustang303"]]
    v.probabilities(ids, a)
    assert len(a.calls) == 1                                 # cached
    b = _Scorer(0.1)
    assert v.probabilities(ids, b)[0, 1] == pytest.approx(0.1)  # a new scorer invalidates the cache
    assert v.intern(["dan", "baru"]).tolist() == [1, 3]
    v.clear()
    assert len(v) == 0 and v.intern(["baru"]).tolist() == [0]


def test_token_flags_next_character():
    text = "Halo, dunia! Akhir"
    toks = np.array([[0, 4], [6, 11], [13, 18]])
    F = token_flags(text, toks, np.zeros((3, len(SHAPE_FLAGS)), np.float32), np.array([0, 0, 1]))
    comma, period = SHAPE_FLAGS.index("comma_after"), SHAPE_FLAGS.index("period_after")
    assert F[:, comma].tolist() == [1, 0, 0]
    assert F[:, period].tolist() == [0, 1, 0]        # the last token has no next character
    assert F[:, SHAPE_FLAGS.index("first")].tolist() == [1, 0, 1]
    assert F[:, SHAPE_FLAGS.index("last")].tolist() == [0, 1, 1]


def _bare_model():
    from filter.model import FilterModel

    m = FilterModel()
    m.lexicon_, m.stopwords_, m.reader_ = frozenset({"slot"}), frozenset({"di", "dan"}), frozenset({"anda"})
    return m


def _bare_stack(texts):
    """The bare model's bases of ``texts`` and their batch ``Stack``."""
    from filter.model import Stack

    bs = _bare_model().bases(texts)
    return bs, Stack.of(bs)


def test_spaced_letters_join_into_one_unit_feature():
    from sklearn.utils import murmurhash3_32

    b = _bare_model().base("Judul berita\nMain di J P T O G E L 7 7 sekarang. Lalu A B C saja.")
    # one run of >= 4 single characters, in the second unit; "A B C" is too short
    (unit, h, first, last, word), = b.spaced
    assert (unit, h, word) == (1, murmurhash3_32("jptogel77", positive=True), "jptogel77")
    assert [b.tok_norm[i] for i in (first, last)] == ["j", "7"]


def test_unit_keys_match_units_with_the_same_words():
    b = _bare_model().base("Berita Hari Ini\nIsi pertama.\nberita hari ini\nIsi kedua.")
    assert b.unit_keys[0] == b.unit_keys[2] != b.unit_keys[1]
    assert len(b.tok_norm) == len(b.toks) == len(b.tok_hash) == len(b.tok_unit)


def test_batch_features_equal_one_document_at_a_time():
    """Stage-2 and token features of a batch never leak across document boundaries: they equal
    the features of each document computed alone."""
    from filter.model import DENSE_NAMES, Stack, candidates, context_features, dense_features, marker_distance, token_features

    m = _bare_model()
    texts = ["Judul satu\nBaca juga: Berita Lain Hari Ini lalu kalimat. Slot gacor di sini.",
             "Satu baris saja tanpa apa-apa",
             "Judul dua\nIsi pertama yang panjang. Isi kedua.\nBaca\nPenutup berita ini."]
    bs = m.bases(texts)
    rng = np.random.default_rng(0)
    W = [rng.dirichlet([1, 1, 1], len(b.toks)).astype(np.float32) for b in bs]
    W[0][5, 2] = W[2][7, 2] = 0.95                       # furniture markers
    P1 = [rng.dirichlet([1, 1, 1], len(b.units)).astype(np.float32) for b in bs]
    D = [rng.random((len(b.units), len(DENSE_NAMES))).astype(np.float32) for b in bs]
    st = Stack.of(bs)
    Wa, Pa = np.vstack(W), np.vstack(P1)
    since = marker_distance(st, Wa)
    cand = candidates(Wa, since, st)
    X2 = context_features(np.vstack(D), Pa, st)
    XT = token_features(st, Wa, Pa, cand, since, np.vstack(D))
    one_X2, one_XT, one_cand = [], [], []
    for i, b in enumerate(bs):
        s1 = Stack.of([b])
        d1 = marker_distance(s1, W[i])
        c1 = candidates(W[i], d1, s1)
        one_X2.append(context_features(D[i], P1[i], s1))
        one_XT.append(token_features(s1, W[i], P1[i], c1, d1, D[i]))
        one_cand.append(c1 + st.tok_off[i])
    np.testing.assert_array_equal(since, np.concatenate([marker_distance(Stack.of([b]), w) for b, w in zip(bs, W)]))
    np.testing.assert_array_equal(cand, np.concatenate(one_cand))
    np.testing.assert_allclose(X2, np.vstack(one_X2))
    np.testing.assert_allclose(dense_features(bs, Wa, st),
                               np.vstack([dense_features([b], w, Stack.of([b])) for b, w in zip(bs, W)]))
    np.testing.assert_allclose(XT, np.vstack(one_XT))
    assert (since[:len(bs[0].toks)] <= 25).any()           # the marker is seen in document 0


def test_token_repeats_match_a_plain_reference():
    """A word's repeat count counts the *other* units that hold it, within its own document only."""
    from filter.model import token_repeats

    bs, st = _bare_stack(["Polisi menggerebek lokasi judi. Judi itu ilegal. Warga lega.",
                          "Menteri bertemu warga. Rapat berjalan lancar. Main slot di Hoki88 sekarang."])
    norms = [w for b in bs for w in b.tok_norm]
    # "judi" (doc 0) sits in two units: one other unit; "warga" occurs once in each document
    idx = np.arange(len(norms))
    rep = token_repeats(st, idx)
    for i in idx:
        d, u = st.tok_doc[i], st.tok_unit[i]
        others = {int(st.tok_unit[j]) for j in idx if st.tok_doc[j] == d and norms[j] == norms[i] and st.tok_unit[j] != u}
        assert rep[i] == pytest.approx(min(len(others), 3) / 3), norms[i]
    assert rep[norms.index("judi")] > 0 and rep[norms.index("warga")] == 0


def test_neighbour_similarity_is_cosine_with_adjacent_units_of_the_same_document():
    from filter.features import neighbour_similarity

    # units: doc 0 -> rows 0, 1, 2; doc 1 -> row 3 (bags of words as column lists)
    bags = [[1, 2], [2, 3], [7], [2, 3]]
    rows = np.array([i for i, b in enumerate(bags) for _ in b])
    cols = np.array([c for b in bags for c in b])
    r, c, v = l2_rows(rows, cols, len(bags))
    nxt, prv = neighbour_similarity(r, c, v, np.array([0, 0, 0, 1]), len(bags))
    np.testing.assert_allclose(nxt, [0.5, 0.0, 0.0, 0.0])   # row 2 -> row 3 crosses documents
    np.testing.assert_allclose(prv, [0.0, 0.5, 0.0, 0.0])


def test_head_copy_marks_a_lone_repeated_headline_not_a_duplicated_body():
    """The headline repeated under a section label and a dek is a head copy; a body that the
    scraper duplicated (a run of copies) is not, nor is a short label that recurs."""
    from filter.model import head_copies

    m = _bare_model()
    head = ("EKONOMI\nHarga cabai naik tajam di pasar induk\nPedagang mengeluhkan pasokan yang seret.\n"
            "Harga cabai naik tajam di pasar induk\nFoto: dokumentasi\nEKONOMI\nIsi berita pertama di sini.")
    b = m.base(head)
    got = [b.units.text[s:e] for s, e, h in zip(b.units.starts, b.units.ends, head_copies(b)) if h]
    assert got == ["Harga cabai naik tajam di pasar induk"]
    body = ("Judul berita yang cukup panjang\nKalimat pertama berita ini.\nKalimat kedua berita ini.\n"
            "Kalimat pertama berita ini.\nKalimat kedua berita ini.")
    assert not any(head_copies(m.base(body)))


def test_reader_words_are_a_token_flag_and_a_unit_share():
    """Words addressing the reader ("Anda", in any case) set the reader flag; a unit's
    reader_words feature is the share of its tokens carrying it."""
    from filter.model import Stack, dense_features

    m = _bare_model()
    b = m.base("Judul berita hari ini\nSilakan Anda baca juga ANDA ya.\nHarga cabai naik di pasar.")
    flag = SHAPE_FLAGS.index("reader")
    assert [w for w, f in zip(b.tok_norm, b.tok_flags[:, flag]) if f] == ["anda", "anda"]
    X = dense_features([b], np.zeros((len(b.toks), 3), np.float32), Stack.of([b]))
    from filter.features import DENSE_NAMES

    col = X[:, DENSE_NAMES.index("reader_words")]
    assert col.tolist() == pytest.approx([0.0, 2 / 6, 0.0])


# ----------------------------------------------------------------------------- compiled token scan

def _split_offsets(text: str) -> np.ndarray:
    from filter.model import _TOKEN_SPLIT
    from filter.features import cumsum0

    parts = _TOKEN_SPLIT.split(text)
    b = cumsum0(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    return np.column_stack([b[1:-1:2], b[2::2]])


def _scan_or_skip():
    from filter.features import token_offsets

    if token_offsets("a") is None:
        pytest.skip("numba not installed or FILTER_COMPILED_FEATURES=0")
    return token_offsets


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(), max_size=200)
       | st.text(alphabet="ab1_ .-/@:'\u2019\u200b\u0301\u20d0\u2460\U0001F130\U0001d41a\u00b2 \n\udc80", max_size=120))
def test_compiled_token_scan_finds_the_regex_matches(text):
    """``token_offsets`` (one compiled scan over character classes) gives the ``TOKEN_RE``
    matches at the same offsets, lone surrogates and characters beyond U+FFFF included."""
    scan = _scan_or_skip()
    got = scan(text)
    assert got.dtype == np.int64 and got.shape[1] == 2
    assert np.array_equal(got, _split_offsets(text))


def test_compiled_token_scan_on_the_corpora(corpus_dir):
    import json

    from filter.training.corpus import load_articles

    scan = _scan_or_skip()
    texts = [a.text for a in load_articles(corpus_dir / "news")[0][:3000]]
    for name in ("pages_promo", "pages_gambling_news", "pages_furniture"):
        with open(corpus_dir / "web" / f"{name}.jsonl", encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    assert all(np.array_equal(scan(t), _split_offsets(t)) for t in texts)


def test_token_scan_switch(monkeypatch):
    from filter import features

    monkeypatch.setenv("FILTER_COMPILED_FEATURES", "0")
    monkeypatch.setattr(features, "_TOKEN_SCAN", [])
    assert features.token_offsets("daftar gacor77") is None
