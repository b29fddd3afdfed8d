"""Training helpers that decide what the model learns: folds, learned promo phrases, phrase completion."""
from __future__ import annotations

import numpy as np

from filter.features import CLASSES
from filter.model import FilterModel, WordScorer
from filter.training.fit import _fold_of, promo_phrases


def _bare_model() -> FilterModel:
    m = FilterModel()
    m.lexicon_, m.stopwords_, m.reader_ = frozenset(), frozenset({"di", "dan", "yang"}), frozenset({"anda"})
    return m


def test_fold_follows_the_promo_family_not_the_furniture():
    a = {"forms": ["related_link", "promo_sentence"], "template_families": ["aaa_rel", "bridge_x"]}
    b = {"forms": ["byline", "promo_sentence"], "template_families": ["aab_byline", "bridge_x"]}
    # many folds, so a test of the old rule (first family of any kind) would not pass by chance
    assert {_fold_of(a, 1000), _fold_of(b, 1000)} == {_fold_of({"forms": ["promo_line"], "template_families": ["bridge_x"]}, 1000)}
    # without promotion, the furniture family decides; without any family, the host article
    c = {"forms": ["related_link"], "template_families": ["aaa_rel"]}
    assert _fold_of(c, 1000) == _fold_of({"forms": ["cta"], "template_families": ["aaa_rel"]}, 1000) != _fold_of(a, 1000)
    assert 0 <= _fold_of({"source": "https://contoh.id/berita/1"}, 3) < 3


def _doc(text: str, phrase: str, kind: str = "keyword_substitution") -> dict:
    s = text.index(phrase)
    return {"text": text, "spans": [{"start": s, "end": s + len(phrase), "label": "promo", "kind": kind}]}


def test_promo_phrases_are_learned_from_substituted_keywords():
    m = _bare_model()
    docs = [_doc("Warga membahas bonus harian gacor di pasar.", "bonus harian gacor"),
            _doc("Rapat itu soal bonus harian gacor lagi.", "bonus harian gacor"),
            _doc("Polisi menyita alat judi slot kemarin.", "judi slot"),
            _doc("Polisi menyita alat judi slot lagi.", "judi slot"),
            _doc("Sekali saja muncul maxwin besar di sini.", "maxwin besar"),
            _doc("Daftar di sini bonus harian gacor sekarang.", "bonus harian gacor", kind="promo_sentence")]
    phrases = promo_phrases(docs, m.bases([d["text"] for d in docs]))
    # seen twice as a substitution; journalistic words ("judi") and one-off phrases left out
    assert phrases == frozenset({("bonus", "harian", "gacor")})


def test_token_run_is_completed_to_a_known_phrase_within_its_line():
    from filter.decode import complete_phrase

    m = _bare_model()
    m.phrases_ = frozenset({("jackpot", "progresif"), ("bonus", "harian", "gacor")})
    b = m.base("Warga menunggu jackpot progresif malam ini.\nbonus\nharian gacor")
    words = b.tok_norm
    j = words.index("jackpot")
    assert complete_phrase(m, b, j, j + 1) == (j, j + 2)            # extended right
    assert complete_phrase(m, b, j + 1, j + 2) == (j, j + 2)        # extended left
    k = words.index("bonus")
    assert complete_phrase(m, b, k, k + 1) == (k, k + 1)            # never across a line break
    m.phrases_ = frozenset()
    assert complete_phrase(m, b, j, j + 1) == (j, j + 1)


def test_word_scorer_table_follows_the_counts():
    """A frequent word that is mostly content scores content even though it also occurs in
    promotion (the linear model alone had scored "di" promo 1.0); a word seen only in promo
    scores promo; an unseen word still gets a proper distribution from its characters."""
    rows = [("di", 0, 5000), ("di", 1, 150), ("di", 2, 300), ("gacor", 1, 40), ("gacor", 0, 1),
            ("pemerintah", 0, 900), ("pemerintah", 2, 60), ("bacajuga", 2, 80), ("kota", 0, 700),
            ("maxwin", 1, 25), ("slot", 1, 60), ("slot", 0, 20)]
    words = [w for w, _, _ in rows]
    ws = WordScorer(n_features=2 ** 12, random_state=0)
    X = ws._vec().transform(words)
    ws.fit(X, np.array([c for _, c, _ in rows]), np.array([n for _, _, n in rows], dtype=float), words=words)
    p = ws.predict_proba(["di", "gacor", "bacajuga", "slot", "zzqx77"])
    assert p[0, CLASSES.index("content")] > 0.85
    assert p[1, CLASSES.index("promo")] > 0.85
    assert p[2, CLASSES.index("boilerplate")] > 0.85
    assert 0.6 < p[3, CLASSES.index("promo")] < 0.85
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-2)
