"""Hostile input through `filter clean`: nothing is lost, offsets stay exact, time and memory stay bounded."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import fake_cleaner, rendered
from typer.testing import CliRunner

import filter.cli.clean as clean_cli
from filter.cli import app


@pytest.fixture(autouse=True)
def fake(monkeypatch):
    monkeypatch.setattr(clean_cli, "load_cleaner", lambda model=None, **p: fake_cleaner(**p))


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    return path


def clean_jsonl(tmp_path: Path, docs: list[dict], *extra) -> list[dict]:
    src = write_jsonl(tmp_path / "in.jsonl", docs)
    res = run("clean", src, "-o", tmp_path / "out.jsonl", "-j", 1, *extra)
    assert res.exit_code == 0, res.stderr
    return [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]


def assert_offsets(text: str, rec: dict) -> None:
    """Spans point into the original; removing them (and nothing else) is consistent."""
    for s in rec["spans"]:
        seg = text[s["start"]:s["end"]]
        assert seg and seg == seg.strip() or s["label"] == "boilerplate"
    kept = "".join(text[a:b] for a, b in _gaps(text, rec["spans"]))
    assert len(rec["cleaned"]) >= len(kept.strip()) - len(text)  # sanity: cleaned is derived from text
    for s in rec["spans"]:
        assert 0 <= s["start"] < s["end"] <= len(text)


def _gaps(text, spans):
    pos = 0
    for s in spans:
        yield pos, s["start"]
        pos = s["end"]
    yield pos, len(text)


def test_empty_and_whitespace_only(tmp_path):
    docs = [{"id": "e", "text": ""}, {"id": "w", "text": " \n\t\r\n  "}, {"id": "nb", "text": "\u00a0\u200b"}]
    out = clean_jsonl(tmp_path, docs)
    assert [o["id"] for o in out] == ["e", "w", "nb"]
    assert all(o["spans"] == [] and o["junk_ratio"] == 0 and "error" not in o for o in out)
    assert out[0]["cleaned"] == ""


def test_nul_and_control_characters_kept_with_exact_offsets(tmp_path):
    text = "Awal\x00tengah\x07 Slot88\x1b[31m merah\x0b\x0c\x7f akhir\u2028baris"
    for fmt in ("jsonl", "csv", "parquet"):
        src = write_jsonl(tmp_path / "in.jsonl", [{"id": "c", "text": text}])
        out_path = tmp_path / f"out.{fmt}"
        res = run("clean", src, "-o", out_path, "-j", 1)
        assert res.exit_code == 0, res.stderr
        if fmt == "jsonl":
            rec = json.loads(out_path.read_text(encoding="utf-8"))
        elif fmt == "csv":
            with open(out_path, encoding="utf-8", newline="") as fh:
                rec = next(csv.DictReader(fh))
            rec["spans"] = json.loads(rec["spans"])
        else:
            import pyarrow.parquet as pq

            rec = pq.read_table(out_path).to_pylist()[0]
            rec["spans"] = json.loads(rec["spans"])
        [span] = rec["spans"]
        assert text[span["start"]:span["end"]] == "Slot88"
        assert rec["cleaned"] == text[:span["start"]] + text[span["end"]:] or "Slot88" not in rec["cleaned"]
        assert "\x00" in rec["cleaned"] and "\x1b[31m" in rec["cleaned"]


def test_invalid_utf8_in_every_format_is_replaced_and_flagged(tmp_path):
    (tmp_path / "d.txt").write_bytes(b"Halo \xc3\x28 dunia Slot88")
    (tmp_path / "d.jsonl").write_bytes(b'{"id": "j", "text": "Halo \xe2\x82 dunia"}\n')
    (tmp_path / "d.csv").write_bytes(b"id,text\nc,\"Halo \xff dunia\"\n")
    res = run("clean", tmp_path / "d.txt", tmp_path / "d.jsonl", tmp_path / "d.csv", "-j", 1)
    assert res.exit_code == 0, res.stderr
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["d.txt", "j", "c"]
    assert all("invalid UTF-8" in o["warning"] and "\ufffd" in o["cleaned"] for o in out)
    assert "Slot88" not in out[0]["cleaned"]
    assert "3 with warnings" in res.stderr


def test_lone_surrogate_escapes(tmp_path):
    (tmp_path / "s.jsonl").write_text('{"id": "s", "text": "a \\ud83d b Slot88", "t": "x\\udc00"}\n')
    res = run("clean", tmp_path / "s.jsonl", "-j", 1)
    out = [json.loads(res.stdout)]
    assert out[0]["cleaned"] == rendered("a \ufffd b Slot88") and out[0]["t"] == "x\ufffd" and "surrogate" in out[0]["warning"]


def test_mixed_line_endings_preserved(tmp_path):
    text = "Baris satu\r\nBaca juga: tautan lain\rBaris tiga\nBaris empat Slot88\r\n"
    p = tmp_path / "mixed.txt"
    p.write_bytes(text.encode())
    res = run("clean", p, "-j", 1)
    rec = json.loads(res.stdout)
    spans = rec["spans"]
    assert [text[s["start"]:s["end"]] for s in spans] == ["Baca juga: tautan lain", "Slot88"]
    assert rec["cleaned"] == rendered(text)
    assert rec["cleaned"].startswith("Baris satu\r\n") and "Baris tiga\nBaris empat" in rec["cleaned"]


def test_emoji_and_styled_unicode(tmp_path):
    docs = [{"id": "emoji", "text": "🔥🎰💰🔥" * 50},
            {"id": "styled", "text": "𝐆𝐚𝐜𝐨𝐫 𝐒𝐥𝐨𝐭 𝟖𝟖 ⓢⓛⓞⓣ ｇａｃｏｒ７７"},
            {"id": "zwj", "text": "👨‍👩‍👧 Slot88 👍🏽"}]
    out = clean_jsonl(tmp_path, docs)
    assert [o["id"] for o in out] == ["emoji", "styled", "zwj"]
    assert out[0]["cleaned"] == docs[0]["text"]
    [span] = out[2]["spans"]
    assert docs[2]["text"][span["start"]:span["end"]] == "Slot88"  # code-point offsets past astral characters
    for d, o in zip(docs, out):
        assert_offsets(d["text"], o)


def test_csv_quoted_newlines_through_cli(tmp_path):
    src = tmp_path / "q.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerow(["a", 'Paragraf satu.\n\nBaca juga: "kutipan, koma"\nParagraf Slot88.'])
        w.writerow(["b", "satu baris"])
    res = run("clean", src, "-j", 1)
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert out[0]["cleaned"].startswith("Paragraf satu.\n") and "Baca juga" not in out[0]["cleaned"]


_PEAK_SCRIPT = """
import resource, sys, time
sys.path.insert(0, {tests!r})
from fakes import fake_cleaner
import filter.cli.clean as c
c.load_cleaner = lambda model=None, **p: fake_cleaner(**p)
from filter.cli import app
t0 = time.perf_counter()
try:
    app({args!r})
