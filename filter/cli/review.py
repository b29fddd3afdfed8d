"""``filter review``: write a self-contained HTML page to review removed spans."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from filter.cli import app, fail


def _read(inputs: list[str]) -> list[dict]:
    """Input records as dicts (``id``, ``text`` and passthrough fields); unreadable ones keep ``error``."""
    from filter.io import InputError, read_records

    try:
        out = []
        for rec in read_records(inputs):
            d = dict(rec.fields)
            d["id"] = rec.id
            d["text"] = rec.text
            if rec.error:
                d["error"] = rec.error
            out.append(d)
        return out
    except InputError as exc:
        raise fail(str(exc))
    except OSError as exc:
        raise fail(f"cannot read input: {exc.strerror or exc}")


@app.command("review")
def review_command(
    inputs: Annotated[list[str], typer.Argument(help="Input files (.jsonl, .csv, .parquet, .txt), directories or globs.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")],
    model: Annotated[Optional[Path], typer.Option("--model", help="Model artifact (default: the bundled one).")] = None,
    baseline: Annotated[bool, typer.Option("--baseline", help="Show the keyword-regex baseline's removals instead of the model's.")] = False,
    gold: Annotated[Optional[bool], typer.Option("--gold/--no-gold", help="Treat the input spans as gold and mark false positives/negatives (default: when the spans have no score).")] = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="One threshold for every label.")] = None,
    page_size: Annotated[int, typer.Option("--page-size", help="Documents per page.")] = 50,
    title: Annotated[str, typer.Option("--title", help="Page title.")] = "filter review",
) -> None:
    """Write an HTML page listing documents with removed spans highlighted by label.

    Predictions come from the model (or ``--baseline``); input records that already carry
    scored spans (``filter clean`` output with its text) are shown as they are unless
    ``--model``/``--baseline`` is given. With gold input, errors are marked against the gold.
    """
    from filter.evaluation.baseline import keyword_baseline
    from filter.evaluation.review import has_scores, review_docs, review_html

    if page_size < 1:
        raise fail(f"--page-size must be at least 1, got {page_size}")
    if threshold is not None and not (0.0 <= threshold <= 1.0):
        raise fail(f"--threshold must be between 0 and 1, got {threshold}")
    if baseline and model is not None:
        raise fail("--baseline and --model exclude each other")
    records = _read(inputs)
    scored = has_scores(records)
    is_gold = gold if gold is not None else (not scored and any("spans" in r for r in records))
    subtitle = ""
    doc_fields: list[dict] | None = None
    if baseline or model is not None or not scored or is_gold:
        readable = [r for r in records if isinstance(r.get("text"), str)]
        cleaner = None
        if not baseline:
            from filter.cli.evaluate import load_cleaner

            cleaner = load_cleaner(model, threshold)
        try:
            if cleaner is None:
                subtitle = "keyword-regex baseline"
                spans = [keyword_baseline(r["text"]) for r in readable]
            else:
                from filter.evaluation.metrics import detect_all

                subtitle = f"model {cleaner.version}"
                spans = detect_all(cleaner, readable)
                fields = iter(cleaner.document_fields([r["text"] for r in readable]))
                doc_fields = [next(fields) if isinstance(r.get("text"), str) else {} for r in records]
        except Exception as exc:  # noqa: BLE001
            raise fail(f"prediction failed: {type(exc).__name__}: {exc}")
        it = iter(spans)
        predicted = [list(next(it)) if isinstance(r.get("text"), str) else [] for r in records]
    else:
        predicted = None
        subtitle = "spans from the input"
    try:
        docs = review_docs(records, predicted, gold=is_gold, doc_fields=doc_fields)
    except ValueError as exc:
        raise fail(f"bad gold spans: {exc}")
    if is_gold:
        subtitle += " vs gold"
    page = review_html(docs, title=title, page_size=page_size, subtitle=subtitle)
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"wrote {output} ({len(docs)} documents, {len(page) / 1e6:.1f} MB)")
