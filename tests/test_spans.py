"""Span / CleanResult data model: validation, check_spans, JSON round trips."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from filter.spans import LABELS, CleanResult, Span, check_spans


def test_span_validation():
    s = Span(np.int64(2), np.int32(5), "promo", "inline_brand", np.float32(0.25))
    assert (s.start, s.end, s.score) == (2, 5, 0.25)
    assert type(s.start) is int and type(s.end) is int and type(s.score) is float
    for bad in [(3, 2, "promo"), (-1, 2, "promo"), (1.5, 2, "promo"), ("1", 2, "promo"),
                (0, 1, "spam"), (0, 1, "promo", "", float("nan")), (0, 1, "promo", "", "x"),
                (0, 1, "promo", "", float("inf"))]:
        with pytest.raises(ValueError):
            Span(*bad)


def test_check_spans_sorts_and_rejects():
    a, b = Span(5, 9, "promo"), Span(0, 3, "boilerplate")
    assert check_spans("x" * 10, [a, b]) == [b, a]
    with pytest.raises(ValueError, match="overlaps"):
        check_spans("x" * 10, [Span(0, 5, "promo"), Span(4, 6, "promo")])
    with pytest.raises(ValueError, match="out of bounds"):
        check_spans("x" * 10, [Span(8, 11, "promo")])
    assert check_spans("", []) == []


def test_clean_result_ratios():
    r = CleanResult("x" * 10, "x" * 4, [Span(0, 4, "promo"), Span(6, 8, "boilerplate")], "v1")
    assert r.quality() == {"junk_ratio": 0.6, "promo_ratio": 0.4, "boilerplate_ratio": 0.2}
    assert CleanResult("", "").quality() == {"junk_ratio": 0.0, "promo_ratio": 0.0,
                                             "boilerplate_ratio": 0.0}


# ------------------------------------------------------------------------------ properties

def _valid(text_len: int, spans: list[Span]) -> bool:
    """Independent oracle: in bounds, no character covered twice, no empty span strictly inside another."""
    if any(s.end > text_len for s in spans):
        return False
    for i, x in enumerate(spans):
        for y in spans[i + 1:]:
            if max(x.start, y.start) < min(x.end, y.end):
                return False
            for p, q in ((x, y), (y, x)):
                if p.start == p.end and q.start < p.start < q.end:
                    return False
    return True


_span = st.builds(lambda a, b, lab, kind, sc: Span(min(a, b), max(a, b), lab, kind, sc),
                  st.integers(0, 40), st.integers(0, 40), st.sampled_from(LABELS),
                  st.text(max_size=8), st.floats(0, 1))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 40), st.lists(_span, max_size=6))
def test_check_spans_matches_oracle(text_len, spans):
    text = "a" * text_len
    if _valid(text_len, spans):
        out = check_spans(text, spans)
        assert sorted(out, key=lambda s: (s.start, s.end)) == out
        assert sorted(map(repr, out)) == sorted(map(repr, spans))
    else:
        with pytest.raises(ValueError):
            check_spans(text, spans)


@st.composite
def _disjoint_spans(draw, text: str):
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    return [Span(cuts[i], cuts[i + 1], draw(st.sampled_from(LABELS)), draw(st.text(max_size=10)),
                 draw(st.floats(0, 1)))
            for i in range(0, len(cuts) - 1, 2)]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_json_round_trip(data):
    text = data.draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60))
    spans = data.draw(_disjoint_spans(text))
    r = CleanResult(text, data.draw(st.text(max_size=20)), spans, data.draw(st.text(max_size=8)))
    line = r.to_json()
    assert "\n" not in line  # one JSON Lines record
    back = CleanResult.from_json(line)
    assert (back.text, back.cleaned, back.model_version) == (r.text, r.cleaned, r.model_version)
    assert [(s.start, s.end, s.label, s.kind) for s in back.spans] == \
        [(s.start, s.end, s.label, s.kind) for s in r.spans]
    assert all(abs(a.score - b.score) <= 5e-5 for a, b in zip(back.spans, r.spans))
    assert back.to_json() == line  # stable after one trip (scores are stored to 4 places)
    assert json.loads(line)["junk_ratio"] == round(r.junk_ratio, 4)
    for s in spans:
        t = Span.from_json(s.to_json())
        assert (t.start, t.end, t.label, t.kind) == (s.start, s.end, s.label, s.kind)
        assert Span.from_json(t.to_json()) == t


@given(st.text(alphabet=" \t\n\x1c\x85\u00a0\u2003\u200bab.", max_size=30), st.data())
def test_trim_is_strip_in_place(text, data):
    from filter.spans import trim

    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    a, b = trim(text, start, end)
    assert text[a:b] == text[start:end].strip()
    assert start <= a <= b <= end
