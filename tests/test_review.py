"""The HTML review page: escaping, no external resources, gold marking, scale, CLI."""
from __future__ import annotations

import json
import re
import time

import pytest
from typer.testing import CliRunner

from filter.evaluation.metrics import GoldSpan
from filter.evaluation.review import (
    ReviewDoc, doc_html, doc_segments, embed_json, review_docs, review_html,
)
from filter.spans import Span

EVIL = 'Berita <script>alert(1)</script> lalu </script><img src=x onerror=alert(2)> & "kutip" \u2028 selesai'


def _data_block(page: str) -> str:
    m = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page, re.S)
    assert m
    return m.group(1)


def test_embed_json_escapes():
    s = embed_json({"t": "</script><b>&\u2028\u2029"})
    assert "<" not in s and ">" not in s and "&" not in s and "\u2028" not in s and "\u2029" not in s
    assert json.loads(s) == {"t": "</script><b>&\u2028\u2029"}


def test_input_text_is_escaped_everywhere():
    evil_span = Span(EVIL.index("<script>"), EVIL.index(" lalu"), "promo", "<b>kind</b>", 0.7)
    doc = ReviewDoc(id='id"><script>alert(3)</script>', text=EVIL, spans=[evil_span],
                    meta={"outlet": "<i>x</i>"})
    page = review_html([doc], title="<script>t</script>")
    # exactly the page's own two script elements, and its own closing tags
    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    assert "alert(" not in page.split('id="review-data">')[0]  # nothing live in the head/header
    assert "<img" not in page
    data = json.loads(_data_block(page))
    assert data["docs"][0]["t"] == EVIL
    assert data["docs"][0]["id"] == 'id"><script>alert(3)</script>'
    # the renderer builds DOM with textContent only
    js = page.split('id="review-data">')[1]
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "document.write" not in js


def test_no_external_resources():
    docs = [ReviewDoc("a", "Kunjungi https://contoh.example/x untuk info. Slot77 gacor", [Span(46, 57, "promo", "inline_brand", 0.9)])]
    page = review_html(docs)
    shell = page.replace(_data_block(page), "")  # the data may mention URLs; they are text, not resources
    assert "http://" not in shell and "https://" not in shell
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"url\(", page, re.I)
    assert "@import" not in page
    assert not re.search(r"<(?:link|img|iframe|object|embed)\b", shell, re.I)
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
    assert "default-src 'none'" in page  # CSP blocks any request


def test_segments_without_gold():
    text = "aaa bbb ccc"
    runs = doc_segments(text, [Span(4, 7, "boilerplate", "ad", 0.6)])
    assert [(r.start, r.end, r.cls) for r in runs] == [(0, 4, ""), (4, 7, "boilerplate"), (7, 11, "")]
    assert "ad" in runs[1].title and "0.60" in runs[1].title


def test_segments_with_gold_mark_tp_fp_fn():
    text = "satu dua tiga empat lima enam"
    gold = [GoldSpan(5, 13, "promo", "inline_brand"), GoldSpan(20, 29, "boilerplate", "ad", optional=True)]
    preds = [Span(9, 19, "promo", "x", 0.8)]  # "tiga empat"
    runs = {text[r.start:r.end]: r.cls for r in doc_segments(text, preds, gold)}
    assert runs["dua "] == "fn-promo"
    assert runs["tiga"] == "tp-promo"
    assert runs[" empat"] == "fp-promo"
    assert runs["lima enam"] == "opt"


def test_whitespace_only_disagreement_is_not_an_error():
    text = "kata Brand77 link lain"
    gold = [GoldSpan(5, 18, "promo", "inline_brand")]      # with the trailing space
    preds = [Span(5, 17, "promo", "inline_brand", 0.9)]   # without it
    runs = doc_segments(text, preds, gold)
    assert not any(r.cls.startswith(("fp", "fn")) for r in runs)


def test_review_docs_gold_detection_and_summary():
    recs = [{"id": "dev-T-001", "text": "satu dua tiga", "outlet": "koran",
             "spans": [{"start": 5, "end": 8, "label": "promo", "kind": "k"}]},
            {"id": "dev-T-002", "text": None, "error": "missing text"}]
    # gold is never guessed from an unscored spans field
    assert review_docs(recs, [[Span(0, 4, "promo", "k", 0.9)], []])[0].gold is None
    docs = review_docs(recs, [[Span(0, 4, "promo", "k", 0.9)], []], gold=True)
    assert docs[0].gold is not None and docs[0].meta["outlet"] == "koran"
    assert docs[1].error == "missing text"
    page = review_html(docs, page_size=1)
    d = json.loads(_data_block(page))
    assert d["gold"] is True and d["pageSize"] == 1
    assert d["docs"][0]["q"]["fp"] == 4 and d["docs"][0]["q"]["fn"] == 3
    assert "false positive" in page and "missed" in page  # legend
    # scored spans are predictions, not gold
    scored = [{"id": "a", "text": "satu dua", "spans": [{"start": 0, "end": 4, "label": "promo", "score": 0.9}]}]
    assert review_docs(scored)[0].gold is None


