"""Synthetic training data: inject gambling promo (or legitimate decoys) into a host article.

``inject_promo(text, spans, bank, rng, title)`` inserts 1-3 promo units in the forms seen in
the wild and annotates them the way ``gold/DEV.md`` ("Transplants") does:

- ``injected_paragraph``: a promo paragraph (template, bridge + template, or a real comment)
  on its own line, using the newline run that precedes it in the host; span = the line.
- ``promo_sentence``: a sentence appended to a paragraph (span starts at the leading space),
  prepended to it or put between two sentences (span ends at the trailing space).
- ``inline_brand``: ``BRAND words `` at a word boundary mid-sentence, after a comma or a
  word; span = brand + 0-3 keyword words + one trailing space.
- ``keyword_substitution``: promo words inserted inside a real sentence; span = words + space.
- ``promo_line``: a banner/CTA line (often with a URL) at the very top or bottom.

About 30% of the insertions are obfuscated (``styled_unicode``, ``zero_width``,
``spaced_letters``, ``leetspeak``; see ``filter.training.obfuscate``), mostly on the brand name.
Insertions go only at whitespace boundaries outside host spans, so host text is never
changed: deleting ``Injection.insertions`` from the new text gives back the host exactly,
every new span is exactly an inserted unit, and host spans keep covering the same text.

``inject_decoys(text, spans, rng)`` inserts legitimate digit-bearing names ("Pasal 303
KUHP", "KRI Nanggala-402", "Rp303 juta") as content: hard negatives with no new spans.
"""
from __future__ import annotations

import bisect
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from filter.training.brands import brand_key
from filter.training.obfuscate import leet, spaced, styled, zero_width
from filter.training.promo import Brand, PromoBank, PromoText, load_lexicon
from filter.segment import LINE_BREAKS, Segment, blocks, sentences

__all__ = ["Injection", "inject_promo", "inject_decoys", "topic_phrase", "make_url", "FORMS",
           "OBFUSCATION_KINDS", "load_decoys"]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
FORMS = ("injected_paragraph", "promo_sentence", "inline_brand", "keyword_substitution", "promo_line")
OBFUSCATION_KINDS = ("styled_unicode", "zero_width", "spaced_letters", "leetspeak")
_FORM_WEIGHTS = {"inline_brand": 0.32, "injected_paragraph": 0.24, "promo_sentence": 0.22,
                 "promo_line": 0.12, "keyword_substitution": 0.10}
OBFUSCATION_RATE = 0.30
SAME_BRAND_RATE = 0.5   # later insertions in a document reuse its first brand (one client per injected page)
_STRONG = frozenset("""slot slots gacor togel toto maxwin jackpot scatter rtp link daftar login bonus
deposit depo wd jp situs judi casino poker bet spin cuan hoki pola alternatif resmi terbaru jepe 4d
server akun bocoran live parlay freebet cashback mahjong olympus bandar agen""".split())
JOURNALISTIC = frozenset("""judi perjudian judol sabung ayam taruhan bandar agen kasino casino togel
poker""".split())
_CONNECTORS = frozenset("dan yang di untuk dengan serta atau ke dari pada ini itu juga karena sebagai".split())


# ----------------------------------------------------------------------------- result

@dataclass
class Injection:
    """The new text with all spans (host spans shifted + new promo spans, sorted).

    ``forms``, ``obfuscation``, ``brands`` and ``template_families`` have one entry per
    insertion, in text order ("none"/"" where not applicable). ``insertions`` are the
    new-text regions of every inserted string (units plus the separator added with them);
    ``content_insertions`` those of decoys (content, no span).
    """

    text: str
    spans: list[dict]
    forms: list[str]
    obfuscation: list[str]
    brands: list[str]
    template_families: list[str]
    content_insertions: list[tuple[int, int]] = field(default_factory=list)
    insertions: list[tuple[int, int]] = field(default_factory=list)
    points: list[tuple[int, int]] = field(default_factory=list, repr=False)  # (host_pos, length)

    def shift(self, pos: int, side: str = "right") -> int:
        """Map a host offset to the new text.

        ``side="right"`` (default) maps the position of the host character at ``pos``:
        insertions made exactly at ``pos`` come before it (use for span starts).
        ``side="left"`` leaves those insertions after it (use for span ends).
        """
        keys = [p for p, _ in self.points]
        k = bisect.bisect_right(keys, pos) if side == "right" else bisect.bisect_left(keys, pos)
        return pos + sum(n for _, n in self.points[:k])

    def host_text(self) -> str:
        """The host text: the new text without every inserted region."""
        out, prev = [], 0
        for s, e in sorted(self.insertions + self.content_insertions):
            out.append(self.text[prev:s])
            prev = e
        out.append(self.text[prev:])
        return "".join(out)


