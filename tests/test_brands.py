"""Brand generator, family keys and mention detection (invented names and text)."""
from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filter.training.brands import (brand_family, brand_key, brand_mentions, generate_brand, load_brand_words,
                           looks_like_brand)
from filter.training.obfuscate import OBFUSCATORS


@pytest.mark.parametrize("name, family", [
    ("Mustang303", "mustang"), ("MUSTANG303", "mustang"), ("mustang77", "mustang"),
    ("𝐌𝐔𝐒𝐓𝐀𝐍𝐆𝟑𝟎𝟑", "mustang"), ("M U S T A N G 3 0 3", "mustang"), ("Mu5tang303", "mustang"),
    ("NAGATOTO", "naga"), ("nagatoto88", "naga"), ("Naga4D", "naga"), ("NagaSlot", "naga"),
    ("Kenzo Toto", "kenzo"), ("pstoto99", "pstoto"), ("hokibet", "hoki"),
])
def test_brand_family(name, family):
    assert brand_family(name) == family


def test_word_pool_is_large_and_clean():
    words = load_brand_words()
    assert len(words) >= 300
    assert all(w.isalpha() and w.islower() for w in words)
    assert len(words) == len(set(words))


def test_generated_brands_have_the_real_shapes():
    rng = random.Random(0)
    names = [generate_brand(rng) for _ in range(500)]
    assert len(set(names)) > 450
    assert sum(n.isupper() for n in names) > 100            # ALLCAPS
    assert sum(n.islower() for n in names) > 50             # lowercase
    assert sum(bool(re.search(r"[a-z][A-Z]", n)) for n in names) > 30   # CamelCase
    assert sum(bool(re.search(r"\d$", n)) for n in names) > 150          # trailing digits
    assert sum(n.lower().endswith("4d") for n in names) > 20
    assert sum(any(s in n.lower() for s in ("toto", "slot", "bet")) for n in names) > 40
    assert sum(looks_like_brand(brand_key(n)) for n in names) > 400
    assert all(3 <= len(n) <= 24 and " " not in n for n in names)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 100_000), st.sampled_from(sorted(OBFUSCATORS)))
def test_family_survives_obfuscation(seed, kind):
    rng = random.Random(seed)
    name = generate_brand(rng)
    assert brand_family(OBFUSCATORS[kind](name, rng)) == brand_family(name)
    assert brand_family(name.upper()) == brand_family(name.lower())


def test_legit_tokens_do_not_look_like_brands():
    for tok in ("covid", "g20", "2024", "pemerintah", "mp3", "android"):
        assert not looks_like_brand(tok)
    assert looks_like_brand("naga303") and looks_like_brand("hokitoto") and looks_like_brand("jaya4d")


def test_brand_mentions():
    assert brand_mentions("Sambil santai coba 𝐊𝐔𝐃𝐀𝐇𝐎𝐊𝐈𝟕𝟕 deh") == ["kudahoki77"]
    assert brand_mentions("mantap banget di s u l t a n 8 8 bro") == ["sultan88"]
    assert brand_mentions("baru join RAJAMAWAR langsung wd", skip=frozenset()) == ["rajamawar"]
    assert brand_mentions("Pemerintah menyiapkan anggaran baru.") == []
    assert brand_mentions("WAJIB COBA", skip=frozenset({"wajib", "coba"})) == []
    assert brand_mentions("main di naga99 aja", known=frozenset({"naga99"})) == ["naga99"]
