"""Streaming batch input and output: every input record yields exactly one output record.

Readers (``read_records``) stream ``.txt`` (one document per file), ``.jsonl``/``.jsonl.gz``,
``.csv`` and ``.parquet`` (by row group) and yield ``Record(index, id, text, fields, error,
warning)`` in input order, with bounded memory whatever the input size.

A record that cannot be cleaned is still yielded, with ``error`` set and ``text=None``:
an invalid JSON line (the raw line is kept in ``fields["raw"]``), a line that is not a JSON
object, a missing, null or non-string text field (the original value is kept under the text
field's name), a CSV row with too few columns. Input that can be repaired is cleaned and
flagged with ``warning``: invalid UTF-8 (decoded with U+FFFD replacement), lone surrogates
(replaced with U+FFFD). NUL bytes and other control characters are kept as they are (offsets
stay exact); so are ``\\r\\n``/``\\r``/``\\n`` line endings. Blank lines of a JSONL or CSV file
are not records. The id is the ``id_field`` value, else the 1-based line (JSONL) or row (CSV,
Parquet) number, prefixed with the file name when several files are read; for ``.txt``, the
file name (relative to the directory given).
"""
from __future__ import annotations

import csv
import glob as _glob
import gzip
import io
import json
import math
import os
import re
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Sequence

INPUT_FORMATS = ("txt", "jsonl", "csv", "parquet")
OUTPUT_FORMATS = ("jsonl", "csv", "parquet", "txt")
RESULT_KEYS = ("id", "cleaned", "spans", "junk_ratio", "promo_ratio", "boilerplate_ratio", "doc_label", "doc_score",
               "language", "model_version")
_SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": None, ".parquet": "parquet",
    ".pq": "parquet", ".txt": "txt",
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_REPLACED_UTF8 = "invalid UTF-8 replaced with U+FFFD"
_REPLACED_SURROGATE = "lone surrogate replaced with U+FFFD"


class InputError(ValueError):
    """A problem with the inputs as a whole (missing file, unknown format, missing column)."""


READ_ERRORS = (OSError, EOFError, zlib.error)  # unreadable or corrupt (compressed) files


@dataclass
class Record:
    """One input document. ``error`` set: it could not be read as a document (``text`` is None)."""

    index: int
    id: Any
    text: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class Source:
    """One input: a file path (``None`` for stdin), its format and the id used for ``.txt``."""

    path: Path | None
    format: str
    name: str

    @property
    def size(self) -> int | None:
        try:
            return self.path.stat().st_size if self.path is not None else None
        except OSError:
            return None


# --------------------------------------------------------------------------- inputs

def detect_format(path: str | os.PathLike) -> str | None:
    """Format from the file name: ``.jsonl``, ``.csv``, ``.parquet``, ``.txt`` (optionally ``.gz``)."""
    name = str(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
        fmt = _SUFFIXES.get(os.path.splitext(name)[1])
        return fmt if fmt != "parquet" else None
    return _SUFFIXES.get(os.path.splitext(name)[1])


def resolve_inputs(inputs: Sequence[str], input_format: str | None = None) -> list[Source]:
    """Expand files, directories (recursive, known extensions), globs and ``-`` into sources.

    Raises ``InputError`` for a missing path, a glob or directory with no input, or a file
    whose format is unknown and not given by ``input_format``.
    """
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise InputError(f"unknown input format {input_format!r}; choose from {', '.join(INPUT_FORMATS)}")
    if not inputs:
        raise InputError("no input given")
    out: list[Source] = []
    for item in inputs:
        if item == "-":
            out.append(Source(None, input_format or "jsonl", "-"))
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts)
                           and (input_format is not None or detect_format(f) is not None))
            if not files:
                raise InputError(f"no input files (.txt, .jsonl, .csv, .parquet) in directory {item}")
            out += [Source(f, input_format or detect_format(f), f.relative_to(p).as_posix()) for f in files]
            continue
        if p.is_file():
            files = [p]
        elif _glob.has_magic(item):
            files = [Path(f) for f in sorted(_glob.glob(item, recursive=True)) if Path(f).is_file()]
            if not files:
                raise InputError(f"no files match {item}")
        else:
            raise InputError(f"no such file or directory: {item}")
        for f in files:
            fmt = input_format or detect_format(f)
            if fmt is None:
                raise InputError(f"unknown input format for {f}; name it .txt/.jsonl/.csv/.parquet or pass --input-format")
            out.append(Source(f, fmt, f.name))
    return out


