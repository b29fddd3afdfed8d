"""Decode: turn the models' probabilities into spans, as an explicit ordered list of named steps.

Every step (``STEPS``) has a name, a docstring giving its reason, its numbers in one
``DecodeConfig`` (defaults = the shipped behaviour), an on/off switch (``DecodeConfig.off``) and
a counter of what it changed (``DecodeResult.counts``). Core steps turn probabilities into spans
(thresholds, unit spans, token runs, whitespace geometry); the other steps are revision rules
over the document's context, in the spirit of jusText's context-sensitive pass, and each must
earn its place on held-out data (``filter evaluate --ablate``; ``docs/ALGORITHM.md``).

Every decoded span names the step that made it or last changed its extent (``Span.step``);
whitespace geometry and merging of touching spans keep the deciding step's name.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable

import numpy as np

from filter.features import CLASSES, SHAPE_FLAGS
from filter.spans import Span

# "Analysis" and "Base" in annotations are filter.model's (not imported: model imports decode)
PROMO, BOILER = 1, 2
INLINE_KINDS = ("inline", "inline_brand", "keyword_substitution")   # token-level spans inside a sentence
TITLE_FUNCTION_WORDS = frozenset("di ke dari dan yang untuk pada dengan atau dalam oleh sebagai hingga "
                                 "sampai agar bagi soal usai jelang vs".split())
_INLINE_WS = " \t\xa0\u200b\u200e\u200f\u3000"
_LEX, _STOPF, _DIGITF = SHAPE_FLAGS.index("lexicon"), SHAPE_FLAGS.index("stop"), SHAPE_FLAGS.index("digit")
_CAP, _ALLCAPS = SHAPE_FLAGS.index("cap"), SHAPE_FLAGS.index("allcaps")


# ---------------------------------------------------------------- the steps

@dataclass(frozen=True)
class Step:
    """One decode step: its name, whether it is core (probabilities → spans) or a revision
    rule, and its reason (the docstring of the code that implements it)."""

    name: str
    core: bool
    reason: str


def _steps() -> tuple[Step, ...]:
    def s(name: str, core: bool, fn: Callable) -> Step:
        return Step(name, core, " ".join((fn.__doc__ or "").split()))

    return (
        s("unit_threshold", True, _unit_threshold),
        s("promo_hysteresis", False, _promo_hysteresis),
        s("promo_blocks", False, _promo_blocks),
        s("unit_spans", True, _unit_spans),
        s("token_runs", True, _token_runs),
        s("complete_phrase", False, complete_phrase),
        s("follow_titles", False, _follow_titles),
        s("spaced_brands", False, _spaced_brands),
        s("takeover_share", False, _takeover_share),
        s("attach_whitespace", True, attach_whitespace),
        s("merge_touching", True, merge_touching),
    )


@dataclass(frozen=True)
class DecodeConfig:
    """Every number of the decode stage, with the shipped defaults, and the switches.

    ``off`` names the steps switched off (``STEP_NAMES``); core steps cannot be switched off.
    Model hyper-parameters (candidate selection, marker distances) live in ``filter.model``."""

    promo_extend: float = 0.1          # hysteresis: a neighbour joins a promo sentence from this promo p
    #                                    (chosen on validation: 0.2/0.1/0.05 gave junk F1 0.8803/0.8807/0.8798)
    promo_block_share: float = 0.5     # a line with more than this share of promo sentences ...
    promo_block_min: int = 4           # ... and at least this many is promotion throughout (chosen on
    #                                    validation: off/(0.5, 3)/(0.5, 4) gave junk F1 0.9065/0.9057/0.9067)
    title_marker_min: float = 0.9      # a glued headline follows a word scoring at least this boilerplate
    title_max_tokens: int = 25         # ... and continues at most this many tokens after it
    title_min: float = 0.1             # ... over title-like words at least this likely furniture
    spaced_min: float = 0.5            # a spaced-letter word is promotion from this word-scorer p (and threshold)
    takeover_share: float = 0.3        # a sentence at least this share inline promotion ...
    takeover_max_tokens: int = 40      # ... and at most this long is removed whole
    off: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = {s.name: s for s in STEPS}
        bad = [n for n in self.off if n not in names]
        if bad:
            raise ValueError(f"unknown decode step(s) {', '.join(bad)}; choose from {', '.join(names)}")
        core = [n for n in self.off if names[n].core]
        if core:
            raise ValueError(f"core decode step(s) {', '.join(core)} cannot be switched off")
        object.__setattr__(self, "off", tuple(sorted(set(self.off))))

    def on(self, step: str) -> bool:
        return step not in self.off

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["off"] = list(self.off)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "DecodeConfig":
        """From ``to_dict`` output; missing keys take the defaults, unknown keys are an error."""
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        bad = sorted(set(d) - known)
        if bad:
            raise ValueError(f"unknown decode config key(s): {', '.join(bad)}")
        if "off" in d:
            d["off"] = tuple(d["off"])
        return cls(**d)


@dataclass
class DecodeResult:
    """Spans of one document and how often each step changed something (units, runs or spans)."""

    spans: list[Span]
    counts: dict[str, int] = field(default_factory=dict)


def add_counts(total: dict[str, int], counts: dict[str, int]) -> dict[str, int]:
    """Sum per-step counters into ``total`` (in place; returned)."""
    for k, v in counts.items():
        if v:
            total[k] = total.get(k, 0) + v
    return total


# ---------------------------------------------------------------- unit steps

def _best_junk(P: np.ndarray, th: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of class probabilities: the likelier junk label, its probability, and whether
    that probability reaches the label's threshold."""
    lab = np.where(P[:, PROMO] >= P[:, BOILER], PROMO, BOILER) if len(P) else np.zeros(0, np.int64)
    score = P[np.arange(len(P)), lab] if len(P) else np.zeros(0, np.float32)
    return lab, score, score >= np.where(lab == PROMO, th["promo"], th["boilerplate"])


