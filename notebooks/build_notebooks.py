"""Write the analysis notebooks from the cell sources below and, with ``--execute``, run them
in place so they are committed with outputs (with ``FILTER_REDACT=1`` set for the kernel, so
article text from ``../shared`` is masked in the committed copies).

    /work/venv/bin/python notebooks/build_notebooks.py --execute

The notebooks only call library code (``filter.evaluation.metrics``, ``filter.evaluation.review``, ``filter.evaluation.plots``,
``filter.training.build``, ``filter.training.weak``); edit the cells here, not in the .ipynb files.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
import os
import sys
from pathlib import Path

ROOT = Path.cwd().resolve()
if ROOT.name == "notebooks":
    ROOT = ROOT.parent
sys.path.insert(0, str(ROOT))

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 30)
pd.set_option("display.precision", 3)
SHARED = Path(os.environ.get("FILTER_SHARED", ROOT.parent / "shared"))'''

LOAD = '''\
from filter.evaluation.baseline import keyword_baseline
from filter.cleaner import Cleaner
from filter.evaluation.metrics import evaluate, predict_all, predict_with_candidates, read_gold

GOLD = SHARED / "gold" / "dev.jsonl"
if not GOLD.exists():  # ../shared absent: the seeds shipped with the project
    GOLD = ROOT / "data" / "seeds.jsonl"
docs = read_gold(GOLD)
cleaner = Cleaner.load()
thresholds = dict(cleaner.model.thresholds)
print(f"gold: {GOLD.name} ({len(docs)} documents)")
print(f"model: {cleaner.version}; shipped thresholds: {thresholds}")

# one model pass: every scored candidate span, and those the cleaner removes (cleaner.detect)
detected, candidates = predict_with_candidates(cleaner, docs)
baseline = predict_all(keyword_baseline, docs)
model_rep = evaluate(docs, detected, name="model")
base_rep = evaluate(docs, baseline, name="baseline")

# The committed copies are built with FILTER_REDACT=1: article text from ../shared is masked
# (same offsets) after scoring, because the corpus is not redistributed. Run the notebook
# yourself to read the documents.
if os.environ.get("FILTER_REDACT") == "1" and GOLD.parent.name == "gold":
    from filter.evaluation.review import redact
    docs = [{**d, "text": redact(d["text"])} for d in docs]'''


def nb_evaluation() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# 01 · Evaluation\n\n"
            "Token-level evaluation of the committed model (what `Cleaner.load()` reads: `models/filter-id-news.npz` and the document model `models/filter-doc.npz`) on the gold "
            "set: `../shared/gold/dev.jsonl` when available, else the five seeds in `data/seeds.jsonl`. "
            "Scoring rules are in `filter/evaluation/metrics.py`: tokens are `\\w+` words; a token is junk when at "
            "least half of it lies in a non-optional gold span and removed when at least half of it lies "
            "in a predicted span; optional spans are ignored; a gold span counts as removed when 80% of "
            "its tokens are. The keyword-regex baseline (`filter/evaluation/baseline.py`) is what scrapers do today."),
        new_code_cell(SETUP),
        new_code_cell(LOAD),
        new_markdown_cell("## The `filter evaluate` table\n\nOverall and per id category "
                          "(`dev-N` natural boilerplate, `dev-H` news about gambling, `dev-T` transplanted promo), "
                          "model and baseline; then span recall per kind."),
        new_code_cell("from filter.evaluation.metrics import format_reports\n\nprint(format_reports([model_rep, base_rep]))"),
        new_markdown_cell("## Per label"),
        new_code_cell("pd.concat([model_rep.label_frame(), base_rep.label_frame()], ignore_index=True)"),
        new_markdown_cell("## Per kind (span recall)"),
        new_code_cell(
            "kinds = model_rep.kind_frame().merge(base_rep.kind_frame(), on=[\"label\", \"kind\", \"spans\"],\n"
            "                                     suffixes=(\"_model\", \"_baseline\"))\n"
            "kinds[[\"label\", \"kind\", \"spans\", \"span_recall_model\", \"span_recall_baseline\",\n"
            "       \"token_recall_model\", \"token_recall_baseline\"]]"),
        new_markdown_cell("## Per outlet and per id category"),
        new_code_cell(
            "frame = pd.concat([model_rep.to_frame(), base_rep.to_frame()], ignore_index=True)\n"
            "cols = [\"predictor\", \"group\", \"name\", \"docs\", \"junk_precision\", \"junk_recall\", \"junk_f1\",\n"
            "        \"retention\", \"promo_span_recall\", \"boilerplate_span_recall\", \"perfect_docs\"]\n"
            "frame[frame.predictor == \"model\"][cols].set_index([\"group\", \"name\"])"),
        new_code_cell(
            "fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))\n"
            "plots.plot_metric_bars(frame, \"junk_f1\", group=\"category\", ax=axes[0], title=\"Junk F1 by id category\")\n"
            "plots.plot_metric_bars(frame, \"retention\", group=\"category\", ax=axes[1], title=\"Content retention by id category\",\n"
            "                       ylim=(0.7, 1.01))\n"
            "fig.tight_layout()"),
        new_code_cell(
            "if frame[\"group\"].eq(\"outlet\").any():\n"
            "    fig, ax = plt.subplots(figsize=(14, 4))\n"
            "    plots.plot_metric_bars(frame, \"junk_f1\", group=\"outlet\", ax=ax, title=\"Junk F1 by outlet\", values=False)"),
        new_markdown_cell("## Confusion matrix over tokens\n\nAt the shipped thresholds; the baseline beside it."),
        new_code_cell(
            "from filter.evaluation.metrics import span_table, token_table\nfrom filter.evaluation import plots\n\n"
            "tokens_model = token_table(docs, detected)\n"
            "tokens_base = token_table(docs, baseline)\n"
            "fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))\n"
            "plots.plot_confusion(tokens_model, ax=axes[0], title=\"Model: token confusion\")\n"
            "plots.plot_confusion(tokens_base, ax=axes[1], title=\"Baseline: token confusion\")\n"
            "fig.tight_layout()"),
        new_markdown_cell("## Precision–recall per label, threshold sweep, calibration\n\n"
                          "Computed from every candidate span the model proposes when it decodes at a threshold of 0.1 "
                          "for every label (`predict_with_candidates`), each kept or dropped by its score. The decode "
                          "steps depend on the thresholds, so a row here approximates a run at that threshold: the "
                          "shipped decode (promo and boilerplate thresholds apart, page verdict applied) scores "
                          "higher than the sweep's row at a single 0.6."),
        new_code_cell(
            "tokens_all = token_table(docs, candidates)\n"
            "fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))\n"
            "plots.plot_pr_curves(tokens_all, thresholds, ax=axes[0])\n"
            "plots.plot_threshold_sweep(tokens_all, thresholds, ax=axes[1])\n"
            "fig.tight_layout()"),
        new_code_cell(
            "from filter.evaluation.metrics import threshold_sweep\n\n"
            "sweep = threshold_sweep(tokens_all, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])\n"
            "sweep"),
        new_code_cell(
            "spans_all = span_table(docs, candidates)\n"
            "ax = plots.plot_calibration(spans_all)\n"
            "print(f\"{len(spans_all)} candidate spans; share correct (>= half of their tokens are gold junk): \"\n"
            "      f\"{spans_all['correct'].mean():.3f}\")"),
        new_markdown_cell("## Model vs keyword baseline\n\nThe baseline deletes whole sentences that mention "
                          "gambling words, so it removes news about gambling (`dev-H`) and misses promo "
                          "without its keywords."),
        new_code_cell(
            "cmp = frame[frame.group.isin([\"overall\", \"category\"])][cols].pivot(index=\"name\", columns=\"predictor\",\n"
            "    values=[\"junk_f1\", \"retention\", \"promo_span_recall\", \"boilerplate_span_recall\", \"perfect_docs\"])\n"
            "cmp"),
    ]
    # plots import must precede its first use
    cells[2].source = cells[2].source + "\nfrom filter.evaluation import plots"
    return new_notebook(cells=cells, metadata=_meta())


def nb_errors() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# 02 · Error analysis\n\n"
            "Where the committed model goes wrong on the gold set. Documents are shown truncated to "
            "about 150 characters either side of each marked stretch. Colours: "
            "red = promo removed correctly, blue = boilerplate removed correctly, orange (struck "
            "through) = content removed (false positive), purple (dashed) = gold junk kept (false "
            "negative), grey = optional span."),
        new_code_cell(SETUP),
        new_code_cell(LOAD + "\nfrom filter.evaluation.metrics import gold_span_table, gold_spans\n"
                      "from filter.evaluation.review import doc_html, inline_repairs, legend_html, shorten"),
        new_markdown_cell("## Worst documents first\n\n`errors` = junk tokens kept + content tokens removed."),
        new_code_cell(
            "per_doc = model_rep.docs_frame()\n"
            "per_doc[\"missed\"] = per_doc.junk_tokens - per_doc.junk_removed\n"
            "per_doc[\"errors\"] = per_doc.missed + per_doc.content_removed\n"
            "worst = per_doc.sort_values([\"errors\", \"id\"], ascending=[False, True])\n"
            "worst[[\"id\", \"category\", \"outlet\", \"junk_tokens\", \"missed\", \"content_removed\", \"retention\",\n"
            "       \"spans\", \"spans_missed\", \"perfect\"]].head(15)"),
        new_code_cell(
            "by_id = {d[\"id\"]: (d, p) for d, p in zip(docs, detected)}\n"
            "display(HTML(legend_html()))\n"
            "for doc_id in worst[worst.errors > 0].id.head(8):\n"
            "    d, p = by_id[doc_id]\n"
            "    row = worst.set_index(\"id\").loc[doc_id]\n"
            "    display(HTML(doc_html(d[\"text\"], p, gold_spans(d), window=150, max_chars=700,\n"
            "                          title=f\"{doc_id}: {row.missed} junk tokens kept, {row.content_removed} content tokens removed\")))"),
        new_markdown_cell("## Recall by kind, and the gold spans that were missed"),
        new_code_cell(
            "kinds = model_rep.kind_frame()\n"
            "ax = plots.plot_counts(kinds.set_index(kinds.label + \"/\" + kinds.kind)[[\"span_recall\", \"token_recall\"]],\n"
            "                       title=\"Model recall by gold span kind\", xlabel=\"label/kind\", ylabel=\"recall\")\n"
            "ax.set_xlim(0, 1.05)\n"
            "kinds"),
        new_code_cell(
            "gs = gold_span_table(docs, detected)\n"
            "texts = {d[\"id\"]: d[\"text\"] for d in docs}\n"
            "missed = gs[~gs.removed].copy()\n"
            "missed[\"text\"] = [shorten(texts[i][s:e], 70) for i, s, e in zip(missed.doc_id, missed.start, missed.end)]\n"
            "print(f\"{len(missed)} of {len(gs)} gold spans missed\")\n"
            "missed[[\"doc_id\", \"label\", \"kind\", \"tokens\", \"removed_share\", \"text\"]].head(40)"),
        new_markdown_cell("## Inline repairs: before / after\n\nEvery predicted span with text on both sides "
                          "on its line, rendered by `filter.render` (context cut to 60 characters)."),
        new_code_cell(
            "rows = []\n"
            "for d, p in zip(docs, detected):\n"
            "    for r in inline_repairs(d[\"text\"], p, context=60):\n"
            "        rows.append({\"doc_id\": d[\"id\"], \"label\": r[\"label\"], \"kind\": r[\"kind\"],\n"
            "                     \"removed\": shorten(r[\"removed\"], 50), \"before\": shorten(r[\"before\"], 140),\n"
            "                     \"after\": shorten(r[\"after\"], 140)})\n"
            "repairs = pd.DataFrame(rows, columns=[\"doc_id\", \"label\", \"kind\", \"removed\", \"before\", \"after\"])\n"
            "print(f\"{len(repairs)} inline removals\")\n"
            "display(HTML(repairs.to_html(index=False)))"),
        new_markdown_cell("## News about gambling (`dev-H`) with anything removed\n\n"
                          "Removing boilerplate from these is right; removing any of their journalism is not."),
        new_code_cell(
            "h = per_doc[(per_doc.category == \"dev-H\") & (per_doc.removed_tokens > 0)]\n"
            "print(f\"{len(h)} of {(per_doc.category == 'dev-H').sum()} dev-H documents have removals; \"\n"
            "      f\"content tokens removed in dev-H: {h.content_removed.sum()}\")\n"
            "display(HTML(legend_html()))\n"
            "for doc_id in h.sort_values(\"content_removed\", ascending=False).id:\n"
            "    d, p = by_id[doc_id]\n"
            "    display(HTML(doc_html(d[\"text\"], p, gold_spans(d), window=120, max_chars=500,\n"
            "                          title=f\"{doc_id}: {h.set_index('id').loc[doc_id].content_removed} content tokens removed\")))"),
    ]
    cells[2].source += "\nfrom filter.evaluation import plots"
    return new_notebook(cells=cells, metadata=_meta())


def nb_training() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# 03 · Training data\n\n"
            "What the model is trained on: the built data set in `work/data` (`filter data build`), or, "
            "when it is absent, a small build (`limit` articles per corpus file) made here into a "
            "temporary directory. Counts by label, kind, outlet, injection form and obfuscation; one "
            "example per form; the shape of the brand names; and the weak boilerplate labeller's "
            "precision and recall on the gold set."),
        new_code_cell(SETUP),
        new_code_cell(
            "import tempfile\n\n"
            "from filter.training.build import build_dataset, dataset_stats\n"
            "from filter.evaluation.review import shorten\n"
            "from filter.evaluation import plots\n\n"
            "DATA = ROOT / \"work\" / \"data\"\n"
            "if not (DATA / \"train.jsonl\").exists():\n"
            "    DATA = Path(tempfile.mkdtemp(prefix=\"filter-data-\"))\n"
            "    build_dataset(SHARED / \"corpus\", DATA, seed=0, limit=60, workers=1)\n"
            "    print(\"small build: 60 articles per corpus file\")\n"
            "else:\n"
            "    print(\"built data set: work/data\")\n"
            "stats = dataset_stats(DATA)\n"
            "print(f\"{stats['n_docs']} documents; families in both splits (must be 0): {stats['overlap']}\")\n"
            "stats[\"docs\"]"),
        new_markdown_cell("## Spans by label and kind"),
        new_code_cell(
            "labels = stats[\"labels\"]\n"
            "ax = plots.plot_counts(labels[\"spans\"].set_axis([f\"{a}/{b}\" for a, b in labels.index]),\n"
            "                       title=\"Training spans by label/kind and split\", xlabel=\"label/kind\", ylabel=\"spans\")\n"
            "labels"),
        new_markdown_cell("## Documents by outlet (whole outlets are held out for validation)"),
        new_code_cell(
            "outlets = stats[\"outlets\"].drop(index=\"total\").drop(columns=\"total\")\n"
            "ax = plots.plot_counts(outlets, title=\"Documents by outlet and split\", xlabel=\"outlet\", ylabel=\"documents\")\n"
            "stats[\"outlets\"]"),
        new_markdown_cell("## Injection forms and obfuscation"),
        new_code_cell(
            "fig, axes = plt.subplots(1, 2, figsize=(13, 4))\n"
            "plots.plot_counts(stats[\"forms\"], ax=axes[0], title=\"Injected items by form\", xlabel=\"form\", ylabel=\"items\")\n"
            "plots.plot_counts(stats[\"obfuscation\"], ax=axes[1], title=\"Injected items by obfuscation\",\n"
            "                  xlabel=\"obfuscation\", ylabel=\"items\")\n"
            "fig.tight_layout()\n"
            "display(stats[\"forms\"], stats[\"obfuscation\"])"),
        new_markdown_cell("## One example per form and per obfuscation\n\n"
                          "The injected span only (cut to 120 characters), from the validation split."),
        new_code_cell(
            "import json\n\n"
            "from filter.evaluation.review import redact\n\n"
            "def records(split, n=4000):\n"
            "    # committed copies mask the corpus text (FILTER_REDACT=1); offsets are unchanged\n"
            "    mask = os.environ.get(\"FILTER_REDACT\") == \"1\"\n"
            "    with open(DATA / f\"{split}.jsonl\", encoding=\"utf-8\") as fh:\n"
            "        for i, line in enumerate(fh):\n"
            "            if i >= n:\n"
            "                break\n"
            "            r = json.loads(line)\n"
            "            yield {**r, \"text\": redact(r[\"text\"])} if mask else r\n\n"
            "by_form, by_obf = {}, {}\n"
            "for r in records(\"valid\"):\n"
            "    if r[\"origin\"] != \"injected\":\n"
            "        continue\n"
            "    for s in r[\"spans\"]:\n"
            "        by_form.setdefault(s[\"kind\"], (r[\"id\"], s[\"label\"], shorten(r[\"text\"][s[\"start\"]:s[\"end\"]], 120)))\n"
            "    for form, obf in zip(r[\"forms\"], r[\"obfuscation\"]):\n"
            "        hit = [s for s in r[\"spans\"] if s[\"kind\"] == form]\n"
            "        if obf != \"none\" and r[\"forms\"].count(form) == 1 and len(hit) == 1:  # unambiguous\n"
            "            by_obf.setdefault(obf, (r[\"id\"], form, shorten(r[\"text\"][hit[0][\"start\"]:hit[0][\"end\"]], 120)))\n"
            "display(pd.DataFrame([(k, *v) for k, v in sorted(by_form.items())], columns=[\"kind\", \"doc\", \"label\", \"span\"]))\n"
            "display(pd.DataFrame([(k, *v) for k, v in sorted(by_obf.items())], columns=[\"obfuscation\", \"doc\", \"form\", \"span\"]))"),
        new_markdown_cell("## Brand-name shapes\n\n`A` upper-case run, `a` lower-case run, `9` digit run, `_` space "
                          "(e.g. `Aa9` = Mustang303)."),
        new_code_cell(
            "brands = [b for split in (\"train\", \"valid\") for r in records(split, 20000) for b in r.get(\"brands\", []) if b]\n"
            "shapes = plots.shape_counts(brands, top=15)\n"
            "ax = plots.plot_counts(shapes, title=f\"Shapes of {len(brands)} injected brand names (top 15)\",\n"
            "                       xlabel=\"shape\", ylabel=\"brands\")\n"
            "shapes.to_frame().T"),
        new_markdown_cell("## The weak boilerplate labeller on the gold set\n\n"
                          "`filter.training.weak.measure_weak_labeller`: boilerplate token precision/recall of the "
                          "rules that label the natural boilerplate of the training articles."),
        new_code_cell(
            "from filter.evaluation.metrics import read_gold\nfrom filter.training.weak import measure_weak_labeller\n\n"
            "GOLD = SHARED / \"gold\" / \"dev.jsonl\"\n"
            "if not GOLD.exists():\n"
            "    GOLD = ROOT / \"data\" / \"seeds.jsonl\"\n"
            "weak = measure_weak_labeller(read_gold(GOLD))\n"
            "pd.DataFrame([{k: v for k, v in weak.items() if k != \"per_doc\"}], index=[GOLD.name])"),
    ]
    return new_notebook(cells=cells, metadata=_meta())


def _meta() -> dict:
    return {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}}


NOTEBOOKS = {"01_evaluation.ipynb": nb_evaluation, "02_error_analysis.ipynb": nb_errors,
             "03_training_data.ipynb": nb_training}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--execute", action="store_true", help="run each notebook and store its outputs")
    ap.add_argument("names", nargs="*", help="notebooks to write (default: all)")
    args = ap.parse_args()
    for name, make in NOTEBOOKS.items():
        if args.names and name not in args.names:
            continue
        nb = make()
        if args.execute:
            from nbclient import NotebookClient

            # the committed copies mask corpus text; the kernel inherits this environment
            os.environ["FILTER_REDACT"] = "1"

            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, HERE / name)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
