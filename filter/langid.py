"""Out-of-language guard: which language is a document in?

Uses py3langid (a maintained fork of langid.py: a naive-Bayes byte n-gram model over 97
languages, numpy only, its model shipped inside the wheel as an LZMA-compressed npz, no
pickle, no download). Chosen over the alternatives because it needs no model
download at run time (fastText's lid.176 does), is small (4.5 MB installed), is cheap on a
page's first ``max_chars`` = 600 characters (its byte-n-gram walk is a Python loop, so cost
grows with length: on dev + dev_web 600 characters cost 2.3 ms and 2,000 cost 5.3 ms on the
loaded shared machine, and no document changed language), and separates Malay from
Indonesian (both are among its 97 languages), which a learned feature trained on this
project's Indonesian-only data cannot. The model is read once per process on first use, not at
import, so a process that never cleans pays nothing. py3langid ships it LZMA-compressed: decompressing
takes 0.5-0.9 s and 31 MB of transient memory in every process, so the first use writes the
decompressed tables once to a cache (``$FILTER_CACHE_DIR``, else ``$XDG_CACHE_HOME/filter``, else
``~/.cache/filter``; 67 MB, keyed by the model file's sha256; ``FILTER_LANGID_CACHE=0`` switches
it off) and later processes memory-map them (``langid_tables``): with the compiled walk only the
table pages a page's bytes touch become resident, instead of all 67 MB; py3langid's own walk
(no numba) copies the 39 MB transition table into memory as before, so there only the
decompression's time and buffer are saved. A cache that cannot be written
or read falls back to py3langid's own loading (same tables, same codes and probabilities). With the optional ``fast`` extra (numba)
the byte walk and the gather of the scored rows are compiled (``compiled_visits``, ``_f32_rows``;
``FILTER_COMPILED_LANGID=0`` switches them off):
same features, counts and scores, ~0.1 ms less per page; py3langid's own walk runs otherwise.

``detect_language(text)`` returns ``(code, probability)``, ``("", 0.0)`` for a text with no
letters. A document is treated as Indonesian unless the detector names another language
with probability at least ``min_confidence`` (short or mixed texts stay Indonesian).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["detect_language", "is_foreign", "page_language", "DEFAULT_MAX_CHARS", "DEFAULT_MIN_CONFIDENCE"]

DEFAULT_MAX_CHARS = 600
DEFAULT_MIN_CONFIDENCE = 0.9
_IDENTIFIER: Any = None
_LOCK = threading.Lock()
_COMPILED: list = []      # the compiled byte walk once loaded ([None]: not available)


def _visits(nextmove, rowbase, output, data):  # pragma: no cover - compiled
    """py3langid's ``visit_counts`` walk (the same DFA steps over the same bytes: ``state =
    nextmove[rowbase[state] + byte]``), returning the visited features in first-visit order
    and their counts (the order and counts of its ``Counter``)."""
    feats = np.empty(data.shape[0], dtype=np.int64)
    n = 0
    state = 0
    for i in range(data.shape[0]):
        state = nextmove[rowbase[state] + data[i]]
        f = output[state]
        if f >= 0:
            feats[n] = f
            n += 1
    feats = feats[:n]
    order = np.argsort(feats, kind="mergesort")   # stable: a group's first item is its first visit
    keys = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    counts = np.empty(n, dtype=np.int64)
    m = 0
    for j in range(n):
        f = feats[order[j]]
        if m == 0 or keys[m - 1] != f:
            keys[m] = f
            first[m] = order[j]
            counts[m] = 0
            m += 1
        counts[m - 1] += 1
    by_visit = np.argsort(first[:m])
    return keys[:m][by_visit], counts[:m][by_visit]


def _f32_rows(table, idx, lut):  # pragma: no cover - compiled
    """Rows ``idx`` of a float16 table (viewed as uint16) as float32, exactly: ``lut`` holds the
    float32 value of every float16 bit pattern (numpy's own float16 cast of a gathered block is
    a slow software loop)."""
    out = np.empty((idx.shape[0], table.shape[1]), dtype=np.float32)
    for i in range(idx.shape[0]):
        r = idx[i]
        for j in range(table.shape[1]):
            out[i, j] = lut[table[r, j]]
    return out


def compiled_visits():
    """The numba-compiled byte walk, or None (numba absent, or ``FILTER_COMPILED_LANGID=0``)."""
    if not _COMPILED:
        from filter.jit import jit_or_none

        _COMPILED.append(jit_or_none(_visits, "FILTER_COMPILED_LANGID"))
    return _COMPILED[0]


def _score_rows(ident: Any) -> Any:
    """``(compiled row gather, the uint16 view of py3langid's float16 ``nb_ptc``, its float32
    look-up table, that ``nb_ptc``)`` for ``_raw_score``, or None (numba absent or switched off,
    or a table that is not float16)."""
    walk = compiled_visits()
    table = ident.nb_ptc
    if walk is None or np.asarray(table).dtype != np.float16:
        return None
    from filter.jit import jit_or_none

    rows = jit_or_none(_f32_rows, "FILTER_COMPILED_LANGID")
    if rows is None:
        return None
    lut = np.arange(2 ** 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
    return rows, np.asarray(table).view(np.uint16), lut, table


def _fast_class(base: type) -> type:
    """py3langid's identifier with its byte walk (a Python loop over every byte, most of
    ``classify``'s time) compiled when numba is installed. Everything else is py3langid's own
    code: the visited features are counted in first-visit order as its ``visit_counts`` counts
    them, and scored by its ``_sparse_score``, so codes and probabilities are the same; without
    numba (or an identifier lacking the private methods) py3langid's walk runs."""

    class FastIdentifier(base):
        __slots__ = ("_walk_arrays", "_rows")

        def _raw_score(self, text):
            walk = compiled_visits()
            arrays = getattr(self, "_walk_arrays", None)
            if walk is None or arrays is None or not isinstance(text, bytes):
                return super()._raw_score(text)
            try:
                keys, counts = walk(*arrays, np.frombuffer(text, dtype=np.uint8))
            except Exception:  # noqa: BLE001 - a walk that cannot compile or run: the plain one, from now on
                self._walk_arrays = None
                if isinstance(self.tk_nextmove, np.ndarray):
                    self.tk_nextmove = _stdlib_array(self.tk_nextmove)
                return super()._raw_score(text)
            if not len(keys):
                return super()._raw_score(text)   # no features: py3langid's fill value
            rows = getattr(self, "_rows", None)
            if rows is None or rows[3] is not self.nb_ptc:
                return self._sparse_score(dict(zip(keys.tolist(), counts.tolist())), self.nb_ptc)
            # py3langid's ``_sparse_score`` (``log1p(counts) @ table[idx] + pc``: numpy casts the
            # float16 rows to float32 and multiplies in float32), with the rows cast exactly by
            # the compiled gather: the same product, without the dict and numpy's float16 cast
            gather, table16, lut, _ = rows
            return np.log1p(counts.astype(np.float32)) @ gather(table16, keys, lut) + self.nb_pc

    return FastIdentifier


