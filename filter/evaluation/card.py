"""The model card (``models/README.md``), regenerated from an artifact's metadata."""
from __future__ import annotations

from pathlib import Path
from typing import Any

_METRICS = (("junk_precision", "junk P"), ("junk_recall", "junk R"), ("junk_f1", "junk F1"),
            ("retention", "retention"), ("promo_recall", "promo R"), ("boilerplate_recall", "boiler R"),
            ("promo_span_recall", "promo span R"), ("boilerplate_span_recall", "boiler span R"),
            ("perfect_docs", "perfect"), ("docs", "docs"))


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def metrics_table(groups: dict[str, dict[str, Any]]) -> str:
    head = "| set | " + " | ".join(h for _, h in _METRICS) + " |"
    sep = "|---|" + "---|" * len(_METRICS)
    rows = [f"| {name} | " + " | ".join(_fmt(m.get(k)) for k, _ in _METRICS) + " |" for name, m in groups.items()]
    return "\n".join([head, sep, *rows])


def render_card(meta: dict[str, Any]) -> str:
    ev = meta.get("evaluation", {})
    tr = meta.get("training", {})
    bench = meta.get("benchmark")
    art = meta.get("artifact", {})
    lines = [
        f"# Model card: `{meta.get('name')}`",
        "",
        "_Generated from `" + str(meta.get("name")) + ".json` by `filter train` / `python -m filter.evaluation.card`; do not edit by hand._",
        "",
        "## Intended use",
        "Finds injected online-gambling promotion (judi online) and scraper boilerplate *inside extracted "
        "Indonesian news text* and returns character-offset spans with calibrated scores; the cleaned text "
        "is derived from those spans. Not a page-level extractor (it takes text, not HTML), not a "
        "general spam or toxicity classifier, and not tuned for languages other than Indonesian.",
        "",
        "## Artifact",
        f"- version `{meta.get('model_version')}`, trained {meta.get('trained_at')}, "
        f"scikit-learn {meta.get('sklearn_version')}, Python {meta.get('python_version')}",
        f"- `{art.get('file')}`: {art.get('bytes', 0) / 1e6:.1f} MB, sha256 `{art.get('sha256')}` "
        "(checked before unpickling)",
        f"- thresholds (chosen on the validation split): {meta.get('thresholds')}",
        f"- training data sha256 `{tr.get('data_sha256')}`; seed {tr.get('seed')}; "
        f"{tr.get('train_docs')} training / {tr.get('valid_docs')} validation documents; "
        f"fit time {tr.get('fit_seconds')} s",
        "",
        "## Data",
        "Built by `filter data build` from `../shared/corpus` (never committed): real Indonesian news "
        "articles with weak labels for their natural boilerplate (uncertain lines ignored), the same hosts "
        "with gambling promotion injected in five forms (paragraph, sentence, inline brand, keyword "
        "substitution, top/bottom line) and four obfuscations, synthetic site furniture from team-written "
        "boilerplate templates, real articles about gambling, and decoy insertions of legitimate "
        "digit-bearing names and gambling-news sentences as content. Validation holds out whole outlets, "
        "brand families and template/comment families. `gold/seeds.jsonl` and `gold/dev.jsonl` (and every "
        "corpus article they contain) are excluded from training: they are evaluation data only.",
        "",
        "## Method",
        "segment (blocks → sentences → tokens, exact offsets) → featurize (cached per distinct token; "
        "hashed word n-grams with a brand-shape placeholder, word scores (class counts of seen words, "
        "char n-grams for unseen ones), shape, position, topicality, repeated headlines, "
        "reader-address words) → classify (linear unit model, stacked context model over "
        "out-of-fold neighbour predictions, token model for inline promotion and glued furniture) "
        "→ decode spans (whitespace geometry, sentence hysteresis, mostly-promo lines, repeated "
        "headlines, brand propagation, keyword-phrase completion, spaced-out brands, sentences "
        "written around a brand, structural confirmations of lines stage 1 suspects) → render. "
        "See the project README.",
        "",
    ]
    if meta.get("structure"):
        from filter.model import STRUCTURE_P1_MIN

        lines += [f"Structural confirmations (a line stage 1 gives boilerplate ≥ {STRUCTURE_P1_MIN} whose place or form "
                  "confirms it; its score is the rule's Laplace-smoothed precision on the labelled training "
                  "and validation documents): "
                  + "; ".join(f"{name} {r.get('boilerplate')}/{r.get('fires')} boilerplate, score {r.get('score')}"
                              for name, r in meta["structure"].items()) + ".", ""]
    lines += [
        "## Metrics",
        "Token-level over `\\w+` tokens (optional gold spans ignored); span recall counts a gold span as "
        "removed when ≥ 80% of its tokens are.",
        "",
    ]
    if ev:
        lines += [metrics_table(ev), ""]
    if "baseline" in meta:
        lines += ["Keyword-regex baseline (the regexes Indonesian scrapers use), for contrast:", "",
                  metrics_table(meta["baseline"]), ""]
    if bench and bench.get("methods"):
        lines += ["## Speed", "",
                  f"`filter bench` on {bench['docs']} real corpus articles ({bench['mb']:.1f} MB), one process, "
                  f"median of {bench['rounds']} interleaved rounds ({bench.get('cpu')}); trafilatura and jusText get "
                  "the same texts with each line a `<p>`. Fresh-process `import filter; Cleaner.load()`: "
                  f"{bench['startup_s']:.2f} s; peak RSS {bench['peak_rss_mb']:.0f} MB "
                  f"(largest worker {bench.get('peak_worker_rss_mb', 0):.0f} MB); trees walked "
                  + ("by numba (the `fast` extra)." if bench.get("compiled_trees") else "with numpy (no `fast` extra)."), "",
                  "| path | MB/s | docs/s | × trafilatura |", "|---|---|---|---|"]
        lines += [f"| {m['method']} | {m['mb_per_s']:.2f} | {m['docs_per_s']:.0f} | "
                  f"{m['vs_trafilatura'] if m.get('vs_trafilatura') is not None else '-'} |" for m in bench["methods"]]
        lines += [""]
    elif bench:
        lines += ["## Speed", "",
                  f"`filter bench` on {bench.get('docs')} real corpus articles ({bench.get('mb'):.1f} MB), one process"
                  + (f", median of {len(bench['runs_mb_per_s'])} runs ({', '.join(f'{x:.2f}' for x in bench['runs_mb_per_s'])} MB/s)"
                     if bench.get("runs_mb_per_s") else "") + ": "
                  f"**{bench.get('docs_per_s'):.0f} docs/s, {bench.get('mb_per_s'):.2f} MB/s**, peak RSS "
                  f"{bench.get('peak_rss_mb'):.0f} MB, model load {bench.get('load_s'):.2f} s"
                  + (f" (plus {bench['import_s']:.2f} s to import scikit-learn in a fresh interpreter)"
                     if "import_s" in bench else "")
                  + f" ({bench.get('cpu')}).", ""]
    lines += [
        "## Limitations",
        "- Trained on synthetic injections into real articles; real spam that looks unlike the templates, "
        "comments and brand shapes it saw may be missed (see the held-out validation numbers).",
        "- Weak labels cover the boilerplate families of the corpus outlets; furniture of unseen sites is "
        "learned only as far as it resembles them.",
        "- Advertorial calls to action written by the site are content by design; native-ad widgets are "
        "boilerplate, not promo.",
        "- Scores are calibrated on the validation split, which is synthetic; treat them as rankings on very "
        "different text.",
        "",
    ]
    return "\n".join(lines)


def write_card(meta: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(render_card(meta), encoding="utf-8")


if __name__ == "__main__":  # python -m filter.evaluation.card models/filter-id-news.json
    import json
    import sys

    src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "models" / "filter-id-news.json")
    write_card(json.loads(src.read_text(encoding="utf-8")), src.parent / "README.md")
