"""Load the news corpus (``corpus/news``) into one ``Article`` record per unique article.

Every ``*.jsonl``, ``*.jsonl.gz``, ``*.csv`` and ``*.csv.gz`` file is read in sorted file
order, rows in file order. Field names differ per file (see ``corpus/news/SOURCES.md``);
they are mapped by the first matching column name in ``_FIELDS``. A file without an outlet
column gets the outlet from the URL host (``finance.detik.com`` -> ``detik``); a file without
a title column gets the text's first line (the lang_scrape texts open with the title).

Rows are dropped and counted (``LoadStats.dropped``) when broken (bad JSON or CSV row, not
an object, missing / non-string / too short text) or duplicated (same normalised URL, same
normalised text, or near-identical text by a bottom-k shingle sketch). The first occurrence
wins, so the output order and content are deterministic.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import html
import io
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

import numpy as np

PATTERNS = ("*.jsonl", "*.jsonl.gz", "*.csv", "*.csv.gz")

_FIELDS: dict[str, tuple[str, ...]] = {
    "url": ("url", "source_url", "tautan", "link", "source"),
    "title": ("title", "judul", "headline"),
    "text": ("text", "isi_berita", "content", "body", "isi"),
    "outlet": ("outlet", "portal", "site"),
}
_HOST_SUFFIXES = {"com", "co", "id", "net", "org", "go", "or", "ac", "web", "my", "tv", "news"}


@dataclass(frozen=True, slots=True)
class Article:
    """One news article as stored in the corpus (text byte for byte, nothing normalised)."""

    id: str
    outlet: str
    url: str
    title: str
    text: str
    corpus_file: str


@dataclass
class LoadStats:
    """What loading did: rows read and kept per file, and dropped rows per reason."""

    rows: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_kept(self) -> int:
        return sum(self.kept.values())

    def to_dict(self) -> dict[str, Any]:
        return {"rows": dict(sorted(self.rows.items())), "kept": dict(sorted(self.kept.items())),
                "dropped": dict(sorted(self.dropped.items())),
                "total_rows": self.total_rows, "total_kept": self.total_kept}


# ----------------------------------------------------------------------------- normalisation

def normalize_url(url: str) -> str:
    """Scheme-, case-, ``www.``-, query-, fragment- and trailing-slash-insensitive URL key."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url if "//" in url else "//" + url)
    host = parts.netloc.lower().rsplit("@", 1)[-1].split(":", 1)[0]
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            host = host[len(prefix):]
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    return f"{host}{path}".lower()


def outlet_from_url(url: str) -> str:
    """The outlet's name from a URL host: ``lampung.viva.co.id`` -> ``viva``."""
    host = normalize_url(url).split("/", 1)[0]
    labels = [p for p in host.split(".") if p]
    while len(labels) > 1 and labels[-1] in _HOST_SUFFIXES:
        labels.pop()
    return labels[-1] if labels else "unknown"


_WORD = re.compile(r"\w+")


def normalize_text(text: str) -> str:
    """Case-, whitespace-, entity- and punctuation-insensitive form of a text (word tokens)."""
    text = unicodedata.normalize("NFKC", html.unescape(text or "")).lower()
    return " ".join(_WORD.findall(text))


def text_key(text: str) -> str:
    """A short digest of ``normalize_text(text)`` (exact-duplicate key)."""
    return hashlib.blake2b(normalize_text(text).encode("utf-8"), digest_size=12).hexdigest()


# ----------------------------------------------------------------------------- near duplicates

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                  0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD], dtype=np.uint64)


_TOKEN_HASH: dict[str, int] = {}


def _token_hash(token: str) -> int:
    h = _TOKEN_HASH.get(token)
    if h is None:
        h = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")
        if len(_TOKEN_HASH) < 2_000_000:
            _TOKEN_HASH[token] = h
    return h


def _token_hashes(tokens: list[str]) -> np.ndarray:
    return np.fromiter(map(_token_hash, tokens), dtype=np.uint64, count=len(tokens))


def sketch(text: str, k: int = 64, shingle: int = 5) -> np.ndarray:
    """Bottom-``k`` hashes of the word ``shingle``-grams of ``normalize_text(text)`` (sorted, unique)."""
    toks = normalize_text(text).split()
    if not toks:
        return np.zeros(0, dtype=np.uint64)
    h = _token_hashes(toks)
    n = max(1, len(h) - shingle + 1)
    with np.errstate(over="ignore"):
        acc = np.zeros(n, dtype=np.uint64)
        for j in range(min(shingle, len(h))):
            acc += h[j:j + n] * _MULT[j]
        acc ^= acc >> np.uint64(31)
        acc *= np.uint64(0x94D049BB133111EB)
        acc ^= acc >> np.uint64(29)
    acc = np.unique(acc)
    return acc[:k]


