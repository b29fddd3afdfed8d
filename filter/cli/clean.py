"""``filter clean`` (batch cleaning of files) and ``filter inspect`` (one document in the terminal).

Exit codes of ``filter clean``: 0 every record cleaned; 1 some records failed (their output
records carry ``error`` under ``--on-error record``, are left out under ``skip``; under ``fail``
the run stops at the first one and writes nothing); 2 a usage error (missing file, unknown
format, missing text column, unreadable model); 130 interrupted (the partial output is kept
beside the final name for ``--resume``).
"""
from __future__ import annotations

import io
import os
import sys
import time
from collections import Counter
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Optional

import typer

from filter.cli import UserError, app, fail
from filter.io import (READ_ERRORS, InputError, Record, check_output, check_source, open_writer, output_is_an_input,
                       output_record, read_records, read_text_arg, resolve_inputs, skip_done)
from filter.spans import LABELS

ON_ERROR = ("record", "skip", "fail")


def load_cleaner(model: Optional[Path] = None, **policy: Any) -> "Any":
    """``Cleaner.load`` with user-facing errors (bad policy, missing or unreadable model)."""
    from filter.cleaner import DEFAULT_MODEL, Cleaner, Policy

    try:
        Policy(**policy)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    path = Path(model) if model is not None else Path(os.environ.get("FILTER_MODEL") or DEFAULT_MODEL)
    if not path.is_file():
        hint = "" if model is not None else " (train one with `filter train`, or pass --model PATH)"
        raise UserError(f"model file not found: {path}{hint}")
    try:
        return Cleaner.load(path, **policy)
    except Exception as exc:  # corrupt, wrong checksum, incompatible version...
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"cannot load model {path}: {msg}") from None


def parse_policy(remove: str, threshold: Optional[float], annotate_only: bool) -> dict[str, Any]:
    labels = tuple(x.strip() for x in remove.split(",") if x.strip())
    bad = [x for x in labels if x not in LABELS]
    if bad:
        raise UserError(f"unknown label(s) in --remove: {', '.join(bad)}; choose from {', '.join(LABELS)}")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise UserError(f"--threshold must be between 0 and 1, got {threshold}")
    return {"remove": labels, "threshold": threshold, "annotate_only": annotate_only}


@dataclass
class Summary:
    """Counts for the end-of-run line."""

    documents: int = 0
    failed: int = 0
    warnings: int = 0
    skipped_done: int = 0
    workers: int = 1
    why_serial: str = ""
    chars: int = 0
    bytes: int = 0
    spans: Counter = field(default_factory=Counter)
    steps: Counter = field(default_factory=Counter)   # spans per decode step that made them
    pages: Counter = field(default_factory=Counter)
    start: float = field(default_factory=time.perf_counter)

    def add(self, rec: Record, result: Any, error: Optional[str]) -> None:
        self.documents += 1
        self.failed += error is not None
        self.warnings += rec.warning is not None
        if rec.text is not None:
            self.chars += len(rec.text)
            self.bytes += len(rec.text.encode("utf-8", "surrogatepass"))
        if result is not None:
            self.spans.update(s.label for s in result.spans)
            self.steps.update(s.step for s in result.spans if getattr(s, "step", ""))
            if result.doc_label:
                self.pages[result.doc_label] += 1
            if result.language not in ("id", ""):
                self.pages["not Indonesian"] += 1

    def line(self) -> str:
        secs = max(time.perf_counter() - self.start, 1e-9)
        spans = ", ".join(f"{k} {self.spans.get(k, 0)}" for k in LABELS)
        parts = [f"{self.documents} documents", f"{self.failed} failed"]
        if self.warnings:
            parts.append(f"{self.warnings} with warnings")
        if self.skipped_done:
            parts.append(f"{self.skipped_done} already done (resumed)")
        parts.append(f"spans: {spans}")
        if self.pages:
            parts.append("pages: " + ", ".join(f"{k} {v}" for k, v in sorted(self.pages.items())))
        parts += [(f"1 process (no workers: {self.why_serial})" if self.why_serial else "1 process (no workers)")
                  if self.workers <= 1 else f"{self.workers} workers",
                  f"{secs:.1f} s", f"{self.documents / secs:.1f} docs/s",
                  f"{self.bytes / secs / 1e6:.2f} MB/s"]
        return "filter: " + ", ".join(parts)

    def steps_line(self) -> str:
        """Spans per decode step that made them (provenance), most frequent first; "" if none."""
        if not self.steps:
            return ""
        return "filter: spans by decode step: " + ", ".join(f"{k} {n}" for k, n in self.steps.most_common())


