"""The page-level steps after the decode (language_guard, promo_page): one implementation
(``filter.cleaner.apply_page_steps``) shared by the Cleaner and the ablation, so the ablation's
"all steps on" is what ``Cleaner.detect_many`` returns, and each page step gets an ablation row."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from filter.cleaner import DEFAULT_MODEL, PAGE_STEPS, Cleaner, Policy, apply_page_steps
from filter.doc import CLASSES, DEFAULT_DOC_MODEL, DocVerdict
from filter.spans import Span

ROOT = Path(__file__).resolve().parents[1]
needs_model = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no bundled model")

_EN = ("The district government held a coordination meeting to discuss rice prices, which have "
       "kept rising all month, the head of the agency told reporters on Monday.\n"
       "Farmers in the region said the harvest was late because of heavy rain in October.\n"
       "Register now at GACOR88 and claim a 100% deposit bonus today!\n"
       "Read also: Rice prices climb again in Central Java\n"
       "The agency will publish its next price report at the end of the month.\n")
_PROMO = ("Situs slot gacor GACOR88 hari ini gampang menang.\nDaftar sekarang, bonus new member 100%.\n"
          "Deposit pulsa tanpa potongan, withdraw cepat.\n")


def _verdict(label: str, score: float = 0.9) -> DocVerdict:
    return DocVerdict(label, score, tuple(score if c == label else (1 - score) / 2 for c in CLASSES))


class _EveryOtherPromo:
    """A document model calling every other page promotion (so promo_page surely runs); its
    probabilities are the ones the span stages of the bundled (verdict-trained) model read."""

    classes = CLASSES

    def verdicts(self, texts):
        return [_verdict("ordinary" if i % 2 else "promo") for i in range(len(texts))]

    def predict_proba(self, texts):
        return np.array([v.proba for v in self.verdicts(texts)])

    def verdicts_of(self, proba):
        return [_verdict(CLASSES[int(np.argmax(row))], float(np.max(row))) for row in proba]


def _texts() -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "data" / "samples" / "sample.jsonl").read_text(encoding="utf-8").splitlines()]
    seeds = [json.loads(x) for x in (ROOT / "data" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows[:6]] + [d["text"] for d in seeds] + [_EN, _PROMO, "   "]


def test_apply_page_steps_switches_order_and_counters():
    text = "Menu Utama\nSlot gacor hari ini.\n"
    nav = Span(0, 10, "boilerplate", "nav", 0.8)
    weak = Span(11, 15, "promo", "inline_brand", 0.6)
    counts: dict[str, int] = {}
    out = apply_page_steps(text, [nav, weak], _verdict("promo"), True, Policy(), counts)
    # the guard drops both unconfident spans first, so the promo page covers the whole text
    assert [(s.kind, s.start, s.end) for s in out] == [("promo_page", 0, len(text.rstrip()))]
    assert counts == {"language_guard": 2, "promo_page": 1}
    assert apply_page_steps(text, [nav, weak], _verdict("promo"), True,
                            Policy(language_guard=False, promo_pages=False)) == [nav, weak]
    kept = apply_page_steps(text, [nav, weak], _verdict("gambling_news"), False, Policy())
    assert kept == [nav, weak]
    assert PAGE_STEPS == ("language_guard", "promo_page")


@needs_model
@pytest.mark.parametrize("doc_model", ["bundled", "stub"])   # (the bundled span model needs one)
def test_ablation_all_on_equals_the_cleaner(doc_model):
    from filter.doc import load_doc_model
    from filter.evaluation.ablation import _decode_all, analyse, page_inputs

    if doc_model == "bundled" and not DEFAULT_DOC_MODEL.exists():
        pytest.skip("no bundled document model")
    doc = {"bundled": lambda: load_doc_model(DEFAULT_DOC_MODEL), "stub": _EveryOtherPromo}[doc_model]()
    cleaner = Cleaner(Cleaner.load().model, Policy(), doc)
    texts = _texts()
    want_counts: dict[str, int] = {}
    want = cleaner.detect_many(texts, want_counts)
    model = cleaner.model
    counts: dict[str, int] = {}
    got = _decode_all(model, analyse(model, texts), dict(model.thresholds), model.decode_config_, counts,
                      texts, page_inputs(texts, doc), cleaner.policy)
    assert got == want
    assert counts == want_counts
    assert counts.get("language_guard", 0) > 0          # the English page is guarded
    if doc_model == "stub":
        assert counts["promo_page"] == len(texts) // 2


@needs_model
def test_ablation_has_a_row_per_page_step():
    from filter.evaluation.ablation import ablate, format_ablation

    cleaner = Cleaner(Cleaner.load().model, Policy(), _EveryOtherPromo())
    docs = [{"id": f"d{i}", "text": t, "spans": []} for i, t in enumerate(_texts()[6:])]
    ab = ablate(cleaner.model, {"s": docs}, policy=cleaner.policy, doc_model=cleaner.doc_model)
    page = {r.step: r for r in ab.rows if r.level == "page"}
    assert set(page) == set(PAGE_STEPS)
    assert page["promo_page"].fires == len(docs) // 2 and page["promo_page"].docs_changed >= 1
    assert page["language_guard"].fires >= 1 and page["language_guard"].docs_changed >= 1
    assert all(r.level == "decode" for r in ab.rows if r.step not in PAGE_STEPS)
    assert "| promo_page | page |" in format_ablation(ab, markdown=True)
    # without a document model the promo_page row is absent; without a policy, no page rows at all
    no_doc = ablate(cleaner.model, {"s": docs}, policy=cleaner.policy, doc_model=None)
    assert {r.step for r in no_doc.rows if r.level == "page"} == {"language_guard"}
    assert not [r for r in ablate(cleaner.model, {"s": docs}).rows if r.level == "page"]
    with pytest.raises(ValueError, match="own thresholds"):
        ablate(cleaner.model, {"s": docs}, policy=Policy(threshold=0.5))