@dataclass
class Plan:
    pos: int                 # host offset
    insert: str              # exact inserted string
    span: tuple[int, int] | None  # span of the unit inside ``insert`` (None for decoys)
    form: str
    obfuscation: str = "none"
    brand: str = ""
    family: str = ""


def apply_plans(text: str, spans: list[dict], plans: list[Plan], content: bool = False) -> Injection:
    plans = sorted(plans, key=lambda p: p.pos)
    pieces, new_spans, regions = [], [], []
    prev, offset = 0, 0
    for p in plans:
        pieces.append(text[prev:p.pos])
        start = p.pos + offset
        pieces.append(p.insert)
        regions.append((start, start + len(p.insert)))
        if p.span is not None:
            new_spans.append({"start": start + p.span[0], "end": start + p.span[1],
                              "label": "promo", "kind": p.form})
        offset += len(p.insert)
        prev = p.pos
    pieces.append(text[prev:])
    inj = Injection("".join(pieces), [], [p.form for p in plans], [p.obfuscation for p in plans],
                    [p.brand for p in plans], [p.family for p in plans],
                    points=[(p.pos, len(p.insert)) for p in plans])
    if content:
        inj.content_insertions = regions
    else:
        inj.insertions = regions
    shifted = []
    for s in spans:
        d = dict(s)
        d["start"] = inj.shift(int(s["start"]), "right")
        d["end"] = inj.shift(int(s["end"]), "left") if int(s["end"]) > int(s["start"]) else d["start"]
        shifted.append(d)
    inj.spans = sorted(shifted + new_spans, key=lambda d: (d["start"], d["end"]))
    return inj


# ----------------------------------------------------------------------------- host analysis

class Host:
    """Where a host text can take insertions without touching its spans or breaking words."""

    def __init__(self, text: str, spans: list[dict]):
        self.text = text
        self.ranges = sorted((int(s["start"]), int(s["end"])) for s in spans)
        self.flat = not any(c in text for c in LINE_BREAKS)
        runs = Counter(m.group() for m in re.finditer(r"(?:\r?\n)+", text))
        self.sep = max(("\n\n", "\n"), key=lambda s: runs.get(s, 0)) if runs else "\n"
        if runs and "\r\n" in text:
            self.sep = self.sep.replace("\n", "\r\n")
        self.blocks = blocks(text)
        self.content = [b for b in self.blocks if not self._touches(b.start, b.end)]
        self.used: set[int] = set()

    def _touches(self, s: int, e: int) -> bool:
        return any(a < e and s < b for a, b in self.ranges)

    def free(self, p: int) -> bool:
        return p not in self.used and not any(a < p < b for a, b in self.ranges)

    def is_span_block(self, b: Segment) -> bool:
        return self._touches(b.start, b.end)

    def line_starts(self) -> list[tuple[int, str]]:
        """(position, newline run before it) for every non-blank line after the first."""
        out = []
        t = self.text
        for i, b in enumerate(self.blocks[1:], 1):
            ls = b.start  # the line's first character (before its leading spaces)
            while ls > 0 and t[ls - 1] not in LINE_BREAKS:
                ls -= 1
            j = ls
            while j > 0 and t[j - 1] in LINE_BREAKS:
                j -= 1
            run = t[j:ls]
            if not run or not self.free(ls):
                continue
            if len(run) > 2 or run.strip("\r\n"):
                run = self.sep
            nice = not self.is_span_block(b) and not self.is_span_block(self.blocks[i - 1])
            out.append((ls, run, nice))
        return [(p, r) for p, r, nice in out if nice] or [(p, r) for p, r, _ in out]

    def prose_blocks(self) -> list[Segment]:
        return [b for b in self.content
                if b.end - b.start >= 40 and self.text[b.end - 1] in ".!?\"”'’)"]

    def word_starts(self, after_comma: bool | None) -> list[int]:
        """Word starts inside content sentences (never a sentence's first word)."""
        t, out = self.text, []
        for b in self.content:
            for s in sentences(t, b.start, b.end):
                for m in re.finditer(r"(?<= )[^\W\d_]", t[s.start:s.end]):
                    p = s.start + m.start()
                    prev = t[p - 2] if p - 2 >= s.start else ""
                    if not prev or prev in ".!?:;\"'“”‘’(" or not self.free(p):
                        continue
                    if p >= s.end - 3 or t[p - 1] != " ":
                        continue
                    comma = prev == ","
                    if not comma and t[p].isupper():
                        j = t.rfind(" ", s.start, p - 1)
                        if t[s.start if j < 0 else j + 1].isupper():
                            continue  # inside a capitalised name ("BANDAR LAMPUNG", "Way Halim")
                    if after_comma is None or after_comma == comma:
                        if prev.isalnum() or comma:
                            out.append(p)
        return out


