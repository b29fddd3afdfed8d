"""Build the labelled training set from the news corpus: splits, records, manifest, stats.

``build_dataset(corpus_dir, out_dir, seed=0, limit=None, workers=None)``:

1. loads the articles (``filter.training.corpus.load_articles``) and drops every article whose URL
   or text is in ``gold/dev.jsonl``, ``gold/dev_web.jsonl`` or ``gold/seeds.jsonl`` (URL match; exact or
   near-identical normalised text, dev transplants compared with their promo spans removed);
2. labels each article's natural boilerplate (``filter.training.weak.weak_label``); unsure ranges
   become ``ignore`` ranges;
3. writes per article: the ``natural`` document (``hard_negative`` when the article is about
   gambling: its gambling journalism is content), one ``injected`` document on every
   non-gambling host (``filter.training.inject.inject_promo``) and, for a seeded quarter of the hosts
   and every gambling article, a ``decoy`` document (``inject_decoys``: legitimate
   digit-bearing names as content);
4. splits by group: whole outlets are held out for ``valid`` and valid injections use only
   the valid half of ``PromoBank.partition`` (brand, comment and template families unseen
   in train).

Output: ``train.jsonl`` and ``valid.jsonl`` in the gold format plus extra fields, and
``manifest.json`` (seed, counts, sha256 of every output and corpus file). Same inputs and
seed give the same bytes: every random choice comes from a ``random.Random`` seeded with the
build seed and the article id, and records are merged in a fixed order.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from filter.training.corpus import Article, NearDupIndex, corpus_files, load_articles, normalize_url, text_key
from filter.training.weak import weak_label
from filter.training.web import PROMO_ORIGINS, WEB_ORIGINS, short_records, web_records

__all__ = ["BuildStats", "build_dataset", "dataset_stats", "load_gold_docs", "GoldExcluder",
           "is_about_gambling", "choose_valid_outlets", "check_record", "DATA_DIR", "ORIGINS"]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
ORIGINS = ("natural", "hard_negative", "injected", "decoy", "injected_news") + WEB_ORIGINS
# Step "inject_news": journalism about gambling with promotion slipped in. Every gambling
# article (``hard_negative``) and real web page about gambling (``web_news``) gets
# ``INJECT_NEWS_COPIES`` copies with promo units injected as in ``injected`` documents (same
# forms, brands of the split's half of the bank); only the inserted units are promo, the
# journalism around them stays content. Reason: injections went only into articles *not* about
# gambling, so the span model never saw promotion inside a page about gambling and learned that
# a brand in a gambling-topic sentence makes the whole line promotion (real pages of that kind
# lose whole lines around one anchor). The copies are appended after the shuffled records, so a
# build with the step off (``inject_news=False``) is byte-identical to one made before it.
# OFF by default (switch: ``filter data build --inject-news``): measured 2026-12-03 on build
# efd0cd16 + the step, weights 3/10/30 (docs/RESULTS.md "inject_news"): validation junk F1
# 0.9042 -> 0.9157 (w 3), its injected-journalism part 0.567 -> 0.888, but held-out web hosts F1
# 0.696 -> 0.668 and on the dev sets (looked at once, after the choice) dev F1 0.942 -> 0.927,
# below the 0.93 floor, so the bundled model is not trained with it.
INJECT_NEWS_ORIGINS = ("hard_negative", "web_news")
INJECT_NEWS_COPIES = 2
SHORT_DOCS = 4000  # short news texts (titles, ledes, lede + related link) added to the build
SPLITS = ("train", "valid")
_UNSURE = "_unsure"
MANIFEST_VERSION = 1

_GAMBLING = re.compile(
    r"\b(?:judi|judol|perjudian|berjudi|penjudi|pasal\s*303|togel|kasino|casino|sabung\s+ayam|"
    r"bandar\s+judi|situs\s+judi|slot\s+online|judi\s+online)\b", re.IGNORECASE)


# ----------------------------------------------------------------------------- results

@dataclass
class BuildStats:
    """What a build wrote (also in ``manifest.json``, except the wall time)."""

    out_dir: str
    seed: int
    articles: int
    docs: int
    counts: dict[str, dict[str, int]]
    excluded: dict[str, int]
    valid_outlets: list[str]
    load: dict[str, Any]
    files: dict[str, dict[str, Any]]
    overlap: dict[str, int]
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- gold exclusion

def load_gold_docs(gold_dir: Path) -> list[dict]:
    """The documents of ``gold_dir``'s ``dev.jsonl``, ``dev_web.jsonl`` and ``seeds.jsonl`` (those that exist)."""
    docs: list[dict] = []
    for name in ("dev.jsonl", "dev_web.jsonl", "seeds.jsonl"):
        path = Path(gold_dir) / name
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as fh:
            docs.extend(json.loads(line) for line in fh if line.strip())
    return docs