except SystemExit as e:
    code = e.code
print(code, time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_measured(tmp_path: Path, args: list[str]) -> tuple[int, float, float]:
    """Run `filter clean ARGS` in a fresh process: (exit code, seconds, peak RSS in MB)."""
    script = _PEAK_SCRIPT.format(tests=str(Path(__file__).parent), args=[str(a) for a in args])
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                         cwd=Path(__file__).resolve().parents[1])
    code, secs, rss_kb = out.stdout.split()[-3:]
    return int(code), float(secs), int(rss_kb) / 1024


def test_ten_megabyte_single_line_document(tmp_path):
    # one 10 MB line: mostly content, a promo token every ~2 KB (a dense worst case is in the report)
    unit = "kata biasa tanpa apa apa lalu kalimat lanjut tentang desa dan kota. " * 30
    parts = [unit + f"Slot{i % 90 + 10} " for i in range(10_000_000 // (len(unit) + 7))]
    text = "".join(parts)
    src = write_jsonl(tmp_path / "big.jsonl", [{"id": "big", "text": text}, {"id": "after", "text": "kecil"}])
    code, secs, peak_mb = run_measured(tmp_path, ["clean", src, "-o", tmp_path / "out.jsonl", "-j", "1", "-q"])
    assert code == 0
    with open(tmp_path / "out.jsonl", encoding="utf-8") as fh:
        big, after = (json.loads(line) for line in fh)
    assert big["id"] == "big" and after["cleaned"] == "kecil"
    assert len(big["spans"]) == len(parts) and "Slot" not in big["cleaned"]
    print(f"10 MB document: {secs:.1f} s, peak RSS {peak_mb:.0f} MB")
    assert secs < 60
    assert peak_mb < 1000  # a few copies of a 10 MB document, not unbounded


@pytest.mark.parametrize("n", [10_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_many_tiny_documents(tmp_path, n):
    src = tmp_path / "tiny.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(f'{{"id": {i}, "text": "b{i % 7} Slot{i % 90 + 10}"}}\n')
    t0 = time.perf_counter()
    res = run("clean", src, "-o", tmp_path / "out.jsonl", "-j", 2, "--chunksize", 256)
    secs = time.perf_counter() - t0
    assert res.exit_code == 0, res.stderr
    ids = []
    with open(tmp_path / "out.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            ids.append(rec["id"])
    assert ids == list(range(n))
    assert f"{n} documents, 0 failed" in res.stderr
    print(f"{n} tiny documents: {secs:.1f} s ({n / secs:.0f} docs/s)")


def test_max_chars_turns_oversized_documents_into_error_records(tmp_path):
    docs = [{"id": "short", "text": "pendek Slot88"}, {"id": "long", "text": "panjang " * 100}]
    src = write_jsonl(tmp_path / "in.jsonl", docs)
    res = run("clean", src, "-j", 1, "--max-chars", 200)
    assert res.exit_code == 1
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert out[0]["cleaned"] == rendered("pendek Slot88") and "error" not in out[0]
    assert out[1]["error"] == "document too long: 800 characters > --max-chars 200"
    assert out[1]["text"] == docs[1]["text"] and out[1]["cleaned"] is None


def test_json_past_the_parsers_limits_is_an_error_record_not_a_crash(tmp_path):
    # valid JSON that json.loads refuses (nesting past the recursion limit, an integer of over
    # 4,300 digits) used to end the run with a traceback, losing the records before it
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": "a", "text": "satu Gacor77"}),
        "[" * 100_000 + "]" * 100_000,
        '{"id": "b", "text": "dua", "n": ' + "9" * 5000 + "}",
        json.dumps({"id": "c", "text": "tiga"}),
    ]) + "\n", encoding="utf-8")
    res = run("clean", src, "-o", tmp_path / "out.jsonl", "-j", 1)
    assert res.exit_code == 1 and "Traceback" not in (res.stderr or "")
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(out) == 4
    assert [o.get("id") for o in (out[0], out[3])] == ["a", "c"] and out[0]["cleaned"] == "satu"
    assert "nested too deeply" in out[1]["error"] and "line 2" in out[1]["error"]
    assert "line 3" in out[2]["error"] and "4300" in out[2]["error"]


def test_truncated_gzip_keeps_its_readable_records_and_the_next_input(tmp_path):
    import gzip

    data = b"".join((json.dumps({"id": i, "text": f"berita {i} Gacor77"}) + "\n").encode() for i in range(400))
    packed = gzip.compress(data)
    (tmp_path / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    write_jsonl(tmp_path / "ok.jsonl", [{"id": "x", "text": "dua"}])
    res = run("clean", tmp_path / "cut.jsonl.gz", tmp_path / "ok.jsonl", "-o", tmp_path / "out.jsonl", "-j", 1)
    assert res.exit_code == 1 and "Traceback" not in (res.stderr or "")
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    n = len(out) - 2
    assert 0 < n < 400 and [o["id"] for o in out[:n]] == list(range(n))
    assert out[n]["id"] == "cut.jsonl.gz:unreadable" and "cut.jsonl.gz" in out[n]["error"]
    assert f"first {n} records" in out[n]["error"]
    assert out[-1]["id"] == "x" and out[-1]["cleaned"] == "dua"


def test_csv_quote_never_closed_is_flagged_not_silent(tmp_path):
    # Python's csv reader takes the rest of the file into a quoted field that is never closed;
    # the record that swallowed later rows must say so (a stray quote elsewhere must not)
    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,Satu\n2,"Dua, tiga"\n3,"a ""quoted"" word"\n4,"unterminated\n5,Lima\n6,Enam\n',
                   encoding="utf-8")
    res = run("clean", src, "-o", tmp_path / "out.jsonl", "-j", 1)
    assert res.exit_code == 0, res.stderr
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [o["id"] for o in out] == ["1", "2", "3", "4"]
    assert all("warning" not in o for o in out[:3])
    assert "not closed" in out[3]["warning"] and "row 4" in out[3]["warning"]
    stray = tmp_path / "stray.csv"
    stray.write_text('id,text\n1,He said "hi\n2,"Dua\ndua"\n', encoding="utf-8")
    res = run("clean", stray, "-o", tmp_path / "out2.jsonl", "-j", 1)
    out = [json.loads(x) for x in (tmp_path / "out2.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(out) == 2 and all("not closed" not in (o.get("warning") or "") for o in out)
