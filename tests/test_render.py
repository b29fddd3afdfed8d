"""Rendering: local repair at every removal site (examples, seeds, properties)."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from filter.render import REPAIR_PUNCT, removed_mask, render, render_map
from filter.segment import SPACE_CHARS
from filter.spans import Span


def marked(s: str) -> tuple[str, list[Span]]:
    """Text and spans from a string where ⟦...⟧ marks each span."""
    text, spans, start = [], [], None
    n = 0
    for ch in s:
        if ch == "⟦":
            start = n
        elif ch == "⟧":
            spans.append(Span(start, n, "promo"))
        else:
            text.append(ch)
            n += 1
    return "".join(text), spans


def R(s: str) -> str:
    return render(*marked(s))


# ------------------------------------------------------------------------------ examples

@pytest.mark.parametrize("src, expected", [
    # inline, middle of a sentence; span with, without, or with the other adjoining space
    ("Selain isu pekerja, ⟦Mustang303 link terbaru ⟧Pigai hadir.", "Selain isu pekerja, Pigai hadir."),
    ("Selain isu pekerja, ⟦Mustang303 link terbaru⟧ Pigai hadir.", "Selain isu pekerja, Pigai hadir."),
    ("Selain isu pekerja,⟦ Mustang303 link terbaru⟧ Pigai hadir.", "Selain isu pekerja, Pigai hadir."),
    ("Warga ⟦slot gacor⟧ datang.", "Warga datang."),
    ("Warga⟦slotgacor⟧datang.", "Warga datang."),
    # sentence start: the capital comes back
    ("Dia datang. ⟦Mustang303 gacor, ⟧kata polisi itu.", "Dia datang. Kata polisi itu."),
    ("⟦Mustang303 gacor ⟧polisi datang.", "Polisi datang."),
    ("Dia datang.\n⟦Daftar Mustang303, ⟧lalu pulang.", "Dia datang.\nLalu pulang."),
    ("“⟦Mustang303 gacor⟧” Lalu dia pergi.", "Lalu dia pergi."),
    ("⟦Mustang303 Gacor⟧, kata polisi.", "Kata polisi."),
    ("Para.\n⟦Mustang303⟧. Lalu pergi.", "Para.\nLalu pergi."),
    ("Para.\n⟦Mustang303⟧ - lalu pergi.", "Para.\nLalu pergi."),
    # sentence end: no space before punctuation, no orphaned comma, the full stop survives
    ("Polisi datang ⟦bersama Mustang303⟧. Lalu pergi.", "Polisi datang. Lalu pergi."),
    ("Polisi datang ⟦bersama Mustang303.⟧ Lalu pergi.", "Polisi datang. Lalu pergi."),
    ("Polisi datang⟦ bersama Mustang303.⟧\nLalu pergi.", "Polisi datang.\nLalu pergi."),
    ("Ada apel, jeruk, ⟦Mustang303⟧. Lalu pergi.", "Ada apel, jeruk. Lalu pergi."),
    ("Ada apel, jeruk, ⟦Mustang303⟧\nLalu pergi.", "Ada apel, jeruk\nLalu pergi."),
    ("Ia berkata: ⟦Mustang303⟧.", "Ia berkata."),
    ("Kalimat satu. ⟦Kalimat promo dua.⟧ Kalimat tiga.", "Kalimat satu. Kalimat tiga."),
    ("Kalimat satu.⟦ Kalimat promo dua.⟧", "Kalimat satu."),
    ("Kalimat satu. ⟦Kalimat promo dua.⟧", "Kalimat satu."),
    # doubled separators
    ("pekerja, ⟦Mustang303⟧, Pigai datang.", "pekerja, Pigai datang."),
    ("pekerja, ⟦Mustang303⟧, ⟦slot⟧, Pigai datang.", "pekerja, Pigai datang."),
    ("Polisi datang - ⟦Mustang303⟧ - lalu pergi.", "Polisi datang - lalu pergi."),
    ("JAKARTA - ⟦Mustang303⟧ Polisi datang.", "JAKARTA - Polisi datang."),
    # brackets and quotes
    ("Budi (⟦Mustang303⟧) datang.", "Budi datang."),
    ("Budi ⟦(Mustang303)⟧ datang.", "Budi datang."),
    ("Budi (⟦Mustang303) ⟧datang.", "Budi datang."),
    ("Budi (kata ⟦Mustang303⟧) datang.", "Budi (kata) datang."),
    ("Budi (⟦Mustang303⟧ kata) datang.", "Budi (kata) datang."),
    ("Dia bilang “⟦Mustang303 gacor⟧” lalu pergi.", "Dia bilang lalu pergi."),
    ("Dia bilang \"⟦Mustang303⟧\" lalu pergi.", "Dia bilang lalu pergi."),
    ("“Aman. ⟦Main di Mustang303.⟧” kata dia.", "“Aman.” kata dia."),
    ("Polisi datang.⟦ (rob)⟧", "Polisi datang."),
    # whole lines and paragraphs
    ("Para satu.\n\n⟦Promo paragraf.⟧\n\nPara dua.", "Para satu.\n\nPara dua."),
    ("Para satu.\n⟦Promo baris.⟧\nPara dua.", "Para satu.\nPara dua."),
    ("Para satu.\n⟦Promo baris.⟧\n\nPara dua.", "Para satu.\n\nPara dua."),
    ("Para satu.\n\n⟦Promo baris.⟧\nPara dua.", "Para satu.\n\nPara dua."),
    ("Para satu.\n⟦Promo baris.\n⟧Para dua.", "Para satu.\nPara dua."),
    ("Para satu.⟦\nPromo baris.⟧\nPara dua.", "Para satu.\nPara dua."),
    ("Para satu.\n\n⟦Baca juga:⟧\n⟦Judul lain⟧\n\nPara dua.", "Para satu.\n\nPara dua."),
    ("Baca juga:\n⟦Judul lain⟧\nPara.", "Baca juga:\nPara."),
    ("Para satu.\n   ⟦Promo⟧\n   Para dua.", "Para satu.\n   Para dua."),
    # first and last lines
    ("⟦Judul ganda⟧\n\nPara satu.\nPara dua.", "Para satu.\nPara dua."),
    ("\n\n⟦Judul ganda⟧\n\nPara satu.", "Para satu."),
    ("Para satu.\nPara dua.\n\n⟦Lebih baru Lebih lama⟧", "Para satu.\nPara dua."),
    ("Para satu.\nPara dua.\n\n⟦Lebih baru⟧\n\n⟦Lebih lama⟧\n\n", "Para satu.\nPara dua.\n"),
    ("Pigai datang. ⟦Mustang303⟧\n", "Pigai datang.\n"),
    # adjacent spans and spans covering everything
    ("Warga ⟦Mustang303⟧⟦ link⟧ datang.", "Warga datang."),
    ("⟦Semua teks.⟧", ""),
    ("⟦Semua⟧\n\n⟦teks⟧", ""),
    ("  ⟦Semua teks.⟧\n", ""),
    # Windows and old Mac line endings
    ("Para satu.\r\n\r\n⟦Promo⟧\r\n\r\nPara dua.\r\n", "Para satu.\r\n\r\nPara dua.\r\n"),
    ("Para satu.\r⟦Promo⟧\rPara dua.", "Para satu.\rPara dua."),
    ("Para satu.\r\n⟦Promo⟧", "Para satu."),
    ("Para satu, ⟦Mustang303⟧\r\nPara dua.", "Para satu\r\nPara dua."),
    # whitespace-only and empty spans change nothing
    ("Warga⟦ ⟧datang.⟦⟧", "Warga datang."),
])
def test_render_repairs_locally(src, expected):
    assert R(src) == expected


def test_render_never_touches_text_away_from_removals():
    far = "Ini  spasi ganda , dan tanda baca aneh ( ) di sini.\n\n\n\nJauh."
    text, spans = marked(far + "\nDia datang ⟦Mustang303⟧ lagi.")
    assert render(text, spans) == far + "\nDia datang lagi."


def test_render_rejects_invalid_spans():
    with pytest.raises(ValueError):
        render("abc", [Span(0, 2, "promo"), Span(1, 3, "promo")])
    with pytest.raises(ValueError):
        render("abc", [Span(0, 4, "promo")])


def test_removed_mask_marks_spans_and_repairs():
    text, spans = marked("Budi (⟦Mustang303⟧) datang.")
    mask = removed_mask(text, spans)
    gone = "".join(c for c, m in zip(text, mask) if m)
    assert gone.strip() == "(Mustang303)" and gone.count(" ") == 1
    assert removed_mask("abc", []) == [False, False, False]


# ------------------------------------------------------------------------------ seeds

def _gold(doc):
    return [Span(s["start"], s["end"], s["label"], s.get("kind", "")) for s in doc["spans"]]


def test_seed_000_renders_cleanly(seeds):
    doc = next(d for d in seeds if d["id"] == "seed-000")
    out = render(doc["text"], _gold(doc))
    assert "Selain isu perlindungan pekerja, Pigai dan Menteri HAM Kamboja juga membahas" in out
    assert "mustang303" not in out.lower()
    assert not out.endswith(("\n", " ")) and not out.startswith(("\n", " "))


def _longest_newline_run(s: str) -> int:
    return max((len(m.group().replace("\r\n", "\n")) for m in re.finditer(r"(?:\r\n|\n|\r)+", s)),
               default=0)


def test_every_seed_renders_without_artifacts(seeds):
    assert len(seeds) == 5
    for doc in seeds:
        text = doc["text"]
        out = render(text, _gold(doc))
        assert len(out) < len(text) if doc["spans"] else out == text
        for artifact in ("  ", " ,", " .", "()", "“”", ",,", ", ."):
            assert out.count(artifact) <= text.count(artifact), (doc["id"], artifact)
        assert _longest_newline_run(out) <= max(_longest_newline_run(text), 2), doc["id"]
        assert len(re.findall(r"(?:\r?\n){3,}", out)) <= len(re.findall(r"(?:\r?\n){3,}", text))
        for s in doc["spans"]:  # no span's text survives where it was
            body = text[s["start"]:s["end"]].strip()
            if len(body) > 25:
                assert out.count(body) < text.count(body), (doc["id"], body)


# ------------------------------------------------------------------------------ properties

_alphabet = st.one_of(
    st.sampled_from(list("ab AB.,;:!?…-–—()[]{}“”‘’«»\"'\n\r\u2028\xa0\u200b\x00😀𝐁") + ["\r\n", "  "]),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)
_texts = st.lists(_alphabet, max_size=30).map("".join)


@st.composite
def text_and_spans(draw, texts=_texts):
    text = draw(texts)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    spans = [Span(cuts[i], cuts[i + 1], draw(st.sampled_from(["promo", "boilerplate"])))
             for i in range(0, len(cuts) - 1, 2)]
    return text, spans


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_no_spans_is_identity(text):
    assert render(text, []) == text
    assert render_map(text, []) == (text, list(range(len(text))))


@settings(max_examples=400, deadline=None)
@given(text_and_spans())
def test_output_comes_from_outside_the_spans_in_order(case):
    """Every output character is an original character, in original order, and:
    - only whitespace, or a sentence-final . ! ? restored from a span's end, comes from inside
      a span; an inserted character (source -1) is a plain space;
    - a character may change only by being upper-cased (a restored sentence capital);
    - outside the spans only whitespace and REPAIR_PUNCT are ever dropped, and only when a
      run of such characters connects them to a span (locality)."""
    text, spans = case
    out, src = render_map(text, spans)
    assert isinstance(out, str) and len(out) == len(src) <= len(text) + len(spans)
    assert out == render(text, spans)
    inside = [False] * len(text)
    for s in spans:
        inside[s.start:s.end] = [True] * (s.end - s.start)
    prev = -1
    for ch, j in zip(out, src):
        if j < 0:
            assert ch == " "
            continue
        assert j > prev
        prev = j
        assert ch == text[j] or ch == text[j].upper()
        if inside[j]:
            assert ch in SPACE_CHARS or ch in ".!?"
    mask = removed_mask(text, spans)
    repairable = set(SPACE_CHARS) | set(REPAIR_PUNCT)
    for i, gone in enumerate(mask):
        if inside[i]:
            assert gone or text[i] in SPACE_CHARS or text[i] in ".!?"
        elif gone:
            assert text[i] in repairable
            reach = False
            for step in (-1, 1):
                j = i
                while 0 <= j < len(text) and not inside[j] and text[j] in repairable:
                    j += step
                reach |= 0 <= j < len(text) and inside[j]
            assert reach, (text, spans, i)
    if all(inside[i] or c in SPACE_CHARS for i, c in enumerate(text)) and spans \
            and any(text[s.start:s.end].strip(SPACE_CHARS) for s in spans):
        assert out.strip(SPACE_CHARS) == ""


_WORDS = ["Polisi", "datang", "ke", "rumah", "warga", "Mustang303", "slot", "gacor", "kata", "dia",
          "Rp3.000", "detik.com"]


@st.composite
def article_and_spans(draw):
    """Well-formed text (single spaces, tidy punctuation) and word-aligned spans that may or may
    not include one adjoining space."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    toks: list[str] = []
    for p in range(draw(st.integers(1, 4))):
        if p:
            toks.append(nl * draw(st.integers(1, 2)))
        for k in range(draw(st.integers(1, 3))):
            if k:
                toks.append(" ")
            quoted, bracket = draw(st.booleans()), draw(st.integers(0, 5)) == 0
            words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6))
            words[0] = words[0][0].upper() + words[0][1:]
            if quoted:
                toks.append("“")
            for w, word in enumerate(words):
                if w:
                    toks.append(" ")
                toks.extend(["(", word, ")"] if bracket and w == 1 else [word])
                if w < len(words) - 1 and draw(st.integers(0, 4)) == 0:
                    toks.append(",")
            toks.append(draw(st.sampled_from([".", ".", "!", "?"])))
            if quoted:
                toks.append("”")
    offs, pos = [], 0
    for t in toks:
        offs.append(pos)
        pos += len(t)
    text = "".join(toks)
    spans, last = [], 0
    picks = sorted(draw(st.lists(st.integers(0, len(toks) - 1), max_size=6, unique=True)))
    for a, b in zip(picks[::2], picks[1::2]):
        if not toks[a].strip() or not toks[b].strip():
            continue
        s, e = offs[a], offs[b] + len(toks[b])
        pad = draw(st.sampled_from(["none", "left", "right"]))
        if pad == "right" and text[e:e + 1] == " ":
            e += 1
        elif pad == "left" and s and text[s - 1] == " ":
            s -= 1
        if s >= last:
            spans.append(Span(s, e, "promo"))
            last = e
    return text, spans