# ----------------------------------------------------------------------------- lexicons

@lru_cache(maxsize=4)
def load_stopwords(path: str = str(DATA_DIR / "lexicons" / "stopwords_id.txt")) -> frozenset[str]:
    return frozenset(w.lower() for w in load_lexicon(Path(path)))


@lru_cache(maxsize=4)
def load_decoys(path: str = str(DATA_DIR / "lexicons" / "decoys.txt")) -> dict[str, list[str]]:
    """Sections of ``decoys.txt``: names, inline, sentences."""
    out: dict[str, list[str]] = {}
    cur = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("[") and s.endswith("]"):
            cur = out.setdefault(s[1:-1], [])
        elif cur is not None:
            cur.append(s)
    return out


def _phrases(keywords: list[str], max_words: int = 3) -> list[str]:
    out = []
    for k in keywords:
        ws = k.split()
        if 1 <= len(ws) <= max_words and k.isascii() and re.fullmatch(r"[A-Za-z0-9 %'-]+", k) \
                and any(w.lower() in _STRONG for w in ws):
            out.append(k)
    return out or ["slot gacor", "link alternatif", "daftar slot"]


# ----------------------------------------------------------------------------- slot fillers

_TLDS = (".com", ".vip", ".xyz", ".site", ".online", ".pro", ".link", ".id", ".net", ".cc", ".top",
         ".live", ".club", ".org", ".asia", ".me")


def make_url(brand: str, rng: random.Random) -> str:
    """A URL-like token for a brand: https://brand.vip, bit.ly/brandgacor, wa.me/62..."""
    k = brand_key(brand) or "situs"
    r = rng.random()
    if r < 0.30:
        return f"https://{rng.choice(['', 'www.', 'm.', 'link.'])}{k}{rng.choice(_TLDS)}" + \
            rng.choice(["", "", "/daftar", "/login", "/register"])
    if r < 0.50:
        return f"{k}{rng.choice(_TLDS)}"
    if r < 0.78:
        host = rng.choice(["bit.ly", "s.id", "cutt.ly", "t.ly", "linktr.ee", "heylink.me", "rebrand.ly"])
        return f"{host}/{k}{rng.choice(['', 'gacor', 'daftar', 'login', 'resmi', 'vip', str(rng.randint(1, 99))])}"
    if r < 0.9:
        return f"wa.me/628{rng.randint(10, 99)}{rng.randint(10_000_000, 99_999_999)}"
    return f"t.me/{k}{rng.choice(['', 'official', '_cs', 'grup'])}"


_WORDRE = re.compile(r"[A-Za-z][A-Za-z-]*[A-Za-z]|[A-Za-z]")