def _remove_spans(text: str, spans: Iterable[dict]) -> str:
    out, prev = [], 0
    for s in sorted(spans, key=lambda d: (d["start"], d["end"])):
        if s["start"] >= prev:
            out.append(text[prev:s["start"]])
            prev = s["end"]
    out.append(text[prev:])
    return "".join(out)


class GoldExcluder:
    """Says whether an article is (a copy of) a gold evaluation document.

    Matches by normalised URL, by exact normalised text and by near-identical text (bottom-k
    shingle sketch, ``threshold``). Gold promo spans are removed first, so a transplant is
    compared as its host article.
    """

    def __init__(self, gold_docs: Iterable[dict], threshold: float = 0.8) -> None:
        self.urls: set[str] = set()
        self.keys: set[str] = set()
        self.near = NearDupIndex(threshold=threshold)
        self.n = 0
        for d in gold_docs:
            self.n += 1
            src = str(d.get("source") or "")
            if "/" in src and "." in src:
                self.urls.add(normalize_url(src))
            host = _remove_spans(d["text"], [s for s in d.get("spans", []) if s.get("label") == "promo"])
            self.keys.add(text_key(host))
            self.near.add(str(d.get("id", self.n)), host)

    def reason(self, url: str, text: str) -> str | None:
        """``"url"``, ``"text"``, ``"near_text"`` or None."""
        if url and normalize_url(url) in self.urls:
            return "url"
        if text_key(text) in self.keys:
            return "text"
        if self.near.query(text):
            return "near_text"
        return None


# ----------------------------------------------------------------------------- documents

def is_about_gambling(title: str, content: str) -> bool:
    """True when the title or the content (boilerplate removed) mentions gambling."""
    return bool(_GAMBLING.search(title or "") or _GAMBLING.search(content))


def _record(art: Article, text: str, spans: list[dict], split: str, origin: str, *,
            forms: list[str] | None = None, obfuscation: list[str] | None = None,
            brands: list[str] | None = None, families: list[str] | None = None) -> dict:
    real = [{"start": int(s["start"]), "end": int(s["end"]), "label": s["label"], "kind": s.get("kind", "")}
            for s in spans if s.get("kind") != _UNSURE]
    ignore = [[int(s["start"]), int(s["end"])] for s in spans if s.get("kind") == _UNSURE and s["end"] > s["start"]]
    suffix = {"natural": "nat", "hard_negative": "hn", "injected": "inj", "decoy": "dec"}[origin]
    return {"id": f"{art.id}-{suffix}", "lang": "id", "source": art.url, "outlet": art.outlet,
            "title": art.title, "corpus_file": art.corpus_file, "text": text,
            "spans": sorted(real, key=lambda d: (d["start"], d["end"])), "ignore": sorted(ignore),
            "split": split, "origin": origin, "forms": list(forms or []),
            "obfuscation": list(obfuscation or []), "brands": list(brands or []),
            "template_families": list(families or [])}


_STATE: dict[str, Any] = {}


def _init_worker(banks: dict, seed: int, decoy_rate: float) -> None:
    _STATE.update(banks=banks, seed=seed, decoy_rate=decoy_rate)


BOILERPLATE_RATE = 0.5  # share of natural/hard-negative/injected documents given synthetic site furniture


def _with_boilerplate(art: Article, text: str, spans: list[dict], split: str, key: str,
                      forms=(), obf=(), brands=(), fams=()) -> tuple:
    """Maybe insert 1–5 team-written boilerplate items (``filter.training.boilerplate``) into a document."""
    from filter.training.boilerplate import inject_boilerplate

    rng = random.Random(f"{_STATE['seed']}:{art.id}:boilerplate:{key}")
    if rng.random() >= BOILERPLATE_RATE:
        return text, spans, list(forms), list(obf), list(brands), list(fams)
    bp = inject_boilerplate(text, spans, _STATE["banks"]["bp_" + split], rng, art.title)
    return (bp.text, bp.spans, list(forms) + bp.forms, list(obf) + bp.obfuscation,
            list(brands) + bp.brands, list(fams) + bp.template_families)


