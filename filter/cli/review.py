"""``filter review``: write a self-contained HTML page to review removed spans."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from filter.cli import app, fail


def _read(inputs: list) -> list[dict]:  # resolved Sources (or input strings)
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


def _with_gold(records: list[dict], gold_file: Path) -> list[dict]:
    """The gold records for review: with no input, the gold file itself; else, for each input
    record, its gold record (same id and text) carrying the input's spans as ``predicted``."""
    gold = _read([str(gold_file)])
    if not records:
        return gold
    by_id = {str(g["id"]): g for g in gold}
    out = []
    for r in records:
        g = by_id.get(str(r["id"]))
        if g is None:
            raise fail(f"no gold record with id {r['id']!r} in {gold_file}")
        if isinstance(r.get("text"), str) and r["text"] != g.get("text"):
            raise fail(f"record {r['id']!r}: its text differs from the gold record's in {gold_file}")
        out.append({**r, "text": g.get("text"), "spans": g.get("spans") or [], "predicted": r.get("spans")})
    return out


@app.command("review")
def review_command(
    inputs: Annotated[Optional[list[str]], typer.Argument(
        metavar="INPUT", show_default=False,
        help="Files (.jsonl, .csv, .parquet, .txt), directories or globs: texts to clean, or the output of filter clean --keep-text to show as it is.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.", show_default=False)] = ...,
    gold: Annotated[Optional[Path], typer.Option("--gold", help="Gold file (id, text, spans): mark false positives and misses against it. Without INPUT, its texts are reviewed.")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Model artifact (default: the bundled one).")] = None,
    baseline: Annotated[bool, typer.Option("--baseline", help="Show the keyword-regex baseline's removals instead of the model's.")] = False,
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="One threshold for every label.")] = None,
    page_size: Annotated[int, typer.Option("--page-size", help="Documents per page.")] = 50,
    title: Annotated[str, typer.Option("--title", help="Page title.")] = "filter review",
) -> None:
    """Write an HTML page listing documents with removed spans highlighted by label.

    Records that carry scored spans and their text (filter clean --keep-text output) are shown as they are; other records are cleaned by the model (or --baseline), which --model or --baseline also forces. A spans field without scores is never taken for gold: pass the gold file with --gold.
    """
    from filter.evaluation.baseline import keyword_baseline
    from filter.evaluation.review import has_scores, review_docs, review_html

    if page_size < 1:
        raise fail(f"--page-size must be at least 1, got {page_size}")
    if threshold is not None and not (0.0 <= threshold <= 1.0):
        raise fail(f"--threshold must be between 0 and 1, got {threshold}")
    if baseline and model is not None:
        raise fail("--baseline and --model exclude each other")
    if not inputs and gold is None:
        raise fail("give INPUT files to review, or --gold FILE")
    from filter.io import InputError, output_is_an_input, resolve_inputs

    try:
        sources = resolve_inputs(list(inputs)) if inputs else []
    except InputError as exc:
        raise fail(str(exc))
    if output_is_an_input(output, [src.path for src in sources] + [gold]):
        raise fail(f"the output {output} is also an input; write to another file")
    records = _read(sources) if sources else []
    if gold is not None:
        records = _with_gold(records, gold)
    own = [r.get("predicted", r.get("spans")) for r in records]
    scored = has_scores({"spans": spans} for spans in own)
    subtitle = ""
    doc_fields: list[dict] | None = None
    if baseline or model is not None or not scored:
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
        from filter.spans import Span

        subtitle = "spans from the input"
        predicted = [[Span.from_dict(s) for s in (spans or [])] for spans in own]
    try:
        docs = review_docs(records, predicted, gold=gold is not None, doc_fields=doc_fields)
    except ValueError as exc:
        raise fail(f"bad gold spans: {exc}")
    if gold is not None:
        subtitle += f" vs gold ({gold.name})"
    page = review_html(docs, title=title, page_size=page_size, subtitle=subtitle)
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"wrote {output} ({len(docs)} documents, {len(page) / 1e6:.1f} MB)")