def topic_phrase(text: str, title: str | None, rng: random.Random) -> str:
    """A 1-3 word noun phrase about the host article, from its title or salient words."""
    stop = load_stopwords()
    freq = Counter(w.lower() for w in _WORDRE.findall(text))
    lower_seen = set(w for w in _WORDRE.findall(text) if w.islower())
    src = title if title and title.strip() else text[:1500]
    cands: Counter = Counter()
    for chunk in re.split(r"[.,:;!?()\[\]\"“”|\n–—]+| - ", src):
        words = _WORDRE.findall(chunk)
        run: list[str] = []
        for w in words + [""]:
            if w and w.lower() not in stop and len(w) > 2:
                run.append(w)
                continue
            for n in (3, 2, 1):
                for i in range(len(run) - n + 1):
                    ph = run[i:i + n]
                    cands[tuple(ph)] = sum(freq[x.lower()] for x in ph) * (1.3 if n == 2 else 1.0)
            run = []
    if not cands:
        return "perkembangan terkini"
    body_text = text.replace(title, " ") if title and title.strip() else text
    body = " " + " ".join(_WORDRE.findall(body_text)).lower() + " "
    used = set()
    for ph in cands:  # prefer phrases the article itself uses (noun phrases, not title verbs)
        hits = body.count(" " + " ".join(ph).lower() + " ")
        if hits >= (1 if title else 2):
            used.add(ph)
        cands[ph] *= (1.5 + hits) if ph in used else 0.3
        if any(w in lower_seen for w in ph):
            cands[ph] *= 1.5
    if len(used) >= 2:
        cands = Counter({ph: v for ph, v in cands.items() if ph in used})
    top = [c for c, _ in cands.most_common(8)]
    words = rng.choice(top)

    def case(w: str) -> str:
        if w.isupper() and len(w) > 1:
            return w
        return w.lower() if w.lower() in lower_seen else w

    return " ".join(case(w) for w in words)


_CLAUSE_WORDS = (5, 18)


def host_clause(host: "Host", rng: random.Random) -> str | None:
    """A clause of one of the host's content sentences, ready to follow a comma: bridging
    spam ties the promotion to the article by paraphrasing a line of it ("Di tengah ramainya
    hiburan daring seperti X, <a clause of the article>."), so its words overlap the
    article's. None when the host has no sentence of a usable length."""
    t = host.text
    lower_seen = set(w for w in _WORDRE.findall(t) if w.islower())
    cands = []
    for b in host.content:
        for sg in sentences(t, b.start, b.end):
            for part in re.split(r"[,;:]\s+", t[sg.start:sg.end].strip()):
                part = part.strip(" .!?\"'“”‘’()-–—")
                words = part.split()
                caps = sum(w[:1].isupper() for w in words)
                if (_CLAUSE_WORDS[0] <= len(words) <= _CLAUSE_WORDS[1] and caps <= 0.4 * len(words)
                        and part.count("(") == part.count(")") and not any(c in part for c in "\"“”")):
                    cands.append(part)  # not a headline, no dangling bracket or quote
    if not cands:
        return None
    c = rng.choice(cands)
    first = c.split()[0]
    if first[:1].isupper() and not first.isupper() and first.lower() in lower_seen:
        c = first.lower() + c[len(first):]
    return c


def _brand(bank: PromoBank, rng: random.Random) -> str:
    if not bank.brands:
        from filter.training.brands import generate_brand
        return generate_brand(rng)
    by_src: dict[str, list[Brand]] = {}
    for b in bank.brands:
        by_src.setdefault(b.source, []).append(b)
    weights = {"brands.txt": 0.45, "trustpositif": 0.25, "generated": 0.30}
    srcs = list(by_src)
    src = rng.choices(srcs, [weights.get(s, 0.2) for s in srcs])[0]
    name = rng.choice(by_src[src]).name
    r = rng.random()
    if name.islower() and r < 0.35:
        name = name.upper()
    elif name.islower() and r < 0.5:
        name = name[:1].upper() + name[1:]
    return name