def _article_records(item: tuple[Article, str]) -> list[dict]:
    """All records of one article (natural/hard_negative, injected, decoy), in that order."""
    from filter.training.inject import inject_decoys, inject_promo

    art, split = item
    seed, banks, decoy_rate = _STATE["seed"], _STATE["banks"], _STATE["decoy_rate"]
    wl = weak_label(art.text, art.title, art.outlet)
    spans = [dict(s) for s in wl.spans] + [
        {"start": s, "end": e, "label": "boilerplate", "kind": _UNSURE} for s, e in wl.unsure]
    spans.sort(key=lambda d: (d["start"], d["end"]))
    content = _remove_spans(art.text, wl.spans)
    gambling = is_about_gambling(art.title, content)
    t, s, f, o, b, fa = _with_boilerplate(art, art.text, spans, split, "natural")
    out = [_record(art, t, s, split, "hard_negative" if gambling else "natural",
                   forms=f, obfuscation=o, brands=b, families=fa)]
    if not gambling:
        rng = random.Random(f"{seed}:{art.id}:inject")
        inj = inject_promo(art.text, spans, banks[split], rng, art.title)
        t, s, f, o, b, fa = _with_boilerplate(art, inj.text, inj.spans, split, "injected", inj.forms,
                                              inj.obfuscation, inj.brands, inj.template_families)
        out.append(_record(art, t, s, split, "injected", forms=f, obfuscation=o, brands=b, families=fa))
    if gambling or random.Random(f"{seed}:{art.id}:plan").random() < decoy_rate:
        rng = random.Random(f"{seed}:{art.id}:decoy")
        dec = inject_decoys(art.text, spans, rng)
        if dec.content_insertions:
            out.append(_record(art, dec.text, dec.spans, split, "decoy", forms=dec.forms))
    return out


# ----------------------------------------------------------------------------- splits

def choose_valid_outlets(articles: list[Article], seed: int, min_share: float = 0.03,
                         max_share: float = 0.12, sample: int = 150) -> list[str]:
    """Two outlets held out for validation, both mid-sized: one whose texts mostly keep their
    line breaks and one whose texts are mostly flattened, so valid covers both shapes of
    scraped text and every injection form. Among those pairs the one whose (sampled) weak
    labels cover the most boilerplate kinds wins, so valid can score every family it can;
    ties are broken with the seed."""
    counts = Counter(a.outlet for a in articles)
    lined = Counter(a.outlet for a in articles if "\n" in a.text)
    total = sum(counts.values()) or 1
    mid = sorted(o for o, c in counts.items() if min_share <= c / total <= max_share)
    lined_mid = [o for o in mid if lined[o] / counts[o] >= 0.5]
    flat_mid = [o for o in mid if lined[o] / counts[o] < 0.5]
    rng = random.Random(f"{seed}:valid-outlets")
    if not lined_mid or not flat_mid:  # tiny samples: any two outlets but the largest
        rest = sorted(counts, key=lambda o: (-counts[o], o))
        rest = rest[1:] if len(rest) > 2 else rest
        return sorted(rng.sample(rest, min(2, len(rest))))
    kinds: dict[str, Counter] = {}
    for o in lined_mid + flat_mid:
        arts = sorted((a for a in articles if a.outlet == o), key=lambda a: a.id)
        arts = random.Random(f"{seed}:{o}").sample(arts, min(sample, len(arts)))
        kinds[o] = Counter(s["kind"] for a in arts for s in weak_label(a.text, a.title, a.outlet).spans)
    pairs = [(x, y) for x in lined_mid for y in flat_mid]
    rng.shuffle(pairs)

    def coverage(pair: tuple[str, str]) -> int:
        both = kinds[pair[0]] + kinds[pair[1]]
        return sum(1 for k, n in both.items() if n >= 5)

    return sorted(max(pairs, key=coverage))


