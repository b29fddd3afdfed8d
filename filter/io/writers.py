"""Writers (``open_writer``) write JSONL, CSV, Parquet, or a directory of ``.txt`` files plus an
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
import io
import json
import math
import os
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from filter.io.readers import OUTPUT_FORMATS, RESULT_KEYS, InputError, Record, raise_csv_limit
from filter.spans import CleanResult


def output_record(rec: Record, result: CleanResult | None, error: str | None = None,
                  text_field: str = "text", model_version: str | None = None,
                  keep_text: bool = False) -> dict[str, Any]:
    """The output record for an input record: result fields, ``error``/``warning``, passthrough.

    A failed record has ``cleaned: null``, empty spans, null ratios, and keeps its original text
    (under the text field's name, when there was one) so nothing is lost; ``keep_text`` keeps it
    for every record (so ``filter review`` can show what was removed). Input fields whose names
    clash with result fields are passed through as ``input_<name>``.
    """
    out: dict[str, Any] = {"id": rec.id}
    if result is not None and error is None:
        out["cleaned"] = result.cleaned
        out["spans"] = [s.to_dict() for s in result.spans]
        out.update(result.quality())
        out.update(result.doc_fields())
        out["model_version"] = result.model_version
    else:
        out.update({"cleaned": None, "spans": [], "junk_ratio": None, "promo_ratio": None,
                    "boilerplate_ratio": None, "doc_label": None, "doc_score": None, "language": None,
                    "model_version": result.model_version if result else model_version})
    if error is not None:
        out["error"] = error
    if (error is not None or keep_text) and rec.text is not None:
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

_FLOAT_KEYS = frozenset({"junk_ratio", "promo_ratio", "boilerplate_ratio", "doc_score"})


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


def _overflow_name(cols: list[str]) -> str:
    """The overflow column's name: ``extra``, or ``_extra``, ``__extra``... if an input field has it."""
    name = "extra"
    while name in cols:
        name = "_" + name
    return name


class _TableWriter(Writer):
    """CSV/Parquet: fixed columns decided from the first chunk; fields that first appear later
    go, as one JSON object, to the last column (the overflow: ``extra``, or ``_extra`` when an
    input field is already called ``extra``), so no input field is ever overwritten."""

    #: Parquet keeps pass-through values as they are (typed columns); CSV writes JSON text
    typed = False

    def _columns_for(self, rows: list[dict[str, Any]]) -> list[str]:
        cols = list(RESULT_KEYS) + ["error", "warning"]
        for r in rows:
            for k in r:
                if k not in cols:
                    cols.append(k)
        return cols + [_overflow_name(cols)]

    def _rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self.columns is not None
        overflow = self.columns[-1]
        out = []
        for r in rows:
            row = {c: None for c in self.columns}
            extra = {}
            for k, v in r.items():
                if k == "spans":
                    row[k] = json.dumps(v, ensure_ascii=False)
                elif k in _FLOAT_KEYS:
                    row[k] = v
                elif k in row and k != overflow:
                    row[k] = v if self.typed and k not in RESULT_KEYS else _cell(v)
                else:
                    extra[k] = v
            if extra:
                row[overflow] = _cell(extra)
            out.append(row)
        return out


class CsvWriter(_TableWriter):
    format = "csv"

    def _open(self, resume: bool) -> None:
        self.columns: list[str] | None = None
        if resume:
            raise_csv_limit()
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

    typed = True

    def _make_schema(self, rows: list[dict[str, Any]]) -> Any:
        """Result columns as strings and floats; each pass-through column typed from the values of
        the first chunk (int stays int), as text when it has none or they mix types."""
        import pyarrow as pa

        floats = _FLOAT_KEYS
        fixed = set(RESULT_KEYS) | {"error", "warning", self.columns[-1]}  # type: ignore[index]
        fields = []
        for c in self.columns or []:
            if c in floats:
                kind = pa.float64()
            elif c in fixed:
                kind = pa.string()
            else:
                try:
                    kind = pa.array([r.get(c) for r in rows]).type
                except (pa.ArrowException, TypeError, ValueError, OverflowError):
                    kind = pa.string()
                if pa.types.is_null(kind):
                    kind = pa.string()
            fields.append((c, kind))
        return pa.schema(fields)

    def _fit(self, table_rows: list[dict[str, Any]]) -> Any:
        """A table in the file's schema; a value that does not fit its column's type (a later
        record's text in an int column) is moved, under its own name, to the overflow column."""
        import pyarrow as pa

        try:
            return pa.Table.from_pylist(table_rows, schema=self._schema)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            pass
        overflow = self._schema.names[-1]
        for row in table_rows:
            moved = {}
            for f in self._schema:
                v = row.get(f.name)
                if v is None or f.name == overflow:
                    continue
                try:
                    pa.array([v], type=f.type)
                except (pa.ArrowException, TypeError, ValueError, OverflowError):
                    moved[f.name] = v
                    row[f.name] = None
            if moved:
                old = json.loads(row[overflow]) if row.get(overflow) else {}
                row[overflow] = _cell({**old, **moved})
        return pa.Table.from_pylist(table_rows, schema=self._schema)

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow.parquet as pq

        if self.columns is None:
            self.columns = self._columns_for(rows)
        table_rows = self._rows(rows)
        if self._pw is None:
            self._schema = self._make_schema(table_rows)
            self._pw = pq.ParquetWriter(self.partial, self._schema)
        self._pw.write_table(self._fit(table_rows))

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


def _is_dir_path(path: str | os.PathLike) -> bool:
    """``-o newdir/`` (a trailing separator) or an existing directory: the user means a directory."""
    text = os.fspath(path)
    return text.endswith((os.sep, "/")) or Path(text).is_dir()


def output_format(path: str | os.PathLike | None, output_format: str | None = None) -> str:
    """The output format: ``output_format`` if given, else from ``path``'s extension (stdout: jsonl;
    a directory, existing or written with a trailing ``/``: txt)."""
    if output_format is not None:
        if output_format not in OUTPUT_FORMATS:
            raise InputError(f"unknown output format {output_format!r}; choose from {', '.join(OUTPUT_FORMATS)}")
        return output_format
    if path is None or str(path) == "-":
        return "jsonl"
    p = Path(path)
    if _is_dir_path(path):
        return "txt"
    name = p.name.lower()
    if name.endswith(".gz"):
        raise InputError(f"compressed output is not supported: {path}; write .jsonl and compress it afterwards")
    fmt = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"unknown output format for {path}; name it .jsonl/.csv/.parquet or pass --output-format")
    return fmt


