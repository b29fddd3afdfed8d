"""Token-level metrics, the keyword baseline and ``filter evaluate``."""
from __future__ import annotations

import json
from pathlib import Path
import math

import pytest
from typer.testing import CliRunner

from filter.evaluation.baseline import keyword_baseline
from filter.evaluation.metrics import (
    EvalReport, calibration, category, confusion, evaluate, evaluate_doc, format_reports, gold_span_table,
    pr_curve, read_gold, span_table, threshold_sweep, token_table,
)
from filter.spans import Span

# Own example text (never corpus text).
TEXT = ("Warga Desa Sukamaju memperbaiki jembatan bambu.\n"
        "Baca juga: Jalan desa rusak parah\n"
        "Kepala desa berterima kasih, Hoki99 link resmi semua warga ikut membantu.\n"
        "(abc/def)")
L1 = TEXT.index("Baca juga")
L1E = TEXT.index("\n", L1)
P0 = TEXT.index("Hoki99")
P1 = TEXT.index("semua warga")
C0 = TEXT.index("(abc/def)")


def gold_doc(doc_id="test-N-001", **extra):
    return {"id": doc_id, "text": TEXT, "spans": [
        {"start": L1, "end": L1E, "label": "boilerplate", "kind": "related_link"},
        {"start": P0, "end": P1, "label": "promo", "kind": "inline_brand"},
        {"start": C0, "end": len(TEXT), "label": "boilerplate", "kind": "credit"},
    ], **extra}


def as_pred(doc, score=0.9):
    return [Span(s["start"], s["end"], s["label"], s["kind"], score) for s in doc["spans"] if not s.get("optional")]


def n_tokens(s: str) -> int:
    import re
    return len(re.findall(r"\w+", s))


def test_category():
    assert category("dev-N-017") == "dev-N"
    assert category("seed-000") == "seed"
    assert category("dev-T-3") == "dev-T"
    assert category("plain") == "plain"


def test_perfect_prediction_scores_one():
    doc = gold_doc()
    r = evaluate([doc], [as_pred(doc)])
    m = r.overall
    assert m.junk_precision == m.junk_recall == m.junk_f1 == 1.0
    assert m.retention == 1.0 and m.perfect_docs == 1 and m.span_recall == 1.0
    assert m.junk_tokens == n_tokens(TEXT[L1:L1E]) + n_tokens(TEXT[P0:P1]) + 2


def test_empty_prediction():
    doc = gold_doc()
    m = evaluate([doc], [[]]).overall
    assert m.junk_recall == 0.0 and math.isnan(m.junk_precision)
    assert m.retention == 1.0 and m.perfect_docs == 0 and m.spans_removed == 0


def test_counts_by_hand():
    doc = gold_doc()
    # remove only the brand (2 of the 3 promo tokens: "Hoki99 link") plus 3 content tokens
    first = TEXT.index("Warga")
    preds = [Span(P0, P0 + len("Hoki99 link"), "promo", "x", 0.8),
             Span(first, first + len("Warga Desa Sukamaju"), "boilerplate", "x", 0.7)]
    d = evaluate_doc(doc, preds)
    c = d.counts
    assert c["junk_removed"] == 2
    assert c["content_removed"] == 3
    assert c["removed_tokens"] == 5
    r = evaluate([doc], [preds])
    assert r.overall.junk_precision == pytest.approx(2 / 5)
    assert r.overall.junk_recall == pytest.approx(2 / c["junk_tokens"])
    assert r.overall.promo_recall == pytest.approx(2 / 3)
    assert r.overall.promo_precision == 1.0
    assert r.overall.boilerplate_precision == 0.0
    # 2/3 promo tokens < 80%: span not removed; document not perfect
    assert r.overall.promo_span_recall == 0.0
    assert not d.perfect


def test_half_coverage_rule():
    text = "abcd efgh"
    doc = {"id": "x-001", "text": text, "spans": []}
    assert evaluate_doc(doc, [Span(0, 2, "promo")]).counts["removed_tokens"] == 1    # 2 of 4 chars
    assert evaluate_doc(doc, [Span(0, 1, "promo")]).counts["removed_tokens"] == 0    # 1 of 4 chars
    assert evaluate_doc(doc, [Span(3, 6, "promo")]).counts["removed_tokens"] == 0    # 1 + 1 char
    assert evaluate_doc(doc, [Span(0, 9, "promo")]).counts["removed_tokens"] == 2


