"""The language identifier's decompressed-table cache (``filter.langid.langid_tables``): same
codes and probabilities as py3langid's own loading, written once, memory-mapped, and a cache that
is switched off, unwritable or damaged falls back to py3langid's loading."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from filter import langid
from tests.test_langid_fast import TEXTS, _reference


@pytest.fixture()
def model_file() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("FILTER_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("FILTER_LANGID_CACHE", raising=False)
    return tmp_path


def _identifier(model_file: Path):
    from py3langid.langid import LanguageIdentifier

    return langid._load(LanguageIdentifier, model_file)


def test_cached_tables_give_py3langids_codes_and_scores(cache, model_file):
    ref, cached = _reference(), _identifier(model_file)
    assert isinstance(cached.nb_ptc, np.memmap) and isinstance(cached.tk_nextmove, np.memmap)
    for t in TEXTS:
        sample = t[:langid.DEFAULT_MAX_CHARS]
        assert cached.classify(sample) == ref.classify(sample)
        assert np.array_equal(cached._decide(sample), ref._decide(sample))
    assert len(list(cache.glob("py3langid-*"))) == 1


def test_second_load_reads_the_cache_without_decompressing(cache, model_file, monkeypatch):
    _identifier(model_file)
    import py3langid.modelio

    def no_decompression(*_a, **_k):
        raise AssertionError("decompressed again")

    monkeypatch.setattr(py3langid.modelio, "load_model", no_decompression)
    assert langid.langid_tables(model_file) is not None
    assert _identifier(model_file).classify(TEXTS[1])[0] == "en"


def test_switched_off_writes_nothing(cache, model_file, monkeypatch):
    monkeypatch.setenv("FILTER_LANGID_CACHE", "0")
    assert langid.langid_tables(model_file) is None
    assert _identifier(model_file).classify(TEXTS[0])[0] == "id"
    assert not list(cache.iterdir())


def test_unwritable_cache_falls_back(tmp_path, model_file, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("FILTER_CACHE_DIR", str(blocker / "sub"))
    assert langid.langid_tables(model_file) is None
    assert _identifier(model_file).classify(TEXTS[1])[0] == "en"


def test_damaged_cache_falls_back_and_is_written_again(cache, model_file):
    _identifier(model_file)
    (table,) = cache.glob("py3langid-*/nextmove.npy")
    table.write_bytes(table.read_bytes()[:1000])   # truncated
    assert langid.langid_tables(model_file) is None
    assert not list(cache.glob("py3langid-*"))       # the damaged entry is gone ...
    assert _identifier(model_file).classify(TEXTS[1])[0] == "en"
    assert isinstance(langid.langid_tables(model_file)["nextmove"], np.memmap)   # ... and rewritten


def test_no_home_directory_means_no_cache(model_file, monkeypatch):
    monkeypatch.delenv("FILTER_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert langid.cache_dir() is None
    assert langid.langid_tables(model_file) is None
    assert _identifier(model_file).classify(TEXTS[0])[0] == "id"


def test_relative_cache_dir_is_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FILTER_CACHE_DIR", "rel")
    assert langid.cache_dir() == tmp_path.resolve() / "rel"
    monkeypatch.delenv("FILTER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "xdg")
    assert langid.cache_dir() == tmp_path.resolve() / "xdg" / "filter"


def test_constructor_of_another_py3langid_falls_back(cache, model_file):
    from py3langid.langid import LanguageIdentifier

    class OtherVersion(LanguageIdentifier):   # a constructor that does not take the cached layout
        def __init__(self, nb_ptc, nb_pc, nb_classes, tk_nextmove, *args, **kwargs):
            if isinstance(tk_nextmove, np.ndarray):
                raise TypeError("unexpected table layout")
            super().__init__(nb_ptc, nb_pc, nb_classes, tk_nextmove, *args, **kwargs)

    ident = langid._load(OtherVersion, model_file)
    assert not isinstance(ident.tk_nextmove, np.ndarray)    # py3langid's own loading
    assert ident.classify(TEXTS[1])[0] == "en"


def test_plain_walk_gets_the_table_in_memory(cache, monkeypatch):
    from array import array

    monkeypatch.setattr(langid, "_COMPILED", [None])
    monkeypatch.setattr(langid, "_IDENTIFIER", None)
    ident, ref = langid._identifier(), _reference()
    assert isinstance(ident.tk_nextmove, array)
    for t in TEXTS:
        sample = t[:langid.DEFAULT_MAX_CHARS]
        assert ident.classify(sample) == ref.classify(sample)


def test_the_cache_is_keyed_by_the_model_files_content(cache, model_file, tmp_path):
    import hashlib

    other = tmp_path / "model-copy.npz.xz"
    other.write_bytes(model_file.read_bytes())
    langid.langid_tables(model_file)
    langid.langid_tables(other)
    digest = hashlib.sha256(model_file.read_bytes()).hexdigest()[:16]
    assert [d.name for d in cache.glob("py3langid-*")] == [f"py3langid-v{langid.CACHE_FORMAT}-{digest}"]
