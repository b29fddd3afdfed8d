"""Synthetic training data: insert site furniture (boilerplate) into a host article.

The weak labeller (``filter.training.weak``) finds the natural boilerplate of the corpus outlets, but
pages in the wild carry furniture families those outlets rarely have (Blogger/WordPress
themes, small news sites, content farms). ``inject_boilerplate(text, spans, bank, rng,
title)`` inserts 1-5 team-written items (``data/templates/boilerplate/*.txt``) at realistic
positions and annotates them the way ``gold/DEV.md`` ("Span geometry") does:

- ``top`` / ``head``: section labels, breadcrumbs, date lines, reading time, bylines, a
  repeated headline (at the start of the text or after its first line);
- ``lead`` / ``middle``: related links, ads, CTAs, photo credits after the lead paragraph
  or between paragraphs;
- ``bottom``: credits, sources, tags, navigation, comment/share widgets, copyright;
- ``tail``: an editor code or ``[Redaktur: Nama]`` glued onto the end of the last
  paragraph (span with the one space before it, or no space when glued to the full stop);
- ``inline``: glued between two sentences (``Baca juga:Judul `` with its trailing space).

A whole-line item is its own line (host separator reused) and its span is the line without
its newline; a multi-line item ("Baca juga:" + title, "Dipublikasikan oleh" + a handle,
"Sumber gambar:" + "- Gambar 1 dari ..." lines, tag lists) gets one span per line. In
flattened hosts (no line break anywhere) every item is glued between sentences or at the
start/end of the text with one adjoining space, its lines joined by a space, as one span.

Items go only at line starts, line ends, sentence starts after a space, or the start/end
of the text, never inside a host span: deleting ``Injection.insertions`` (and
``content_insertions``) gives back the host exactly, every new span is exactly an inserted
unit, and host spans keep covering the same text. The one content insertion: a
``duplicate_title`` item on a host that does not begin with its title first inserts the
title itself as content at the top, so the labelled copy is the repeat.

``Injection.forms`` / ``template_families`` have one entry per new span (its kind and
family). ``BoilerplateBank.partition`` holds out whole families, within each kind.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from filter.training.inject import Injection, apply_plans, Host, Plan, load_stopwords, topic_phrase
from filter.segment import LINE_BREAKS, ZERO_WIDTH, sentences

__all__ = ["BoilerplateFamily", "BoilerplateBank", "load_boilerplate_bank", "parse_boilerplate_files",
           "inject_boilerplate", "KINDS", "PLACES", "SLOTS"]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
KINDS = ("related_link", "cta", "widget", "nav", "byline", "credit", "source", "meta",
         "duplicate_title", "tags", "ad")
PLACES = ("top", "head", "lead", "middle", "bottom", "tail", "inline")
SLOTS = frozenset("""TITLE HOSTTITLE NAME FIRST LAST INITIAL HANDLE AUTHOR SITE DOMAIN OUTLET CITY ORG
SECTION SUBSECTION TAG HASHTAG TOPIC DATE AGO DAY DAY_EN D D2 M MONTH MONTH_SHORT MONTH_EN YEAR HH MI
TZ N NN PHONE CODE INIT""".split())
# kind weights for choosing an item (roughly the gold's kind mix, related links first)
KIND_WEIGHTS = {"related_link": 0.24, "meta": 0.11, "widget": 0.12, "credit": 0.10, "ad": 0.09,
                "cta": 0.09, "byline": 0.08, "nav": 0.07, "tags": 0.05, "source": 0.04,
                "duplicate_title": 0.03}
_N_ITEMS = ((1, 2, 3, 4, 5), (0.28, 0.30, 0.22, 0.12, 0.08))
_LINE_SEP = " || "
_SLOT_RE = re.compile(r"\{([A-Z_0-9]+)(?:\|(upper|lower|title))?\}")
_MAX_PER_POS = 2


# ----------------------------------------------------------------------------- bank

@dataclass(frozen=True)
class BoilerplateFamily:
    """A family of templates: one kind, the places its items go, templates (" || " = lines)."""

    name: str
    kind: str
    places: tuple[str, ...]
    templates: tuple[str, ...]
    weight: float = 1.0
    source: str = ""


@dataclass
class BoilerplateBank:
    """Template families plus the shared slot lists (names, sites, dates, headlines...)."""

    families: list[BoilerplateFamily]
    slots: dict[str, list[str]] = field(default_factory=dict)

    def kinds(self) -> set[str]:
        return {f.kind for f in self.families}

    def family_names(self) -> set[str]:
        return {f.name for f in self.families}

    def n_templates(self) -> int:
        return sum(len(f.templates) for f in self.families)

    def stats(self) -> dict[str, int]:
        """Families and templates in total and per kind (for manifests)."""
        out = {"families": len(self.families), "templates": self.n_templates()}
        for k in KINDS:
            out[f"families_{k}"] = sum(f.kind == k for f in self.families)
        return out

    def partition(self, valid_fraction: float, seed: int) -> tuple["BoilerplateBank", "BoilerplateBank"]:
        """Split into (train, valid) banks with disjoint families.

        Within each kind, ``round(valid_fraction * n)`` families (at least one, and at least
        one left for train) go to valid, chosen in a seeded random order; a kind with a
        single family stays in train. Slot lists are shared.
        """
        if not 0.0 < valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
        rng = random.Random(f"{seed}:boilerplate-partition")
        by_kind: dict[str, list[str]] = {}
        for f in self.families:
            by_kind.setdefault(f.kind, []).append(f.name)
        valid: set[str] = set()
        for kind in sorted(by_kind):
            names = sorted(set(by_kind[kind]))
            rng.shuffle(names)
            k = min(len(names) - 1, max(1, round(valid_fraction * len(names)))) if len(names) >= 2 else 0
            valid.update(names[:k])
        train = BoilerplateBank([f for f in self.families if f.name not in valid], self.slots)
        val = BoilerplateBank([f for f in self.families if f.name in valid], self.slots)
        return train, val


def _slot_names(s: str) -> set[str]:
    return {m.group(1) for m in _SLOT_RE.finditer(s)}


def parse_boilerplate_files(paths: Iterable[Path]) -> BoilerplateBank:
    """Parse template files (format in ``data/templates/boilerplate/README.md``)."""
    fams: list[BoilerplateFamily] = []
    slots: dict[str, list[str]] = {}
    for path in paths:
        path = Path(path)
        cur: dict | None = None
        slot: list[str] | None = None

        def close(cur: dict | None, path: Path = path) -> None:
            if cur is None:
                return
            where = f"{path.name}:{cur['line']}"
            if not cur["kind"] or not cur["places"]:
                raise ValueError(f"{where}: family {cur['name']!r} needs @kind and @place")
            if not cur["templates"]:
                raise ValueError(f"{where}: family {cur['name']!r} has no templates")
            fams.append(BoilerplateFamily(cur["name"], cur["kind"], tuple(cur["places"]),
                                          tuple(cur["templates"]), cur["weight"], path.name))

        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            head, _, arg = s.partition(" ")
            arg = arg.strip()
            if head == "@family":
                close(cur)
                if not arg:
                    raise ValueError(f"{path.name}:{n}: @family needs a name")
                cur, slot = {"name": arg, "kind": "", "places": [], "templates": [], "weight": 1.0,
                             "line": n}, None
            elif head == "@slot":
                close(cur)
                cur = None
                slot = slots.setdefault(arg, [])
            elif head == "@kind":
                if cur is None or arg not in KINDS:
                    raise ValueError(f"{path.name}:{n}: @kind {arg!r} outside a family or not one of {KINDS}")
                cur["kind"] = arg
            elif head == "@place":
                places = [p.strip() for p in arg.split(",") if p.strip()]
                if cur is None or not places or any(p not in PLACES for p in places):
                    raise ValueError(f"{path.name}:{n}: bad @place {arg!r} (use {', '.join(PLACES)})")
                cur["places"] = places
            elif head == "@weight":
                try:
                    w = float(arg)
                except ValueError:
                    w = -1.0
                if cur is None or not w > 0:
                    raise ValueError(f"{path.name}:{n}: bad @weight {arg!r}")
                cur["weight"] = w
            elif s.startswith("@"):
                raise ValueError(f"{path.name}:{n}: unknown directive {head}")
            else:
                unknown = _slot_names(s) - SLOTS
                if unknown:
                    raise ValueError(f"{path.name}:{n}: unknown slot(s) {sorted(unknown)}")
                if any(c in s for c in LINE_BREAKS):
                    raise ValueError(f"{path.name}:{n}: line break inside a template")
                if cur is not None:
                    if any(not part.strip() for part in s.split(_LINE_SEP)):
                        raise ValueError(f"{path.name}:{n}: empty line in a multi-line template")
                    cur["templates"].append(s)
                elif slot is not None:
                    slot.append(s)
                else:
                    raise ValueError(f"{path.name}:{n}: template before @family/@slot")
        close(cur)
    names = [f.name for f in fams]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise ValueError(f"duplicate boilerplate families: {', '.join(dup)}")
    return BoilerplateBank(fams, slots)


def load_boilerplate_bank(data_dir: Path = DATA_DIR) -> BoilerplateBank:
    """The bank of ``data_dir/templates/boilerplate/*.txt``."""
    folder = Path(data_dir) / "templates" / "boilerplate"
    paths = sorted(folder.glob("*.txt"))
    if not paths:
        raise FileNotFoundError(f"no boilerplate templates (*.txt) in {folder}")
    return parse_boilerplate_files(paths)


# ----------------------------------------------------------------------------- slot filling

_DEFAULT_SLOTS = {
    "first_name": ["Budi", "Siti", "Agus", "Dewi"], "last_name": ["Santoso", "Lestari"],
    "name_pattern": ["{FIRST} {LAST}"], "handle_word": ["admin", "redaksi"], "author_generic": ["Admin"],
    "site_prefix": ["Kabar", "Info"], "site_suffix": ["Desa", "Kota"], "tld": [".com", ".id"],
    "outlet": ["ANTARA"], "city": ["Bandung", "Medan"], "org": ["Humas Pemkot {CITY}"],
    "section": ["Nasional", "Daerah"], "subsection": ["Terkini"], "tag": ["berita terkini"],
    "day": ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"],
    "day_en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "month": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember".split(),
    "month_short": "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split(),
    "month_en": "January February March April May June July August September October November December".split(),
    "tz": ["WIB"], "date": ["{D} {MONTH} {YEAR}"], "ago": ["{N} jam lalu"],
    "headline": ["{TOPIC} Jadi Sorotan"], "headline_tail": ["Ini Kata Warga"],
}
_SMALL = frozenset("""di ke dari dan yang untuk dengan pada atau ini itu oleh dalam soal jadi akan
bagi kepada the of and in on for to a an at by""".split())
_CONNECT = frozenset("""dan yang di ke dari untuk dengan pada atau oleh dalam karena agar serta bahwa
juga akan telah sudah masih para sebagai hingga saat ketika namun tetapi""".split())
_DASHES = frozenset({"-", "--", "–", "—"})
_EDGE = "\"'“”‘’«»()[]{}.,;:!?…*•"
_WS_RUN = re.compile(r"\s+")
_ZW = {ord(c): None for c in ZERO_WIDTH}
_BR = {ord(c): " " for c in LINE_BREAKS}
_CONSONANTS = "bcdfghjklmnprstwyz"
_VOWELS = "aeiou"


def _sanitize(s: str) -> str:
    """One line: no line breaks or zero-width characters, single spaces, trimmed."""
    return _WS_RUN.sub(" ", s.translate(_BR).translate(_ZW)).strip()


def _titlecase(s: str) -> str:
    words = s.split(" ")
    out = []
    for i, w in enumerate(words):
        if not w or w.isupper() or any(c.isdigit() for c in w) or not w[0].isalpha() and len(w) < 2:
            out.append(w)
        elif i > 0 and w.lower() in _SMALL and not words[i - 1][-1:] in ",:.!?":
            out.append(w.lower())
        elif w[0].isalpha():
            out.append(w[0].upper() + w[1:])
        else:
            out.append(w[0] + w[1:2].upper() + w[2:])
    return " ".join(out)


class _Filler:
    """Fills template slots for one document (one site and one date per document)."""

    def __init__(self, h: Host, bank: BoilerplateBank, rng: random.Random, title: str | None):
        self.h, self.bank, self.rng = h, bank, rng
        self.title = _sanitize(title) if title else ""
        self.hosttitle = ""
        self.site = self._site_name()
        self.domain = self._domain(self.site)
        self.day = rng.randrange(7)
        self.d, self.m, self.year = rng.randint(1, 28), rng.randint(1, 12), rng.choice((2023, 2024, 2025, 2025, 2026))
        self._frags: list[list[str]] | None = None
        self._tags: list[str] | None = None
        self._item_seen: set[str] = set()

    # -- primitives
    def pick(self, name: str) -> str:
        vals = self.bank.slots.get(name) or _DEFAULT_SLOTS.get(name) or [""]
        return self.rng.choice(vals)

    def _site_name(self) -> str:
        rng = self.rng
        a, b = self.pick("site_prefix"), self.pick("site_suffix")
        r = rng.random()
        if r < 0.35:
            return a + b
        if r < 0.6:
            return f"{a} {b}"
        if r < 0.75:
            return (a + b).lower() + str(rng.choice((24, 21, 99, 7, 360, 1)))
        if r < 0.85:
            return (a + b).upper()
        if r < 0.93:
            return (a + b).lower() + rng.choice((".com", ".id", ".co.id"))
        # niche blogs and content farms are often named after their topic ("Info Sawit Riau")
        return f"{a} {_titlecase(self.topic())}"

    def _domain(self, site: str) -> str:
        base = re.sub(r"[^a-z0-9.]", "", site.lower())
        return base if "." in base else base + self.pick("tld")

    def handle(self) -> str:
        rng = self.rng
        w = self.pick("handle_word")
        if rng.random() < 0.3:
            w += self.pick("handle_word")
        digits = rng.choice((str(rng.randint(1, 99)), str(rng.randint(100, 999)), str(rng.randint(1980, 2025)),
                             rng.choice(("88", "77", "21", "24", "07", "99", "123"))))
        r = rng.random()
        if r < 0.55:
            return w + digits
        if r < 0.7:
            return w.capitalize() + digits
        if r < 0.8:
            return f"{w}_{digits}"
        if r < 0.9:
            return w.upper() + digits
        return f"{w}.{rng.choice(('id', 'official', 'news'))}"

    def name(self) -> str:
        return self.fill_text(self.pick("name_pattern"))

    def code(self) -> str:
        r = self.rng.random()
        if r < 0.45:
            return self.init(3)
        if r < 0.8:
            return f"{self.init(3)}/{self.init(3)}"
        return f"{self.init()}/{self.init()}"

    def init(self, n: int | None = None) -> str:
        rng = self.rng
        n = n or rng.choice((2, 3, 3, 3, 4))
        out = ""
        for i in range(n):
            out += rng.choice(_CONSONANTS if i % 2 == 0 or rng.random() < 0.5 else _VOWELS)
        return out

    def number(self, big: bool = False) -> str:
        rng = self.rng
        if not big:
            return str(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10, 12, 15)))
        v = int(rng.lognormvariate(5, 1.6))
        return f"{v:,}".replace(",", ".") if rng.random() < 0.6 else str(v)

    def phone(self) -> str:
        rng = self.rng
        a, b, c = rng.randint(11, 99), rng.randint(1000, 9999), rng.randint(100, 9999)
        return rng.choice((f"08{a}{b}{c}", f"08{a}-{b}-{c}", f"+62 8{a} {b} {c}", f"08{a} {b} {c}"))

    # -- host-derived material
    def topic(self) -> str:
        return _sanitize(topic_phrase(self.h.text, self.title or None, self.rng)) or "berita terkini"

    def fragments(self) -> list[list[str]]:
        """Word lists of the host's longer sentences (datelines cut off)."""
        if self._frags is None:
            t, out = self.h.text, []
            for s in sentences(t):
                if self.h._touches(s.start, s.end) or any(q in t[s.start:s.end] for q in "\"“”"):
                    continue
                words = [w for w in _sanitize(t[s.start:s.end]).split(" ") if any(c.isalnum() for c in w)]
                for i, w in enumerate(words[:12]):
                    if w in _DASHES:
                        words = words[i + 1:]
                        break
                if len(words) >= 6:
                    out.append(words)
                if len(out) >= 60:
                    break
            self._frags = out
        return self._frags

    def related_title(self) -> str:
        """A related-article headline: a host fragment recombined, or a headline pattern."""
        rng = self.rng
        r = rng.random()
        frags = self.fragments()
        if r < 0.4 and frags:
            words = rng.choice(frags)
            starts = [0] + [i + 1 for i, w in enumerate(words[:-4]) if w.endswith(",")]
            i = rng.choice(starts)
            chunk = words[i:i + rng.randint(5, 10)]
            cut = next((k + 1 for k, w in enumerate(chunk) if k >= 3 and w[-1] in ",;:"), len(chunk))
            chunk = [w.strip(_EDGE) for w in chunk[:cut]]
            chunk = [w for w in chunk if w]
            while chunk and chunk[-1].lower() in _CONNECT:
                chunk.pop()
            if len(chunk) >= 4:
                s = " ".join(chunk)
                s = s[0].upper() + s[1:]
                return _titlecase(s) if rng.random() < 0.65 else s
        if r < 0.55 and self.title:
            parts = [p.strip(_EDGE + " ") for p in re.split(r"[:,|]| - ", self.title)]
            parts = [p for p in parts if len(p.split()) >= 2]
            if parts:
                head = rng.choice(parts)
                return _titlecase(f"{head}, {self.pick('headline_tail')}")
        s = self.fill_text(self.pick("headline"))
        return _titlecase(s) if rng.random() < 0.75 else s[:1].upper() + s[1:]

    def tag(self) -> str:
        rng = self.rng
        if self._tags is None:
            pool = [self.topic() for _ in range(3)]
            seen = set()
            for words in self.fragments()[:30]:
                for w in words[1:]:
                    w = w.strip(_EDGE)
                    if len(w) >= 4 and w[0].isupper() and w[1:].islower() and w.lower() not in load_stopwords():
                        seen.add(w)
            pool += sorted(seen)[:12]
            self._tags = [p for p in pool if p] or ["berita"]
        t = rng.choice(self._tags) if rng.random() < 0.8 else self.pick("tag")
        r = rng.random()
        return t.lower() if r < 0.5 else _titlecase(t) if r < 0.7 else t

    def hashtag(self) -> str:
        words = [re.sub(r"[^\w]", "", w) for w in self.tag().split()]
        words = [w for w in words if w]
        if not words:
            return "berita"
        return "".join(words).lower() if self.rng.random() < 0.5 else "".join(w[:1].upper() + w[1:] for w in words)

    def author(self) -> str:
        r = self.rng.random()
        return self.name() if r < 0.5 else self.handle() if r < 0.85 else self.fill_text(self.pick("author_generic"))

    def outlet(self) -> str:
        return self.pick("outlet") if self.rng.random() < 0.7 else self._site_name()

    # -- filling
    def value(self, slot: str) -> str:
        rng = self.rng
        simple = {
            "FIRST": "first_name", "LAST": "last_name", "CITY": "city", "SECTION": "section",
            "SUBSECTION": "subsection", "TZ": "tz", "MONTH_SHORT": "month_short",
        }
        if slot in simple:
            return self.pick(simple[slot])
        if slot == "TITLE":
            return self.related_title()
        if slot == "HOSTTITLE":
            return self.hosttitle or self.title or self.related_title()
        if slot == "NAME":
            return self.name()
        if slot == "INITIAL":
            return self.pick("first_name")[:1] or "A"
        if slot == "HANDLE":
            return self.handle()
        if slot == "AUTHOR":
            return self.author()
        if slot == "SITE":
            return self.site
        if slot == "DOMAIN":
            return self.domain
        if slot == "OUTLET":
            return self.outlet()
        if slot == "ORG":
            return self.fill_text(self.pick("org"))
        if slot == "TAG":
            return self.tag()
        if slot == "HASHTAG":
            return self.hashtag()
        if slot == "TOPIC":
            return self.topic()
        if slot == "DATE":
            return self.fill_text(self.pick("date"))
        if slot == "AGO":
            return self.fill_text(self.pick("ago"))
        if slot in ("DAY", "DAY_EN"):
            vals = self.bank.slots.get(slot.lower()) or _DEFAULT_SLOTS[slot.lower()]
            return vals[self.day % len(vals)]
        if slot in ("MONTH", "MONTH_EN"):
            vals = self.bank.slots.get(slot.lower()) or _DEFAULT_SLOTS[slot.lower()]
            return vals[(self.m - 1) % len(vals)]
        if slot == "D":
            return str(self.d)
        if slot == "D2":
            return f"{self.d:02d}"
        if slot == "M":
            return f"{self.m:02d}" if rng.random() < 0.7 else str(self.m)
        if slot == "YEAR":
            return str(self.year)
        if slot == "HH":
            return f"{rng.randint(0, 23):02d}"
        if slot == "MI":
            return f"{rng.randint(0, 59):02d}"
        if slot == "N":
            return self.number()
        if slot == "NN":
            return self.number(big=True)
        if slot == "PHONE":
            return self.phone()
        if slot == "CODE":
            return self.code()
        if slot == "INIT":
            return self.init()
        return ""

    def fill_text(self, tpl: str, depth: int = 0) -> str:
        def sub(m: re.Match) -> str:
            slot = m.group(1)
            v = _sanitize(self.distinct(slot) if slot in ("TAG", "HASHTAG", "TITLE") else self.value(slot))
            if depth < 3 and "{" in v:
                v = self.fill_text(v, depth + 1)
            f = m.group(2)
            return v.upper() if f == "upper" else v.lower() if f == "lower" else _titlecase(v) if f == "title" else v

        return _SLOT_RE.sub(sub, tpl)

    def distinct(self, slot: str) -> str:
        """A value for ``slot`` not yet used in the current item (tags, titles), if one is found."""
        v = self.value(slot)
        for _ in range(6):
            if v.casefold() not in self._item_seen:
                break
            v = self.value(slot)
        self._item_seen.add(v.casefold())
        return v

    def fill(self, tpl: str) -> list[str]:
        """The item's lines (trimmed, non-empty); empty when a slot produced nothing usable."""
        self._item_seen = set()
        lines = [_sanitize(self.fill_text(part)) for part in tpl.split(_LINE_SEP)]
        return lines if all(lines) else []


# ----------------------------------------------------------------------------- positions

@dataclass
class _Site:
    pos: int
    mode: str   # line | bottom | bottom_nl | before | after | glue
    run: str = ""
    rank: int = 10


class _Layout:
    """Insertion sites of one host, by place."""

    def __init__(self, h: Host):
        self.h = h
        t = h.text
        self.brk = "\r\n" if "\r\n" in h.sep else "\n"
        self.starts = dict(h.line_starts()) if not h.flat else {}
        self.blocks = h.blocks
        self.sent_starts = [s.start for s in sentences(t)
                            if s.start > 0 and t[s.start - 1] == " " and h.free(s.start)]
        self.count: dict[int, int] = {}
        # line starts after a finished sentence (between paragraphs), else any line start
        ends = [p for p in self.starts if t[:p].rstrip()[-1:] in ".!?\"”’')]"]
        self.para_starts = ends or list(self.starts)

    def line_start(self, i: int) -> int | None:
        """The line start of block ``i`` if it is a usable insertion point."""
        if not 0 < i < len(self.blocks):
            return None
        t, ls = self.h.text, self.blocks[i].start
        while ls > 0 and t[ls - 1] not in LINE_BREAKS:
            ls -= 1
        return ls if ls in self.starts else None

    def sites(self, place: str, rng: random.Random) -> list[_Site]:
        h, t = self.h, self.h.text
        n = len(t)
        if h.flat:
            first = self.sent_starts[:1]
            if place == "top":
                return [_Site(0, "before")]
            if place == "head":
                return [_Site(p, "before") for p in first] or [_Site(0, "before")]
            if place == "lead":
                return [_Site(p, "before") for p in self.sent_starts[:3]]
            if place in ("middle", "inline"):
                return [_Site(p, "before") for p in self.sent_starts]
            if place == "bottom":
                return [_Site(n, "after")]
            # tail: glued to the end of the text
            glued = n > 0 and t[-1] in ".!?\"”'’" and rng.random() < 0.3 and not self.count.get(n)
            return [_Site(n, "glue" if glued else "after", rank=0)]
        if place == "top":
            return [_Site(0, "line", h.sep)]
        if place == "head":
            p = self.line_start(1)
            return [] if p is None else [_Site(p, "line", self.starts[p])]
        if place == "lead":
            prose = h.prose_blocks()
            if not prose:
                return []
            i = next((k for k, b in enumerate(self.blocks) if b.start == prose[0].start), -1)
            p = self.line_start(i + 1)
            return [] if p is None else [_Site(p, "line", self.starts[p])]
        if place == "middle":
            return [_Site(p, "line", self.starts[p]) for p in self.para_starts]
        if place == "bottom":
            if t and t[-1] in LINE_BREAKS:
                return [_Site(n, "bottom_nl")]
            return [_Site(n, "bottom", h.sep)]
        if place == "tail":
            prose = h.prose_blocks()
            if not prose or not h.free(prose[-1].end):
                return []
            e = prose[-1].end
            r = rng.random()
            mode = "glue" if r < 0.2 and t[e - 1] in ".!?\"”" else "nbsp" if r < 0.3 else "after"
            if self.count.get(e):  # a second item at the same end follows the first after a space
                mode = "after"
            return [_Site(e, mode, rank=0)]
        # inline: between two sentences of a line
        return [_Site(p, "before") for p in self.sent_starts]

    def room(self, pos: int) -> bool:
        limit = _MAX_PER_POS + (1 if pos in (0, len(self.h.text)) else 0)
        return self.count.get(pos, 0) < limit

    def take(self, pos: int) -> None:
        self.count[pos] = self.count.get(pos, 0) + 1


def _item_plans(lines: list[str], site: _Site, kind: str, family: str, inner: str, sep: str) -> list[Plan]:
    """Plans for one item at ``site`` (one plan, and one span, per line in line modes)."""
    mode = site.mode
    if mode in ("before", "after", "glue", "nbsp"):
        unit = " ".join(lines)
        if mode in ("glue", "nbsp") and not unit.startswith(("(", "[")):
            mode = "after"  # only bracketed codes are glued to the full stop ("...kata.(rob)")
        ins = {"before": unit + " ", "after": " " + unit, "glue": unit, "nbsp": "\xa0\xa0" + unit}[mode]
        return [Plan(site.pos, ins, (0, len(ins)), kind, family=family)]
    plans = []
    for i, ln in enumerate(lines):
        last = i == len(lines) - 1
        if mode == "line":
            ins, span = ln + (site.run if last else inner), (0, len(ln))
        elif mode == "bottom":
            pre = sep if i == 0 else inner
            ins, span = pre + ln, (len(pre), len(pre) + len(ln))
        else:  # bottom_nl: the host ends with a line break
            ins, span = ln + ("\r\n" if "\r\n" in inner else "\n"), (0, len(ln))
        plans.append(Plan(site.pos, ins, span, kind, family=family))
    return plans


# ----------------------------------------------------------------------------- duplicate title

def _headline_like(s: str) -> bool:
    words = s.split()
    return 3 <= len(words) <= 25 and len(s) <= 200 and s[-1] not in ".,;:"


def _same(a: str, b: str) -> bool:
    return _sanitize(a).casefold() == _sanitize(b).casefold()


def _plan_duplicate(h: Host, lay: _Layout, f: _Filler, fam: BoilerplateFamily,
                    rng: random.Random) -> list[tuple[_Site, list[str], bool]] | None:
    """[(site, lines, is_content)] for a repeated headline, or None when the host has none."""
    t = h.text
    title = f.title
    if h.flat:
        if not title or len(title) < 10:
            return None
        f.hosttitle = title
        lines = f.fill(rng.choice(fam.templates))
        if not lines:
            return None
        k = len(title)
        if t.startswith(title) and k < len(t) and t[k] == " " and h.free(k + 1) and k + 1 < len(t):
            return [(_Site(k + 1, "before", rank=60), lines, False)]
        return [(_Site(0, "before", rank=50), [title], True), (_Site(0, "before", rank=60), lines, False)]
    if not lay.blocks:
        return None
    b0 = lay.blocks[0]
    first = t[b0.start:b0.end]
    first_free = not h.is_span_block(b0)
    if first_free and ((title and _same(first, title)) or (not title and _headline_like(first))):
        f.hosttitle = _sanitize(first)
        lines = f.fill(rng.choice(fam.templates))
        if not lines:
            return None
        # a family placed at "lead" repeats the headline after the lead paragraph half the time
        later = [s for s in lay.sites("lead", rng) if s.pos > 0] if "lead" in fam.places and rng.random() < 0.5 else []
        if later:
            return [(rng.choice(later), lines, False)]
        p = lay.line_start(1)
        if p is None:
            return None
        return [(_Site(p, "line", lay.starts[p], rank=rng.choice((5, 15))), lines, False)]
    if not title or len(title) < 10:
        return None
    f.hosttitle = title
    lines = f.fill(rng.choice(fam.templates))
    if not lines:
        return None
    return [(_Site(0, "line", h.sep, rank=50), [title], True), (_Site(0, "line", h.sep, rank=60), lines, False)]


# ----------------------------------------------------------------------------- injection

def _choose_family(bank: BoilerplateBank, rng: random.Random, avoid: set[str]) -> BoilerplateFamily:
    kinds = sorted(bank.kinds())
    kind = rng.choices(kinds, [KIND_WEIGHTS.get(k, 0.05) for k in kinds])[0]
    fams = [f for f in bank.families if f.kind == kind and (f.name not in avoid or kind == "related_link")]
    fams = fams or [f for f in bank.families if f.kind == kind]
    return rng.choices(fams, [f.weight for f in fams])[0]


def inject_boilerplate(text: str, spans: list[dict], bank: BoilerplateBank, rng: random.Random,
                       title: str | None = None, *, n_items: int | None = None) -> Injection:
    """Insert 1-5 boilerplate items (``n_items`` to fix the number) into ``text``; see module doc.

    Returns an ``Injection`` whose new spans have ``label: "boilerplate"`` and a kind from
    ``KINDS``; ``forms`` and ``template_families`` have one entry per new span.
    """
    if not bank.families:
        raise ValueError("the boilerplate bank has no template families")
    h = Host(text, spans)
    f = _Filler(h, bank, rng, title)
    n = n_items if n_items is not None else rng.choices(*_N_ITEMS)[0]
    if not text:  # nothing to attach to: one item, no separator
        for _ in range(20):
            fam = _choose_family(bank, rng, set())
            lines = f.fill(rng.choice(fam.templates)) if fam.kind != "duplicate_title" else []
            if lines:
                unit = " ".join(lines)
                return _finish(text, spans, [((0, 0, 0, 0), Plan(0, unit, (0, len(unit)), fam.kind, family=fam.name))])
        raise ValueError("no boilerplate template could be filled")
    lay = _Layout(h)
    inner = lay.brk
    keyed: list[tuple[tuple, Plan]] = []
    used_fams: set[str] = set()
    items = attempts = 0
    while items < n and attempts < 6 * n + 10:
        attempts += 1
        fam = _choose_family(bank, rng, used_fams)
        if fam.kind == "duplicate_title":
            if "duplicate_title" in {p.form for _, p in keyed}:
                continue
            placed = _plan_duplicate(h, lay, f, fam, rng)
            if not placed or not all(lay.room(s.pos) for s, _, _ in placed):
                continue
        else:
            places = list(fam.places)
            rng.shuffle(places)
            site = None
            for place in places:
                cands = [s for s in lay.sites(place, rng) if lay.room(s.pos)]
                if cands:
                    site = rng.choice(cands)
                    break
            if site is None:
                continue
            tpl = rng.choice(fam.templates)
            lines = f.fill(tpl)
            if not lines:
                continue
            placed = [(site, lines, False)]
        for site, lines, content in placed:
            lay.take(site.pos)
            in_sep = site.run if site.mode == "line" and rng.random() < 0.2 else inner
            for j, p in enumerate(_item_plans(lines, site, fam.kind, fam.name, in_sep, h.sep)):
                if content:
                    p.span, p.form, p.family = None, "content_title", ""
                keyed.append(((site.pos, site.rank, len(keyed), j), p))
        used_fams.add(fam.name)
        items += 1
    if not keyed:  # nothing fitted (e.g. every place blocked): a line at the very bottom
        fam = next((x for x in bank.families if x.kind != "duplicate_title"), bank.families[0])
        lines = f.fill(fam.templates[0]) or ["Loading..."]
        site = lay.sites("bottom", rng)[0]
        keyed = [((site.pos, 0, 0, j), p) for j, p in
                 enumerate(_item_plans(lines, site, fam.kind, fam.name, inner, h.sep))]
    return _finish(text, spans, keyed)


def _finish(text: str, spans: list[dict], keyed: list[tuple[tuple, Plan]]) -> Injection:
    keyed.sort(key=lambda kp: kp[0])
    plans = [p for _, p in keyed]
    inj = apply_plans(text, spans, plans)  # stable sort by position keeps our order
    regions = inj.insertions
    is_span = [p.span is not None for p in plans]
    inj.insertions = [r for r, ok in zip(regions, is_span) if ok]
    inj.content_insertions = [r for r, ok in zip(regions, is_span) if not ok]
    inj.forms = [x for x, ok in zip(inj.forms, is_span) if ok]
    inj.obfuscation = [x for x, ok in zip(inj.obfuscation, is_span) if ok]
    inj.brands = [x for x, ok in zip(inj.brands, is_span) if ok]
    inj.template_families = [x for x, ok in zip(inj.template_families, is_span) if ok]
    for d in inj.spans:
        if any(a <= d["start"] < b for a, b in inj.insertions):
            d["label"] = "boilerplate"
    return inj