def test_span_removed_at_80_percent():
    text = " ".join(f"kata{i}" for i in range(10))
    doc = {"id": "x-001", "text": text, "spans": [{"start": 0, "end": len(text), "label": "boilerplate", "kind": "k"}]}
    cut8 = text.index("kata8")
    cut7 = text.index("kata7")
    assert evaluate_doc(doc, [Span(0, cut8, "boilerplate")]).spans[0].removed        # 8/10
    assert not evaluate_doc(doc, [Span(0, cut7, "boilerplate")]).spans[0].removed    # 7/10


def test_optional_tokens_ignored_and_tokenless_span():
    text = "Isi berita utama. Foto: warga di pasar (*)"
    cap = text.index("Foto")
    star = text.index("(*)")
    doc = {"id": "x-001", "text": text, "spans": [
        {"start": cap, "end": star - 1, "label": "boilerplate", "kind": "caption", "optional": True},
        {"start": star, "end": star + 3, "label": "boilerplate", "kind": "meta"}]}
    kept = evaluate_doc(doc, [])
    removed = evaluate_doc(doc, [Span(cap, len(text), "boilerplate")])
    assert kept.counts["tokens"] == removed.counts["tokens"] == 3   # caption tokens ignored, (*) has none
    assert removed.counts["content_removed"] == 0 and removed.retention == 1.0
    assert removed.spans[0].removed and not kept.spans[0].removed   # (*) by character coverage
    assert removed.perfect and not kept.perfect


def test_groups_by_category_outlet_and_kind():
    a, b = gold_doc("dev-N-001", outlet="koranA"), gold_doc("dev-T-002", outlet="koranB")
    r = evaluate([a, b], [as_pred(a), []])
    assert set(r.by_category) == {"dev-N", "dev-T"}
    assert r.by_category["dev-N"].junk_recall == 1.0 and r.by_category["dev-T"].junk_recall == 0.0
    assert set(r.by_outlet) == {"koranA", "koranB"}
    kinds = {(k.label, k.kind): k for k in r.by_kind}
    assert kinds[("promo", "inline_brand")].spans == 2 and kinds[("promo", "inline_brand")].span_recall == 0.5
    assert r.group("dev-T").docs == 1
    with pytest.raises(KeyError):
        r.group("nope")
    f = r.to_frame()
    assert {"overall", "category", "outlet"} <= set(f["group"]) and "junk_f1" in f.columns
    assert len(r.kind_frame()) == 3 and len(r.label_frame()) == 2 and len(r.docs_frame()) == 2
    d = r.to_dict()
    json.dumps(d)  # NaN-free, serialisable
    assert d["by_category"]["dev-T"]["junk_precision"] is None
    table = r.format_table(outlets=True)
    assert "dev-T" in table and "koranB" in table and "inline_brand" in table


def test_evaluate_length_mismatch():
    with pytest.raises(ValueError):
        evaluate([gold_doc()], [])


def test_invalid_gold_span():
    doc = {"id": "x", "text": "abc", "spans": [{"start": 0, "end": 9, "label": "promo"}]}
    with pytest.raises(ValueError, match="invalid span"):
        evaluate([doc], [[]])


def test_tables_and_sweeps():
    doc = gold_doc()
    first = TEXT.index("Warga")
    preds = as_pred(doc, 0.9) + [Span(first, first + 5, "promo", "x", 0.3)]
    preds.sort(key=lambda s: s.start)
    tt = token_table([doc], [preds])
    assert len(tt) == n_tokens(TEXT)
    assert set(tt["gold"]) == {"content", "promo", "boilerplate"}
    cm = confusion(tt)
    assert cm.loc["content", "promo"] == 1 and cm.loc["promo", "promo"] == 3
    sw = threshold_sweep(tt, [0.0, 0.5, 1.0])
    assert list(sw["junk_recall"]) == [1.0, 1.0, 0.0]
    assert sw["retention"].iloc[0] < 1.0 and sw["retention"].iloc[1] == 1.0
    sw_label = threshold_sweep(tt, [0.0, 0.95], label="promo", base={"boilerplate": 0.5})
    assert sw_label["junk_recall"].iloc[1] == pytest.approx((tt["gold"] == "boilerplate").sum() / (tt["gold"] != "content").sum())
    st = span_table([doc], [preds])
    assert list(st["correct"]) == [False, True, True, True]
    cal = calibration(st, bins=5)
    assert cal["count"].sum() == 4
    pr = pr_curve(tt, "promo")
    assert pr["recall"].max() == 1.0
    gs = gold_span_table([doc], [preds])
    assert len(gs) == 3 and gs["removed"].all()


