"""A self-contained HTML page for reviewing removed spans, document by document.

``review_html(docs)`` returns one HTML string: inline CSS and JS only, no network requests
(a Content-Security-Policy forbids them), the documents embedded as JSON in a
``<script type="application/json">`` block (``<``, ``>``, ``&``, U+2028/2029 escaped) and
rendered one page at a time with ``textContent`` (input text never reaches ``innerHTML``).
Spans are coloured by label with kind and score on hover; with gold spans, correct removals,
false positives and false negatives get distinct colours.

``doc_segments`` (the run partition behind the page) and ``doc_html`` (a truncated, inline-styled
rendering for notebooks) are reusable on their own.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from filter.evaluation.metrics import GoldSpan, category
from filter.spans import Span

_NONSPACE = re.compile(r"\S")


@dataclass
class ReviewDoc:
    """One document to review: its text, predicted spans and, optionally, gold spans."""

    id: str
    text: str
    spans: list[Span] = field(default_factory=list)
    gold: list[GoldSpan] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """A maximal stretch of text with one review class.

    ``cls``: ``""`` (kept content), ``promo``/``boilerplate`` (removed, no gold), or with gold
    ``tp-<label>`` (correct removal), ``fp-<label>`` (removed content, predicted label),
    ``fn-<label>`` (missed junk, gold label), ``opt`` (optional gold kept), ``opt-removed``.
    """

    start: int
    end: int
    cls: str
    title: str = ""


def _span_title(s: Span) -> str:
    step = getattr(s, "step", "")
    return f"{s.label} · {s.kind or '-'} · score {float(s.score):.2f}" + (f" · step {step}" if step else "")


def _at(spans: Sequence[Any], starts: list[int], pos: int) -> int:
    """Index of the span containing ``pos`` (spans sorted, non-overlapping), or -1."""
    import bisect

    i = bisect.bisect_right(starts, pos) - 1
    return i if i >= 0 and spans[i].start <= pos < spans[i].end else -1


def doc_segments(text: str, spans: Sequence[Span], gold: Sequence[GoldSpan] | None = None) -> list[Run]:
    """Partition ``text`` into runs classified by predicted spans and (optionally) gold spans.

    Whitespace-only disagreements (a gold span that also takes the following space, say) are
    not errors: such runs are shown as plain text.
    """
    preds = sorted(spans, key=lambda s: (s.start, s.end))
    golds = sorted(gold or [], key=lambda g: (g.start, g.end))
    cuts = {0, len(text)}
    for s in [*preds, *golds]:
        cuts.update((max(0, min(s.start, len(text))), max(0, min(s.end, len(text)))))
    cuts = sorted(cuts)
    ps, gs = [p.start for p in preds], [g.start for g in golds]
    runs: list[Run] = []
    for a, b in zip(cuts, cuts[1:]):
        if a >= b:
            continue
        pi = _at(preds, ps, a)
        gi = _at(golds, gs, a)
        p = preds[pi] if pi >= 0 else None
        g = golds[gi] if gi >= 0 else None
        if gold is None:
            cls, title = (p.label, _span_title(p)) if p else ("", "")
        elif g is not None and g.optional:
            cls = "opt-removed" if p else "opt"
            title = f"optional gold {g.label}/{g.kind}" + (f"; removed as {_span_title(p)}" if p else "; kept")
        elif p and g:
            cls, title = f"tp-{g.label}", f"correct: {_span_title(p)} (gold {g.label}/{g.kind})"
        elif p:
            cls, title = f"fp-{p.label}", f"false positive: {_span_title(p)} (gold: content)"
        elif g:
            cls, title = f"fn-{g.label}", f"missed: gold {g.label}/{g.kind}"
        else:
            cls, title = "", ""
        if cls and cls[:3] in ("fp-", "fn-") and not _NONSPACE.search(text, a, b):
            cls, title = "", ""
        if runs and runs[-1].cls == cls and runs[-1].title == title and runs[-1].end == a:
            runs[-1] = Run(runs[-1].start, b, cls, title)
        else:
            runs.append(Run(a, b, cls, title))
    return runs


def _count(text: str, runs: Iterable[Run], prefix: str) -> int:
    return sum(len(_NONSPACE.findall(text, r.start, r.end)) for r in runs if r.cls.startswith(prefix))


def doc_summary(doc: ReviewDoc, runs: Sequence[Run]) -> dict[str, Any]:
    """Per-document quality figures: shares of characters removed, and FP/FN characters."""
    n = len(doc.text) or 1
    by = {lab: sum(s.end - s.start for s in doc.spans if s.label == lab) for lab in ("promo", "boilerplate")}
    out: dict[str, Any] = {"junk": round(sum(by.values()) / n, 4), "promo": round(by["promo"] / n, 4),
                           "boilerplate": round(by["boilerplate"] / n, 4)}
    if doc.gold is not None:
        out["fp"] = _count(doc.text, runs, "fp-")
        out["fn"] = _count(doc.text, runs, "fn-")
    return out


def _doc_payload(doc: ReviewDoc) -> dict[str, Any]:
    runs = doc_segments(doc.text, doc.spans, doc.gold)
    labels = sorted({s.label for s in doc.spans})
    return {"id": str(doc.id), "t": doc.text, "m": {str(k): str(v) for k, v in doc.meta.items()},
            "q": doc_summary(doc, runs), "l": labels, "e": doc.error,
            "r": [[r.start, r.end, r.cls, r.title] for r in runs if r.cls]}


def embed_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>``, ``&``, U+2028/2029 escaped."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (s.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_CSS = """
:root{--promo:#f4a6a6;--boiler:#a9c8f2;--fp:#ffb347;--fn:#c59be8;--opt:#e2e2e2}
*{box-sizing:border-box}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f6f6f4}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:8px 16px;z-index:2}
header h1{font-size:17px;margin:0 0 6px}
.controls{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center}
.controls label{white-space:nowrap}
.legend span{display:inline-block;padding:0 6px;margin-right:6px;border-radius:3px}
main{padding:12px 16px;max-width:1100px}
article{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0 0 14px;padding:10px 14px}
article h2{font-size:14px;margin:0;font-family:ui-monospace,monospace}
.meta{color:#555;font-size:12px;margin:2px 0 8px}
.text{white-space:pre-wrap;overflow-wrap:anywhere;font-family:Georgia,serif;font-size:14px}
.error{color:#a00}
mark{border-radius:2px;padding:0 1px;color:inherit}
mark.promo,mark.tp-promo{background:var(--promo)}
mark.boilerplate,mark.tp-boilerplate{background:var(--boiler)}
mark.fp-promo,mark.fp-boilerplate{background:var(--fp);text-decoration:line-through}
mark.fn-promo,mark.fn-boilerplate{background:var(--fn);border-bottom:2px dashed #5b2a86}
mark.opt,mark.opt-removed{background:var(--opt)}
mark.opt-removed{text-decoration:line-through}
.hide-promo mark.promo,.hide-promo mark.tp-promo,.hide-promo mark.fp-promo,.hide-promo mark.fn-promo,
.hide-boilerplate mark.boilerplate,.hide-boilerplate mark.tp-boilerplate,.hide-boilerplate mark.fp-boilerplate,
.hide-boilerplate mark.fn-boilerplate{background:none;text-decoration:none;border:0}
.pager button{margin:0 2px}
.empty{color:#777;font-style:italic}
"""

_JS = r"""
(function(){
"use strict";
var D=JSON.parse(document.getElementById("review-data").textContent);
var docs=D.docs, gold=D.gold, pageSize=D.pageSize, page=0, view=docs.slice();
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;return e;}
function pct(x){return (100*x).toFixed(1)+"%";}
function q(id){return document.getElementById(id);}
function applyFilter(){
  var show=q("show").value, sort=q("sort").value, needle=q("search").value.toLowerCase();
  view=docs.filter(function(d){
    if(needle&&d.id.toLowerCase().indexOf(needle)<0)return false;
    if(show==="promo")return d.l.indexOf("promo")>=0;
    if(show==="boilerplate")return d.l.indexOf("boilerplate")>=0;
    if(show==="removed")return d.l.length>0;
    if(show==="clean")return d.l.length===0;
    if(show==="promo_page")return (d.m.page||"").indexOf("promo")===0;
    if(show==="errors")return (d.q.fp||0)+(d.q.fn||0)>0;
    if(show==="fp")return (d.q.fp||0)>0;
    if(show==="fn")return (d.q.fn||0)>0;
    return true;});
  if(sort==="junk")view.sort(function(a,b){return b.q.junk-a.q.junk;});
  if(sort==="errors")view.sort(function(a,b){return ((b.q.fp||0)+(b.q.fn||0))-((a.q.fp||0)+(a.q.fn||0));});
  page=0;render();
}
function renderDoc(d){
  var a=el("article");a.appendChild(el("h2",null,d.id));
  var parts=["junk "+pct(d.q.junk),"promo "+pct(d.q.promo),"boilerplate "+pct(d.q.boilerplate)];
  if(gold)parts.push("false positive chars "+d.q.fp,"missed chars "+d.q.fn);
  Object.keys(d.m).forEach(function(k){parts.push(k+": "+d.m[k]);});
  a.appendChild(el("div","meta",parts.join(" · ")));
  if(d.e){a.appendChild(el("div","error","could not read this record: "+d.e));return a;}
  var body=el("div","text"), t=d.t, pos=0;
  d.r.forEach(function(r){
    if(r[0]>pos)body.appendChild(document.createTextNode(t.slice(pos,r[0])));
    var m=el("mark",r[2],t.slice(r[0],r[1]));if(r[3])m.title=r[3];body.appendChild(m);pos=r[1];});
  if(pos<t.length)body.appendChild(document.createTextNode(t.slice(pos)));
  a.appendChild(body);return a;
}
function render(){
  var main=q("docs");while(main.firstChild)main.removeChild(main.firstChild);
  var pages=Math.max(1,Math.ceil(view.length/pageSize));if(page>=pages)page=pages-1;
  var slice=view.slice(page*pageSize,(page+1)*pageSize);
  if(!slice.length)main.appendChild(el("p","empty","No document matches."));
  slice.forEach(function(d){main.appendChild(renderDoc(d));});
  q("pageinfo").textContent="page "+(page+1)+" of "+pages+" · "+view.length+" of "+docs.length+" documents";
  q("prev").disabled=page===0;q("next").disabled=page>=pages-1;
  document.body.setAttribute("data-rendered",String(slice.length));
}
["promo","boilerplate"].forEach(function(lab){
  q("hl-"+lab).addEventListener("change",function(e){document.body.classList.toggle("hide-"+lab,!e.target.checked);});});
q("show").addEventListener("change",applyFilter);q("sort").addEventListener("change",applyFilter);
q("search").addEventListener("input",applyFilter);
q("prev").addEventListener("click",function(){page--;render();window.scrollTo(0,0);});
q("next").addEventListener("click",function(){page++;render();window.scrollTo(0,0);});
if(!gold){["errors","fp","fn"].forEach(function(v){var o=document.querySelector('#show option[value="'+v+'"]');if(o)o.remove();});
  var so=document.querySelector('#sort option[value="errors"]');if(so)so.remove();}
applyFilter();
})();
"""


def _legend(gold: bool) -> str:
    items = [("var(--promo)", "promo removed" + (" (correct)" if gold else "")),
             ("var(--boiler)", "boilerplate removed" + (" (correct)" if gold else ""))]
    if gold:
        items += [("var(--fp)", "false positive: content removed"), ("var(--fn)", "missed: gold junk kept"),
                  ("var(--opt)", "optional gold span")]
    return "".join(f'<span style="background:{c}">{html.escape(t)}</span>' for c, t in items)


def review_html(docs: Sequence[ReviewDoc], title: str = "filter review", page_size: int = 50,
                subtitle: str = "") -> str:
    """The review page for ``docs`` as one self-contained HTML string."""
    if page_size < 1:
        raise ValueError(f"page size must be at least 1, got {page_size}")
    gold = any(d.gold is not None for d in docs)
    data = {"gold": gold, "pageSize": int(page_size), "docs": [_doc_payload(d) for d in docs]}
    n_removed = sum(1 for d in docs if d.spans)
    info = f"{len(docs)} documents, {n_removed} with removals" + (f" · {subtitle}" if subtitle else "")
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<div class="meta">{html.escape(info)}</div>
<div class="controls">
<span class="legend">{_legend(gold)}</span>
<label><input type="checkbox" id="hl-promo" checked> highlight promo</label>
<label><input type="checkbox" id="hl-boilerplate" checked> highlight boilerplate</label>
<label>show <select id="show">
<option value="all">all documents</option><option value="removed">with any removal</option>
<option value="promo">with promo</option><option value="boilerplate">with boilerplate</option>
<option value="clean">with nothing removed</option><option value="errors">with errors (FP or FN)</option>
<option value="promo_page">promotion pages</option><option value="fp">with false positives</option><option value="fn">with missed junk</option>
</select></label>
<label>sort <select id="sort"><option value="input">input order</option><option value="junk">junk share</option>
<option value="errors">errors</option></select></label>
<label>id <input type="search" id="search" size="14"></label>
<span class="pager"><button id="prev" type="button">&larr; prev</button><span id="pageinfo"></span>
<button id="next" type="button">next &rarr;</button></span>
</div>
</header>
<main id="docs"><noscript>This page needs JavaScript to render the documents.</noscript></main>
<script type="application/json" id="review-data">{embed_json(data)}</script>
<script>{_JS}</script>
</body>
</html>
"""


# ---------------------------------------------------------------- building docs

def has_scores(records: Iterable[Mapping[str, Any]]) -> bool:
    """True when any record's spans carry a ``score`` (predictions rather than gold)."""
    return any(isinstance(s, Mapping) and "score" in s for r in records for s in (r.get("spans") or []))


def doc_meta(fields: Mapping[str, Any]) -> dict[str, str]:
    """The document label and language of a record (``filter clean`` output fields) as review meta."""
    out: dict[str, str] = {}
    if fields.get("doc_label"):
        score = fields.get("doc_score")
        out["page"] = f"{fields['doc_label']}" + (f" {float(score):.2f}" if score is not None else "")
    if fields.get("language"):
        out["language"] = str(fields["language"])
    return out


def review_docs(records: Sequence[Mapping[str, Any]], predicted: Sequence[Sequence[Span]] | None = None,
                gold: bool = False, doc_fields: Sequence[Mapping[str, Any]] | None = None) -> list[ReviewDoc]:
    """ReviewDocs from records with ``text`` (and ``id``, ``spans``, ``outlet``...).

    ``predicted``: spans per record; ``None`` uses the records' own spans as predictions.
    ``gold``: the records' spans are gold annotations. Never guessed: an unscored ``spans``
    field (even ``[]``) is not gold unless the caller says so (``filter review --gold``).
    ``doc_fields``: the document label/score/language per record (default: the records' own
    ``doc_label``/``doc_score``/``language``), shown as ``page`` and ``language``.
    """
    from filter.evaluation.metrics import gold_spans

    out = []
    for i, r in enumerate(records):
        rid = str(r.get("id", i + 1))
        meta = {k: r[k] for k in ("outlet",) if r.get(k) is not None}
        meta.update(doc_meta(doc_fields[i] if doc_fields is not None else r))
        text = r.get("text")
        if not isinstance(text, str):
            out.append(ReviewDoc(rid, "", [], None, meta, r.get("error") or "no text"))
            continue
        meta["category"] = category(rid)
        if predicted is not None:
            spans = list(predicted[i])
        else:
            spans = [s if isinstance(s, Span) else Span.from_dict(s) for s in (r.get("spans") or [])]
        out.append(ReviewDoc(rid, text, spans, gold_spans(r) if gold else None, meta))
    return out


# ---------------------------------------------------------------- notebook rendering

_INLINE = {"promo": "#f4a6a6", "boilerplate": "#a9c8f2", "tp-promo": "#f4a6a6", "tp-boilerplate": "#a9c8f2",
           "fp-promo": "#ffb347", "fp-boilerplate": "#ffb347", "fn-promo": "#c59be8", "fn-boilerplate": "#c59be8",
           "opt": "#e2e2e2", "opt-removed": "#e2e2e2"}


def snippet_windows(runs: Sequence[Run], length: int, window: int = 150) -> list[tuple[int, int]]:
    """Merged character windows of ``window`` chars either side of each marked run."""
    out: list[list[int]] = []
    for r in runs:
        if not r.cls:
            continue
        a, b = max(0, r.start - window), min(length, r.end + window)
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def doc_html(text: str, spans: Sequence[Span], gold: Sequence[GoldSpan] | None = None, window: int = 150,
             max_chars: int = 1200, title: str = "") -> str:
    """Inline-styled HTML of one document with marked runs, truncated to windows around them.

    Each window shows ``window`` characters of context either side of a marked run; windows
    are separated by "…" and the whole is cut at ``max_chars`` characters of text.
    """
    runs = doc_segments(text, spans, gold)
    wins = snippet_windows(runs, len(text), window) or [(0, min(len(text), 2 * window))]
    parts, budget = [], max_chars
    for a, b in wins:
        if budget <= 0:
            parts.append("<span style='color:#888'> […]</span>")
            break
        b = min(b, a + budget)
        budget -= b - a
        parts.append("<span style='color:#888'>… </span>" if a > 0 else "")
        for r in runs:
            lo, hi = max(r.start, a), min(r.end, b)
            if lo >= hi:
                continue
            piece = html.escape(text[lo:hi])
            if r.cls:
                parts.append(f"<mark style='background:{_INLINE.get(r.cls, '#ddd')}' title='{html.escape(r.title, quote=True)}'>{piece}</mark>")
            else:
                parts.append(piece)
        parts.append("<span style='color:#888'> …</span>" if b < len(text) else "")
    head = f"<div style='font-weight:bold;font-family:monospace'>{html.escape(title)}</div>" if title else ""
    return f"<div style='white-space:pre-wrap;border:1px solid #ccc;padding:6px;margin:4px 0'>{head}{''.join(parts)}</div>"


def legend_html(gold: bool = True) -> str:
    """A small inline legend matching ``doc_html`` colours."""
    items = [("#f4a6a6", "promo removed"), ("#a9c8f2", "boilerplate removed")]
    if gold:
        items += [("#ffb347", "false positive"), ("#c59be8", "missed (false negative)"), ("#e2e2e2", "optional")]
    return " ".join(f"<mark style='background:{c}'>{html.escape(t)}</mark>" for c, t in items)


def inline_repairs(text: str, spans: Sequence[Span], context: int = 80) -> list[dict[str, Any]]:
    """Before/after snippets for every *inline* span (text on both sides within its line),
    rendered with ``filter.render`` one span at a time, ``context`` characters either side."""
    from filter.render import render

    out = []
    for s in spans:
        ls = max(text.rfind("\n", 0, s.start), text.rfind("\r", 0, s.start)) + 1
        le = min([i for i in (text.find("\n", s.end), text.find("\r", s.end)) if i >= 0] or [len(text)])
        if not text[ls:s.start].strip() or not text[s.end:le].strip():
            continue  # a whole-line (or line-edge) removal, not an inline repair
        a, b = max(ls, s.start - context), min(le, s.end + context)
        shifted = Span(s.start - a, s.end - a, s.label, s.kind, s.score)
        out.append({"start": s.start, "end": s.end, "label": s.label, "kind": s.kind,
                    "score": float(s.score), "removed": text[s.start:s.end],
                    "before": text[a:b], "after": render(text[a:b], [shifted])})
    return out


_REDACT = str.maketrans({**{c: "x" for c in "abcdefghijklmnopqrstuvwxyz"},
                         **{c: "X" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, **{c: "0" for c in "0123456789"}})


def redact(text: str) -> str:
    """Mask letters and digits (x/X/0; other letters become x) keeping length, offsets, spaces and
    punctuation: committed notebook outputs show where spans fall without redistributing
    corpus text."""
    out = text.translate(_REDACT)
    if not out.isascii():
        out = "".join("x" if c.isalpha() else "0" if c.isdigit() else c for c in out)
    return out


def shorten(s: str, n: int = 80) -> str:
    """``s`` cut to at most ``n`` characters (an ellipsis marks the cut), newlines shown as ⏎."""
    s = s.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
    return s if len(s) <= n else s[: max(0, n - 1)] + "…"