def _open_binary(source: Source) -> BinaryIO:
    if source.path is None:
        return sys.stdin.buffer
    if str(source.path).lower().endswith(".gz"):
        return gzip.open(source.path, "rb")  # type: ignore[return-value]
    return open(source.path, "rb")


def _decode(raw: bytes) -> tuple[str, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace"), _REPLACED_UTF8


def _fix_text(text: str, warning: str | None) -> tuple[str, str | None]:
    """Replace lone surrogates (from JSON ``\\udXXX`` escapes or undecodable CSV bytes)."""
    if _SURROGATE.search(text) is None:
        return text, warning
    fixed = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if all(
        0xDC80 <= ord(c) <= 0xDCFF for c in _SURROGATE.findall(text)) else None
    if fixed is not None and _SURROGATE.search(fixed) is None:
        return fixed, warning or _REPLACED_UTF8
    return _SURROGATE.sub("\ufffd", text), warning or _REPLACED_SURROGATE


def _merge(a: str | None, b: str | None) -> str | None:
    if a and b and a != b:
        return f"{a}; {b}"
    return a or b


def _take_text(obj: dict[str, Any], text_field: str) -> tuple[str | None, str | None, str | None]:
    """Pop the text from a row; leave a non-string value in place. Returns (text, error, warning)."""
    if text_field not in obj:
        return None, f"missing text field {text_field!r}", None
    value = obj[text_field]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, f"text field {text_field!r} is null", None
    if isinstance(value, bytes):
        obj.pop(text_field)
        text, warning = _decode(value)
        return text, None, warning
    if not isinstance(value, str):
        return None, f"text field {text_field!r} is {type(value).__name__}, not a string", None
    obj.pop(text_field)
    return value, None, None


def _record(index: int, fallback_id: Any, obj: dict[str, Any], text_field: str, id_field: str,
            warning: str | None = None) -> Record:
    rid = obj.pop(id_field, None)
    if rid is None or (isinstance(rid, float) and math.isnan(rid)):
        rid = fallback_id
    elif isinstance(rid, str):
        rid = _fix_text(rid, None)[0]
    text, error, w = _take_text(obj, text_field)
    warning = _merge(warning, w)
    if text is not None:
        text, warning = _fix_text(text, warning)
    fields = {}
    for k, v in obj.items():
        if isinstance(v, str) and _SURROGATE.search(v):
            v, warning = _fix_text(v, warning)
        fields[str(k)] = v
    return Record(index, rid, text, fields, error, warning)


def _read_jsonl(source: Source, text_field: str, id_field: str, prefix: str) -> Iterator[Record]:
    fh = _open_binary(source)
    try:
        for lineno, raw in enumerate(fh, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            line, warning = _decode(raw)
            if not line.strip():
                continue
            fallback = f"{prefix}{lineno}" if prefix else lineno
            try:  # without its line break, an unterminated string is reported as such
                obj = json.loads(line.rstrip("\r\n"))
            except (ValueError, RecursionError) as exc:
                # JSONDecodeError, and what json.loads raises past its limits on valid JSON: an
                # integer of over 4,300 digits (ValueError), nesting deeper than the recursion limit
                why = (f"{exc.msg} (column {exc.colno})" if isinstance(exc, json.JSONDecodeError)
                       else "nested too deeply" if isinstance(exc, RecursionError)
                       else str(exc).split(";")[0])
                yield Record(-1, fallback, None, {"raw": _fix_text(line.rstrip("\r\n"), None)[0]},
                             f"invalid JSON on line {lineno}: {why}", warning)
                continue
            if not isinstance(obj, dict):
                yield Record(-1, fallback, None, {"raw": obj},
                             f"line {lineno} is a JSON {type(obj).__name__}, not an object", warning)
                continue
            yield _record(-1, fallback, obj, text_field, id_field, warning)
    finally:
        if source.path is not None:
            fh.close()


def raise_csv_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def _read_csv(source: Source, text_field: str, id_field: str, prefix: str) -> Iterator[Record]:
    raise_csv_limit()
    raw = _open_binary(source)
    fh = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    quotes = 0

    def lines() -> Iterator[str]:   # counts quote characters on the way (see the end of the row loop)
        nonlocal quotes
        for line in fh:
            quotes += line.count('"')
            yield line

    try:
        reader = csv.reader(lines())
        header = next(reader, None)
        name = source.path or "stdin"
        if header is None:
            return
        header = [_fix_text(h, None)[0] for h in header]
        if text_field not in header:
            raise InputError(f"no column {text_field!r} in {name}; columns are {', '.join(header)} (use --text-field)")
        rowno = 0
        held: Record | None = None   # each record waits for the next: the last may need a warning
        held_row: list[str] = []
        held_quotes = 0   # quote characters in the lines the held record was read from
        while True:
            before = quotes
            try:
                row = next(reader)
            except StopIteration:
                if held is not None:
                    if held_quotes % 2 and any("\n" in f for f in held_row):
                        # an odd number of quote characters in its lines, and a line break inside:
                        # a quoted field was never closed, and Python's csv reader then takes the
                        # rest of the file into it, later rows included, without a word
                        held.warning = _merge(held.warning, f"a quoted field in {name} is not closed: this "
                                              f"record (row {rowno}) runs to the end of the file and may "
                                              "hold the rows after it")
                    yield held
                break
            except csv.Error as exc:
                raise InputError(f"malformed CSV in {name} after row {rowno}: {exc}") from None
            rowno += 1
            if not row:
                continue
            fallback = f"{prefix}{rowno}" if prefix else rowno
            obj: dict[str, Any] = dict(zip(header, row))
            error = None
            if len(row) > len(header):
                obj["_extra_columns"] = row[len(header):]
            elif len(row) < len(header):
                error = f"row {rowno} has {len(row)} fields, the header has {len(header)}"
            rec = _record(-1, fallback, obj, text_field, id_field)
            if error and rec.error is None and rec.text is not None:
                # the text column was present: clean it, but say the row was short
                rec.warning = _merge(rec.warning, error)
            elif error:
                rec.error = error
            if held is not None:
                yield held
            held, held_row, held_quotes = rec, row, quotes - before
    finally:
        if source.path is None:
            fh.detach()
        else:
            fh.close()


def _read_parquet(source: Source, text_field: str, id_field: str, prefix: str, batch_rows: int) -> Iterator[Record]:
    import pyarrow.parquet as pq

    target: Any = source.path if source.path is not None else io.BytesIO(sys.stdin.buffer.read())
    try:
        pf = pq.ParquetFile(target)
    except Exception as exc:
        raise InputError(f"cannot read {source.path or 'stdin'} as Parquet: {exc}") from None
    names = pf.schema_arrow.names
    if text_field not in names:
        raise InputError(f"no column {text_field!r} in {source.path or 'stdin'}; columns are {', '.join(names)} (use --text-field)")
    rowno = 0
    for batch in pf.iter_batches(batch_size=batch_rows):
        for obj in batch.to_pylist():
            rowno += 1
            yield _record(-1, f"{prefix}{rowno}" if prefix else rowno, obj, text_field, id_field)


def _read_txt(source: Source, text_field: str) -> Iterator[Record]:
    fh = _open_binary(source)
    try:
        raw = fh.read()
    finally:
        if source.path is not None:
            fh.close()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    text, warning = _decode(raw)
    yield Record(-1, source.name, text, {}, None, warning)


def check_source(source: Source, text_field: str = "text") -> None:
    """Fail early (``InputError``) if a CSV/Parquet file has no text column or is unreadable."""
    if source.path is None:
        return
    try:
        if source.format == "csv":
            next(_read_csv(source, text_field, "\0", ""), None)
        elif source.format == "parquet":
            next(_read_parquet(source, text_field, "\0", "", 1), None)
        else:
            with _open_binary(source) as fh:
                fh.read(1)
    except InputError:
        raise
    except READ_ERRORS as exc:
        raise InputError(f"cannot read {source.path}: {exc}") from None


def read_source(source: Source, text_field: str = "text", id_field: str = "id", prefix: str = "",
                batch_rows: int = 1024) -> Iterator[Record]:
    """Records of one source (``index`` left at -1; ``read_records`` numbers them)."""
    if source.format == "jsonl":
        return _read_jsonl(source, text_field, id_field, prefix)
    if source.format == "csv":
        return _read_csv(source, text_field, id_field, prefix)
    if source.format == "parquet":
        return _read_parquet(source, text_field, id_field, prefix, batch_rows)
    if source.format == "txt":
        return _read_txt(source, text_field)
    raise InputError(f"unknown input format {source.format!r}")


def read_records(sources: Sequence[Source] | Sequence[str], text_field: str = "text", id_field: str = "id",
                 input_format: str | None = None, batch_rows: int = 1024) -> Iterator[Record]:
    """Stream the records of all sources in order, numbered 0, 1, 2... (``Record.index``).

    ``sources`` may be ``Source`` objects or the raw input strings accepted by ``resolve_inputs``.
    """
    srcs = [s for s in sources if isinstance(s, Source)]
    if len(srcs) != len(sources):
        srcs = resolve_inputs([str(s) for s in sources], input_format)
    several = len(srcs) > 1
    index = 0
    for src in srcs:
        prefix = f"{src.name}:" if several and src.format != "txt" else ""
        for rec in _until_unreadable(src, read_source(src, text_field, id_field, prefix, batch_rows), prefix):
            rec.index = index
            index += 1
            yield rec


def _until_unreadable(src: Source, records: Iterator[Record], prefix: str) -> Iterator[Record]:
    """``records``, and if the file breaks off part-way (a truncated or corrupt ``.gz``, a read
    error), one error record saying where and why in place of the rest: the records read
    before it are kept and the next input follows (a run used to stop there and drop its
    partial output)."""
    n = 0
    while True:
        try:
            rec = next(records)
        except StopIteration:
            return
        except READ_ERRORS as exc:
            where = str(src.path) if src.path is not None else "standard input"
            yield Record(-1, f"{prefix or src.name + ':'}unreadable", None, {},
                         f"cannot read {where} past its first {n} records: {exc}")
            return
        n += 1
        yield rec


@dataclass
class Picked:
    """One record chosen from a file: the record, its 1-based position and the file's record count."""

    record: Record
    position: int
    total: int


def read_text_arg(path: Path, record_id: str | None = None, text_field: str = "text",
                  id_field: str = "id", index: int | None = None) -> Picked:
    """One record from a file: the whole ``.txt``, or of a table the record with id ``record_id``,
    else the ``index``-th (1-based), else the first; the file is read to the end to count them."""
    if record_id is not None and index is not None:
        raise InputError("give --id or --index, not both")
    if index is not None and index < 1:
        raise InputError(f"--index counts from 1, got {index}")
    fmt = detect_format(path) or "txt"
    chosen: Picked | None = None
    total = 0
    for rec in read_source(Source(path, fmt, path.name), text_field, id_field):
        total += 1
        if chosen is None and ((record_id is not None and str(rec.id) == str(record_id))
                               or (record_id is None and (index or 1) == total)):
            rec.index = 0
            chosen = Picked(rec, total, 0)
    if chosen is None:
        if total == 0:
            raise InputError(f"{path} has no records")
        if record_id is not None:
            raise InputError(f"no record with id {record_id!r} in {path}")
        raise InputError(f"--index {index} is past the end of {path}, which has {total} records")
    chosen.total = total
    return chosen


# --------------------------------------------------------------------------- output records