def test_read_gold_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x", "spans": []}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        read_gold(bad)
    # a file without spans (e.g. filter input) is not silently scored as gold with nothing to remove
    bad.write_text('{"id": "a", "text": "x", "spans": []}\n{"id": "b", "text": "y"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: a gold record needs a 'spans' list"):
        read_gold(bad)
    with pytest.raises(ValueError, match="not found"):
        read_gold(tmp_path / "missing.jsonl")


# ------------------------------------------------------------------ baseline

def test_baseline_rules():
    text = ("Polisi menggerebek lokasi judi sabung ayam di desa itu.\n"
            "Baca juga: Harga cabai naik lagi\n"
            "ADVERTISEMENT\n"
            "Banyak yang main di Rejeki303 setiap malam. Warga resah.\n"
            "Kegiatan berjalan lancar. (xyz/abc)")
    spans = keyword_baseline(text)
    got = {(text[s.start:s.end], s.label) for s in spans}
    assert ("Baca juga: Harga cabai naik lagi", "boilerplate") in got
    assert ("ADVERTISEMENT", "boilerplate") in got
    assert ("Banyak yang main di Rejeki303 setiap malam.", "promo") in got
    assert ("(xyz/abc)", "boilerplate") in got
    assert not any("Warga resah" in text[s.start:s.end] for s in spans)
    # spans are sorted and disjoint
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_baseline_removes_gambling_news():
    text = "Polisi menangkap bandar togel di Medan. Barang bukti disita."
    spans = keyword_baseline(text)
    assert [text[s.start:s.end] for s in spans] == ["Polisi menangkap bandar togel di Medan."]


def test_baseline_on_seeds(seeds):
    r = evaluate(seeds, [keyword_baseline(d["text"]) for d in seeds], name="baseline")
    assert 0 < r.overall.junk_recall < 1 and r.overall.retention < 1


# ------------------------------------------------------------------ CLI

def _write(path, docs):
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


@pytest.fixture
def fake_loaded(monkeypatch):
    from fakes import fake_cleaner
    import filter.cli.evaluate as ev

    calls = {}

    def load(model, threshold):
        calls["args"] = (model, threshold)
        return fake_cleaner(threshold=threshold)

    monkeypatch.setattr(ev, "load_cleaner", load)
    return calls


def test_cli_evaluate(tmp_path, fake_loaded):
    from filter.cli import app

    gold = _write(tmp_path / "g.jsonl", [gold_doc("t-N-001"), gold_doc("t-T-001")])
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--json", str(out), "--threshold", "0.6"])
    assert res.exit_code == 0, res.output
    assert "t-N" in res.output and "baseline" in res.output and "model" in res.output
    assert fake_loaded["args"][1] == 0.6
    payload = json.loads(out.read_text())
    assert set(payload["reports"]) == {"model", "baseline"}
    assert payload["documents"] == 2


def test_cli_evaluate_no_baseline_and_baseline_only(tmp_path, fake_loaded):
    from filter.cli import app

    gold = _write(tmp_path / "g.jsonl", [gold_doc()])
    res = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--no-baseline"])
    assert res.exit_code == 0 and "\nbaseline " not in res.output and "\nmodel " in res.output
    fake_loaded.clear()
    res = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--baseline-only"])
    assert res.exit_code == 0 and "\nbaseline " in res.output and not fake_loaded


@pytest.mark.parametrize("args,msg", [
    (["--gold", "MISSING.jsonl"], "gold file not found"),
    (["--gold", "GOOD", "--threshold", "1.5"], "--threshold"),
    (["--gold", "GOOD", "--model", "NOPE.joblib"], "model file not found"),
    (["--gold", "BAD"], "not valid JSON"),
])
def test_cli_evaluate_user_errors(tmp_path, args, msg):
    from filter.cli import app

    good = _write(tmp_path / "good.jsonl", [gold_doc()])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    subst = {"GOOD": str(good), "BAD": str(bad), "MISSING.jsonl": str(tmp_path / "missing.jsonl"),
             "NOPE.joblib": str(tmp_path / "nope.joblib")}
    res = CliRunner().invoke(app, ["evaluate", *[subst.get(a, a) for a in args]])
    assert res.exit_code == 2
    err = res.stderr if hasattr(res, "stderr") else res.output
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and msg in lines[0] and lines[0].startswith("filter: error:")


# ------------------------------------------------------------------ plots

def test_plots_draw_labelled_axes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from filter.evaluation import plots

    doc = gold_doc("t-N-001")
    first = TEXT.index("Warga")
    preds = sorted(as_pred(doc, 0.9) + [Span(first, first + 5, "promo", "x", 0.3)], key=lambda s: s.start)
    tt, st = token_table([doc], [preds]), span_table([doc], [preds])
    frame = evaluate([doc], [preds], name="model").to_frame()
    th = {"promo": 0.5, "boilerplate": 0.5}
    axes = [plots.plot_confusion(tt), plots.plot_pr_curves(tt, th), plots.plot_threshold_sweep(tt, th),
            plots.plot_calibration(st), plots.plot_metric_bars(frame, "junk_f1"),
            plots.plot_counts(frame.set_index("name")["junk_tokens"], title="t", xlabel="x")]
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert axes[2].get_legend() is not None
    plt.close("all")


def test_brand_shape():
    from filter.evaluation.plots import brand_shape, shape_counts

    assert brand_shape("Mustang303") == "Aa9"
    assert brand_shape("TOTO4D") == "A9A"
    assert brand_shape("slot 88") == "a_9"
    assert shape_counts(["Abc12", "Xyz99", "QQ8"]).to_dict() == {"Aa9": 2, "A9": 1}


def test_predict_with_candidates_matches_detect():
    from fakes import fake_cleaner

    from filter.evaluation.metrics import detect_all, predict_with_candidates

    docs = [gold_doc(), {"id": "b", "text": "tanpa apa-apa"}]
    for policy, model in (({"threshold": 0.85}, {}),  # keeps promo (0.9), drops boilerplate (0.8)
                          ({}, {"model_thresholds": {"promo": 0.95, "boilerplate": 0.5}})):
        cleaner = fake_cleaner(**policy, **model)
        detected, candidates = predict_with_candidates(cleaner, docs, batch_size=1)
        assert detected == [cleaner.detect(d["text"]) for d in docs]
        assert detected == detect_all(cleaner, docs)
        assert candidates == [cleaner.model.predict_spans(d["text"]) for d in docs]
        assert len(candidates[0]) > len(detected[0]) > 0


def test_candidates_of_the_real_model_reach_below_its_thresholds():
    # the threshold sweep and PR curves of notebook 01 used candidates cut at the shipped
    # thresholds, so every sweep row below them was the same
    from filter.cleaner import Cleaner
    from filter.evaluation.metrics import CANDIDATE_FLOOR, detect_all, predict_with_candidates

    cleaner = Cleaner.load()
    sample = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample.jsonl"
    docs = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    detected, candidates = predict_with_candidates(cleaner, docs)
    assert detected == detect_all(cleaner, docs)
    floor = min(cleaner.model.thresholds.values())
    scores = [s.score for c in candidates for s in c]
    assert scores and min(scores) >= CANDIDATE_FLOOR
    assert any(score < floor for score in scores)


def test_threshold_sweep_f1_agrees_with_metrics_when_only_content_is_removed():
    import math

    import pandas as pd

    from filter.evaluation.metrics import threshold_sweep

    table = pd.DataFrame({"ignored": [False] * 3, "gold": ["content", "content", "promo"],
                          "pred": ["promo", "content", "content"], "score": [0.9, 0.0, 0.0]})
    row = threshold_sweep(table, [0.5]).iloc[0]
    assert row["junk_precision"] == 0.0 and row["junk_recall"] == 0.0 and row["junk_f1"] == 0.0
    assert math.isnan(threshold_sweep(table.assign(gold="content"), [0.95]).iloc[0]["junk_f1"])
