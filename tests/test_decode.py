"""The decode stage as named steps: every rule can be switched off and counts what it changed,
spans name the step that made them, the config round-trips through the artifact, and
``filter evaluate --ablate`` runs. Scores are forced where a rule needs a specific input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from filter.cleaner import DEFAULT_MODEL
from filter.decode import RULES, STEP_NAMES, STEPS, DecodeConfig, decode
from test_model import NEWS as MODEL_NEWS

ROOT = Path(__file__).resolve().parents[1]
needs_model = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no bundled model")

NEWS = MODEL_NEWS.replace("Baca juga: Harga Cabai di Pasar Induk Turun Tajam\n", "")   # no furniture line


class Tiny:
    """A picklable stand-in model: the artifact code only needs attributes."""


OFF = lambda *steps: DecodeConfig(off=steps)  # noqa: E731


@pytest.fixture(scope="module")
def model():
    from filter import Cleaner

    return Cleaner.load().model


def _texts(text, spans):
    return [text[s.start:s.end].strip() for s in spans]


# ---------------------------------------------------------------- config

def test_config_switches_validate_and_round_trip():
    assert DecodeConfig.from_dict(None) == DecodeConfig() == DecodeConfig.from_dict({})
    cfg = DecodeConfig(promo_extend=0.2, off=("takeover_share", "follow_titles", "follow_titles"))
    assert cfg.off == ("follow_titles", "takeover_share") and not cfg.on("follow_titles") and cfg.on("promo_blocks")
    assert DecodeConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="unknown decode step"):
        DecodeConfig(off=("no_such_step",))
    with pytest.raises(ValueError, match="cannot be switched off"):
        DecodeConfig(off=("unit_threshold",))
    with pytest.raises(ValueError, match="unknown decode config key"):
        DecodeConfig.from_dict({"promo_extnd": 0.1})


def test_every_step_has_a_unique_name_and_a_reason():
    assert len(set(STEP_NAMES)) == len(STEPS)
    assert set(RULES) < set(STEP_NAMES)
    for s in STEPS:
        assert len(s.reason.split()) >= 8, s   # a documented reason, not a placeholder


def test_config_is_stored_beside_the_thresholds_and_read_back(tmp_path):
    from filter.artifact import load_model, read_meta, save_model

    m = Tiny()
    m.thresholds = {"promo": 0.5, "boilerplate": 0.6}
    m.decode_config_ = DecodeConfig(title_min=0.2, off=("spaced_brands",))
    path = tmp_path / "m.joblib"
    save_model(m, path, {})
    assert read_meta(path)["decode_config"]["off"] == ["spaced_brands"]
    meta = read_meta(path)
    meta["decode_config"]["title_min"] = 0.3                       # the metadata is authoritative
    path.with_suffix(".json").write_text(json.dumps(meta))
    assert load_model(path).decode_config_ == DecodeConfig(title_min=0.3, off=("spaced_brands",))
    del meta["decode_config"]                                     # an older artifact: the pickled (or default) config
    path.with_suffix(".json").write_text(json.dumps(meta))
    assert load_model(path).decode_config_.title_min == 0.2


# ---------------------------------------------------------------- each rule: switch and counter

@needs_model
def test_promo_hysteresis_switch_and_counter(model):
    text = NEWS
    a = model.analyze(text)
    u = a.base.units
    sents = [text[s:e] for s, e in zip(u.starts, u.ends)]
    i = sents.index("Perbaikan ditargetkan selesai dalam dua pekan.")
    a.cand, a.cand_proba = a.cand[:0], a.cand_proba[:0]
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    a.unit_proba[i - 1] = [0.0, 0.99, 0.01]
    a.unit_proba[i] = [0.8, 0.2, 0.0]
    on = decode(model, a)
    assert _texts(text, on.spans) == [sents[i - 1] + " " + sents[i]]
    assert on.counts["promo_hysteresis"] == 1 and on.spans[0].step == "promo_hysteresis"
    off = decode(model, a, config=OFF("promo_hysteresis"))
    assert _texts(text, off.spans) == [sents[i - 1]] and "promo_hysteresis" not in off.counts
    assert off.spans[0].step == "unit_threshold"


@needs_model
def test_promo_blocks_switch_and_counter(model):
    n = DecodeConfig().promo_block_min
    line = " ".join(f"Kalimat nomor {k} cukup pendek." for k in range(2 * n - 1))
    text = "Judul berita hari ini\n" + line + "\nParagraf berita yang lain tetap ada."
    a = model.analyze(text)
    rows = [i for i in range(len(a.base.units)) if a.base.units.block[i] == a.base.units.block[1]]
    a.cand, a.cand_proba = a.cand[:0], a.cand_proba[:0]
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    for i in rows[:n]:
        a.unit_proba[i] = [0.0, 0.99, 0.01]
    cfg = OFF("promo_hysteresis")   # neighbours score 0 promo: hysteresis would not fire anyway
    on = decode(model, a, config=cfg)
    assert _texts(text, on.spans) == [line] and on.counts["promo_blocks"] == n - 1
    assert on.spans[0].step == "promo_blocks"
    off = decode(model, a, config=OFF("promo_hysteresis", "promo_blocks"))
    assert len(off.spans) >= 1 and sum(len(t) for t in _texts(text, off.spans)) < len(line)
    assert "promo_blocks" not in off.counts


@needs_model
def test_takeover_share_switch_and_counter(model):
    promo = "Yuk main di GACORJP88 biar cuan maxwin!"
    text = NEWS.replace("Perbaikan ditargetkan", promo + " Perbaikan ditargetkan")
    a = model.analyze(text)
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    hit = np.array([i for i, w in enumerate(a.base.tok_norm) if w in ("gacorjp88", "cuan", "maxwin")])
    a.cand, a.cand_proba = hit, np.tile(np.float32([0.0, 0.99, 0.0]), (len(hit), 1))
    on = decode(model, a)
    assert _texts(text, on.spans) == [promo] and on.counts["takeover_share"] == 1
    assert on.spans[0].step == "takeover_share"
    off = decode(model, a, config=OFF("takeover_share"))
    assert len(off.spans) >= 2 and "takeover_share" not in off.counts


@needs_model
def test_every_span_names_a_real_step_and_counts_add_up(model):
    from filter.decode import add_counts

    recs = [json.loads(x) for x in open(ROOT / "data" / "samples" / "sample.jsonl", encoding="utf-8") if x.strip()]
    recs += [json.loads(x) for x in open(ROOT / "data" / "seeds.jsonl", encoding="utf-8") if x.strip()]
    texts = [r["text"] for r in recs]
    counts: dict[str, int] = {}
    spans = model.predict_spans_many(texts, counts=counts)
    steps = {s.step for sp in spans for s in sp}
    assert steps and steps <= set(STEP_NAMES), steps
    assert set(counts) <= set(STEP_NAMES) and counts["unit_spans"] + counts.get("token_runs", 0) > 0
    total: dict[str, int] = {}
    for a in model.analyze_many(texts):
        add_counts(total, decode(model, a).counts)
    assert total == counts


@needs_model
def test_follow_titles_switch_and_counter(model):
    link = "Baca juga: Harga Cabai di Pasar Induk Turun Tajam Jelang Lebaran"
    text = NEWS.replace("Perbaikan ditargetkan selesai dalam dua pekan.",
                        link + " Pekerjaan dimulai sejak pagi dan melibatkan puluhan pekerja dinas.")
    probs = {"baca": 0.99, "juga": 0.99, "harga": 0.95, "cabai": 0.9, "di": 0.3, "pasar": 0.3, "induk": 0.2,
             "turun": 0.12, "tajam": 0.4, "jelang": 0.3, "lebaran": 0.2, "pekerjaan": 0.3, "dimulai": 0.2}
    a = model.analyze(text)
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    a.cand = np.arange(len(a.base.toks))
    a.cand_proba = np.tile(np.float32([1.0, 0.0, 0.0]), (len(a.cand), 1))
    for i, w in enumerate(a.base.tok_norm):
        if w in probs:
            a.cand_proba[i] = [1 - probs[w], 0.0, probs[w]]
    a.tok_word_proba = a.tok_word_proba.copy()
    a.tok_word_proba[[i for i, w in enumerate(a.base.tok_norm) if w == "baca"], 2] = 1.0
    on = decode(model, a)
    assert [(text[s.start:s.end].strip(), s.step) for s in on.spans] == [(link, "follow_titles")]
    assert on.counts["follow_titles"] == 1
    off = decode(model, a, config=OFF("follow_titles"))
    assert _texts(text, off.spans) == ["Baca juga: Harga Cabai"] and "follow_titles" not in off.counts


@needs_model
def test_complete_phrase_switch_and_counter(model, monkeypatch):
    text = NEWS.replace("berasal dari APBD", "berasal dari jackpot progresif APBD")
    a = model.analyze(text)
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    j = a.base.tok_norm.index("jackpot")
    a.cand, a.cand_proba = np.array([j]), np.float32([[0.0, 0.99, 0.0]])
    monkeypatch.setattr(model, "phrases_", frozenset({("jackpot", "progresif")}), raising=False)
    cfg = OFF("takeover_share")
    on = decode(model, a, config=cfg)
    assert [(text[s.start:s.end].strip(), s.step) for s in on.spans] == [("jackpot progresif", "complete_phrase")]
    assert on.counts["complete_phrase"] == 1
    off = decode(model, a, config=OFF("takeover_share", "complete_phrase"))
    assert _texts(text, off.spans) == ["jackpot"] and "complete_phrase" not in off.counts


@needs_model
def test_spaced_brands_switch_and_counter(model):
    text = NEWS.replace("mengatakan anggaran", "mengatakan, main di G A C O R J P 8 8 sekarang, anggaran")
    a = model.analyze(text)
    assert a.base.spaced
    a.unit_proba[:] = [1.0, 0.0, 0.0]
    a.cand, a.cand_proba = a.cand[:0], a.cand_proba[:0]
    a.spaced_promo = [0.99] * len(a.base.spaced)
    on = decode(model, a, config=OFF("takeover_share"))   # nine of the sentence's words: it would go whole
    assert [(text[s.start:s.end].strip(), s.step) for s in on.spans] == [("G A C O R J P 8 8", "spaced_brands")]
    assert on.counts["spaced_brands"] == 1
    off = decode(model, a, config=OFF("takeover_share", "spaced_brands"))
    assert off.spans == [] and "spaced_brands" not in off.counts


@needs_model
def test_cleaner_sums_rule_firings_per_call(model):
    from filter import Cleaner

    c = Cleaner(model)
    counts: dict[str, int] = {}
    res = c.clean_batch([NEWS, NEWS.replace("APBD", "APBD. Daftar GACOR88 sekarang, bonus 100%!")], counts=counts)
    assert len(res) == 2 and counts.get("unit_threshold", 0) >= 1
    assert all(s.step in STEP_NAMES for r in res for s in r.spans)
    assert all(s.to_dict()["step"] == s.step for r in res for s in r.spans)


# ---------------------------------------------------------------- ablation

@needs_model
def test_ablation_table_via_the_cli(tmp_path):
    from typer.testing import CliRunner

    from filter.cli import app

    out = tmp_path / "ab.json"
    res = CliRunner().invoke(app, ["evaluate", "--ablate", "--gold", str(ROOT / "data" / "seeds.jsonl"),
                                   "--json", str(out)])
    assert res.exit_code == 0, res.output
    table = json.loads(out.read_text())
    assert table["sets"]["seeds"]["docs"] == 5
    assert {r["step"] for r in table["rows"] if r["level"] == "decode"} == set(RULES)
    from filter.cleaner import PAGE_STEPS
    from filter.doc import DEFAULT_DOC_MODEL

    pages = {r["step"] for r in table["rows"] if r["level"] == "page"}   # the page-level steps, as Cleaner.load() runs
    assert pages == (set(PAGE_STEPS) if DEFAULT_DOC_MODEL.exists() else {"language_guard"})
    for name in RULES:
        assert name in res.stdout
    assert all(r["docs_changed"] <= 5 for r in table["rows"])
    bad = CliRunner().invoke(app, ["evaluate", "--ablate"])
    assert bad.exit_code == 2 and "needs --valid" in bad.output


def test_ablation_deltas_are_off_minus_on():
    from filter.evaluation.ablation import Ablation, AblationRow, format_ablation

    ab = Ablation({"s": {"docs": 2, "junk_f1": 0.9, "retention": 0.99, "promo_span_recall": 1.0,
                         "boilerplate_span_recall": float("nan"), "perfect_docs": 1}},
                  [AblationRow("s", "promo_blocks", 3, 1, -0.01, 0.0, -0.5, float("nan"), -1)])
    back = Ablation.from_dict(json.loads(json.dumps(ab.to_dict())))
    assert back.row("s", "promo_blocks").perfect_docs == -1
    text = format_ablation(back)
    assert "promo_blocks" in text and "-0.0100" in text and "-0.500" in text
    assert "| promo_blocks |" in format_ablation(back, markdown=True)


def test_inspect_and_review_show_the_step():
    from filter.cli.clean import render_marked
    from filter.evaluation.review import doc_segments
    from filter.spans import Span

    text = "Berita hari ini. Daftar GACOR88 sekarang."
    span = Span(17, len(text), "promo", "promo_sentence", 0.9, "takeover_share")
    assert "@takeover_share" in render_marked(text, [span], ("promo",), color=False)
    titles = [r.title for r in doc_segments(text, [span])]
    assert any("step takeover_share" in t for t in titles), titles
    assert Span.from_dict(span.to_dict()) == span and Span.from_dict({"start": 0, "end": 1, "label": "promo"}).step == ""


@needs_model
def test_clean_summary_counts_spans_per_step(tmp_path):
    from typer.testing import CliRunner

    from filter.cli import app

    src = tmp_path / "in.txt"
    src.write_text(NEWS + "Daftar sekarang di situs GACOR88, bonus 100% untuk deposit pertama!\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["clean", str(src), "-o", str(tmp_path / "out.jsonl")])
    assert res.exit_code == 0, res.output
    rec = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    steps = [s["step"] for s in rec["spans"]]
    assert steps and set(steps) <= set(STEP_NAMES)
    line = [x for x in res.stderr.splitlines() if "spans by decode step" in x]
    assert line and all(f"{s} {steps.count(s)}" in line[0] for s in set(steps)), res.stderr


def test_algorithm_document_is_generated_from_the_code():
    # docs/ALGORITHM.md is regenerated by `python -m filter.evaluation.card --algorithm`; a step
    # or docstring changed without regenerating it fails here
    from filter.artifact import read_meta
    from filter.evaluation.card import REMOVED_STEPS, render_algorithm

    doc = (ROOT / "docs" / "ALGORITHM.md").read_text(encoding="utf-8")
    assert doc == render_algorithm(read_meta(DEFAULT_MODEL))
    assert all(f"`{s.name}`" in doc for s in STEPS) and not set(REMOVED_STEPS) & set(STEP_NAMES)


def test_card_states_the_gap_between_held_out_hosts_and_dev_web():
    from filter.evaluation.card import held_out_gap

    ev = {"validation-web": {"junk_f1": 0.7, "retention": 0.99},
          "web-H": {"junk_f1": 0.6, "retention": 0.98}, "web-B": {"junk_f1": 0.8, "retention": 0.97}}
    text = " ".join(held_out_gap(ev))
    assert "0.700 / 0.9900" in text and "web-H 0.600 / 0.9800" in text and "web-B 0.800 / 0.9700" in text
    assert held_out_gap({"validation-web": ev["validation-web"]}) == []   # no dev_web rows: nothing to compare


def test_card_compares_held_out_web_pages_with_dev_web_like_for_like():
    from filter.evaluation.card import held_out_gap

    m = lambda f1, ret, n: {"junk_f1": f1, "retention": ret, "docs": n, "promo_recall": None,  # noqa: E731
                            "promo_span_recall": None}
    ev = {"validation-web": m(0.7, 0.99, 50), "web-H": m(0.6, 0.98, 16), "web-B": m(0.8, 0.97, 14),
          "web-B+web-H+web-P": m(0.75, 0.95, 45),
          "web-P": {**m(0.84, None, 15), "promo_recall": 0.72, "spans": 15, "spans_removed": 10}}
    pages = {"sets": {"web pages": m(0.93, 0.993, 101), "web-P": {**m(0.94, None, 45), "promo_recall": 0.889}},
             "verdicts": {"P": {"ordinary": 6, "gambling_news": 1, "promo": 38}}}
    text = "\n".join(held_out_gap(ev, pages))
    assert "| validation web pages | 101 | 0.930 | 0.9930 | – | – |" in text
    assert "| validation web-P | 45 | 0.940 | – | 0.889 | – |" in text
    assert "| dev_web all | 45 | 0.750 | 0.9500 |" in text and "| dev_web web-P | 15 |" in text
    assert "38 of 45" in text and "10 of 15" in text
    assert "Like for like" not in "\n".join(held_out_gap(ev))   # without the pipeline numbers: the paragraph only