def _as_array(a: Any) -> np.ndarray:
    """The DFA table as an array without a copy (py3langid keeps it as an ``array.array``; the
    cached tables are memory-mapped arrays already)."""
    if isinstance(a, np.ndarray):
        return np.asarray(a)   # a memory map as a plain array view (what the compiled walk takes)
    try:
        return np.frombuffer(a, dtype=np.dtype(a.typecode))
    except (AttributeError, TypeError, ValueError):
        return np.asarray(a, dtype=np.int64)


# The cache layout: py3langid's tables as .npy files (classes as JSON); bump CACHE_FORMAT when
# it changes, so an old entry is never read as a new one.
CACHE_FORMAT = 1
_ARRAYS = ("ptc", "pc", "nextmove", "nextmove_row", "out_feat")
_MAPPED = ("ptc", "nextmove")   # the two large ones (28 + 39 MB): memory-mapped


def cache_dir() -> Path | None:
    """Where derived model files are cached: ``$FILTER_CACHE_DIR`` (resolved against the working
    directory when relative), else ``$XDG_CACHE_HOME/filter``, else ``~/.cache/filter``; None
    when there is no home directory to put it in."""
    env = os.environ.get("FILTER_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    if env:
        base = Path(env).expanduser().resolve()
        return base if os.environ.get("FILTER_CACHE_DIR") else base / "filter"
    try:
        return Path.home() / ".cache" / "filter"
    except RuntimeError:   # no $HOME and no passwd entry (containers running as an arbitrary uid)
        return None


def _write_tables(model_file: Path, dest: Path) -> None:
    """Decompress py3langid's model once into ``dest`` as plain ``.npy`` files (written to a
    temporary directory and renamed into place, so a reader never sees half a cache; the
    directory is made first, so an unwritable location costs no decompression)."""
    from py3langid.modelio import load_model

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        ptc, pc, classes, nextmove, row, out = load_model(model_file)
        np.save(tmp / "ptc.npy", np.asarray(ptc))
        np.save(tmp / "pc.npy", np.asarray(pc))
        (tmp / "classes.json").write_text(json.dumps(list(classes)), encoding="utf-8")
        np.save(tmp / "nextmove.npy", _as_array(nextmove))
        np.save(tmp / "nextmove_row.npy", _as_array(row))
        np.save(tmp / "out_feat.npy", np.asarray(out, dtype=np.int32))
        os.chmod(tmp, 0o755)   # mkdtemp's 0700 would hide a shared cache from other users
        try:
            os.replace(tmp, dest)
        except OSError:   # another process renamed its copy first: theirs is the same tables
            if not dest.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_tables(dest: Path) -> dict[str, Any] | None:
    """The cached tables, or None when an entry is incomplete or inconsistent."""
    t: dict[str, Any] = {k: np.load(dest / f"{k}.npy", mmap_mode="r" if k in _MAPPED else None) for k in _ARRAYS}
    t["classes"] = json.loads((dest / "classes.json").read_text(encoding="utf-8"))
    ok = (t["ptc"].ndim == 2 and t["ptc"].shape[1] == len(t["pc"]) == len(t["classes"])
          and len(t["nextmove_row"]) == len(t["out_feat"]) and t["nextmove"].size % 256 == 0)
    return t if ok else None


def langid_tables(model_file: Path) -> dict[str, Any] | None:
    """py3langid's tables from the cache (the large two memory-mapped), writing the cache on
    first use; None when the cache is switched off or cannot be written or read. A damaged
    entry is removed, so the next process writes it again."""
    if os.environ.get("FILTER_LANGID_CACHE", "1") == "0":
        return None
    root = cache_dir()
    if root is None:
        return None
    dest = None
    try:
        digest = hashlib.sha256(model_file.read_bytes()).hexdigest()[:16]
        dest = root / f"py3langid-v{CACHE_FORMAT}-{digest}"
        if not dest.is_dir():
            _write_tables(model_file, dest)
        t = _read_tables(dest)
        if t is None:
            shutil.rmtree(dest, ignore_errors=True)
        return t
    except Exception:  # noqa: BLE001 - any failure (I/O, a changed py3langid): its own loading instead
        if dest is not None and dest.is_dir():
            shutil.rmtree(dest, ignore_errors=True)
        return None


def _stdlib_array(a: np.ndarray) -> Any:
    """An unsigned-int numpy array as the ``array.array`` py3langid's own walk indexes."""
    from array import array

    out = array({2: "H", 4: "I", 8: "Q"}[a.dtype.itemsize])
    out.frombytes(memoryview(np.ascontiguousarray(a)).cast("B"))
    return out


def _load(cls: type, model_file: Path) -> Any:
    """The identifier over the cached tables (``langid_tables``), else py3langid's own loading
    (also when this py3langid's constructor does not take the tables as 0.4 does)."""
    t = langid_tables(model_file)
    if t is not None:
        try:
            return cls(t["ptc"], t["pc"], t["classes"], t["nextmove"], t["out_feat"].tolist(), norm_probs=True,
                       tk_row=t["nextmove_row"].tolist())
        except (TypeError, ValueError):
            pass
    return cls.from_model_file(model_file, norm_probs=True)


def _identifier() -> Any:
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _LOCK:
            if _IDENTIFIER is None:
                import py3langid.langid as pl

                fast = all(hasattr(pl.LanguageIdentifier, m) for m in ("_raw_score", "_sparse_score"))
                cls = _fast_class(pl.LanguageIdentifier) if fast else pl.LanguageIdentifier
                model_dir = getattr(pl, "MODEL_DIR", None)
                ident = (_load(cls, Path(model_dir) / pl.MODEL_FILE) if model_dir is not None
                         else cls.from_model_file(pl.MODEL_FILE, norm_probs=True))
                if fast and compiled_visits() is not None:
                    ident._walk_arrays = (_as_array(ident.tk_nextmove),
                                          np.asarray(ident._rowbase, dtype=np.int64),
                                          np.asarray(ident.tk_output, dtype=np.int64))
                    ident._rows = _score_rows(ident)
                elif isinstance(ident.tk_nextmove, np.ndarray):
                    # py3langid's Python walk indexes one entry per byte: a stdlib array in memory
                    # is several times faster at that than a numpy memory map
                    ident.tk_nextmove = _stdlib_array(ident.tk_nextmove)
                _IDENTIFIER = ident
    return _IDENTIFIER


def detect_language(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, float]:
    """ISO 639-1 code and probability of the language of ``text[:max_chars]``."""
    sample = text[:max_chars]
    if not any(c.isalpha() for c in sample):
        return "", 0.0
    code, prob = _identifier().classify(sample)
    return str(code), float(prob)


def is_foreign(code: str, prob: float, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> bool:
    """True when the detector is confident (``prob >= min_confidence``) the text is not Indonesian."""
    return bool(code) and code != "id" and prob >= min_confidence


def page_language(text: str) -> tuple[str, bool]:
    """The language a page is reported in and whether it is foreign, by one rule for the output,
    the ``filter clean`` summary and the guard: the detector's code when it is confidently not
    Indonesian (``is_foreign``), ``"id"`` otherwise (short or mixed texts: a guess such as "zxx"
    at probability 0.02 for "abc" is not a language), ``""`` for a text with no letters."""
    code, prob = detect_language(text)
    foreign = is_foreign(code, prob)
    return (code if foreign or not code else "id"), foreign