def test_five_thousand_docs_fast_and_small():
    docs = [ReviewDoc(f"doc-{i:05d}", f"Berita nomor {i}. Baca juga: judul lain {i}",
                      [Span(len(f"Berita nomor {i}. "), len(f"Berita nomor {i}. Baca juga: judul lain {i}"),
                            "boilerplate", "related_link", 0.8)]) for i in range(5000)]
    t = time.perf_counter()
    page = review_html(docs, page_size=50)
    assert time.perf_counter() - t < 5
    assert len(page) < 2_000_000
    assert len(json.loads(_data_block(page))["docs"]) == 5000


def test_doc_html_truncates_and_escapes():
    text = "x" * 2000 + " <b>Gacor88</b> " + "y" * 2000
    s = text.index("Gacor88")
    out = doc_html(text, [Span(s, s + 7, "promo", "inline_brand", 0.9)], window=100)
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert out.count("x") < 200 and out.count("y") < 200


# ------------------------------------------------------------------ CLI

def test_cli_review(tmp_path, monkeypatch):
    from fakes import fake_cleaner
    import filter.cli.evaluate as ev
    from filter.cli import app

    monkeypatch.setattr(ev, "load_cleaner", lambda model, threshold: fake_cleaner())
    src = tmp_path / "in.jsonl"
    text = "Warga berkumpul. Hoki99 daftar sekarang.\nBaca juga: berita lain"
    src.write_text(json.dumps({"id": "n-1", "text": text}) + "\n" + json.dumps({"id": "n-2", "text": EVIL}) + "\n",
                   encoding="utf-8")
    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["review", str(src), "-o", str(out), "--page-size", "10"])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    data = json.loads(_data_block(page))
    assert [d["id"] for d in data["docs"]] == ["n-1", "n-2"]
    assert {r[2] for r in data["docs"][0]["r"]} == {"promo", "boilerplate"}
    assert page.count("<script") == 2


def test_cli_review_gold_with_baseline(tmp_path):
    from filter.cli import app

    src = tmp_path / "gold.jsonl"
    text = "Polisi menangkap bandar togel. Warga lega."
    src.write_text(json.dumps({"id": "g-H-001", "text": text, "spans": []}) + "\n", encoding="utf-8")
    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["review", "--gold", str(src), "-o", str(out), "--baseline"])
    assert res.exit_code == 0, res.output
    data = json.loads(_data_block(out.read_text(encoding="utf-8")))
    assert data["gold"] is True
    assert any(r[2] == "fp-promo" for r in data["docs"][0]["r"])


@pytest.mark.parametrize("args,msg", [
    (["MISSING.jsonl", "-o", "OUT"], "no such file"),
    (["IN", "-o", "OUT", "--page-size", "0"], "--page-size"),
    (["IN", "-o", "OUT", "--model", "NOPE.joblib"], "model file not found"),
])
def test_cli_review_user_errors(tmp_path, args, msg):
    from filter.cli import app

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "teks"}) + "\n")
    subst = {"IN": str(src), "OUT": str(tmp_path / "o.html"), "MISSING.jsonl": str(tmp_path / "missing.jsonl"),
             "NOPE.joblib": str(tmp_path / "nope.joblib")}
    res = CliRunner().invoke(app, ["review", *[subst.get(a, a) for a in args]])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and msg in lines[0] and lines[0].startswith("filter: error:")


def test_inline_repairs_only_for_inline_spans():
    from filter.evaluation.review import inline_repairs

    text = "Selain isu banjir, Cuan88 link resmi warga bergotong royong.\nBaca juga: Judul lain"
    s, e = text.index("Cuan88"), text.index("warga")
    line = text.index("Baca")
    reps = inline_repairs(text, [Span(s, e, "promo", "inline_brand", 0.9), Span(line, len(text), "boilerplate")])
    assert len(reps) == 1
    assert reps[0]["before"] == text[:text.index("\n")]
    assert reps[0]["after"] == "Selain isu banjir, warga bergotong royong."


def test_redact_keeps_offsets_and_hides_text():
    from filter.evaluation.review import redact

    text = "Polisi menangkap 3 orang — “Bandar” ditahan.\nMustang303 dan 𝗚𝗢𝗣𝗘𝗞𝟱𝟬𝟬!"
    out = redact(text)
    assert len(out) == len(text) and out.count("\n") == 1
    assert "Polisi" not in out and "Mustang" not in out and "303" not in out
    assert [i for i, c in enumerate(text) if c.isspace()] == [i for i, c in enumerate(out) if c.isspace()]
    assert out[6] == " " and set(out) <= set("xX0 —“”.!\n")


@pytest.mark.parametrize("how", ["input", "input by another name", "gold"])
def test_cli_review_refuses_to_overwrite_an_input(tmp_path, monkeypatch, how):
    from filter.cli import app

    monkeypatch.chdir(tmp_path)
    src = tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "satu Gacor77", "spans": []}) + "\n", encoding="utf-8")
    before = src.read_bytes()
    args = {"input": ["review", "out.jsonl", "--baseline", "-o", "out.jsonl"],
            "input by another name": ["review", str(src), "--baseline", "-o", "./sub/../out.jsonl"],
            "gold": ["review", "--gold", "out.jsonl", "--baseline", "-o", "out.jsonl"]}[how]
    (tmp_path / "sub").mkdir()
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and "is also an input" in res.stderr
    assert src.read_bytes() == before