class Progress:
    """A one-line progress bar on stderr, shown only on a TTY, after the first second."""

    def __init__(self, enabled: bool, total_bytes: Optional[int]) -> None:
        self.enabled = enabled
        self.total = total_bytes or None
        self.start = time.perf_counter()
        self.last = 0.0
        self.shown = False

    def update(self, docs: int, done_bytes: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.start < 1.0 or now - self.last < 0.2:
            return
        self.last = now
        rate = docs / (now - self.start)
        if self.total:
            frac = min(done_bytes / self.total, 0.99)
            bar = "#" * int(frac * 30)
            head = f"[{bar:<30}] {frac:4.0%} "
        else:
            head = ""
        sys.stderr.write(f"\r{head}{docs:,} docs, {rate:,.0f} docs/s ")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


@app.command()
def clean(
    inputs: List[str] = typer.Argument(..., metavar="INPUT", help="Files, directories, globs, or - for stdin.", show_default=False),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Output file (or directory for txt); default stdout (JSONL)."),
    input_format: Optional[str] = typer.Option(None, help="txt, jsonl, csv or parquet (default: by extension; stdin: jsonl)."),
    output_format: Optional[str] = typer.Option(None, help="jsonl, csv, parquet or txt (default: by extension)."),
    text_field: str = typer.Option("text", help="Column/field holding the document text."),
    id_field: str = typer.Option("id", help="Column/field holding the id (default: line/row number)."),
    remove: str = typer.Option("promo,boilerplate", help="Labels to remove, comma-separated."),
    threshold: Optional[float] = typer.Option(None, help="One score threshold for all labels (default: the model's)."),
    annotate_only: bool = typer.Option(False, "--annotate-only", help="Report spans, keep the text unchanged."),
    model: Optional[Path] = typer.Option(None, help="Model artifact (default: models/filter-id-news.npz or $FILTER_MODEL)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", help="Worker processes, each single-threaded; -1 = all cores (default: workers only for inputs over 5 M characters of text, one per idle core; else one process)."),
    chunksize: int = typer.Option(64, help="Documents per task sent to a worker."),
    on_error: str = typer.Option("record", help="A record that fails: record (output it with an error field), skip, or fail."),
    resume: bool = typer.Option(False, "--resume", help="Skip ids already in the output (or its kept partial file) and complete it."),
    max_chars: int = typer.Option(0, help="Fail (keep unchanged, with an error) documents longer than this; 0 = no limit."),
    keep_text: bool = typer.Option(False, "--keep-text", help="Keep each record's original text in the output (under --text-field), so `filter review OUT` can show what was removed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Clean documents in batch: one output record (cleaned text, spans, ratios) per input record.

    A record that cannot be cleaned (invalid JSON, missing or non-string text, a model error) still gets an output record, with an "error" field and its original text; repaired input (invalid UTF-8) gets a "warning". Output goes to a hidden partial file moved into place at the end; complete an interrupted run with --resume.

    Exit codes: 0 all records cleaned; 1 some records failed; 2 usage error; 130 interrupted.
    """
    try:
        code = _clean(inputs, output, input_format, output_format, text_field, id_field, remove, threshold,
                      annotate_only, model, workers, chunksize, on_error, resume, quiet, max_chars, keep_text)
    except (UserError, InputError) as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)


def _limit_length(records: Iterable[Record], max_chars: int) -> Iterator[Record]:
    """Turn documents longer than ``max_chars`` into error records (their text is kept)."""
    for rec in records:
        if max_chars and rec.error is None and rec.text is not None and len(rec.text) > max_chars:
            rec.error = f"document too long: {len(rec.text)} characters > --max-chars {max_chars}"
        yield rec


def _clean(inputs, output, input_format, output_format, text_field, id_field, remove, threshold,
           annotate_only, model, workers, chunksize, on_error, resume, quiet, max_chars=0, keep_text=False) -> int:
    if on_error not in ON_ERROR:
        raise UserError(f"--on-error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
    if workers is not None and workers == 0:
        raise UserError("--workers must be a positive number (or -1 for all cores)")
    if chunksize < 1:
        raise UserError("--chunksize must be at least 1")
    if max_chars < 0:
        raise UserError("--max-chars must be 0 (no limit) or positive")
    sources = resolve_inputs(inputs, input_format)
    if sum(s.path is None for s in sources) > 1:
        raise UserError("stdin (-) can be given only once")
    for s in sources:
        check_source(s, text_field)
    if output not in (None, "-"):
        if output_is_an_input(output, [src.path for src in sources]):
            raise UserError(f"the output {output} is also an input; write to another file")
    check_output(output, output_format)  # before any work: the model is not loaded for a run that cannot write
    cleaner = load_cleaner(model, **parse_policy(remove, threshold, annotate_only))
    writer = open_writer(output, output_format, resume)
    for note in getattr(writer, "notes", []):
        typer.echo(f"filter: note: {note}", err=True)

    from filter.parallel import AUTO_MIN_PARALLEL_CHARS, PoolStats, clean_records

    summary = Summary()
    pool = PoolStats()
    summary.skipped_done = writer.resumed
    sizes = [s.size for s in sources]
    total = sum(sizes) if all(x is not None for x in sizes) and all(s.format != "parquet" for s in sources) else None
    progress = Progress(not quiet and _is_tty(sys.stderr), total)
    records = _limit_length(skip_done(read_records(sources, text_field, id_field), writer.done), max_chars)
    try:
        # one OpenMP/BLAS thread per process: the model's many small predictions lose far
        # more to thread start-up and contention than they gain; --workers gives the parallelism
        # without --workers: workers only for an input long enough to repay their start-up
        auto = AUTO_MIN_PARALLEL_CHARS if workers is None else 0
        for rec, result, error in clean_records(cleaner, records, n_jobs=workers, chunksize=chunksize,
                                                threads_per_worker=1, min_parallel_chars=auto, stats=pool):
            summary.workers, summary.why_serial = pool.workers, pool.reason
            summary.add(rec, result, error)
            if error is not None and on_error == "fail":
                writer.abort(keep=False)
                progress.done()
                typer.echo(f"filter: error: record {rec.id!r} failed: {error}", err=True)
                return 1
            if error is None or on_error == "record":
                writer.write(output_record(rec, result, error, text_field, cleaner.version, keep_text))
            progress.update(summary.documents, summary.bytes)
        writer.close()
    except KeyboardInterrupt:
        writer.abort(keep=True)
        progress.done()
        where = f"; partial output kept in {writer.partial}, rerun with --resume to complete it" if output not in (None, "-") else ""
        typer.echo(f"filter: interrupted after {summary.documents} documents{where}", err=True)
        return 130
    except BrokenPipeError:  # `filter clean ... | head`: stop quietly
        writer.abort(keep=False)
        try:  # so the interpreter's final flush of stdout does not complain either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass
        return 141
    except BrokenProcessPool:
        writer.abort(keep=True)
        progress.done()
        raise UserError("a worker process died (out of memory?); partial output kept, "
                        "rerun with --resume and fewer --workers or a smaller --chunksize") from None
    except (InputError, *READ_ERRORS) as exc:
        writer.abort(keep=False)
        progress.done()
        raise UserError(str(exc)) from None
    except BaseException:
        writer.abort(keep=True)
        progress.done()
        raise
    progress.done()
    if not quiet:
        typer.echo(summary.line(), err=True)
        if summary.steps_line():
            typer.echo(summary.steps_line(), err=True)
    return 1 if summary.failed else 0


# --------------------------------------------------------------------------- inspect

_COLORS = {"promo": "red", "boilerplate": "yellow"}


def render_marked(text: str, spans: list, removed: tuple[str, ...], color: bool) -> str:
    """The text with each span marked: ``[-label:kind score @step: text-]`` if removed, ``[~…~]`` if kept.

    With ``color``, removed spans are struck through in their label's colour and kept spans
    underlined, each followed by a dim ``⟨label:kind score⟩`` tag.
    """
    out, pos = [], 0
    for s in spans:
        out.append(text[pos:s.start])
        seg = text[s.start:s.end]
        tag = f"{s.label}:{s.kind} {s.score:.2f}" if s.kind else f"{s.label} {s.score:.2f}"
        if getattr(s, "step", ""):
            tag += f" @{s.step}"   # provenance: the decode step that made the span
        gone = s.label in removed
        if color:
            fg = _COLORS.get(s.label, "magenta")
            out.append(typer.style(seg, fg=fg, strikethrough=gone, underline=not gone))
            out.append(typer.style(f"⟨{tag}{'' if gone else ' kept'}⟩", fg=fg, dim=True))
        else:
            m = "-" if gone else "~"
            out.append(f"[{m}{tag}: {seg}{m}]")
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def _inspect_record(target: Optional[str], text: Optional[str], record_id: Optional[str], index: Optional[int],
                    text_field: str, id_field: str) -> tuple[Record, str]:
    """The record to inspect and a note on which one it is (empty for a literal text or a .txt)."""
    if (target is None) == (text is None):
        raise UserError("give a file (or - for stdin) or --text \"...\", one of the two")
    if text is not None:
        return Record(0, "text", text), ""
    if target == "-":
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
        if not _looks_like_jsonl(data, text_field):
            if record_id is not None or index is not None:
                raise UserError("--id and --index pick a record of JSONL; standard input is plain text here")
            return Record(0, "-", data.decode("utf-8", "replace")), ""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="filter-inspect-") as tmp:   # JSONL piped in: as a file
            path = Path(tmp) / "stdin.jsonl"
            path.write_bytes(data)
            return _picked_record(path, "standard input", record_id, text_field, id_field, index)
    p = Path(target)
    try:
        is_file, is_dir = p.is_file(), p.is_dir()
    except OSError:  # a name too long for the file system, ...
        is_file = is_dir = False
    if is_dir:
        raise UserError(f"{target} is a directory; give a file")
    if not is_file:
        hint = "" if "\n" in target else ' (to inspect a literal text, pass --text "...")'
        raise UserError(f"no such file: {target[:80]}{hint}")
    return _picked_record(p, target, record_id, text_field, id_field, index)


def _picked_record(path: Path, name: str, record_id: Optional[str], text_field: str, id_field: str,
                   index: Optional[int]) -> tuple[Record, str]:
    picked = read_text_arg(path, record_id, text_field, id_field, index)
    rec = picked.record
    if rec.error is not None:
        raise UserError(f"record {rec.id!r} of {name} cannot be inspected: {rec.error}")
    note = ""
    if picked.total > 1:
        note = (f"record {picked.position} of {picked.total} in {name} (id {rec.id}); "
                f"pick another with --id ID or --index N")
    return rec, note


def _looks_like_jsonl(data: bytes, text_field: str) -> bool:
    """Whether piped input is JSONL rather than a text: its first non-blank line is a JSON object
    with the text field (what ``filter clean -`` reads)."""
    import json

    first = next((ln for ln in data.lstrip(b"\xef\xbb\xbf").splitlines() if ln.strip()), b"")
    if not first.lstrip().startswith(b"{"):
        return False
    try:
        obj = json.loads(first)
    except (ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and text_field in obj


@app.command()
def inspect(
    target: Optional[str] = typer.Argument(None, help="A .txt/.jsonl/.csv/.parquet file, or - for stdin.", show_default=False),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Inspect this literal text instead of a file."),
    model: Optional[Path] = typer.Option(None, help="Model artifact (default: the bundled one)."),
    record_id: Optional[str] = typer.Option(None, "--id", help="Record id in a JSONL/CSV/Parquet file (default: the first record)."),
    index: Optional[int] = typer.Option(None, "--index", help="Record number (1 = first) in a JSONL/CSV/Parquet file."),
    text_field: str = typer.Option("text", help="Field holding the text (tables)."),
    id_field: str = typer.Option("id", help="Field holding the id (tables)."),
    remove: str = typer.Option("promo,boilerplate", help="Labels that would be removed (others shown as kept)."),
    threshold: Optional[float] = typer.Option(None, help="One score threshold for all labels."),
    no_color: bool = typer.Option(False, "--no-color", help="Plain markers instead of colours."),
) -> None:
    """Show one document with its detected spans marked by label, kind and score.

    Give a file (a table shows its first record unless --id or --index picks another), - for stdin, or --text "..." for a literal text.
    """
    try:
        rec, note = _inspect_record(target, text, record_id, index, text_field, id_field)
        policy = parse_policy(remove, threshold, False)
        cleaner = load_cleaner(model, **policy)
    except (UserError, InputError) as exc:
        raise fail(str(exc)) from None
    result = cleaner.clean(rec.text)
    color = not no_color and _is_tty(sys.stdout)
    counts = Counter(s.label for s in result.spans)
    head = (f"id {rec.id} · model {result.model_version} · "
            + ", ".join(f"{counts.get(k, 0)} {k}" for k in LABELS)
            + f" · junk {result.junk_ratio:.1%}")
    if result.doc_label:
        head += f" · page {result.doc_label} {result.doc_score:.2f}"
    if result.language:
        head += f" · language {result.language}"
    if rec.warning:
        head += f" · warning: {rec.warning}"
    typer.echo(typer.style(head, bold=True) if color else head)
    typer.echo(render_marked(rec.text, result.spans, cleaner.policy.remove, color), color=color)
    if note:
        typer.echo(f"filter: {note}", err=True)