def _unit_threshold(a: "Analysis", th: dict[str, float]):
    """A unit (sentence or line) is junk when stage 2 gives its likelier junk label at least
    that label's threshold (chosen on the validation split)."""
    return _best_junk(a.unit_proba, th)


def _promo_hysteresis(a: "Analysis", label: np.ndarray, score: np.ndarray, junk: np.ndarray,
                      cfg: DecodeConfig, by: list[str]) -> int:
    """Hysteresis: a sentence next to a promo sentence, in the same paragraph, is promotion
    too when its own promo probability reaches ``promo_extend`` (one sweep forward and one
    back carry whole chains). It carries the score of the promo sentence that pulled it in:
    that sentence made the decision, and every decoded span keeps a score at or above its
    label's threshold. Promotion comes in runs; the sentence after a brand pitch reads
    neutral alone."""
    block, p = a.base.units.block, a.unit_proba[:, PROMO]
    n, changed = len(p), 0
    for order, step in ((range(1, n), -1), (range(n - 2, -1, -1), 1)):
        for j in order:
            i = j + step   # the neighbour already decided
            if junk[i] and label[i] == PROMO and not junk[j] and block[j] == block[i] and p[j] >= cfg.promo_extend:
                junk[j], label[j], score[j] = True, PROMO, score[i]
                by[j] = "promo_hysteresis"
                changed += 1
    return changed


def _promo_blocks(a: "Analysis", label: np.ndarray, score: np.ndarray, junk: np.ndarray,
                  cfg: DecodeConfig, by: list[str]) -> int:
    """A line that is mostly promo sentences (at least ``promo_block_min`` of them and more than
    ``promo_block_share`` of its sentences) is promotion throughout: a testimonial list glued
    into one line ("Banyak pilihan game.") reads as neutral sentence by sentence."""
    block = a.base.units.block
    promo = junk & (label == PROMO)
    if promo.sum() < cfg.promo_block_min:
        return 0
    n_b = np.bincount(block, minlength=int(block.max()) + 1)
    p_b = np.bincount(block[promo], minlength=len(n_b))
    changed = 0
    for blk in np.nonzero((p_b >= cfg.promo_block_min) & (p_b > cfg.promo_block_share * n_b))[0].tolist():
        idx = np.nonzero((block == blk) & ~junk)[0]
        top = float(score[(block == blk) & promo].min())
        junk[idx], label[idx], score[idx] = True, PROMO, top
        for i in idx.tolist():
            by[i] = "promo_blocks"
        changed += len(idx)
    return changed