@settings(max_examples=200, deadline=None)
@given(article_and_spans())
def test_well_formed_text_stays_well_formed(case):
    text, spans = case
    out = render(text, spans)
    for artifact in ("  ", " ,", " .", " !", " ?", " )", "( ", "“ ", " ”", "()", "“”", ",,", ", .",
                     ",.", ".,"):
        assert artifact not in out, (artifact, text, spans, out)
    assert not re.search(r"(?:\r?\n){3,}", out)
    assert out == out.strip()
    assert not re.search(r"^[ \t]|[ \t]$", out, re.M)


@pytest.mark.parametrize("text, spans", [
    ("a" * 10 + " " * 300_000 + "b", [Span(0, 10, "promo")]),
    (", " * 100_000 + "X" + " ," * 100_000, [Span(200_000, 200_001, "promo")]),
    ("(" * 100_000 + "X" + ")" * 100_000, [Span(100_000, 100_001, "promo")]),
    ("kata. " * 50_000, [Span(i, i + 5, "promo") for i in range(0, 300_000, 12)]),
])
def test_hostile_inputs_stay_linear(text, spans):
    import time

    t0 = time.perf_counter()
    out = render(text, spans)
    assert time.perf_counter() - t0 < 10  # well under 1 s when linear
    assert len(out) < len(text)
