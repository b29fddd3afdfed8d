"""Streaming readers, output records and atomic, resumable writers (filter.io)."""
from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from filter.io import (CsvWriter, InputError, JsonlWriter, ParquetWriter, Record, Source, TxtDirWriter,
                       detect_format, open_writer, output_format, output_record, partial_path, read_records,
                       read_text_arg, resolve_inputs, safe_filename, skip_done)
from filter.spans import CleanResult, Span


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_detect_format():
    assert detect_format("a.jsonl") == "jsonl"
    assert detect_format("A.JSONL.GZ") == "jsonl"
    assert detect_format("x/y.csv") == "csv"
    assert detect_format("y.parquet") == "parquet"
    assert detect_format("doc.txt") == "txt"
    assert detect_format("doc.json") is None
    assert detect_format("doc.parquet.gz") is None


def test_resolve_inputs_dirs_globs_and_errors(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "b.txt").write_text("b")
    (tmp_path / "d" / "sub" / "a.txt").write_text("a")
    (tmp_path / "d" / ".hidden.txt").write_text("h")
    (tmp_path / "d" / "notes.md").write_text("m")
    srcs = resolve_inputs([str(tmp_path / "d")])
    assert [s.name for s in srcs] == ["b.txt", "sub/a.txt"]
    assert [s.name for s in resolve_inputs([str(tmp_path / "d" / "*.txt")])] == ["b.txt"]
    assert resolve_inputs(["-"], "csv")[0].format == "csv"
    with pytest.raises(InputError, match="no such file"):
        resolve_inputs([str(tmp_path / "missing.jsonl")])
    with pytest.raises(InputError, match="no files match"):
        resolve_inputs([str(tmp_path / "*.nothing")])
    with pytest.raises(InputError, match="unknown input format"):
        resolve_inputs([str(tmp_path / "d" / "notes.md")])
    with pytest.raises(InputError, match="unknown input format"):
        resolve_inputs([str(tmp_path / "d" / "b.txt")], "xml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no input files"):
        resolve_inputs([str(tmp_path / "empty")])


def test_jsonl_reader_ids_bad_lines_and_order(tmp_path):
    p = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "x", "text": "satu", "title": "T"},
        {"text": "tanpa id"},
        "{not json",
        "",
        "[1, 2]",
        {"id": 7, "text": None},
        {"id": 8, "body": "no text field"},
        {"id": 9, "text": 12.5},
    ])
    recs = list(read_records([str(p)]))
    assert [r.index for r in recs] == list(range(7))
    assert [r.id for r in recs] == ["x", 2, 3, 5, 7, 8, 9]
    assert recs[0].text == "satu" and recs[0].fields == {"title": "T"} and recs[0].error is None
    assert recs[1].text == "tanpa id"
    assert recs[2].error.startswith("invalid JSON on line 3") and recs[2].fields["raw"] == "{not json"
    assert "not an object" in recs[3].error
    assert "null" in recs[4].error
    assert "missing text field 'text'" in recs[5].error
    assert "float, not a string" in recs[6].error and recs[6].fields["text"] == 12.5


def test_jsonl_gz_bom_crlf_and_custom_fields(tmp_path):
    p = tmp_path / "in.jsonl.gz"
    with gzip.open(p, "wb") as fh:
        fh.write(b"\xef\xbb\xbf" + json.dumps({"doc": "a1", "body": "isi\r\nbaris"}).encode() + b"\r\n")
        fh.write(json.dumps({"doc": "a2", "body": "dua"}).encode() + b"\r\n")
    recs = list(read_records([str(p)], text_field="body", id_field="doc"))
    assert [(r.id, r.text, r.error) for r in recs] == [("a1", "isi\r\nbaris", None), ("a2", "dua", None)]


def test_several_sources_prefix_fallback_ids(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"text": "x"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"text": "y"}, {"text": "z"}])
    assert [r.id for r in read_records([str(a), str(b)])] == ["a.jsonl:1", "b.jsonl:1", "b.jsonl:2"]


def test_csv_reader_quoted_newlines_short_rows_and_missing_column(tmp_path):
    p = tmp_path / "in.csv"
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "source"])
        w.writerow(["r1", "baris satu\nbaris dua\r\nbaris tiga", "s"])
        w.writerow(["r2"])
        w.writerow(["r3", "lebih", "s", "extra!"])
        w.writerow([])
        w.writerow(["", "tanpa id", "s"])
    recs = list(read_records([str(p)]))
    assert [r.id for r in recs] == ["r1", "r2", "r3", ""]
    assert recs[0].text == "baris satu\nbaris dua\r\nbaris tiga" and recs[0].fields == {"source": "s"}
    assert recs[1].error is not None and recs[1].text is None
    assert recs[2].fields["_extra_columns"] == ["extra!"]
    with pytest.raises(InputError, match="no column 'content'"):
        list(read_records([str(p)], text_field="content"))