def _unit_kind(a: "Analysis", i: int, lab: int, whole_block: bool) -> str:
    if lab == PROMO:
        if not whole_block:
            return "promo_sentence"
        nb = len(a.base.units.block_starts)
        blk = a.base.units.block[i]
        return "promo_line" if blk in (0, nb - 1) else "injected_paragraph"
    return a.unit_kinds[i] if a.unit_kinds else "boilerplate"


_STEP_ORDER: dict[str, int] = {}


def _latest(steps: set[str]) -> str:
    """The step, of several, that comes last in decode order (the one that last changed a span)."""
    return max(steps, key=lambda s: _STEP_ORDER.get(s, -1))


def _unit_spans(a: "Analysis", label: np.ndarray, score: np.ndarray, junk: np.ndarray, by: list[str]) -> tuple[list[Span], set[tuple[int, int]]]:
    """A line whose units are all junk with one label is one span (its kind from the kind
    model, or promo line / injected paragraph by position); otherwise each junk unit is a
    span. A span names the (latest) step that made its units junk."""
    u = a.base.units
    spans: list[Span] = []
    whole: set[tuple[int, int]] = set()
    for blk in np.unique(u.block[junk]) if junk.any() else []:
        idx = np.nonzero(u.block == blk)[0]
        labs = set(label[idx][junk[idx]])
        if junk[idx].all() and len(labs) == 1:
            lab = labs.pop()
            s, e = int(u.block_starts[blk]), int(u.block_ends[blk])
            kind = _unit_kind(a, idx[0], lab, whole_block=True)
            spans.append(Span(s, e, CLASSES[lab], kind, float(score[idx].min()), _latest({by[i] for i in idx.tolist()})))
            whole.add((s, e))
            junk[idx] = False  # handled
            continue
        for i in idx[junk[idx]]:
            lab = label[i]
            spans.append(Span(int(u.starts[i]), int(u.ends[i]), CLASSES[lab],
                              _unit_kind(a, i, lab, whole_block=False),
                              float(score[i]), by[int(i)]))
    return spans, whole


# ---------------------------------------------------------------- token steps

def _token_runs(model: Any, a: "Analysis", th: dict[str, float], covered_units: set[int], cfg: DecodeConfig,
                counts: dict[str, int]) -> list[Span]:
    """Inline spans inside units no unit-level span covers: contiguous candidate tokens (same
    unit, same line, same label) whose token-model probability reaches the label's threshold.
    A promo run opened by a brand-like word (digits, or not a promo-lexicon term) is an inline
    brand, otherwise a keyword substitution; a boilerplate run is inline furniture."""
    b = a.base
    out: list[Span] = []
    run: list[int] = []
    run_lab = 0

    def bump(name: str, k: int = 1) -> None:
        counts[name] = counts.get(name, 0) + k

    def flush():
        if run:
            words = [b.tok_norm[t] for t in run]
            i0, i1 = run[0], run[-1] + 1
            step = "token_runs"
            if run_lab == PROMO and cfg.on("complete_phrase"):
                j0, j1 = complete_phrase(model, b, i0, i1)
                if (j0, j1) != (i0, i1):
                    bump("complete_phrase")
                    step, i0, i1 = "complete_phrase", j0, j1
            s = int(b.toks[i0, 0])
            e = int(b.toks[i1 - 1, 1])
            score = float(np.mean([pr[run_lab] for pr in (a.cand_proba[pos[t]] for t in run)]))
            first = words[0]   # a run opened by a brand-like word (digits, or not a promo term)
            brand = any(c.isdigit() for c in first) or (len(first) >= 4 and first not in model.lexicon_)
            kind = "inline" if run_lab == BOILER else ("inline_brand" if brand else "keyword_substitution")
            out.append(Span(s, e, CLASSES[run_lab], kind, score, step))
            bump("token_runs")

    pos = {int(t): j for j, t in enumerate(a.cand)}
    labs, _, ok = _best_junk(a.cand_proba, th)
    tu = b.tok_unit[a.cand]
    if not ok.any():
        return out
    prev = -2
    for t, lab, good, unit in zip(a.cand.tolist(), labs.tolist(), ok.tolist(), tu.tolist()):
        if unit in covered_units:
            continue
        if not good:
            if run:
                flush()
            run, prev = [], -2
            continue
        contiguous = t == prev + 1 and lab == run_lab and b.tok_unit[t] == b.tok_unit[prev] \
            and "\n" not in b.units.text[b.toks[prev][1]:b.toks[t][0]]
        if not contiguous:
            flush()
            run = []
        run_lab = lab
        run.append(t)
        prev = t
    flush()
    return out


