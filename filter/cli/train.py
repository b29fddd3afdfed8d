"""``filter train`` and ``filter bench``."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from filter.cli import app, fail

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "models" / "filter-id-news.joblib"
DEFAULT_SHARED = ROOT.parent / "shared"


def _log(msg: str) -> None:
    typer.echo(msg, err=True)


@app.command()
def train(
    data: Path = typer.Option(ROOT / "work" / "data", help="Built dataset dir (train.jsonl, valid.jsonl); built from --corpus when missing."),
    corpus: Path = typer.Option(DEFAULT_SHARED / "corpus", help="Shared corpus, used when --data has to be built."),
    out: Path = typer.Option(DEFAULT_OUT, "-o", "--out", help="Where to write <name>.joblib (+ .json, and the model card)."),
    seed: int = typer.Option(0, help="Random seed (data build and every estimator)."),
    limit: Optional[int] = typer.Option(None, help="Use only the first N training documents (quick runs)."),
    gold: list[Path] = typer.Option([], help="Gold files to evaluate on after training (metrics go into the card)."),
    ablate: bool = typer.Option(True, help="Measure each decode step (ablation on the validation split and the gold files) and store the table in the card."),
    doc_verdict: bool = typer.Option(True, help="Give the span stages the document model's verdict as a feature (out-of-fold document models on --corpus; needs the document model), as the bundled model was trained (docs/RESULTS.md: D3). --no-doc-verdict trains without it (the two document-topic columns stay zero)."),
) -> None:
    """Train the span model on the built dataset and write a verified artifact + model card."""
    from filter.artifact import save_model
    from filter.evaluation.card import write_card
    from filter.model import FilterModel
    from filter.training.fit import files_hash, fit_model, read_jsonl

    train_p, valid_p = data / "train.jsonl", data / "valid.jsonl"
    if not train_p.exists():
        if not corpus.exists():
            raise fail(f"no dataset at {data} and no corpus at {corpus} to build it from")
        from filter.training.build import build_dataset

        _log(f"building the dataset from {corpus} into {data}")
        build_dataset(corpus, data, seed=seed)
    from filter.evaluation.metrics import read_gold

    try:   # every input is read before the fit, so a bad file is one error line, not a lost run
        gold_docs = {g: read_gold(g) for g in gold}
        t0 = time.time()
        tr = read_jsonl(train_p, limit)
        va = read_jsonl(valid_p, limit and max(limit // 4, 50))
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read the training or gold data: {exc}")
    _log(f"training on {len(tr)} documents, validating on {len(va)}")
    from filter.cleaner import load_default_doc_model

    doc_model = load_default_doc_model()   # what Cleaner.load() pairs with this span model (loaded once)
    doc_kw: dict = {}
    if doc_verdict:
        if doc_model is None:
            raise fail("--doc-verdict needs the document model (models/filter-doc.npz or $FILTER_DOC_MODEL)")
        if not corpus.exists():
            raise fail(f"--doc-verdict needs the corpus at {corpus} for the out-of-fold document models")
        from filter.training.stacking import doc_proba_out_of_fold

        _log("out-of-fold document verdicts for the span stages")
        fit_kw = {"c": float(doc_model.meta.get("c", 30.0)), "n_hash": doc_model.n_hash,
                  "max_chars": doc_model.max_chars, "stack": doc_model.stack_coef is not None,
                  "features": doc_model.features}   # fitted as the paired document model was
        oof = doc_proba_out_of_fold(tr + va, corpus, data, seed=seed, progress=_log, **fit_kw)
        doc_kw = {"doc_proba": oof[:len(tr)], "doc_model": doc_model, "valid_doc_proba": oof[len(tr):]}
    model = FilterModel(random_state=seed)
    try:
        model = fit_model(tr, va, model, progress=_log, **doc_kw)
    except ValueError as exc:   # e.g. too few documents (--limit) for every class to occur
        raise fail(f"cannot train on these {len(tr)} documents: {str(exc).splitlines()[0]}")
    from filter.decode import DecodeConfig

    # the decode config the thresholds were chosen for, stored beside them
    model.decode_config_ = getattr(model, "decode_config_", None) or DecodeConfig()
    fit_s = round(time.time() - t0, 1)
    data_hash = files_hash([train_p, valid_p])
    model.version = f"{out.stem}-{time.strftime('%Y%m%d')}-{data_hash[:8]}"
    manifest = json.loads((data / "manifest.json").read_text()) if (data / "manifest.json").exists() else {}
    meta: dict = {"training": {"data_sha256": data_hash, "seed": seed, "train_docs": len(tr),
                               "valid_docs": len(va), "fit_seconds": fit_s, "limit": limit,
                               "build_seed": manifest.get("seed"),
                               "valid_outlets": manifest.get("valid_outlets"),
                               "build_counts": manifest.get("counts")}}
    from filter.training.fit import span_documents

    va_texts = [d["text"] for d in va]   # the rows of doc_kw["valid_doc_proba"]
    va = span_documents(va)   # what the span model was validated on (page-level origins left out)
    meta["training"]["valid_docs"] = len(va)
    if doc_verdict:   # the validation rows with the validation documents' out-of-fold verdicts
        from filter.training.stacking import FixedVerdicts

        paired = model.attach_doc_model(FixedVerdicts(va_texts, doc_kw["valid_doc_proba"]))
    else:
        paired = model
    va_eval = _eval_sets(paired, {"validation": va, **_valid_parts(va)})
    meta["evaluation"] = va_eval
    meta["thresholds"] = {k: float(v) for k, v in model.thresholds.items()}
    model.thresholds = meta["thresholds"]
    if doc_verdict:
        meta["doc_model"] = {"version": getattr(doc_model, "version", None),
                             "sha256": (getattr(doc_model, "meta", None) or {}).get("artifact", {}).get("sha256")}
    for g, docs in gold_docs.items():
        meta["evaluation"].update(_pipeline_eval_sets(model, doc_model, _by_category(docs)))
        meta.setdefault("baseline", {}).update(_baseline_sets(_by_category(docs)))
    if ablate:   # each decode step's measured contribution, stored with the model (see filter.evaluation.ablation)
        from filter.evaluation.ablation import ablate as ablate_steps
        from filter.training.fit import ignore_as_optional

        sets = {"validation": ignore_as_optional(va), **{g.name.split(".")[0]: docs for g, docs in gold_docs.items()}}
        from filter.cleaner import Policy

        meta["ablation"] = ablate_steps(model, sets, progress=_log, policy=Policy(), doc_model=doc_model).to_dict()
    full = save_model(model, out, meta)
    write_card(full, out.parent / "README.md")
    _log(f"wrote {out} ({full['artifact']['bytes'] / 1e6:.1f} MB) and {out.with_suffix('.json').name}; "
         f"thresholds {model.thresholds}; {fit_s}s")
    typer.echo(json.dumps(meta["evaluation"].get("validation", {}), indent=1))


def _valid_parts(va: list[dict]) -> dict[str, list[dict]]:
    """Validation by source: held-out web hosts, short news texts, the outlet documents, and
    journalism about gambling with promotion injected (build step ``inject_news``)."""
    from filter.training.web import WEB_ORIGINS

    web = [d for d in va if d.get("origin") in WEB_ORIGINS and d.get("origin") != "short"]
    short = [d for d in va if d.get("origin") == "short"]
    news = [d for d in va if d.get("origin") not in WEB_ORIGINS and d.get("origin") != "injected_news"]
    injected_news = [d for d in va if d.get("origin") == "injected_news"]
    parts = {"validation-web": web, "validation-short": short, "validation-outlets": news,
             "validation-injected-news": injected_news}
    return {k: v for k, v in parts.items() if v and len(v) < len(va)}


def _by_category(docs: list[dict]) -> dict[str, list[dict]]:
    from filter.evaluation.metrics import category

    groups: dict[str, list[dict]] = {}
    for d in docs:
        groups.setdefault(category(d["id"]), []).append(d)
    if len(groups) > 1:
        groups = {"+".join(sorted(groups)): docs, **groups}
    return groups


def _baseline_sets(sets: dict[str, list[dict]]) -> dict[str, dict]:
    """The keyword-regex baseline on the same gold sets, for contrast in the model card."""
    from filter.evaluation.baseline import keyword_baseline
    from filter.evaluation.metrics import evaluate

    return {name: evaluate(docs, [keyword_baseline(d["text"]) for d in docs]).overall.to_dict()
            for name, docs in sets.items()}


def _eval_sets(model, sets: dict[str, list[dict]]) -> dict[str, dict]:
    from filter.evaluation.metrics import evaluate
    from filter.training.fit import ignore_as_optional

    out = {}
    for name, docs in sets.items():
        preds = model.predict_spans_many([d["text"] for d in docs])
        out[name] = evaluate(ignore_as_optional(docs), preds).overall.to_dict()
    return out


def _pipeline_eval_sets(model, doc_model, sets: dict[str, list[dict]]) -> dict[str, dict]:
    """Gold sets through what ``Cleaner.load()`` runs: this span model plus the document model's
    page verdict and language guard (the span model alone when ``doc_model`` is None)."""
    from filter.cleaner import Cleaner
    from filter.evaluation.metrics import detect_all, evaluate

    cleaner = Cleaner(model, doc_model=doc_model)
    return {name: evaluate(docs, detect_all(cleaner, docs)).overall.to_dict() for name, docs in sets.items()}


def _paragraph_html(text: str) -> str:
    """A text as an HTML page with each line a ``<p>``: what an extractor sees of extracted text."""
    from html import escape

    body = "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line.strip())
    return f"<html><head><title>t</title></head><body><article>{body}</article></body></html>"


def _bench_methods(cleaner, batch: int, jobs: int, skip: set[str]) -> dict:
    """name -> function(texts, htmls) returning how many documents it produced."""
    def per_doc(texts, _):
        return sum(1 for t in texts if cleaner.clean(t) is not None)

    def batched(texts, _):
        return sum(len(cleaner.clean_batch(texts[i:i + batch])) for i in range(0, len(texts), batch))

    def many(texts, _):
        cleaner.close()   # a first call: starting the workers and loading the model in each is timed
        return sum(1 for _ in cleaner.clean_many(texts, n_jobs=jobs, chunksize=batch))

    def many_kept(texts, _):   # a later call: the workers the call before kept
        return sum(1 for _ in cleaner.clean_many(texts, n_jobs=jobs, chunksize=batch))

    methods = {"clean": per_doc, f"clean_batch({batch})": batched, f"clean_many({jobs})": many,
               f"clean_many({jobs}) kept": many_kept}
    try:
        import trafilatura

        methods["trafilatura"] = lambda _, htmls: sum(1 for h in htmls if trafilatura.extract(h) is not None or True)
    except ImportError:
        pass
    try:
        import justext

        stop = justext.get_stoplist("Indonesian")
        methods["justext"] = lambda _, htmls: sum(1 for h in htmls if justext.justext(h, stop) is not None)
    except ImportError:
        pass
    return {k: v for k, v in methods.items() if k.split("(")[0] not in skip}


def _many_vs_batch(med: dict[str, float], kept: bool = False) -> float | None:
    """Median ``clean_many`` speed (a first call, or with ``kept`` a later one) over median
    ``clean_batch`` speed (None without both)."""
    many = next((v for k, v in med.items() if k.startswith("clean_many") and k.endswith(" kept") == kept), None)
    batch = next((v for k, v in med.items() if k.startswith("clean_batch")), None)
    return round(batch / many, 2) if many and batch else None


def _startup_seconds(model: Optional[Path]) -> float:
    """Wall time of a fresh ``python -c "import filter; Cleaner.load()"``."""
    import subprocess
    import sys

    code = f"import filter; from filter import Cleaner; Cleaner.load({str(model)!r} if {model is not None} else None)"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t0


@app.command()
def bench(
    corpus: Path = typer.Option(DEFAULT_SHARED / "corpus", help="Shared corpus to take real articles from."),
    docs: int = typer.Option(2000, min=1, help="Number of articles to clean."),
    model: Optional[Path] = typer.Option(None, help="Model artifact (default: the bundled one)."),
    batch: int = typer.Option(256, min=1, help="Documents per clean_batch call (and clean_many chunk)."),
    jobs: int = typer.Option(2, min=1, help="Worker processes for clean_many."),
    rounds: int = typer.Option(3, "--rounds", "--repeat", min=1, help="Interleaved rounds; medians are reported."),
    skip: str = typer.Option("", help="Comma-separated methods to leave out (clean, clean_batch, clean_many, trafilatura, justext)."),
    update_card: bool = typer.Option(False, help="Store the numbers in the model metadata and card."),
) -> None:
    """Side-by-side speed on real corpus articles, in one process, interleaved rounds: per-document
    ``clean``, ``clean_batch``, ``clean_many`` and (with the ``bench`` extra) trafilatura and jusText
    on the same texts, each line a ``<p>``. Prints MB/s, docs/s, ratios to trafilatura (medians)
    and peak RSS; the last line is the same as JSON."""
    import platform
    import resource
    import statistics

    from filter.cleaner import DEFAULT_MODEL

    known = {"clean", "clean_batch", "clean_many", "trafilatura", "justext"}
    unknown = sorted({x.strip() for x in skip.split(",") if x.strip()} - known)
    if unknown:
        raise fail(f"unknown method(s) in --skip: {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
    if not corpus.exists():
        raise fail(f"corpus directory {corpus} not found")
    from filter.training.corpus import load_articles

    arts, _ = load_articles(corpus / "news") if (corpus / "news").exists() else load_articles(corpus)
    texts = [a.text for a in arts[:docs]]
    if not texts:
        raise fail(f"no articles in {corpus}")
    htmls = [_paragraph_html(t) for t in texts]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    from filter.cli.clean import load_cleaner
    from filter.evaluation.speed import parallel_ceiling, start_pool
    from filter.parallel import effective_jobs

    t0 = time.perf_counter()
    cleaner = load_cleaner(model)   # a missing or broken model is one error line, before any timing
    load_s = time.perf_counter() - t0
    startup = _startup_seconds(model)
    methods = _bench_methods(cleaner, batch, jobs, {x.strip() for x in skip.split(",") if x.strip()})
    runs: dict[str, list[float]] = {k: [] for k in methods}
    counts: dict[str, int] = {}
    # what jobs processes can get on this machine, measured in every round next to clean_many
    n_workers = effective_jobs(jobs)
    ceiling_pool = (start_pool(n_workers) if n_workers > 1 and any(k.startswith("clean_many") for k in methods)
                    else None)
    ceilings: list[float] = []
    try:
        for r in range(rounds):
            for name, fn in methods.items():
                t0 = time.perf_counter()
                counts[name] = fn(texts, htmls)
                runs[name].append(time.perf_counter() - t0)
                _log(f"round {r + 1}/{rounds} {name}: {mb / runs[name][-1]:.2f} MB/s")
            if ceiling_pool is not None:
                ceilings.append(parallel_ceiling(ceiling_pool, n_workers))
                _log(f"round {r + 1}/{rounds} parallel ceiling of {n_workers} processes: {ceilings[-1]:.2f}x")
    finally:
        if ceiling_pool is not None:
            ceiling_pool.shutdown()
        # the last clean_many workers are kept: stopped and reaped here, their peak memory is in
        # RUSAGE_CHILDREN below
        cleaner.close(wait=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    ref = med.get("trafilatura")
    rows = [{"method": k, "mb_per_s": round(mb / med[k], 3), "docs_per_s": round(len(texts) / med[k], 1),
             "vs_trafilatura": round(ref / med[k], 2) if ref else None,
             "runs_mb_per_s": [round(mb / x, 3) for x in runs[k]]} for k in methods]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    res = {"docs": len(texts), "mb": round(mb, 2), "rounds": rounds, "methods": rows,
           "peak_rss_mb": round(peak, 1), "peak_worker_rss_mb": round(peak_child, 1),
           "load_s": round(load_s, 3), "startup_s": round(startup, 3),
           "parallel_ceiling": round(statistics.median(ceilings), 2) if ceilings else None,
           "many_vs_batch": _many_vs_batch(med), "many_kept_vs_batch": _many_vs_batch(med, kept=True),
           "compiled_trees": __import__("filter.trees", fromlist=["compiled_walk"]).compiled_walk() is not None,
           "cpu": f"{platform.machine()}, {__import__('os').cpu_count()} cores"}
    typer.echo(f"{len(texts)} articles, {mb:.2f} MB, median of {rounds} interleaved rounds; "
               f"fresh import+load {startup:.2f} s; peak RSS {peak:.0f} MB (workers {peak_child:.0f} MB)")
    typer.echo(f"{'method':<18}{'MB/s':>8}{'docs/s':>9}{'x trafilatura':>15}")
    for row in rows:
        ratio = f"{row['vs_trafilatura']:.2f}" if row["vs_trafilatura"] else "-"
        typer.echo(f"{row['method']:<18}{row['mb_per_s']:>8.2f}{row['docs_per_s']:>9.0f}{ratio:>15}")
    if res["parallel_ceiling"] is not None and res["many_vs_batch"] is not None:
        kept = res["many_kept_vs_batch"]
        typer.echo(f"clean_many({jobs}) / clean_batch {res['many_vs_batch']:.2f}x (first call: worker start-up "
                   f"included)" + (f", {kept:.2f}x (later call: workers kept)" if kept is not None else "") + "; "
                   f"parallel ceiling of {n_workers} processes on this machine (pure-Python spin, same rounds) "
                   f"{res['parallel_ceiling']:.2f}x")
    typer.echo(json.dumps(res))
    if update_card:
        from filter.artifact import meta_path, read_meta
        from filter.evaluation.card import write_card

        path = Path(model or DEFAULT_MODEL)
        meta = read_meta(path)
        meta["benchmark"] = res
        meta_path(path).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_card(meta, path.parent / "README.md")