def test_parquet_reader_row_groups(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    p = tmp_path / "in.parquet"
    table = pa.table({"id": [f"d{i}" for i in range(25)], "text": [f"teks {i}" if i != 3 else None for i in range(25)],
                      "n": list(range(25))})
    pq.write_table(table, p, row_group_size=4)
    assert pq.ParquetFile(p).num_row_groups == 7
    recs = list(read_records([str(p)], batch_rows=3))
    assert [r.id for r in recs] == [f"d{i}" for i in range(25)]
    assert recs[3].error is not None and recs[4].text == "teks 4" and recs[4].fields == {"n": 4}
    with pytest.raises(InputError, match="no column 'body'"):
        list(read_records([str(p)], text_field="body"))


def test_txt_reader_keeps_bytes_exact(tmp_path):
    p = tmp_path / "doc.txt"
    p.write_bytes(b"a\r\nb\rc\nd \xff e")
    [rec] = read_records([str(p)])
    assert rec.id == "doc.txt"
    assert rec.text == "a\r\nb\rc\nd \ufffd e"
    assert "invalid UTF-8" in rec.warning


def test_read_text_arg_selects_record(tmp_path):
    p = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}])
    first = read_text_arg(p)
    assert first.record.text == "A" and (first.position, first.total) == (1, 2)
    assert read_text_arg(p, "b").record.text == "B"
    second = read_text_arg(p, index=2)
    assert second.record.text == "B" and (second.position, second.total) == (2, 2)
    with pytest.raises(InputError, match="no record with id 'zz'"):
        read_text_arg(p, "zz")
    with pytest.raises(InputError, match="--index 3 is past the end of .* 2 records"):
        read_text_arg(p, index=3)
    with pytest.raises(InputError, match="--id or --index, not both"):
        read_text_arg(p, "a", index=1)


def _result(text: str) -> CleanResult:
    return CleanResult(text, text[2:], [Span(0, 2, "promo", "inline_brand", 0.9)], "v1")


def test_output_record_success_error_and_clashes():
    rec = Record(0, "a", "xxhalo", {"title": "T", "cleaned": "old", "error": "e0"})
    out = output_record(rec, _result("xxhalo"))
    assert out["cleaned"] == "halo" and out["spans"][0]["label"] == "promo" and out["model_version"] == "v1"
    assert out["title"] == "T" and out["input_cleaned"] == "old" and out["input_error"] == "e0"
    assert "error" not in out and "text" not in out
    bad = output_record(rec, None, "RuntimeError: boom", model_version="v1")
    assert bad["cleaned"] is None and bad["error"] == "RuntimeError: boom" and bad["text"] == "xxhalo"
    assert bad["model_version"] == "v1" and bad["junk_ratio"] is None


def test_output_format_and_safe_names(tmp_path):
    assert output_format(None) == "jsonl"
    assert output_format("x.csv") == "csv"
    assert output_format("x.whatever", "parquet") == "parquet"
    with pytest.raises(InputError):
        output_format("x.json")
    with pytest.raises(InputError):
        output_format("x.jsonl.gz")
    assert safe_filename("a/b c.txt") == "a_b_c.txt"
    assert safe_filename("../..") == "doc.txt"


ROWS = [{"id": f"d{i}", "cleaned": f"bersih {i}", "spans": [], "junk_ratio": 0.0, "promo_ratio": 0.0,
         "boilerplate_ratio": 0.0, "model_version": "v", "title": f"judul {i}"} for i in range(10)]