def complete_phrase(model: Any, b: "Base", i0: int, i1: int) -> tuple[int, int]:
    """A promo token run is widened to a whole known promo phrase it overlaps ("jackpot" +
    "progresif", the phrases of the training templates), within its unit and line: the token
    model often takes only the rarer word of a phrase."""
    phrases = getattr(model, "phrases_", None)
    if not phrases:
        return i0, i1
    text = b.units.text

    def joinable(i: int, j: int) -> bool:   # tokens i < j are in one unit, no line break between
        return b.tok_unit[i] == b.tok_unit[j] and "\n" not in text[b.toks[i][1]:b.toks[j][0]]

    n = len(b.toks)
    for k in (2, 1):                 # extend right by k words
        if i1 + k <= n and joinable(i1 - 1, i1 + k - 1) and any(
                tuple(b.tok_norm[i1 - back:i1 + k]) in phrases for back in (1, 2, 3) if i1 - back >= i0):
            i1 += k
            break
    for k in (2, 1):                 # extend left by k words
        if i0 - k >= 0 and joinable(i0 - k, i0) and any(
                tuple(b.tok_norm[i0 - k:i0 + fwd]) in phrases for fwd in (1, 2, 3) if i0 + fwd <= i1):
            i0 -= k
            break
    return i0, i1


def _follow_titles(a: "Analysis", spans: list[Span], cfg: DecodeConfig) -> tuple[list[Span], int]:
    """Carry a glued related link ("Baca juga: <Title Case Headline> Next sentence ...") to the
    end of its headline. The token model often fades out mid-title; when the words it did take
    after the marker (a word scoring boilerplate ≥ ``title_marker_min``) are all capitalised,
    the run continues over title-like words (capitalised, numbers, lowercase function words)
    the token model still gives ``title_min`` furniture probability, up to ``title_max_tokens``
    after the marker, and stops before the capitalised word that opens the next sentence (one
    followed by an ordinary lowercase word). Only runs with a colon after the marker and a
    title-case (not all-caps) body qualify."""
    b = a.base
    if not len(a.cand) or not any(x.label == "boilerplate" and x.kind == "inline" for x in spans):
        return spans, 0
    pos = {int(t): j for j, t in enumerate(a.cand)}
    n = len(b.toks)
    flags = b.tok_flags
    text = b.units.text

    def title_like(i: int) -> bool:
        return bool(flags[i, _CAP] or flags[i, _DIGITF] or b.tok_norm[i] in TITLE_FUNCTION_WORDS)

    def plain_lower(i: int) -> bool:
        return not title_like(i) and b.tok_norm[i].isalpha()

    out: list[Span] = []
    changed = 0
    for span in spans:
        i0 = int(np.searchsorted(b.toks[:, 0], span.start))
        if span.label != "boilerplate" or span.kind != "inline" or i0 >= n \
                or a.tok_word_proba[i0, BOILER] < cfg.title_marker_min:
            out.append(span)
            continue
        i1 = int(np.searchsorted(b.toks[:, 1], span.end, side="right")) - 1   # last token
        colon = text.find(":", span.start, min(span.end, span.start + 40))   # "Baca juga: ", "Lihat Juga :"
        body = [i for i in range(i0 + 1, i1 + 1) if b.toks[i, 0] > colon and b.tok_norm[i].isalpha()
                and b.tok_norm[i] not in TITLE_FUNCTION_WORDS]
        if colon < 0 or len(body) < 2 or not all(flags[i, _CAP] for i in body) \
                or sum(bool(flags[i, _ALLCAPS]) for i in body) * 2 > len(body):
            out.append(span)
            continue
        # never into another span (a promo word glued after the headline stays its own span)
        limit = min((x.start for x in spans if x.start >= span.end), default=len(text))
        last, j = i1, i1 + 1
        while j < n and b.toks[j, 1] <= limit and j - i0 <= cfg.title_max_tokens and b.tok_unit[j] == b.tok_unit[i0] \
                and "\n" not in text[b.toks[j - 1, 1]:b.toks[j, 0]] and title_like(j) \
                and j in pos and a.cand_proba[pos[j], BOILER] >= cfg.title_min:
            if j + 1 < n and flags[j, _CAP] and plain_lower(j + 1) and b.tok_unit[j + 1] == b.tok_unit[j]:
                break   # "Selain melakukan ...": the next sentence starts here
            last = j
            j += 1
        end = max(span.end, int(b.toks[last, 1]))
        if end != span.end:
            changed += 1
        out.append(Span(span.start, end, span.label, span.kind, span.score,
                        "follow_titles" if end != span.end else span.step))
    return out, changed