def sketch_similarity(a: np.ndarray, b: np.ndarray, k: int = 64) -> float:
    """Estimated Jaccard similarity of two bottom-k sketches."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    union = np.union1d(a, b)[:k]
    both = np.intersect1d(a, b, assume_unique=True)
    return float(np.isin(union, both, assume_unique=True).sum()) / len(union)


class NearDupIndex:
    """An index of text sketches answering "is this text near-identical to one already added?"."""

    def __init__(self, threshold: float = 0.9, k: int = 64, min_shared: int | None = None) -> None:
        self.threshold, self.k = threshold, k
        self.min_shared = min_shared if min_shared is not None else max(1, int(k * threshold * 0.5))
        self._sketches: list[np.ndarray] = []
        self._keys: list[str] = []
        self._postings: dict[int, list[int]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, text: str | None = None, sk: np.ndarray | None = None) -> None:
        sk = sketch(text or "", self.k) if sk is None else sk
        i = len(self._keys)
        self._keys.append(key)
        self._sketches.append(sk)
        for v in sk.tolist():
            self._postings[v].append(i)

    def query(self, text: str | None = None, sk: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Keys of added texts whose similarity reaches the threshold, best first."""
        sk = sketch(text or "", self.k) if sk is None else sk
        if len(sk) == 0:
            return []
        need = min(self.min_shared, len(sk))
        counts: Counter[int] = Counter()
        postings = self._postings
        for v in sk.tolist():
            ids = postings.get(v)
            if ids:
                counts.update(ids)
        out = []
        for i, c in counts.items():
            if c >= min(need, len(self._sketches[i])):
                sim = sketch_similarity(sk, self._sketches[i], self.k)
                if sim >= self.threshold:
                    out.append((self._keys[i], sim))
        return sorted(out, key=lambda t: (-t[1], t[0]))


# ----------------------------------------------------------------------------- readers

def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def iter_rows(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    """``(row_number, record, error)`` for every row of a JSONL or CSV file (``record`` None on error)."""
    name = path.name.lower()
    with _open_text(path) as fh:
        if ".jsonl" in name or name.endswith(".json"):
            for i, line in enumerate(fh):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    yield i, None, "bad_json"
                    continue
                if not isinstance(rec, dict):
                    yield i, None, "not_object"
                    continue
                yield i, rec, ""
        else:
            csv.field_size_limit(1 << 30)
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except (StopIteration, csv.Error):
                return
            i = 0
            while True:
                i += 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    yield i, None, "bad_csv_row"
                    continue
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(header):
                    yield i, None, "bad_csv_row"
                    continue
                yield i, dict(zip(header, row)), ""


def _field(rec: dict, name: str) -> tuple[Any, bool]:
    for key in _FIELDS[name]:
        if key in rec:
            return rec[key], True
    return None, False


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def _article_id(url_key: str, text: str) -> str:
    """A stable id: a digest of the normalised URL (of the normalised text without a URL)."""
    basis = url_key or ("text:" + normalize_text(text))
    return "a-" + hashlib.blake2b(basis.encode("utf-8"), digest_size=8).hexdigest()


def record_to_article(rec: dict, corpus_file: str, min_chars: int = 50) -> tuple[Article | None, str]:
    """Map one raw record to an ``Article``; on failure ``(None, reason)``."""
    text, has_text = _field(rec, "text")
    if not has_text or text is None:
        return None, "missing_text"
    if not isinstance(text, str):
        return None, "non_string_text"
    if len(text.strip()) < min_chars:
        return None, "short_text"
    url, _ = _field(rec, "url")
    title, has_title = _field(rec, "title")
    outlet, _ = _field(rec, "outlet")
    for value in (url, title, outlet):
        if value is not None and not isinstance(value, str):
            return None, "non_string_field"
    url = (url or "").strip()
    title = (title or "").strip() if has_title else _first_line(text)
    outlet = (outlet or "").strip().lower() or (outlet_from_url(url) if url else "unknown")
    return Article(_article_id(normalize_url(url), text), outlet, url, title, text, corpus_file), ""


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The article files under ``corpus_dir/news`` (or ``corpus_dir`` itself), sorted by name."""
    corpus_dir = Path(corpus_dir)
    news = corpus_dir / "news" if (corpus_dir / "news").is_dir() else corpus_dir
    files = {p for pat in PATTERNS for p in news.glob(pat) if p.is_file()}
    return sorted(files, key=lambda p: p.name)


def load_articles(corpus_dir: Path, files: Iterable[Path] | None = None, min_chars: int = 50,
                  near_dup_threshold: float = 0.9, limit: int | None = None
                  ) -> tuple[list[Article], LoadStats]:
    """All unique, well-formed articles of the corpus, in file-then-row order, with stats.

    ``limit`` keeps only the first ``limit`` articles *per file* (for quick samples).
    """
    files = sorted(files, key=lambda p: Path(p).name) if files is not None else corpus_files(corpus_dir)
    stats = LoadStats()
    dropped: Counter[str] = Counter()
    seen_url: set[str] = set()
    seen_text: set[str] = set()
    near = NearDupIndex(threshold=near_dup_threshold)
    out: list[Article] = []
    for path in files:
        path = Path(path)
        name = path.name
        stats.rows[name] = 0
        stats.kept[name] = 0
        for _, rec, err in iter_rows(path):
            if limit is not None and stats.kept[name] >= limit:
                break
            stats.rows[name] += 1
            if rec is None:
                dropped[err] += 1
                continue
            art, err = record_to_article(rec, name, min_chars)
            if art is None:
                dropped[err] += 1
                continue
            ukey = normalize_url(art.url)
            if ukey and ukey in seen_url:
                dropped["duplicate_url"] += 1
                continue
            tkey = text_key(art.text)
            if tkey in seen_text:
                dropped["duplicate_text"] += 1
                continue
            sk = sketch(art.text, near.k)
            if near_dup_threshold < 1.0 and near.query(sk=sk):
                dropped["near_duplicate_text"] += 1
                continue
            if ukey:
                seen_url.add(ukey)
            seen_text.add(tkey)
            near.add(art.id, sk=sk)
            out.append(art)
            stats.kept[name] += 1
    stats.dropped = dict(sorted(dropped.items()))
    return out, stats