def _read_back(path: Path, fmt: str) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in (path / "index.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "txt"])
def test_writer_abort_keeps_partial_and_resume_completes(tmp_path, fmt):
    final = tmp_path / ("out" if fmt == "txt" else f"out.{fmt}")
    w = open_writer(final, fmt)
    for r in ROWS[:4]:
        w.write(r)
    w.flush()
    w.write(ROWS[4])
    w.abort(keep=True)
    marker = final / "index.jsonl" if fmt == "txt" else final
    assert not marker.exists()
    assert partial_path(marker).exists()
    w2 = open_writer(final, fmt, resume=True)
    assert w2.resumed == 5 and w2.done == Counter({f"d{i}": 1 for i in range(5)})
    for r in ROWS[5:]:
        w2.write(r)
    w2.close()
    assert not partial_path(marker).exists()
    back = _read_back(final, fmt)
    assert [b["id"] for b in back] == [r["id"] for r in ROWS]
    if fmt == "txt":
        assert (final / "d3.txt").read_text(encoding="utf-8") == "bersih 3"
    else:
        assert [b["cleaned"] for b in back] == [r["cleaned"] for r in ROWS]
        assert [b["title"] for b in back] == [r["title"] for r in ROWS]


def test_jsonl_resume_drops_truncated_tail(tmp_path):
    final = tmp_path / "out.jsonl"
    part = partial_path(final)
    part.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in ROWS[:3]) + b'{"id": "d3", "clea')
    w = JsonlWriter(final, resume=True)
    assert w.resumed == 3
    for r in ROWS[3:]:
        w.write(r)
    w.close()
    assert [b["id"] for b in _read_back(final, "jsonl")] == [r["id"] for r in ROWS]


def test_csv_resume_drops_truncated_tail(tmp_path):
    final = tmp_path / "out.csv"
    w = CsvWriter(final)
    for r in ROWS[:3]:
        w.write(r)
    w.abort()
    part = partial_path(final)
    part.write_bytes(part.read_bytes() + b'd3,"bersih\n')  # a row cut inside a quoted field
    w = CsvWriter(final, resume=True)
    assert w.resumed == 3
    for r in ROWS[3:]:
        w.write(r)
    w.close()
    assert [b["id"] for b in _read_back(final, "csv")] == [r["id"] for r in ROWS]


def test_resume_from_complete_final_output(tmp_path):
    final = tmp_path / "out.jsonl"
    with JsonlWriter(final) as w:
        for r in ROWS[:6]:
            w.write(r)
    w = JsonlWriter(final, resume=True)
    assert w.resumed == 6
    w.close()
    assert len(_read_back(final, "jsonl")) == 6


def test_parquet_unreadable_partial_is_not_resumed(tmp_path):
    final = tmp_path / "out.parquet"
    partial_path(final).write_bytes(b"PAR1 garbage from a killed run")
    w = ParquetWriter(final, resume=True)
    assert w.resumed == 0 and any("not a complete Parquet" in n for n in w.notes)
    for r in ROWS:
        w.write(r)
    w.close()
    assert len(_read_back(final, "parquet")) == 10


def test_table_writer_puts_late_new_fields_in_extra(tmp_path):
    final = tmp_path / "out.csv"
    w = CsvWriter(final, chunk_rows=2)
    for r in ROWS[:2]:
        w.write(r)
    w.write({**ROWS[2], "late": {"k": 1}})
    w.close()
    back = _read_back(final, "csv")
    assert json.loads(back[2]["extra"]) == {"late": {"k": 1}} and back[0]["extra"] == ""


def test_empty_output_is_still_valid(tmp_path):
    for fmt in ("jsonl", "csv", "parquet"):
        final = tmp_path / f"empty.{fmt}"
        open_writer(final).close()
        assert _read_back(final, fmt) == []


def test_txt_writer_unique_names_and_errors_in_index(tmp_path):
    w = TxtDirWriter(tmp_path / "o")
    w.write({**ROWS[0], "id": "a/b"})
    w.write({**ROWS[1], "id": "a b"})
    w.write({**ROWS[2], "id": "c", "cleaned": None, "error": "boom", "text": "orig"})
    w.close()
    idx = _read_back(tmp_path / "o", "txt")
    assert [i["file"] for i in idx] == ["a_b.txt", "a_b-2.txt", None]
    assert idx[2]["text"] == "orig" and idx[2]["error"] == "boom"
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a_b-2.txt", "a_b.txt", "index.jsonl"]


def test_skip_done_counts_duplicates():
    recs = [Record(i, rid, "t") for i, rid in enumerate(["a", "b", "a", "c", "a"])]
    kept = list(skip_done(recs, Counter({"a": 2, "b": 1})))
    assert [(r.index, r.id) for r in kept] == [(3, "c"), (4, "a")]


def test_source_size(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("12345")
    assert Source(p, "txt", "x.txt").size == 5 and Source(None, "jsonl", "-").size is None


def test_jsonl_lines_survive_splitlines():
    from filter.io import to_json_line

    obj = {"id": 1, "cleaned": "a\u2028b\x85c\u2029d\x0be\x1cf", "n": float("nan")}
    line = to_json_line(obj).decode("utf-8")
    assert len(line.splitlines()) == 1
    back = json.loads(line)
    assert back["cleaned"] == obj["cleaned"] and back["n"] is None