def _spaced_brands(a: "Analysis", th: dict[str, float], covered_units: set[int], spans: list[Span],
                   cfg: DecodeConfig) -> tuple[list[Span], int]:
    """A run of one-letter tokens ("J P T O G E L 7 7") whose joined word the word scorer calls
    promotion (≥ ``spaced_min`` and the promo threshold) is an inline brand, outside unit
    spans; it wins over non-promo token runs inside it ("J P" scored as furniture). Spacing
    letters out is an obfuscation the token model cannot see word by word."""
    b = a.base
    others = [x for x in spans if x.kind not in INLINE_KINDS]
    spaced = []
    for (unit, _, i0, i1, _), p in zip(b.spaced, a.spaced_promo):
        s, e = int(b.toks[i0, 0]), int(b.toks[i1, 1])
        if p >= max(th["promo"], cfg.spaced_min) and unit not in covered_units \
                and not any(x.start < e and s < x.end for x in others):
            spaced.append(Span(s, e, "promo", "inline_brand", float(p), "spaced_brands"))
    if not spaced:
        return spans, 0
    kept = [x for x in spans if not (x.kind in INLINE_KINDS and x.label != "promo"
                                     and any(y.start < x.end and x.start < y.end for y in spaced))]
    return kept + spaced, len(spaced) + len(spans) - len(kept)


def _takeover_share(a: "Analysis", spans: list[Span], cfg: DecodeConfig, counts: dict[str, int]) -> list[Span]:
    """A short sentence (at most ``takeover_max_tokens`` words) at least ``takeover_share`` of
    whose words are inline promotion (brand, keywords) was written around the brand: the whole
    sentence goes, unless a span reaches outside it."""
    b, u = a.base, a.base.units
    inline = [s for s in spans if s.label == "promo" and s.kind in ("inline_brand", "keyword_substitution")]
    if not inline:
        return spans
    starts, ends = b.toks[:, 0], b.toks[:, 1]
    promo_tok = np.zeros(len(b.toks), dtype=bool)
    for s in inline:
        promo_tok[np.searchsorted(starts, s.start):np.searchsorted(ends, s.end, side="right")] = True
    in_unit = b.tok_unit >= 0
    ntok = np.bincount(b.tok_unit[in_unit], minlength=len(u))
    npro = np.bincount(b.tok_unit[promo_tok & in_unit], minlength=len(u))
    by_share = npro >= cfg.takeover_share * ntok
    out = spans
    for i in np.nonzero((npro > 0) & (ntok <= cfg.takeover_max_tokens) & by_share)[0].tolist():
        s0, e0 = int(u.starts[i]), int(u.ends[i])
        rest = [x for x in out if not (s0 <= x.start and x.end <= e0)]
        if any(x.start < e0 and s0 < x.end for x in rest):
            continue   # a span reaches outside the sentence: leave it as it is
        kind = _unit_kind(a, i, PROMO, whole_block=bool(u.whole[i]))
        score = max(x.score for x in out if s0 <= x.start and x.end <= e0)
        counts["takeover_share"] = counts.get("takeover_share", 0) + 1
        out = sorted(rest + [Span(s0, e0, "promo", kind, score, "takeover_share")], key=lambda x: x.start)
    return out


# ---------------------------------------------------------------- geometry

