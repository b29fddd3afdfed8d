"""Evaluation gate: the committed model must not regress on the seeds and the dev gold set.

The classifier issue's targets (token-level, ``filter.evaluation.metrics``; thresholds are the model's
own) are pinned as tests, with regression floors just below the committed model's numbers
where it does better than the target:
- seeds: at least 2 of the 5 documents perfect — what the model retrained on the open web gets
  (3/5 for the previous model after the seed-only decode rules were removed, issue 15;
  docs/ALGORITHM.md). The seeds are the user's examples, not a training signal: the floor
  reports the model honestly;
- dev overall: junk F1 >= 0.93 and content retention >= 0.997 (issue 16 targets; measured 0.943 /
  0.9984);
- dev-H (news about gambling): retention >= 0.995 (issue 16 target; measured 0.9985);
- dev-T (transplanted promo): promo span recall >= 0.90;
- dev_web (real open-web pages, issue 16) by category: floors just below what the model
  measures (far below the issue's targets; the page-level verdict is the document model's).
Dev tests skip when ../shared is absent; the seeds live in ``data/`` and always run.
The model is predicted once per module; ``FILTER_MODEL`` selects another artifact.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from filter.cleaner import DEFAULT_MODEL
from filter.evaluation.metrics import EvalReport, detect_all, evaluate

MODEL = Path(os.environ.get("FILTER_MODEL") or DEFAULT_MODEL)  # what Cleaner.load() loads

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason=f"no model at {MODEL}")


@pytest.fixture(scope="module")
def cleaner():
    from filter.cleaner import Cleaner

    return Cleaner.load()


@pytest.fixture(scope="module")
def seeds_report(cleaner, seeds) -> EvalReport:
    return evaluate(seeds, detect_all(cleaner, seeds))


@pytest.fixture(scope="module")
def dev_report(cleaner, dev) -> EvalReport:
    return evaluate(dev, detect_all(cleaner, dev))


def _why(report: EvalReport, group: str = "overall") -> str:
    m = report.group(group)
    return (f"{group}: F1 {m.junk_f1:.3f} P {m.junk_precision:.3f} R {m.junk_recall:.3f} "
            f"retention {m.retention:.4f} promo span recall {m.promo_span_recall:.3f} "
            f"perfect {m.perfect_docs}/{m.docs}")


# ---- the classifier issue's targets that the committed model meets, and regression floors
# pinned just below what it measures (see models/README.md): a worse model fails here.

SEEDS_PERFECT_FLOOR = 2   # measured 2/5 (3/5 for the previous model without the seed-only rules, 5/5 with them)


def test_seeds_perfect_floor(seeds_report):
    assert len(seeds_report.docs) == 5
    imperfect = [d.id for d in seeds_report.docs if not d.perfect]
    assert seeds_report.overall.perfect_docs >= SEEDS_PERFECT_FLOOR, f"imperfect seeds {imperfect}; {_why(seeds_report)}"
    assert seeds_report.overall.retention >= 0.99, _why(seeds_report)


def test_dev_junk_f1(dev_report):
    assert dev_report.overall.junk_f1 >= 0.93, _why(dev_report)   # measured 0.943; issue 16 target 0.93


def test_dev_retention(dev_report):
    assert dev_report.overall.retention >= 0.997, _why(dev_report)   # measured 0.9984; issue 16 target 0.997


def test_dev_h_retention(dev_report):
    # measured 0.9985 (0.9965 before the page verdict became a span feature); issue 16 target 0.995
    assert dev_report.group("dev-H").retention >= 0.995, _why(dev_report, "dev-H")


def test_dev_t_promo_span_recall(dev_report):
    assert dev_report.group("dev-T").promo_span_recall >= 0.97, _why(dev_report, "dev-T")   # target 0.90


def test_beats_keyword_baseline(dev_report, dev):
    from filter.evaluation.baseline import keyword_baseline

    base = evaluate(dev, [keyword_baseline(d["text"]) for d in dev])
    assert dev_report.overall.junk_f1 >= base.overall.junk_f1 + 0.3, (_why(dev_report), _why(base))
    assert dev_report.group("dev-H").retention >= base.group("dev-H").retention + 0.1


# ---- dev_web (issue 16): real open-web pages by category (web-P whole promotion pages, web-I
# pages with promotion slipped in, web-H journalism about gambling, web-B small-site pages).
# Floors just below what Cleaner.load() measures (the span model trained on the document
# model's page verdict, run with it; README 'Results'); the targets
# (junk F1 >= 0.90, retention >= 0.995, promo span recall >= 0.90, web-P >= 95% promo tokens,
# web-H retention >= 0.997) are not met.

@pytest.fixture(scope="module")
def dev_web_report(cleaner, shared_dir) -> EvalReport:
    from filter.evaluation.metrics import read_gold

    path = shared_dir / "gold" / "dev_web.jsonl"
    if not path.exists():
        pytest.skip(f"{path} absent")
    docs = read_gold(path)
    return evaluate(docs, detect_all(cleaner, docs))


def test_dev_web_overall(dev_web_report):
    m = dev_web_report.overall
    assert m.junk_f1 >= 0.77, _why(dev_web_report)              # measured 0.779 (0.791 before the verdict feature, 0.531 before issue 16)
    assert m.retention >= 0.94, _why(dev_web_report)            # measured 0.9445 (0.955 before the verdict feature: web-I)
    assert m.promo_span_recall >= 0.57, _why(dev_web_report)    # measured 0.600


def test_dev_web_promotion_pages(dev_web_report):
    assert dev_web_report.group("web-P").promo_recall >= 0.70, _why(dev_web_report, "web-P")   # measured 0.723 (0.739 before the verdict feature)


def test_dev_web_gambling_journalism_retention(dev_web_report):
    assert dev_web_report.group("web-H").retention >= 0.99, _why(dev_web_report, "web-H")   # measured 0.994 (0.981 before the verdict feature)


def test_dev_web_small_sites(dev_web_report):
    m = dev_web_report.group("web-B")
    assert m.junk_f1 >= 0.75 and m.retention >= 0.99, _why(dev_web_report, "web-B")   # measured 0.772, 0.992


def test_dev_web_slipped_in_promotion_retention(dev_web_report):
    # measured 0.788: lower than E1's 0.848 (the pages with promotion slipped in lose more of their
    # own text), chosen on validation anyway; a retrain with another seed gives 0.876, so it is
    # within the seed spread (docs/RESULTS.md, seed variance)
    assert dev_web_report.group("web-I").retention >= 0.78, _why(dev_web_report, "web-I")
