"""``filter evaluate``: token-level metrics of the model (and the keyword baseline) on gold files."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from filter.cli import app, fail


def model_path(model: Optional[Path]) -> Path:
    """The model a command uses: ``--model``, else ``$FILTER_MODEL``, else the bundled one."""
    from filter.cleaner import DEFAULT_MODEL

    return Path(model or os.environ.get("FILTER_MODEL") or DEFAULT_MODEL)


def load_cleaner(model: Optional[Path], threshold: Optional[float]):
    """Load the model as a Cleaner (``filter.cli.clean.load_cleaner``: ``--model``, else
    ``$FILTER_MODEL``, else the bundled one); any failure becomes one error line."""
    from filter.cli import UserError
    from filter.cli.clean import load_cleaner as load

    try:
        return load(model_path(model), threshold=threshold)
    except UserError as exc:
        raise fail(str(exc))


def read_gold_files(paths: list[Path]) -> list[dict]:
    from filter.evaluation.metrics import read_gold

    docs: list[dict] = []
    for p in paths:
        try:
            docs.extend(read_gold(p))
        except ValueError as exc:
            raise fail(str(exc))
        except OSError as exc:
            raise fail(f"cannot read {p}: {exc.strerror or exc}")
    return docs


@app.command("evaluate")
def evaluate_command(
    gold: Annotated[Optional[list[Path]], typer.Option("--gold", help="Gold JSONL file (repeatable).")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Model artifact (default: the bundled one).")] = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="One threshold for every label (default: the model's per-label thresholds).")] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Leave out the keyword-regex baseline rows.")] = False,
    baseline_only: Annotated[bool, typer.Option("--baseline-only", help="Evaluate only the keyword-regex baseline (no model needed).")] = False,
    outlets: Annotated[bool, typer.Option("--outlets", help="Also print one row per outlet.")] = False,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the full reports as JSON here.")] = None,
    ablate: Annotated[bool, typer.Option("--ablate", help="Instead: decode once with every decode step and once with each step off (the page-level steps too: language_guard, and promo_page with the document model), on --valid and each --gold file, and print the ablation table.")] = False,
    valid: Annotated[Optional[Path], typer.Option("--valid", help="With --ablate: the validation split (valid.jsonl of 'filter data build', or its directory).")] = None,
    update_card: Annotated[bool, typer.Option("--update-card", help="With --ablate: store the table in the model metadata and regenerate the model card.")] = False,
) -> None:
    """Print token-level junk precision/recall/F1, content retention, span recall and perfect
    documents, overall and per id category, for the model and the keyword-regex baseline.
    With ``--ablate``: the measured contribution of each decode step instead."""
    from filter.evaluation.baseline import keyword_baseline
    from filter.evaluation.metrics import detect_all, evaluate, format_reports, predict_all

    if threshold is not None and not (0.0 <= threshold <= 1.0):
        raise fail(f"--threshold must be between 0 and 1, got {threshold}")
    gold = list(gold or [])
    if ablate:
        return ablate_command(gold, valid, model, threshold, json_out, update_card)
    if valid is not None or update_card:
        raise fail("--valid and --update-card go with --ablate")
    if not gold:
        raise fail("give at least one --gold file")
    if baseline_only and no_baseline:
        raise fail("--baseline-only and --no-baseline exclude each other")
    docs = read_gold_files(gold)
    reports = []
    payload: dict = {"gold": [str(p) for p in gold], "documents": len(docs)}
    if not baseline_only:
        cleaner = load_cleaner(model, threshold)
        try:
            preds = detect_all(cleaner, docs)
        except Exception as exc:  # noqa: BLE001
            raise fail(f"model failed while predicting: {type(exc).__name__}: {exc}")
        reports.append(evaluate(docs, preds, name="model"))
        th = {k: threshold for k in cleaner.model.thresholds} if threshold is not None else dict(cleaner.model.thresholds)
        payload.update(model_version=cleaner.version, thresholds=th)
        typer.echo(f"model {cleaner.version}  thresholds "
                   + ", ".join(f"{k}={v:g}" for k, v in sorted(th.items())))
    if not no_baseline:
        reports.append(evaluate(docs, predict_all(keyword_baseline, docs), name="baseline"))
    typer.echo(f"{len(docs)} gold documents from {', '.join(str(p) for p in gold)}")
    typer.echo("token-level: P/R/F1 = junk precision/recall/F1, retain = content tokens kept, "
               "spR = span recall (>=80% of a span's tokens removed)\n")
    typer.echo(format_reports(reports, outlets=outlets))
    if json_out is not None:
        payload["reports"] = {r.name: r.to_dict() for r in reports}
        try:
            json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {json_out}: {exc.strerror or exc}")


def read_valid(path: Path) -> list[dict]:
    """The validation split (a ``valid.jsonl`` or the data directory holding it), with its weakly
    labelled documents' unsure ranges made optional, as in training."""
    from filter.evaluation.metrics import read_gold
    from filter.training.fit import ignore_as_optional

    p = path / "valid.jsonl" if path.is_dir() else path
    try:
        return ignore_as_optional(read_gold(p))
    except ValueError as exc:
        raise fail(str(exc))
    except OSError as exc:
        raise fail(f"cannot read {p}: {exc.strerror or exc}")


def ablate_command(gold: list[Path], valid: Optional[Path], model: Optional[Path], threshold: Optional[float],
                   json_out: Optional[Path], update_card: bool) -> None:
    """``filter evaluate --ablate``: the ablation table on the validation split and each gold file."""
    from filter.evaluation.ablation import ablate, format_ablation

    if threshold is not None:
        raise fail("--ablate measures the model at its own thresholds; drop --threshold")
    if valid is None and not gold:
        raise fail("--ablate needs --valid and/or --gold files")
    sets: dict[str, list[dict]] = {}
    if valid is not None:
        sets["validation"] = read_valid(valid)
    for g in gold:
        sets[g.name.split(".")[0]] = read_gold_files([g])
    cleaner = load_cleaner(model, None)
    try:
        table = ablate(cleaner.model, sets, progress=lambda m: typer.echo(m, err=True),
                       policy=cleaner.policy, doc_model=cleaner.doc_model)
    except Exception as exc:  # noqa: BLE001
        raise fail(f"ablation failed: {type(exc).__name__}: {exc}")
    typer.echo(f"model {cleaner.version}  thresholds "
               + ", ".join(f"{k}={v:g}" for k, v in sorted(cleaner.model.thresholds.items())))
    typer.echo(format_ablation(table))
    if json_out is not None:
        try:
            json_out.write_text(json.dumps(table.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {json_out}: {exc.strerror or exc}")
    if update_card:
        from filter.artifact import meta_path, read_meta, write_meta
        from filter.evaluation.card import write_card

        path = model_path(model)
        meta = read_meta(path)
        meta["ablation"] = table.to_dict()
        write_meta(path, meta)
        write_card(meta, path.parent / "README.md")
        typer.echo(f"stored the table in {meta_path(path)} and regenerated {path.parent / 'README.md'}", err=True)