def output_is_an_input(output: str | os.PathLike, inputs: Iterable[str | os.PathLike | None]) -> bool:
    """Whether writing ``output`` (or, for a directory output, its ``index.jsonl``) would
    overwrite one of ``inputs`` (the same path, or the same file by another name)."""
    out = Path(output)
    targets = {out.resolve(), (out / "index.jsonl").resolve()}
    for src in inputs:
        if src is None:
            continue
        path = Path(src)
        if path.resolve() in targets:
            return True
        if out.exists():
            try:
                if os.path.samefile(path, out):
                    return True
            except OSError:
                pass
    return False


def check_output(path: str | os.PathLike | None, fmt: str | None = None) -> str:
    """Fail early with an ``InputError`` if the output cannot be written; return its format.

    Run before any work (before the model loads): a path under a file, a directory given for a
    file format (or a file for ``txt``), a directory that cannot be created or written (missing
    root, read-only, no permission). Missing parent directories are created, as the writer would.
    """
    fmt = output_format(path, fmt)
    if path is None or str(path) == "-":
        return fmt
    p = Path(path)
    if fmt != "txt" and _is_dir_path(path):
        raise InputError(f"the output {path} is a directory; --output-format {fmt} writes one file "
                         f"(e.g. -o {p / ('out.' + fmt)}), or use --output-format txt for a directory of .txt files")
    if fmt == "txt" and p.exists() and not p.is_dir():
        raise InputError(f"--output-format txt needs a directory, but {path} is a file")
    folder = p if fmt == "txt" else p.parent
    ancestor = folder
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if os.path.lexists(ancestor) and not ancestor.is_dir():
        raise InputError(f"cannot write {path}: {ancestor} is a file, not a directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".{p.name or 'out'}.{os.getpid()}.probe"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
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
