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
        "(the scikit-learn objects; checked before unpickling)",
        *([f"- `{arr['file']}` + `{arr['spec_file']}`: {arr['bytes'] / 1e6:.1f} MB, sha256 `{arr['sha256']}`: "
           "what `Cleaner.load()` reads — plain arrays and JSON, no unpickling, no scikit-learn (checksums "
           "checked before reading)"] if (arr := meta.get("arrays")) else []),
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
        "digit-bearing names and gambling-news sentences as content; real open-web material "
        "(`corpus/web`, `filter.training.web`: whole promotion pages labelled promo throughout except "
        "their furniture, journalism and essays about gambling, small-site pages with line-level furniture "
        "labels, gambling \"artikel\" READMEs, SERP snippets of hacked sites, tweets criticising judi "
        "online) weighted by source (`ORIGIN_WEIGHTS` in `filter.training.fit`), and short news texts "
        "(titles, ledes, a lede with a related link). Validation holds out whole outlets, whole web hosts, "
        "brand families and template/comment families. `gold/seeds.jsonl`, `gold/dev.jsonl` and "
        "`gold/dev_web.jsonl` (and every corpus article or page they contain) are excluded from training: "
        "they are evaluation data only.",
        "",
        "## Method",
        "segment (blocks → sentences → tokens, exact offsets) → featurize (cached per distinct token; "
        "hashed word n-grams with a brand-shape placeholder, word scores (class counts of seen words, "
        "char n-grams for unseen ones), shape, position, topicality, repeated headlines, "
        "reader-address words) → classify (linear unit model, stacked context model over "
        "out-of-fold neighbour predictions, token model for inline promotion and glued furniture) "
        "→ decode spans (the named steps below) → render. "
        "See `docs/ALGORITHM.md`.",
        "",
    ]
    lines += decode_section(meta)
    lines += [
        "## Metrics",
        "Token-level over `\\w+` tokens (optional gold spans ignored); span recall counts a gold span as "
        "removed when ≥ 80% of its tokens are. Validation rows: the span model on the held-out split; "
        "gold rows (seed, dev-*, web-*): what `Cleaner.load()` runs, the span model plus the document "
        "model's page verdict (`models/filter-doc.npz`).",
        "",
    ]
    if ev:
        lines += [metrics_table(ev), ""]
        lines += held_out_gap(ev, meta.get("validation_pages"))
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
        if bench.get("parallel_ceiling") is not None and bench.get("many_vs_batch") is not None:
            lines += [f"`clean_many` / `clean_batch`: {bench['many_vs_batch']:.2f}×, against a parallel ceiling of "
                      f"{bench['parallel_ceiling']:.2f}× measured in the same rounds (the same number of "
                      "processes running pure-Python work at once, `filter.evaluation.speed`): what the machine "
                      "gave to parallel work while the benchmark ran. `clean_many`'s time includes starting its "
                      "workers and loading the model in each, as a user's first call does"
                      + (f"; a later call, on the workers the call before kept (`clean_many … kept`), reaches "
                         f"{bench['many_kept_vs_batch']:.2f}×." if bench.get("many_kept_vs_batch") is not None
                         else "."), ""]
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
        "- Weak labels cover the boilerplate families of the corpus outlets; furniture of other sites is "
        "learned from a few hundred real web pages only.",
        "- Advertorial calls to action written by the site are content by design; native-ad widgets are "
        "boilerplate, not promo.",
        "- Scores are calibrated on the validation split, which is synthetic; treat them as rankings on very "
        "different text.",
        "",
    ]
    return "\n".join(lines)