def _obfuscate_brand(name: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.choices(OBFUSCATION_KINDS, [0.45, 0.2, 0.2, 0.15])[0]
    if kind == "styled_unicode":
        return styled(name, rng), kind
    if kind == "zero_width":
        return zero_width(name, rng), kind
    if kind == "spaced_letters":
        out = spaced(name)
        return (out, kind) if out != name else (styled(name, rng), "styled_unicode")
    out = leet(name, rng)
    return (out, kind) if out != name else (styled(name, rng), "styled_unicode")


_VERB_START = frozenset("""daftar login cari klik main langsung buruan gabung gas gaskeun ketik jangan cek
kunjungi pindah modal wajib cobain lagi menang ada bikin butuh""".split())


def _noun_phrases(phrases: list[str]) -> list[str]:
    """Keyword phrases that read as a noun phrase in a template slot ("bonus new member")."""
    out = [p for p in phrases if len(p.split()) >= 2 and p.split()[0].lower() not in _VERB_START]
    return out or phrases


class _Filler:
    """Fills template slots for one document. Spam injected into one page usually promotes
    one client, so after the first insertion a brand is the document's first brand with
    probability SAME_BRAND_RATE (written in a fresh case and obfuscation)."""

    def __init__(self, host: Host, bank: PromoBank, rng: random.Random, title: str | None):
        self.host, self.bank, self.rng, self.title = host, bank, rng, title
        self.phrases = _phrases(bank.keywords)
        self.nouns = _noun_phrases(self.phrases)
        self._topic: str | None = None
        self._first_brand: str | None = None

    def topic(self) -> str:
        if self._topic is None:
            self._topic = topic_phrase(self.host.text, self.title, self.rng)
        return self._topic

    def brand(self, obf_ok: bool = True) -> tuple[str, str, str]:
        """(plain name, displayed name, obfuscation kind)."""
        if self._first_brand is not None and self.rng.random() < SAME_BRAND_RATE:
            name = self._first_brand
            if self.rng.random() < 0.3:
                name = name.upper() if not name.isupper() else name[:1] + name[1:].lower()
        else:
            name = _brand(self.bank, self.rng)
            if self._first_brand is None:
                self._first_brand = name
        if obf_ok and self.rng.random() < OBFUSCATION_RATE:
            shown, kind = _obfuscate_brand(name, self.rng)
            return name, shown, kind
        return name, name, "none"

    def fill(self, tpl: str, plain: str, shown: str) -> str:
        rng = self.rng
        out = tpl
        if "{KEYWORD}" in out:
            out = out.replace("{KEYWORD}", rng.choice(self.nouns), 1).replace("{KEYWORD}", rng.choice(self.nouns))
        if "{TOPIC}" in out:
            out = out.replace("{TOPIC}", self.topic())
        if "{CLAUSE}" in out:
            out = out.replace("{CLAUSE}", host_clause(self.host, rng) or self.topic())
        if "{URL}" in out:
            out = out.replace("{URL}", make_url(plain, rng))
        out = out.replace("{BRAND}", shown)
        if out[:1].islower() and not tpl.startswith("{BRAND}"):
            out = out[0].upper() + out[1:]
        return out


# ----------------------------------------------------------------------------- units

def _templates(bank: PromoBank, registers: tuple[str, ...], max_len: int | None = None) -> list[PromoText]:
    return [t for t in bank.templates if t.register in registers and (max_len is None or len(t.text) <= max_len)]


def _comment(bank: PromoBank, rng: random.Random, max_len: int) -> PromoText | None:
    for _ in range(20):
        if not bank.comments:
            return None
        c = rng.choice(bank.comments)
        if len(c.text) <= max_len:
            return c
    return None


def _paragraph(f: _Filler) -> tuple[str, str, str, str]:
    """(unit, obfuscation, brand, family) for an injected paragraph."""
    rng, bank = f.rng, f.bank
    if bank.comments and rng.random() < 0.35:
        c = _comment(bank, rng, 400)
        if c:
            return c.text, "none", "", c.family
    body = _templates(bank, ("educational", "human_interest", "news", "testimonial", "cta"))
    bridges = _templates(bank, ("bridge",))
    plain, shown, obf = f.brand()
    if body and bridges and rng.random() < 0.4:
        b, t = rng.choice(bridges), rng.choice(body)
        parts = [f.fill(b.text, plain, shown), f.fill(t.text, plain, shown)]
        if rng.random() < 0.5:
            parts.reverse()
        return " ".join(parts), obf, plain, b.family
    pool = body + bridges
    if not pool:
        return f"{shown} {rng.choice(f.phrases)} {make_url(plain, rng)}", obf, plain, ""
    t = rng.choice(pool)
    return f.fill(t.text, plain, shown), obf, plain, t.family


def _sentence(f: _Filler) -> tuple[str, str, str, str]:
    rng, bank = f.rng, f.bank
    if bank.comments and rng.random() < 0.4:
        c = _comment(bank, rng, 200)
        if c:
            return c.text, "none", "", c.family
    pool = _templates(bank, ("testimonial", "cta", "bridge", "news", "educational"), 260)
    plain, shown, obf = f.brand()
    if not pool:
        return f"Daftar sekarang di {shown}, {rng.choice(f.phrases)}!", obf, plain, ""
    t = rng.choice(pool)
    return f.fill(t.text, plain, shown), obf, plain, t.family


def _line(f: _Filler) -> tuple[str, str, str, str]:
    rng, bank = f.rng, f.bank
    if bank.comments and rng.random() < 0.35:
        c = _comment(bank, rng, 160)
        if c:
            return c.text, "none", "", c.family
    pool = _templates(bank, ("line", "cta"), 200)
    plain, shown, obf = f.brand()
    if pool:
        t = rng.choice(pool)
        unit, fam = f.fill(t.text, plain, shown), t.family
    else:
        unit, fam = f"{shown} - {rng.choice(f.phrases)} - {make_url(plain, rng)}", ""
    if obf == "none" and rng.random() < 0.12:  # whole-line obfuscation
        kind = rng.choice(["styled_unicode", "leetspeak", "zero_width"])
        unit = {"styled_unicode": lambda s: styled(s, rng), "leetspeak": lambda s: leet(s, rng, 0.35),
                "zero_width": lambda s: zero_width(s, rng)}[kind](unit)
        obf = kind
    elif rng.random() < 0.25:
        unit = unit.upper() if obf != "spaced_letters" else unit
    return unit, obf, plain, fam


# ----------------------------------------------------------------------------- forms

def _plan_paragraph(h: Host, f: _Filler) -> Plan | None:
    starts = h.line_starts()
    if not starts:
        return None
    pos, run = f.rng.choice(starts)
    unit, obf, brand, fam = _paragraph(f)
    return Plan(pos, unit + run, (0, len(unit)), "injected_paragraph", obf, brand, fam)


def _plan_sentence(h: Host, f: _Filler) -> Plan | None:
    rng, t = f.rng, h.text
    unit, obf, brand, fam = _sentence(f)
    opts: list[tuple[str, int]] = []
    if not h.flat:
        opts += [("append", b.end) for b in h.prose_blocks() if h.free(b.end)]
        opts += [("prepend", b.start) for b in h.prose_blocks()
                 if h.free(b.start) and t[b.start].isupper() and rng.random() < 0.4]
    for b in h.content:
        for s in sentences(t, b.start, b.end)[1:]:
            if h.free(s.start) and t[s.start - 1] == " " and (t[s.start].isupper() or t[s.start] in "\"“"):
                opts.append(("between", s.start))
    if not opts:
        return None
    mode, pos = rng.choice(opts)
    if mode == "append":
        return Plan(pos, " " + unit, (0, len(unit) + 1), "promo_sentence", obf, brand, fam)
    return Plan(pos, unit + " ", (0, len(unit) + 1), "promo_sentence", obf, brand, fam)


def _plan_inline(h: Host, f: _Filler) -> Plan | None:
    rng = f.rng
    commas = h.word_starts(True)
    words = h.word_starts(False)
    pool = commas if commas and (rng.random() < 0.65 or not words) else words
    if not pool:
        return None
    pos = rng.choice(pool)
    plain, shown, obf = f.brand()
    n = rng.choices([0, 1, 2, 3], [0.15, 0.3, 0.35, 0.2])[0]
    extra = ""
    if n:
        cands = [p for p in f.phrases if len(p.split()) <= n] or f.phrases
        extra = " " + rng.choice(cands)
    unit = shown + extra + " "
    return Plan(pos, unit, (0, len(unit)), "inline_brand", obf, plain, "")


def _plan_keyword(h: Host, f: _Filler) -> Plan | None:
    rng, t = f.rng, h.text
    words = h.word_starts(False)
    if not words:
        return None
    pref = [p for p in words if re.match(r"[a-z]+", t[p:]) and re.match(r"[a-z]+", t[p:]).group() in _CONNECTORS]
    pos = rng.choice(pref if pref and rng.random() < 0.7 else words)
    # spammers insert promo vocabulary, not the words journalism about gambling uses
    kws = [p for p in f.phrases if len(p.split()) <= 3 and not set(p.lower().split()) & JOURNALISTIC]
    kw = rng.choice(kws or ["slot gacor"])
    obf = "none"
    if rng.random() < 0.2:
        new = leet(kw, rng)
        if new != kw:
            kw, obf = new, "leetspeak"
    unit = kw.lower() + " " if obf == "none" else kw + " "
    return Plan(pos, unit, (0, len(unit)), "keyword_substitution", obf, "", "")


def _plan_line(h: Host, f: _Filler, where: str) -> Plan | None:
    t = h.text
    unit, obf, brand, fam = _line(f)
    if where == "top":
        if 0 in h.used:
            return None
        if not t.strip():
            return Plan(0, unit, (0, len(unit)), "promo_line", obf, brand, fam)
        if h.flat:
            return Plan(0, unit + " ", (0, len(unit) + 1), "promo_line", obf, brand, fam)
        return Plan(0, unit + h.sep, (0, len(unit)), "promo_line", obf, brand, fam)
    n = len(t)
    if n in h.used or not h.free(n):
        return None
    if h.flat:
        return Plan(n, " " + unit, (0, len(unit) + 1), "promo_line", obf, brand, fam)
    if t.endswith("\n"):
        return Plan(n, unit + "\n", (0, len(unit)), "promo_line", obf, brand, fam)
    return Plan(n, h.sep + unit, (len(h.sep), len(h.sep) + len(unit)), "promo_line", obf, brand, fam)


def inject_promo(text: str, spans: list[dict], bank: PromoBank, rng: random.Random,
                 title: str | None = None) -> Injection:
    """Insert 1-3 promo units into ``text`` (see module doc); returns the annotated result."""
    h = Host(text, spans)
    f = _Filler(h, bank, rng, title)
    n = rng.choices([1, 2, 3], [0.35, 0.4, 0.25])[0]
    plans: list[Plan] = []
    forms, weights = list(_FORM_WEIGHTS), list(_FORM_WEIGHTS.values())
    attempts = 0
    while len(plans) < n and attempts < 12:
        attempts += 1
        form = rng.choices(forms, weights)[0]
        if form == "injected_paragraph" and h.flat:
            form = "promo_sentence"
        if form == "injected_paragraph":
            plan = _plan_paragraph(h, f)
        elif form == "promo_sentence":
            plan = _plan_sentence(h, f)
        elif form == "inline_brand":
            plan = _plan_inline(h, f)
        elif form == "keyword_substitution":
            plan = _plan_keyword(h, f)
        else:
            plan = _plan_line(h, f, rng.choice(["top", "bottom"]))
        if plan is None or plan.pos in h.used:
            continue
        h.used.add(plan.pos)
        plans.append(plan)
    if not plans:  # a host with no usable position: a line at the top always works
        h.used.discard(0)
        plans.append(_plan_line(h, f, "top"))
    return apply_plans(text, spans, plans)


def inject_decoys(text: str, spans: list[dict], rng: random.Random) -> Injection:
    """Insert 1-3 legitimate digit-bearing names or gambling-news phrases/sentences as content (no new spans)."""
    h = Host(text, spans)
    dec = load_decoys()
    plans: list[Plan] = []
    for _ in range(rng.choice([1, 2, 2, 3])):
        commas = [p for p in h.word_starts(True) if p not in h.used]
        sents = [(b.end, "append") for b in h.prose_blocks() if h.free(b.end)] if not h.flat else []
        for b in h.content:
            for s in sentences(text, b.start, b.end)[1:]:
                if h.free(s.start) and text[s.start - 1] == " " and text[s.start].isupper():
                    sents.append((s.start, "between"))
        if commas and dec.get("inline") and (not sents or rng.random() < 0.5):
            pos = rng.choice(commas)
            plans.append(Plan(pos, rng.choice(dec["inline"]) + " ", None, "decoy_inline"))
        elif sents and dec.get("sentences"):
            pos, mode = rng.choice(sents)
            s = rng.choice(dec["sentences"])
            plans.append(Plan(pos, " " + s if mode == "append" else s + " ", None, "decoy_sentence"))
        else:
            break
        h.used.add(plans[-1].pos)
    return apply_plans(text, spans, plans, content=True)

