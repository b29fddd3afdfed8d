"""``filter data build|stats|weak``: build the training set, print its tables, score the weak labeller."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from filter.cli import app, fail

data_app = typer.Typer(help="Build and inspect the labelled training data.", no_args_is_help=True,
                       add_completion=False, pretty_exceptions_enable=False)
app.add_typer(data_app, name="data")


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


@data_app.command("build")
def build_command(
    corpus: Annotated[Path, typer.Option("--corpus", help="The shared corpus dir (with news/ and promo/).")] = Path("../shared/corpus"),
    out: Annotated[Path, typer.Option("--out", help="Output dir (train.jsonl, valid.jsonl, manifest.json).")] = Path("work/data"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random choice.")] = 0,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N articles of each corpus file.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", help="Worker processes (default: up to 2).")] = None,
    gold: Annotated[Optional[Path], typer.Option("--gold", help="Gold dir whose dev/seed articles are excluded (default: CORPUS/../gold).")] = None,
    valid_outlets: Annotated[Optional[str], typer.Option("--valid-outlets", help="Comma-separated outlets held out for valid (default: a seeded pick of 2).")] = None,
    inject_news: Annotated[bool, typer.Option("--inject-news/--no-inject-news", help="Also inject promotion into journalism about gambling (gambling articles and web pages; origin injected_news, appended after the other records; off by default: docs/RESULTS.md).")] = False,
) -> None:
    """Load the corpus, weak-label boilerplate, inject promo and decoys, write the splits."""
    from filter.training.build import build_dataset

    if not corpus.is_dir():
        raise fail(f"corpus dir not found: {corpus}")
    gold_dir = gold if gold is not None else corpus.parent / "gold"
    if not (gold_dir / "dev.jsonl").is_file():
        raise fail(f"gold dev.jsonl not found in {gold_dir} (pass --gold)")
    if limit is not None and limit <= 0:
        raise fail(f"--limit must be positive, got {limit}")
    if workers is not None and workers <= 0:
        raise fail(f"--workers must be positive, got {workers}")
    vo = [o.strip().lower() for o in valid_outlets.split(",") if o.strip()] if valid_outlets else None

    def progress(done: int, total: int) -> None:
        _err(f"filter data build: {done}/{total} articles")

    _err(f"filter data build: loading {corpus} (seed {seed}{f', limit {limit}' if limit else ''})")
    try:
        stats = build_dataset(corpus, out, seed=seed, limit=limit, workers=workers, gold_dir=gold_dir,
                              valid_outlets=vo, progress=progress, inject_news=inject_news)
    except FileNotFoundError as exc:
        raise fail(str(exc))
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}")
    for split, counts in stats.counts.items():
        _err(f"filter data build: {split}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    _err(f"filter data build: {stats.docs} documents from {stats.articles} articles "
         f"(excluded as gold: {sum(stats.excluded.values())}; valid outlets: {', '.join(stats.valid_outlets)}; "
         f"train/valid family overlap: {stats.overlap}) in {stats.seconds:.1f}s -> {out}")


@data_app.command("stats")
def stats_command(
    directory: Annotated[Path, typer.Argument(help="A dir written by 'filter data build'.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the tables as JSON.")] = False,
) -> None:
    """Print document, label/kind, outlet, injection-form and obfuscation tables."""
    import pandas as pd

    from filter.training.build import dataset_stats

    if not directory.is_dir():
        raise fail(f"not a directory: {directory}")
    try:
        st = dataset_stats(directory)
    except FileNotFoundError as exc:
        raise fail(str(exc))
    except (ValueError, KeyError) as exc:
        raise fail(f"cannot read the dataset in {directory}: {exc}")
    if json_out:
        out = {k: (json.loads(v.to_json(orient="split")) if isinstance(v, pd.DataFrame) else v)
               for k, v in st.items()}
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    with pd.option_context("display.width", 160, "display.max_rows", 200, "display.max_columns", 20):
        for name in ("docs", "labels", "outlets", "forms", "obfuscation"):
            typer.echo(f"== {name}")
            typer.echo(st[name].to_string())
            typer.echo("")
    typer.echo(f"documents: {st['n_docs']}")
    typer.echo(f"families: {st['families']}")
    typer.echo(f"train/valid overlap (must be 0): {st['overlap']}")


@data_app.command("weak")
def weak_command(
    gold: Annotated[list[Path], typer.Option("--gold", help="Gold JSONL file (repeatable).")],
    prefix: Annotated[list[str], typer.Option("--prefix", help="Only documents whose id starts with this (repeatable).")] = ["dev-N", "dev-H"],
) -> None:
    """Boilerplate token precision/recall of the weak labeller against gold documents."""
    from filter.training.weak import measure_weak_labeller

    docs: list[dict] = []
    for p in gold:
        try:
            with open(p, encoding="utf-8") as fh:
                docs.extend(json.loads(line) for line in fh if line.strip())
        except OSError as exc:
            raise fail(f"cannot read {p}: {exc.strerror or exc}")
        except ValueError as exc:
            raise fail(f"{p} is not JSON lines: {exc}")
    docs = [d for d in docs if not prefix or str(d.get("id", "")).startswith(tuple(prefix))]
    if not docs:
        raise fail("no gold documents match the given prefixes")
    r = measure_weak_labeller(docs)
    typer.echo(f"documents {r['docs']}  tokens tp {r['tp']} fp {r['fp']} fn {r['fn']}  "
               f"precision {r['precision']:.4f}  recall {r['recall']:.4f}")
