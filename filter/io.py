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

Writers (``open_writer``) write JSONL, CSV, Parquet, or a directory of ``.txt`` files plus an
``index.jsonl``. Output goes to a hidden temp file beside the final one
(``.NAME.partial``), written a whole chunk at a time, and is moved into place with
``os.replace`` only when the run completes: an interrupted run never leaves a half-written file
under the final name. ``resume=True`` continues from the kept partial file (or a complete
earlier output) and reports the ids already done (``Writer.done``), so nothing is duplicated.
"""
from __future__ import annotations

import base64
import csv
import datetime as _dt
import glob as _glob
import gzip
import io
import json
import math
import os
import re
import shutil
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, Iterable, Iterator, Sequence

from filter.spans import CleanResult

INPUT_FORMATS = ("txt", "jsonl", "csv", "parquet")
OUTPUT_FORMATS = ("jsonl", "csv", "parquet", "txt")
RESULT_KEYS = ("id", "cleaned", "spans", "junk_ratio", "promo_ratio", "boilerplate_ratio", "model_version")
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
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Record(-1, fallback, None, {"raw": _fix_text(line.rstrip("\r\n"), None)[0]},
                             f"invalid JSON on line {lineno}: {exc.msg} (column {exc.colno})", warning)
                continue
            if not isinstance(obj, dict):
                yield Record(-1, fallback, None, {"raw": obj},
                             f"line {lineno} is a JSON {type(obj).__name__}, not an object", warning)
                continue
            yield _record(-1, fallback, obj, text_field, id_field, warning)
    finally:
        if source.path is not None:
            fh.close()


def _raise_csv_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def _read_csv(source: Source, text_field: str, id_field: str, prefix: str) -> Iterator[Record]:
    _raise_csv_limit()
    raw = _open_binary(source)
    fh = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        reader = csv.reader(fh)
        header = next(reader, None)
        name = source.path or "stdin"
        if header is None:
            return
        header = [_fix_text(h, None)[0] for h in header]
        if text_field not in header:
            raise InputError(f"no column {text_field!r} in {name}; columns are {', '.join(header)} (use --text-field)")
        rowno = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
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
            yield rec
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
        for rec in read_source(src, text_field, id_field, prefix, batch_rows):
            rec.index = index
            index += 1
            yield rec


def read_text_arg(path: Path, record_id: str | None = None, text_field: str = "text",
                  id_field: str = "id") -> Record:
    """One record from a file: the whole ``.txt``, or the ``record_id`` record (default first) of a table."""
    fmt = detect_format(path)
    if fmt is None:
        fmt = "txt"
    for rec in read_source(Source(path, fmt, path.name), text_field, id_field):
        if record_id is None or str(rec.id) == str(record_id):
            rec.index = 0
            return rec
    if record_id is None:
        raise InputError(f"{path} has no records")
    raise InputError(f"no record with id {record_id!r} in {path}")


# --------------------------------------------------------------------------- output records

def output_record(rec: Record, result: CleanResult | None, error: str | None = None,
                  text_field: str = "text", model_version: str | None = None) -> dict[str, Any]:
    """The output record for an input record: result fields, ``error``/``warning``, passthrough.

    A failed record has ``cleaned: null``, empty spans, null ratios, and keeps its original text
    (under the text field's name, when there was one) so nothing is lost. Input fields whose
    names clash with result fields are passed through as ``input_<name>``.
    """
    out: dict[str, Any] = {"id": rec.id}
    if result is not None and error is None:
        out["cleaned"] = result.cleaned
        out["spans"] = [s.to_dict() for s in result.spans]
        out.update(result.quality())
        out["model_version"] = result.model_version
    else:
        out.update({"cleaned": None, "spans": [], "junk_ratio": None, "promo_ratio": None,
                    "boilerplate_ratio": None, "model_version": result.model_version if result else model_version})
    if error is not None:
        out["error"] = error
        if rec.text is not None:
            out[text_field] = rec.text
    if rec.warning is not None:
        out["warning"] = rec.warning
    for k, v in rec.fields.items():
        key = k if k not in out and k not in ("error", "warning") else f"input_{k}"
        out[key] = v
    return out


def _json_default(o: Any) -> Any:
    if isinstance(o, (_dt.datetime, _dt.date, _dt.time)):
        return o.isoformat()
    if isinstance(o, bytes):
        return base64.b64encode(o).decode("ascii")
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, (set, frozenset)):
        return sorted(o, key=str)
    return str(o)


def _nan_to_none(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _nan_to_none(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_nan_to_none(v) for v in o]
    return o


def to_json_line(obj: dict[str, Any]) -> bytes:
    """One JSONL line (UTF-8). Non-finite floats become null; unencodable text is escaped."""
    try:
        s = json.dumps(obj, ensure_ascii=False, default=_json_default, allow_nan=False)
    except ValueError:
        s = json.dumps(_nan_to_none(obj), ensure_ascii=False, default=_json_default, allow_nan=False)
    if "\u2028" in s or "\u2029" in s or "\x85" in s:  # line breaks to str.splitlines()
        s = s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")
    try:
        return (s + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(json.loads(s), ensure_ascii=True) + "\n").encode("ascii")


def _cell(v: Any) -> Any:
    """A CSV/Parquet cell: strings as they are, other values as JSON text."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (bool, int, float)):
        return json.dumps(v)
    return json.dumps(_nan_to_none(v), ensure_ascii=False, default=_json_default)


# --------------------------------------------------------------------------- writers

def partial_path(final: Path) -> Path:
    """Where a run writes before moving its output into place: ``.NAME.partial`` beside it."""
    return final.with_name(f".{final.name}.partial")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _id_key(v: Any) -> str:
    return str(v)


class Writer:
    """Base writer: ``write(record)`` … ``close()`` (commit) or ``abort(keep)``.

    ``done`` counts the ids already present when resuming; ``resumed`` is how many records the
    output held before this run. ``write`` buffers ``chunk_rows`` records and writes them at once.
    """

    format = ""

    def __init__(self, final: Path, resume: bool = False, chunk_rows: int = 256) -> None:
        self.final = Path(final)
        self.partial = partial_path(self.final)
        self.chunk_rows = chunk_rows
        self.done: Counter[str] = Counter()
        self.resumed = 0
        self._buf: list[dict[str, Any]] = []
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self._open(resume)

    # subclasses implement these
    def _open(self, resume: bool) -> None: ...
    def _flush(self, rows: list[dict[str, Any]]) -> None: ...
    def _close_file(self) -> None: ...

    def write(self, record: dict[str, Any]) -> None:
        self._buf.append(record)
        if len(self._buf) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            rows, self._buf = self._buf, []
            self._flush(rows)

    def close(self) -> None:
        """Flush and move the output into place under its final name."""
        self.flush()
        self._close_file()
        os.replace(self.partial, self.final)

    def abort(self, keep: bool = True) -> None:
        """Stop without committing: keep the partial file (for ``--resume``) or delete it."""
        try:
            self.flush()
        except Exception:
            pass
        try:
            self._close_file()
        finally:
            if not keep:
                self.partial.unlink(missing_ok=True)

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort(keep=True)


def _jsonl_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(end offset, object) of each complete, valid JSON line; stops at the first bad one."""
    offset = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                return
            try:
                obj = json.loads(raw)
            except ValueError:
                return
            offset += len(raw)
            yield offset, obj


class JsonlWriter(Writer):
    format = "jsonl"

    def _open(self, resume: bool) -> None:
        if resume:
            if not self.partial.exists() and self.final.exists():
                shutil.copyfile(self.final, self.partial)
            if self.partial.exists():
                good = 0
                for good, obj in _jsonl_lines(self.partial):
                    self.done[_id_key(obj.get("id"))] += 1
                    self.resumed += 1
                with open(self.partial, "r+b") as fh:
                    fh.truncate(good)
        mode = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if resume else os.O_TRUNC)
        self._fd: int | None = os.open(self.partial, mode, 0o644)

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        assert self._fd is not None
        _write_all(self._fd, b"".join(to_json_line(r) for r in rows))

    def _close_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _TableWriter(Writer):
    """CSV/Parquet: fixed columns decided from the first chunk; later new fields go to ``extra``."""

    def _columns_for(self, rows: list[dict[str, Any]]) -> list[str]:
        cols = list(RESULT_KEYS) + ["error", "warning"]
        for r in rows:
            for k in r:
                if k not in cols:
                    cols.append(k)
        return cols + (["extra"] if "extra" not in cols else [])

    def _rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            row = {c: None for c in self.columns}
            extra = {}
            for k, v in r.items():
                if k == "spans":
                    row[k] = json.dumps(v, ensure_ascii=False)
                elif k in ("junk_ratio", "promo_ratio", "boilerplate_ratio"):
                    row[k] = v
                elif k in row:
                    row[k] = _cell(v)
                else:
                    extra[k] = v
            if extra:
                row["extra"] = _cell(extra)
            out.append(row)
        return out


class CsvWriter(_TableWriter):
    format = "csv"

    def _open(self, resume: bool) -> None:
        self.columns: list[str] | None = None
        if resume:
            _raise_csv_limit()
            if not self.partial.exists() and self.final.exists():
                shutil.copyfile(self.final, self.partial)
            if self.partial.exists():
                self._recover()
        self._fd: int | None = os.open(self.partial, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if resume else os.O_TRUNC), 0o644)

    def _recover(self) -> None:
        """Rewrite the kept partial CSV with only its whole rows; count their ids."""
        with open(self.partial, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            ends_ok = size == 0 or (fh.seek(size - 1) is not None and fh.read(1) == b"\n")
        tmp = self.partial.with_name(self.partial.name + ".tmp")
        with open(self.partial, "r", encoding="utf-8", errors="replace", newline="") as src, \
                open(tmp, "w", encoding="utf-8", newline="") as dst:
            reader = csv.reader(src)
            try:
                header = next(reader)
            except (StopIteration, csv.Error):
                header = []
            if "id" not in header:
                header = []
            writer = csv.writer(dst)
            if header:
                writer.writerow(header)
                idx = header.index("id")
                prev: list[str] | None = None
                try:
                    for row in reader:
                        if prev is not None:
                            writer.writerow(prev)
                            self.done[prev[idx]] += 1
                            self.resumed += 1
                        prev = row if len(row) == len(header) else None
                        if prev is None:
                            break
                except csv.Error:
                    prev = None
                if prev is not None and ends_ok:
                    writer.writerow(prev)
                    self.done[prev[idx]] += 1
                    self.resumed += 1
        if header:
            self.columns = header
            os.replace(tmp, self.partial)
        else:
            tmp.unlink()
            self.partial.unlink()

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        if self.columns is None:
            self.columns = self._columns_for(rows)
            head = io.StringIO(newline="")
            csv.writer(head).writerow(self.columns)
            assert self._fd is not None
            _write_all(self._fd, head.getvalue().encode("utf-8"))
        buf = io.StringIO(newline="")
        w = csv.DictWriter(buf, fieldnames=self.columns, extrasaction="ignore")
        w.writerows(self._rows(rows))
        _write_all(self._fd, buf.getvalue().encode("utf-8"))  # type: ignore[arg-type]

    def _close_file(self) -> None:
        if self._fd is not None:
            if self.columns is None:  # no rows at all: still a valid CSV with a header
                self.columns = self._columns_for([])
                head = io.StringIO(newline="")
                csv.writer(head).writerow(self.columns)
                _write_all(self._fd, head.getvalue().encode("utf-8"))
            os.close(self._fd)
            self._fd = None



class ParquetWriter(_TableWriter):
    """Parquet, one row group per chunk; a partial file is readable only after a clean abort."""

    format = "parquet"

    def __init__(self, final: Path, resume: bool = False, chunk_rows: int = 4096) -> None:
        self.notes: list[str] = []
        super().__init__(final, resume, chunk_rows)

    def _open(self, resume: bool) -> None:
        import pyarrow.parquet as pq

        self.columns: list[str] | None = None
        self._pw: Any = None
        self._schema: Any = None
        if not resume:
            self.partial.unlink(missing_ok=True)
            return
        src = None
        for cand in (self.partial, self.final):
            if cand.exists():
                try:
                    pq.ParquetFile(cand).schema_arrow
                    src = cand
                    break
                except Exception:
                    self.notes.append(f"{cand} is not a complete Parquet file (killed run?); not resuming from it")
        if src is None:
            self.partial.unlink(missing_ok=True)
            return
        old = self.partial.with_name(self.partial.name + ".resume-src")
        if src == self.partial:
            os.replace(self.partial, old)
        else:
            shutil.copyfile(src, old)
        pf = pq.ParquetFile(old)
        self._schema = pf.schema_arrow
        self.columns = list(self._schema.names)
        self._pw = pq.ParquetWriter(self.partial, self._schema)
        for batch in pf.iter_batches(batch_size=self.chunk_rows):
            self._pw.write_batch(batch)
            for v in batch.column("id").to_pylist():
                self.done[_id_key(v)] += 1
                self.resumed += 1
        old.unlink()

    def _make_schema(self) -> Any:
        import pyarrow as pa

        floats = {"junk_ratio", "promo_ratio", "boilerplate_ratio"}
        return pa.schema([(c, pa.float64() if c in floats else pa.string()) for c in self.columns or []])

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.columns is None:
            self.columns = self._columns_for(rows)
        if self._pw is None:
            self._schema = self._make_schema()
            self._pw = pq.ParquetWriter(self.partial, self._schema)
        self._pw.write_table(pa.Table.from_pylist(self._rows(rows), schema=self._schema))

    def _close_file(self) -> None:
        if self._pw is None and self.columns is None:
            self._flush([])
        if self._pw is not None:
            self._pw.close()
            self._pw = None


_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_filename(rid: Any, limit: int = 150) -> str:
    """A file name for a document id: unsafe characters → ``_``, ``.txt`` added."""
    name = _UNSAFE.sub("_", str(rid)).strip("._") or "doc"
    if name.lower().endswith(".txt"):
        name = name[:-4]
    return name[:limit] + ".txt"


class TxtDirWriter(Writer):
    """A directory with one ``<id>.txt`` per cleaned document and ``index.jsonl`` for every record.

    ``index.jsonl`` holds each output record without ``cleaned`` plus ``file`` (null for a failed
    record, whose original text stays in the index). Each ``.txt`` is written atomically; the
    index follows the same partial-then-replace rule as a JSONL output.
    """

    format = "txt"

    def __init__(self, final: Path, resume: bool = False, chunk_rows: int = 256) -> None:
        final = Path(final)
        if final.exists() and not final.is_dir():
            raise InputError(f"--output-format txt needs a directory, but {final} is a file")
        final.mkdir(parents=True, exist_ok=True)
        self.dir = final
        self.index = JsonlWriter(final / "index.jsonl", resume, chunk_rows)
        self.done = self.index.done
        self.resumed = self.index.resumed
        self.final, self.partial = self.index.final, self.index.partial
        self._used: set[str] = set()
        if resume:
            for _, obj in _jsonl_lines(self.index.partial):
                if obj.get("file"):
                    self._used.add(obj["file"])

    def write(self, record: dict[str, Any]) -> None:
        rec = dict(record)
        cleaned = rec.pop("cleaned", None)
        name = None
        if cleaned is not None:
            name = safe_filename(rec.get("id"))
            if name in self._used:
                stem, n = name[:-4], 2
                while f"{stem}-{n}.txt" in self._used:
                    n += 1
                name = f"{stem}-{n}.txt"
            self._used.add(name)
            tmp = self.dir / f".{name}.partial"
            with open(tmp, "w", encoding="utf-8", errors="surrogatepass", newline="") as fh:
                fh.write(cleaned)
            os.replace(tmp, self.dir / name)
        self.index.write({"id": rec.pop("id"), "file": name, **rec})

    def flush(self) -> None:
        self.index.flush()

    def close(self) -> None:
        self.index.close()

    def abort(self, keep: bool = True) -> None:
        self.index.abort(keep)


class StreamWriter(Writer):
    """JSONL or CSV to an open binary stream (stdout): no temp file, no resume."""

    def __init__(self, stream: IO[bytes], fmt: str = "jsonl", chunk_rows: int = 64) -> None:
        if fmt not in ("jsonl", "csv"):
            raise InputError(f"cannot write {fmt} to stdout; give -o FILE")
        self.format = fmt
        self.stream = stream
        self.chunk_rows = chunk_rows
        self.done = Counter()
        self.resumed = 0
        self._buf = []
        self.columns: list[str] | None = None

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        if self.format == "jsonl":
            self.stream.write(b"".join(to_json_line(r) for r in rows))
        else:
            tw = _TableWriter.__new__(_TableWriter)
            if self.columns is None:
                self.columns = tw._columns_for(rows)
                head = io.StringIO(newline="")
                csv.writer(head).writerow(self.columns)
                self.stream.write(head.getvalue().encode("utf-8"))
            tw.columns = self.columns
            buf = io.StringIO(newline="")
            csv.DictWriter(buf, fieldnames=self.columns, extrasaction="ignore").writerows(tw._rows(rows))
            self.stream.write(buf.getvalue().encode("utf-8"))
        self.stream.flush()

    def close(self) -> None:
        self.flush()

    def abort(self, keep: bool = True) -> None:
        try:
            self.flush()
        except Exception:
            pass


def output_format(path: str | os.PathLike | None, output_format: str | None = None) -> str:
    """The output format: ``output_format`` if given, else from ``path``'s extension (stdout: jsonl)."""
    if output_format is not None:
        if output_format not in OUTPUT_FORMATS:
            raise InputError(f"unknown output format {output_format!r}; choose from {', '.join(OUTPUT_FORMATS)}")
        return output_format
    if path is None or str(path) == "-":
        return "jsonl"
    p = Path(path)
    if p.is_dir():
        return "txt"
    name = p.name.lower()
    if name.endswith(".gz"):
        raise InputError(f"compressed output is not supported: {path}; write .jsonl and compress it afterwards")
    fmt = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"unknown output format for {path}; name it .jsonl/.csv/.parquet or pass --output-format")
    return fmt


def open_writer(path: str | os.PathLike | None, fmt: str | None = None, resume: bool = False,
                stream: IO[bytes] | None = None) -> Writer:
    """A writer for ``path`` (``None``/``-``: ``stream`` or stdout) in ``fmt`` (default: by extension)."""
    fmt = output_format(path, fmt)
    if path is None or str(path) == "-":
        if resume:
            raise InputError("--resume needs an output file (-o)")
        if fmt == "txt":
            raise InputError("--output-format txt needs an output directory (-o DIR)")
        return StreamWriter(stream or sys.stdout.buffer, fmt)
    if fmt == "jsonl":
        return JsonlWriter(Path(path), resume)
    if fmt == "csv":
        return CsvWriter(Path(path), resume)
    if fmt == "parquet":
        return ParquetWriter(Path(path), resume)
    return TxtDirWriter(Path(path), resume)


def skip_done(records: Iterable[Record], done: Counter) -> Iterator[Record]:
    """Drop records whose id is already in the output, as many times as it occurs there."""
    if not done:
        yield from records
        return
    left = Counter(done)
    for rec in records:
        key = _id_key(rec.id)
        if left.get(key, 0) > 0:
            left[key] -= 1
            continue
        yield rec