def decode_section(meta: dict[str, Any]) -> list[str]:
    """The decode config stored with the thresholds and the stored ablation table."""
    from filter.decode import DecodeConfig

    cfg = DecodeConfig.from_dict(meta.get("decode_config"))
    lines = ["## Decode steps",
             "The decode stage is an ordered list of named steps (`filter/decode.py`; reasons and measured "
             "effects in `docs/ALGORITHM.md`). Config stored with the thresholds: "
             + ", ".join(f"{k}={v}" for k, v in cfg.to_dict().items() if k != "off")
             + (f"; switched off: {', '.join(cfg.off)}" if cfg.off else "; every step on") + ".", ""]
    if meta.get("ablation"):
        from filter.evaluation.ablation import Ablation, format_ablation

        lines += ["Ablation (`filter evaluate --ablate`): each revision rule and each page-level step (level "
                  "`page`: `language_guard`, `promo_page`, run after the decode) switched off in turn, the "
                  "models run once; `fires` = what the step changed with every step on, Δ = off − on "
                  "(negative: the step helps).", "",
                  format_ablation(Ablation.from_dict(meta["ablation"]), markdown=True).rstrip(), ""]
    return lines


def write_card(meta: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(render_card(meta), encoding="utf-8")


# Steps removed after ablation on the committed model (validation 3,703 + dev 125 + dev_web 53
# documents; "off" = the step switched off; the full table before removal is in docs/RESULTS.md).
REMOVED_STEPS = {
    "keep_originals": "the first copy of a repeated headline is never removed as furniture. Changed 1 of 3,703 "
                      "validation documents and no dev or dev_web document; its only other gain was one seed.",
    "dateline": "a bare date line above the body, which stage 1 suspects, is furniture. Changed no validation, "
                "dev or dev_web document (stage 2 already decides those lines); written after one seed, its only gain.",
    "glued_marker": "a line opening with a related-link marker glued to its headline (\"TerkaitJudul\") is "
                    "furniture. Changed no validation, dev or dev_web document; its only gain was one seed.",
    "takeover_framed": "a sentence whose brand closes a clause after a frame word (\"seperti platform X,\") goes "
                       "whole. Changed 5 validation documents (junk F1 +0.0001, no perfect document) and no dev "
                       "or dev_web document; its other gain was one seed.",
    "propagate_brands": "a brand flagged once with score >= 0.8 is flagged at every mention. Changed 1 validation "
                        "document, no dev or dev_web document.",
    "numbers_only": "a token run of bare numbers is never a span. Changed 4 validation, 1 dev and 3 dev_web "
                    "documents with no measurable effect (junk F1 and retention within 0.0001).",
    "glued_unit_min": "boilerplate token runs only inside units of >= 15 tokens. Harmful: without it validation "
                      "junk F1 +0.0033, boilerplate span recall +0.013, +58 perfect documents; dev junk F1 "
                      "+0.0004, retention -0.0001; dev_web unchanged. (The same length still limits which tokens "
                      "after a furniture marker the token model scores: a model hyper-parameter.)",
    "glued_two_words": "a boilerplate token run needs two words. Harmful on validation: without it +8 perfect "
                       "documents, boilerplate span recall +0.004; dev junk F1 +0.0001, boilerplate span "
                       "recall -0.002; dev_web unchanged.",
    "gambling_story": "a brandless promo token run is dropped in a story at least 60% of whose other content "
                      "units hold a gambling word (a keyword share: the shortcut issue 16 replaces with learned "
                      "journalism). On the model retrained with real journalism about gambling, switching it off "
                      "gave validation junk F1 +0.0001 and +1 perfect document, dev unchanged, dev_web junk F1 "
                      "+0.0098 and retention -0.0006 (span model alone); with the page verdict (what Cleaner.load() "
                      "runs) dev_web junk F1 0.792 -> 0.791, retention 0.9557 -> 0.9553: it changes almost nothing.",
}


def page_steps_section(ab: Any) -> list[str]:
    """The page-level steps after the decode (``filter.cleaner.PAGE_STEPS``), each with its reason
    (its docstring) and its measured effect (the ablation rows of level ``page``)."""
    import inspect

    from filter.cleaner import PAGE_STEP_SWITCHES, PAGE_STEPS, language_guard
    from filter.doc import promo_page_spans

    funcs = {"language_guard": language_guard, "promo_page": promo_page_spans}
    lines = ["## Page-level steps, after the decode", "",
             "Two steps judge the whole page, after the decode and the model's thresholds, in this order "
             "(`filter.cleaner.apply_page_steps`, shared by `Cleaner` and the ablation). Each has a switch "
             "(the `Policy` field named below), a counter (`fires`: spans dropped by the guard, pages turned "
             "into promo spans) and a measured contribution (Δ when it is switched off, every other step on).", ""]
    for k, name in enumerate(PAGE_STEPS, 1):
        paras = inspect.cleandoc(funcs[name].__doc__ or "").split("\n\n")
        lines += [f"### {k}. `{name}` (page; switch `Policy.{PAGE_STEP_SWITCHES[name]}`)", "",
                  "\n\n".join(" ".join(p.split()) for p in paras), ""]
        rows = [r for r in ab.rows if r.step == name and r.level == "page"] if ab else []
        if rows:
            lines += ["Measured: " + "; ".join(
                f"{r.set} — fires {r.fires}, {r.docs_changed} documents changed, Δ junk F1 {r.junk_f1:+.4f}, "
                f"Δ retention {r.retention:+.4f}, Δ promo spR {r.promo_span_recall:+.3f}, "
                f"Δ perfect {r.perfect_docs:+d}" for r in rows) + ".", ""]
    return lines


def render_algorithm(meta: dict[str, Any]) -> str:
    """``docs/ALGORITHM.md``: each stage (from its module docstring), each decode step with its
    reason (its docstring) and its measured effect (the ablation table stored with the model),
    and the steps removed after ablation."""
    import importlib

    from filter.decode import STEPS, DecodeConfig
    from filter.evaluation.ablation import Ablation, format_ablation

    cfg = DecodeConfig.from_dict(meta.get("decode_config"))
    ab = Ablation.from_dict(meta["ablation"]) if meta.get("ablation") else None
    lines = ["# How filter works", "",
             "<!-- generated by `python -m filter.evaluation.card --algorithm` from the module and step "
             "docstrings and the ablation table stored in models/filter-id-news.json; do not edit -->", "",
             "One pipeline, with offsets into the original text as the contract between stages: "
             "**segment → normalize/featurize → classify → decode → render**. Each stage is one module of "
             "the runtime core (`filter/`); the training-data builder (`filter/training/`) and the evaluation "
             "(`filter/evaluation/`) sit outside it.", ""]
    for n, (mod, title) in enumerate([("segment", "Segment"), ("normalize", "Normalize"), ("features", "Featurize"),
                                      ("model", "Classify"), ("decode", "Decode"), ("render", "Render")], 1):
        doc = importlib.import_module(f"filter.{mod}").__doc__ or ""
        body = doc.strip().split("\n\n")
        lines += [f"## {n}. {title} (`filter/{mod}.py`)", "", "\n\n".join(body[:4]).strip(), ""]
    lines += ["## Decode steps, in order", "",
              "Numbers are `DecodeConfig` fields (stored with the thresholds in the model metadata): "
              + ", ".join(f"`{k}` = {v}" for k, v in cfg.to_dict().items() if k != "off") + ". "
              "*Core* steps turn probabilities into spans and are not switched off; *rules* revise the "
              "decision from the document's context and each has a switch (`DecodeConfig.off`), a counter "
              "and a measured contribution. Measured: Δ when the rule is switched off, at the model's "
              "thresholds (negative = the rule helps); `fires` = what it changed with every step on.", ""]
    for k, step in enumerate(STEPS, 1):
        lines += [f"### {k}. `{step.name}` ({'core' if step.core else 'rule'})", "", step.reason, ""]
        if ab and not step.core:
            rows = [r for r in ab.rows if r.step == step.name]
            if rows:
                lines += ["Measured: " + "; ".join(
                    f"{r.set} — fires {r.fires}, {r.docs_changed} documents changed, Δ junk F1 {r.junk_f1:+.4f}, "
                    f"Δ retention {r.retention:+.4f}, Δ perfect {r.perfect_docs:+d}" for r in rows) + ".", ""]
    lines += page_steps_section(ab)
    lines += ["## Removed after ablation", "",
              "Rules had to earn their place on held-out data (validation + dev + dev_web): a rule whose only "
              "gain was on the five seed documents, that changed (almost) nothing there, or that was harmful "
              "there, was removed.", ""]
    lines += [f"- `{name}`: {why}" for name, why in REMOVED_STEPS.items()] + [""]
    if ab:
        lines += ["## Ablation table of the committed model", "", format_ablation(ab, markdown=True).rstrip(), ""]
    return "\n".join(lines)


def held_out_gap(ev: dict, pages: dict | None = None) -> list[str]:
    """The gap between validation and dev_web: held-out web hosts of the validation split against
    the comparable dev_web categories (journalism about gambling, small-site pages), junk F1 and
    retention; with ``pages`` (``scripts/valid_pipeline.py --update-card``) also the full pipeline
    on every held-out web page by dev_web's kinds, promotion pages included."""
    val = ev.get("validation-web")
    gold = {k: ev[k] for k in ("web-H", "web-B") if k in ev}
    if not val or not gold:
        return []
    parts = "; ".join(f"{k} {v['junk_f1']:.3f} / {v['retention']:.4f}" for k, v in gold.items())
    out = [f"Gap between validation and the open-web dev set (junk F1 / retention): held-out web hosts "
           f"of the validation split {val['junk_f1']:.3f} / {val['retention']:.4f}, against dev_web {parts}. "
           "dev_web's overall row also holds whole promotion pages (web-P), whose recall is the document "
           "model's verdict, and pages with promotion slipped in (web-I).", ""]
    sets = (pages or {}).get("sets") or {}
    whole = next((k for k in ev if k.startswith("web-") and "+" in k), None)
    if "web pages" not in sets or whole is None:
        return out

    def row(name: str, m: dict) -> str:
        cells = ["–" if m.get(k) is None else f"{m[k]:.4f}" if k == "retention" else f"{m[k]:.3f}"
                 for k in ("junk_f1", "retention", "promo_recall", "promo_span_recall")]
        return f"| {name} | {m['docs']} | " + " | ".join(cells) + " |"

    out += ["Like for like (`scripts/valid_pipeline.py`): the full pipeline, with out-of-fold page "
            "verdicts, on every held-out web page of the validation split, by dev_web's kinds (whole "
            "promotion pages included, which the span model's validation rows leave to the document "
            "model). Validation holds no real page with promotion slipped in (dev_web's web-I): that "
            "kind, and whole promotion pages the document model misses, make most of the gap.", "",
            "| set | pages | junk F1 | retention | promo tokens removed | promo span recall |",
            "|---|---|---|---|---|---|"]
    out += [row(f"validation {k}", sets[k]) for k in ("web pages", "web-P", "web-H", "web-B") if k in sets]
    out += [row("dev_web all" if k == whole else f"dev_web {k}", ev[k])
            for k in (whole, "web-P", "web-H", "web-B", "web-I") if k in ev]
    v = (pages or {}).get("verdicts", {}).get("P")
    if v:
        out += ["", f"Held-out whole promotion pages the document model calls `promo`: {v.get('promo', 0)} of "
                f"{sum(v.values())} (dev_web: {ev.get('web-P', {}).get('spans_removed', '?')} of "
                f"{ev.get('web-P', {}).get('spans', '?')} promotion pages removed)."]
    return out + [""]


if __name__ == "__main__":  # python -m filter.evaluation.card [models/filter-id-news.json] [--algorithm]
    import json
    import sys

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = Path(__file__).resolve().parents[2]
    src = Path(args[0] if args else root / "models" / "filter-id-news.json")
    meta = json.loads(src.read_text(encoding="utf-8"))
    if "--algorithm" in sys.argv:
        (root / "docs" / "ALGORITHM.md").write_text(render_algorithm(meta), encoding="utf-8")
    else:
        write_card(meta, src.parent / "README.md")