def check_record(rec: dict) -> None:
    """Raise ValueError unless ``rec`` is a well-formed build record (offsets, overlaps, fields)."""
    text = rec["text"]
    prev = 0
    for s in rec["spans"]:
        if not (prev <= s["start"] < s["end"] <= len(text)):
            raise ValueError(f"{rec['id']}: bad or overlapping span {s}")
        if s["label"] not in ("promo", "boilerplate"):
            raise ValueError(f"{rec['id']}: unknown label {s['label']}")
        prev = s["end"]
    prev = 0
    for a, b in rec["ignore"]:
        if not (prev <= a < b <= len(text)):
            raise ValueError(f"{rec['id']}: bad ignore range {(a, b)}")
        if any(s["start"] < b and a < s["end"] for s in rec["spans"]):
            raise ValueError(f"{rec['id']}: ignore range {(a, b)} overlaps a span")
        prev = b
    if rec["split"] not in SPLITS or rec["origin"] not in ORIGINS:
        raise ValueError(f"{rec['id']}: bad split/origin {rec['split']}/{rec['origin']}")
    if rec["origin"] in ("injected", "injected_news") and not any(s["label"] == "promo" for s in rec["spans"]):
        raise ValueError(f"{rec['id']}: injected document without a promo span")
    if rec["origin"] not in ("injected", "injected_news", *PROMO_ORIGINS) and any(s["label"] == "promo" for s in rec["spans"]):
        raise ValueError(f"{rec['id']}: promo span in a {rec['origin']} document")


# ----------------------------------------------------------------------------- io

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_jsonl(path: Path, records: Iterable[dict]) -> int:
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    os.replace(tmp, path)
    return n


def _families(records: Iterable[dict]) -> tuple[set[str], set[str]]:
    from filter.training.brands import brand_family

    brands, templates = set(), set()
    for r in records:
        brands.update(brand_family(b) for b in r.get("brands", []) if b)
        templates.update(f for f in r.get("template_families", []) if f)
    return brands, templates


def inject_news_records(records: Iterable[dict], banks: dict, seed: int,
                        copies: int = INJECT_NEWS_COPIES) -> list[dict]:
    """The ``inject_news`` step: ``copies`` promo-injected copies of every record whose origin
    is in ``INJECT_NEWS_ORIGINS`` (origin ``injected_news``; same split, outlet/host and title;
    its spans and ignore ranges kept, shifted; injections avoid both)."""
    from filter.training.inject import inject_promo

    out = []
    for rec in records:
        if rec["origin"] not in INJECT_NEWS_ORIGINS:
            continue
        ignore = [{"start": a, "end": b, "label": "boilerplate", "kind": _UNSURE} for a, b in rec["ignore"]]
        host_spans = sorted([dict(s) for s in rec["spans"]] + ignore, key=lambda d: (d["start"], d["end"]))
        for k in range(copies):
            rng = random.Random(f"{seed}:{rec['id']}:inject_news:{k}")
            inj = inject_promo(rec["text"], host_spans, banks[rec["split"]], rng, rec.get("title") or None)
            # the source's id with its origin suffix replaced: the same article/host group
            new = dict(rec, id=f"{rec['id'].rsplit('-', 1)[0]}-injn{k}", text=inj.text, origin="injected_news",
                       spans=[s for s in inj.spans if s.get("kind") != _UNSURE],
                       ignore=[[s["start"], s["end"]] for s in inj.spans if s.get("kind") == _UNSURE],
                       forms=inj.forms, obfuscation=inj.obfuscation, brands=inj.brands,
                       template_families=list(rec.get("template_families") or []) + inj.template_families)
            out.append(new)
    return out


# ----------------------------------------------------------------------------- build