def attach_whitespace(text: str, spans: list[Span], whole: set[tuple[int, int]]) -> list[Span]:
    """Each sub-line span takes one adjoining whitespace run (FORMAT.md geometry): the run
    after it when text follows on the same line, otherwise the run before it; never into
    another span. Spans that are whole lines (``whole``) stay as they are."""
    spans = sorted(spans, key=lambda s: s.start)
    out: list[Span] = []
    for i, s in enumerate(spans):
        if (s.start, s.end) in whole:
            out.append(s)
            continue
        nxt_start = spans[i + 1].start if i + 1 < len(spans) else len(text)
        e = s.end
        while e < nxt_start and text[e] in _INLINE_WS:
            e += 1
        if e > s.end and e < len(text) and text[e] not in "\r\n":
            out.append(Span(s.start, e, s.label, s.kind, s.score, s.step))
            continue
        prev_end = out[-1].end if out else 0
        b = s.start
        while b > prev_end and text[b - 1] in _INLINE_WS:
            b -= 1
        out.append(Span(b, s.end, s.label, s.kind, s.score, s.step))
    return out


def merge_touching(spans: list[Span]) -> list[Span]:
    """Spans of the same label that touch become one; the merged score is the minimum, the
    kind and step those of the longer part."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: s.start):
        if out and out[-1].label == s.label and out[-1].end >= s.start:
            p = out[-1]
            first = p.kind == s.kind or (p.end - p.start) >= (s.end - s.start)
            keep = p if first else s
            out[-1] = Span(p.start, max(p.end, s.end), p.label, keep.kind, min(p.score, s.score), keep.step)
        else:
            out.append(s)
    return out


# ---------------------------------------------------------------- the stage

def decode(model: Any, a: "Analysis", thresholds: dict[str, float] | None = None,
           config: DecodeConfig | None = None) -> DecodeResult:
    """Spans of one analysed document under per-label ``thresholds`` (default: the model's) and
    a decode ``config`` (default: the model's ``decode_config_``, else ``DecodeConfig()``)."""
    cfg = config or getattr(model, "decode_config_", None) or DEFAULT_CONFIG
    th = dict(model.thresholds)
    if thresholds:
        th.update(thresholds)
    counts: dict[str, int] = {}
    text = a.base.units.text
    # unit steps
    label, score, junk = _unit_threshold(a, th)
    counts["unit_threshold"] = int(junk.sum())
    by = ["unit_threshold"] * len(junk)
    if cfg.on("promo_hysteresis"):
        counts["promo_hysteresis"] = _promo_hysteresis(a, label, score, junk, cfg, by)
    if cfg.on("promo_blocks"):
        counts["promo_blocks"] = _promo_blocks(a, label, score, junk, cfg, by)
    spans, whole = _unit_spans(a, label, score, junk, by)
    counts["unit_spans"] = len(spans)
    # units whose start lies inside a unit-level span (spans are in document order)
    u = a.base.units
    if spans:
        ss = np.array([s.start for s in spans])
        se = np.array([s.end for s in spans])
        k = np.searchsorted(ss, u.starts, side="right") - 1
        inside = (k >= 0) & (u.starts < se[np.maximum(k, 0)])
        covered_units = set(np.nonzero(inside)[0].tolist())
    else:
        covered_units = set()
    # token steps
    spans += _token_runs(model, a, th, covered_units, cfg, counts)
    if cfg.on("follow_titles"):
        spans, counts["follow_titles"] = _follow_titles(a, spans, cfg)
    if cfg.on("spaced_brands"):
        spans, counts["spaced_brands"] = _spaced_brands(a, th, covered_units, spans, cfg)
    if cfg.on("takeover_share"):
        spans = _takeover_share(a, spans, cfg, counts)
    before = {(s.start, s.end) for s in spans}
    spans = attach_whitespace(text, spans, whole)
    counts["attach_whitespace"] = sum((s.start, s.end) not in before for s in spans)
    n = len(spans)
    spans = merge_touching(spans)
    counts["merge_touching"] = n - len(spans)
    return DecodeResult(spans, {k: v for k, v in counts.items() if v})


STEPS = _steps()
STEP_NAMES = tuple(s.name for s in STEPS)
RULES = tuple(s.name for s in STEPS if not s.core)
_STEP_ORDER.update({s.name: i for i, s in enumerate(STEPS)})
DEFAULT_CONFIG = DecodeConfig()

__all__ = ["DecodeConfig", "DecodeResult", "Step", "STEPS", "STEP_NAMES", "RULES", "decode", "add_counts",
           "complete_phrase", "attach_whitespace", "merge_touching"]