def build_dataset(corpus_dir: Path, out_dir: Path, seed: int = 0, limit: int | None = None,
                  workers: int | None = None, *, gold_dir: Path | None = None,
                  data_dir: Path = DATA_DIR, valid_outlets: Iterable[str] | None = None,
                  valid_fraction: float = 0.25, decoy_rate: float = 0.5, bank: Any = None,
                  progress: Callable[[int, int], None] | None = None, web: bool = True,
                  short_docs: int = SHORT_DOCS, inject_news: bool = False) -> BuildStats:
    """Build ``out_dir/{train,valid}.jsonl`` and ``manifest.json`` (see module doc).

    ``corpus_dir`` is ``shared/corpus`` (with ``news/`` and ``promo/``); ``gold_dir``
    defaults to its sibling ``gold``. ``limit`` keeps the first ``limit`` articles of each
    corpus file. ``workers`` > 1 labels and injects in worker processes (merged in order).
    ``bank`` is a preloaded ``PromoBank`` (default: ``load_promo_bank`` with the gold texts
    excluded). ``web`` adds the real web material of ``corpus_dir/web`` (``filter.training.web``;
    whole hosts held out for valid) and ``short_docs`` short news texts (titles, ledes, a lede
    with a related link), split with their outlet. ``inject_news`` (off by default) appends the
    ``inject_news`` step's copies (``inject_news_records``) after the shuffled records.
    """
    from filter.training.promo import load_promo_bank

    t0 = time.perf_counter()
    corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
    gold_dir = Path(gold_dir) if gold_dir is not None else corpus_dir.parent / "gold"
    if not corpus_files(corpus_dir):
        raise FileNotFoundError(f"no news files under {corpus_dir}")
    if not (gold_dir / "dev.jsonl").exists():
        raise FileNotFoundError(f"no gold/dev.jsonl at {gold_dir} (needed to exclude evaluation articles)")
    gold = load_gold_docs(gold_dir)

    articles, load_stats = load_articles(corpus_dir, limit=limit)
    excluder = GoldExcluder(gold)
    excluded: Counter[str] = Counter()
    kept: list[Article] = []
    for a in articles:
        why = excluder.reason(a.url, a.text)
        if why:
            excluded[why] += 1
        else:
            kept.append(a)

    vo = sorted(set(valid_outlets)) if valid_outlets is not None else choose_valid_outlets(kept, seed)
    if bank is None:
        bank = load_promo_bank(corpus_dir, data_dir, [d["text"] for d in gold], seed=seed)
    train_bank, valid_bank = bank.partition(valid_fraction, seed)
    from filter.training.boilerplate import load_boilerplate_bank

    bp_train, bp_valid = load_boilerplate_bank(data_dir).partition(valid_fraction, seed)
    banks = {"train": train_bank, "valid": valid_bank, "bp_train": bp_train, "bp_valid": bp_valid}
    items = [(a, "valid" if a.outlet in vo else "train") for a in kept]

    records: list[dict] = []
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    total = len(items)
    if workers <= 1:
        _init_worker(banks, seed, decoy_rate)
        for i, it in enumerate(items, 1):
            records.extend(_article_records(it))
            if progress and (i % 500 == 0 or i == total):
                progress(i, total)
    else:
        with ProcessPoolExecutor(workers, initializer=_init_worker,
                                 initargs=(banks, seed, decoy_rate)) as ex:
            for i, recs in enumerate(ex.map(_article_records, items, chunksize=32), 1):
                records.extend(recs)
                if progress and (i % 500 == 0 or i == total):
                    progress(i, total)

    web_stats: dict[str, Any] = {}
    if short_docs:
        splits = {a.outlet: ("valid" if a.outlet in vo else "train") for a in kept}
        records.extend(short_records(kept, splits, seed, short_docs))
    if web and (corpus_dir / "web").is_dir():
        web_recs, ws = web_records(corpus_dir / "web", excluder, seed)
        records.extend(web_recs)
        web_stats = ws.to_dict()
    extra = inject_news_records(records, banks, seed) if inject_news else []
    for r in records + extra:
        check_record(r)

    out_dir.mkdir(parents=True, exist_ok=True)
    by_split = {s: [r for r in records if r["split"] == s] for s in SPLITS}
    for s in SPLITS:
        random.Random(f"{seed}:shuffle:{s}").shuffle(by_split[s])
        more = [r for r in extra if r["split"] == s]
        random.Random(f"{seed}:shuffle:inject_news:{s}").shuffle(more)
        by_split[s] += more
    files: dict[str, dict[str, Any]] = {}
    for s in SPLITS:
        path = out_dir / f"{s}.jsonl"
        n = _write_jsonl(path, by_split[s])
        files[path.name] = {"records": n, "bytes": path.stat().st_size, "sha256": _sha256(path)}

    tb, tt = _families(by_split["train"])
    vb, vt = _families(by_split["valid"])
    overlap = {"brand_families": len(tb & vb), "template_families": len(tt & vt),
               "outlets": len({r["outlet"] for r in by_split["train"]} & {r["outlet"] for r in by_split["valid"]})}
    counts = {s: dict(sorted(Counter(r["origin"] for r in by_split[s]).items())) for s in SPLITS}
    manifest = {
        "version": MANIFEST_VERSION, "seed": seed, "limit": limit, "valid_outlets": vo,
        "valid_fraction": valid_fraction, "decoy_rate": decoy_rate,
        "articles": len(kept), "docs": len(records) + len(extra), "counts": counts,
        "excluded_gold": dict(sorted(excluded.items())), "gold_docs": excluder.n,
        "load": load_stats.to_dict(), "files": files,
        "corpus_files": {p.name: _sha256(p) for p in corpus_files(corpus_dir)},
        "web_files": {str(p.relative_to(corpus_dir)): _sha256(p) for p in sorted((corpus_dir / "web").rglob("*"))
                      if web and p.is_file() and p.suffix in (".jsonl", ".csv", ".md")},
        "promo_bank": {s: {"brands": len(b.brands), "brand_families": len(b.brand_families()),
                           "comments": len(b.comments), "templates": len(b.templates),
                           "template_families": len(b.template_families())}
                       for s, b in banks.items() if s in ("train", "valid")},
        "boilerplate_bank": {"train": bp_train.stats(), "valid": bp_valid.stats()},
        "overlap": overlap, "short_docs": short_docs, "web": web_stats,
        "inject_news": {"origins": list(INJECT_NEWS_ORIGINS), "copies": INJECT_NEWS_COPIES} if inject_news else None,
    }
    mpath = out_dir / "manifest.json"
    tmp = mpath.with_name("manifest.json.tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, mpath)
    return BuildStats(str(out_dir), seed, len(kept), len(records) + len(extra), counts, dict(sorted(excluded.items())),
                      vo, load_stats.to_dict(), files, overlap, round(time.perf_counter() - t0, 2))


# ----------------------------------------------------------------------------- stats

def _read_split(out_dir: Path, split: str) -> list[dict]:
    path = Path(out_dir) / f"{split}.jsonl"
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def dataset_stats(out_dir: Path) -> dict[str, Any]:
    """Count tables of a built dataset.

    Returns a dict of ``pandas.DataFrame`` (``docs``: split x origin, ``labels``: spans and
    characters per split/label/kind, ``outlets``: docs per outlet and split, ``forms`` and
    ``obfuscation``: injections per split) plus ``n_docs`` and ``overlap`` (brand and
    template families, and outlets, present in both train and valid; all must be 0).
    """
    import pandas as pd

    out_dir = Path(out_dir)
    if not (out_dir / "train.jsonl").exists() and not (out_dir / "valid.jsonl").exists():
        raise FileNotFoundError(f"no train.jsonl/valid.jsonl in {out_dir}")
    recs = {s: _read_split(out_dir, s) for s in SPLITS}
    docs, spans, forms = [], [], []
    for s, rs in recs.items():
        for r in rs:
            docs.append({"split": s, "origin": r.get("origin", ""), "outlet": r.get("outlet", ""),
                         "chars": len(r["text"]), "ignored_chars": sum(e - b for b, e in r.get("ignore", []))})
            for sp in r.get("spans", []):
                spans.append({"split": s, "label": sp["label"], "kind": sp.get("kind", ""),
                              "chars": sp["end"] - sp["start"]})
            for f, o in zip(r.get("forms", []), r.get("obfuscation", []) or ["none"] * len(r.get("forms", []))):
                forms.append({"split": s, "origin": r.get("origin", ""), "form": f, "obfuscation": o})
    d = pd.DataFrame(docs, columns=["split", "origin", "outlet", "chars", "ignored_chars"])
    sp = pd.DataFrame(spans, columns=["split", "label", "kind", "chars"])
    fm = pd.DataFrame(forms, columns=["split", "origin", "form", "obfuscation"])
    inj = fm[fm["origin"] == "injected"]
    tables = {
        "docs": d.pivot_table(index="origin", columns="split", values="chars", aggfunc="count",
                              fill_value=0, margins=True, margins_name="total"),
        "labels": sp.groupby(["label", "kind", "split"]).agg(spans=("chars", "size"), chars=("chars", "sum"))
                    .unstack("split", fill_value=0),
        "outlets": d.pivot_table(index="outlet", columns="split", values="chars", aggfunc="count",
                                 fill_value=0, margins=True, margins_name="total"),
        "forms": inj.pivot_table(index="form", columns="split", values="origin", aggfunc="count", fill_value=0),
        "obfuscation": inj.pivot_table(index="obfuscation", columns="split", values="origin", aggfunc="count",
                                       fill_value=0),
    }
    tb, tt = _families(recs["train"])
    vb, vt = _families(recs["valid"])
    overlap = {"brand_families": len(tb & vb), "template_families": len(tt & vt),
               "outlets": len({r["outlet"] for r in recs["train"]} & {r["outlet"] for r in recs["valid"]})}
    return {**tables, "n_docs": len(docs), "overlap": overlap,
            "families": {"train_brand": len(tb), "valid_brand": len(vb), "train_template": len(tt),
                         "valid_template": len(vt)}}
