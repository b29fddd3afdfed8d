"""Boilerplate injection: template bank, partition, span geometry and invariants (invented hosts)."""
from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filter.training.boilerplate import (KINDS, PLACES, BoilerplateBank, BoilerplateFamily, inject_boilerplate,
                                load_boilerplate_bank, parse_boilerplate_files)
from filter.training.inject import Injection
from test_inject import assert_host_spans_kept
from filter.segment import LINE_BREAKS
from filter.spans import Span, check_spans

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TITLE = "Pasar Tradisional Cempaka Kembali Dibuka"

HOST = (f"{TITLE}\n\n"
        "SUKAMAJU - Pemerintah kabupaten membuka kembali pasar tradisional Cempaka setelah renovasi "
        "selama enam bulan, Selasa (9/9/2025). Pedagang diminta menempati los sesuai nomor undian.\n\n"
        "Kepala dinas perdagangan mengatakan, bangunan baru dilengkapi saluran air dan tempat parkir yang "
        "lebih luas. Menurutnya, retribusi tidak dinaikkan hingga akhir tahun.\n\n"
        "Baca juga: Harga Beras di Sukamaju Mulai Turun\n\n"
        "Para pedagang menyambut gembira pembukaan pasar tersebut. Mereka berharap pembeli segera "
        "kembali, karena selama renovasi omzet turun hampir separuh.\n\n(tim)")

SENTENCES = [
    "Petani di lereng gunung mulai memanen kopi lebih awal tahun ini.",
    "Hujan deras sejak sore membuat sejumlah jalan desa tergenang.",
    "Kepala sekolah mengatakan, kegiatan belajar tetap berjalan seperti biasa.",
    "Warga berharap perbaikan jembatan segera dimulai sebelum musim hujan.",
    "Menurut panitia, lomba perahu hias diikuti dua puluh kelompok nelayan.",
    "Harga cabai merah di pasar induk naik menjadi empat puluh ribu rupiah per kilogram.",
    "\"Kami sudah menyiapkan posko kesehatan di tiga titik,\" ujar Rina, relawan setempat.",
    "Pemerintah desa menyalurkan bantuan beras kepada keluarga yang terdampak banjir.",
    "Dia menambahkan, pendaftaran peserta dibuka hingga akhir bulan.",
    "Acara ditutup dengan doa bersama dan makan siang di balai warga.",
]


def _host_spans(text: str) -> list[dict]:
    i = text.index("Baca juga")
    j = text.index("(tim)")
    return [{"start": i, "end": text.index("\n", i), "label": "boilerplate", "kind": "related_link"},
            {"start": j, "end": j + 5, "label": "boilerplate", "kind": "credit", "optional": False}]


@pytest.fixture(scope="module")
def bank() -> BoilerplateBank:
    return load_boilerplate_bank(DATA)


# ----------------------------------------------------------------------------- invariants

def check_injection(host: str, spans: list[dict], inj: Injection) -> None:
    n = len(inj.forms)
    assert n >= 1
    assert len(inj.template_families) == len(inj.obfuscation) == len(inj.brands) == len(inj.insertions) == n
    assert set(inj.forms) <= set(KINDS)
    # removing every inserted region gives back the host exactly
    assert inj.host_text() == host
    # spans valid, sorted, non-overlapping
    check_spans(inj.text, [Span(d["start"], d["end"], d["label"], d["kind"]) for d in inj.spans])
    assert inj.spans == sorted(inj.spans, key=lambda d: (d["start"], d["end"]))
    # new spans: one per insertion, exactly the inserted unit plus at most its separator
    new = [d for d in inj.spans if any(a <= d["start"] < b for a, b in inj.insertions)]
    assert len(new) == n
    for d, (a, b), kind in zip(new, inj.insertions, inj.forms):
        assert d["label"] == "boilerplate" and d["kind"] == kind
        assert a <= d["start"] < d["end"] <= b
        unit = inj.text[d["start"]:d["end"]]
        rest = inj.text[a:d["start"]] + inj.text[d["end"]:b]
        assert not any(c in LINE_BREAKS for c in unit)
        assert unit.strip()
        if rest:  # a whole line: the span is the line without its newline and edge spaces
            assert rest.strip("\r\n") == ""
            assert unit == unit.strip()
            before = inj.text[d["start"] - 1] if d["start"] else "\n"
            after = inj.text[d["end"]] if d["end"] < len(inj.text) else "\n"
            assert before in LINE_BREAKS and after in LINE_BREAKS
        else:  # glued: one adjoining whitespace run at one end, or none
            core = unit.strip(" \xa0")
            lead, trail = unit[:len(unit) - len(unit.lstrip(" \xa0"))], unit[len(unit.rstrip(" \xa0")):]
            assert not (lead and trail) and lead in ("", " ", "\xa0\xa0") and trail in ("", " ")
            assert core == core.strip()
    # host spans cover the same host text after shifting, other keys unchanged
    assert_host_spans_kept(inj, host, spans, new)
    # insertions never break a word or land inside a host span
    for p, _ in inj.points:
        assert p in (0, len(host)) or host[p - 1].isspace() or host[p].isspace()
        assert not any(s["start"] < p < s["end"] for s in spans)
    # content insertions (a host title put on top) carry no span
    for a, b in inj.content_insertions:
        assert not any(a < d["end"] and d["start"] < b for d in inj.spans)
    if not any(c in host for c in LINE_BREAKS):
        assert not any(c in inj.text for c in LINE_BREAKS)


def test_invariants_on_a_news_host(bank):
    spans = _host_spans(HOST)
    for seed in range(250):
        check_injection(HOST, spans, inject_boilerplate(HOST, spans, bank, random.Random(seed), title=TITLE))


def test_invariants_on_flattened_and_crlf_hosts(bank):
    flat = HOST.replace("\n\n", " ")
    crlf = HOST.replace("\n", "\r\n")
    single = HOST.replace("\n\n", "\n")
    for seed in range(120):
        for host in (flat, crlf, single):
            sp = _host_spans_generic(host)
            inj = inject_boilerplate(host, sp, bank, random.Random(seed), title=TITLE if seed % 2 else None)
            check_injection(host, sp, inj)
            if host is flat:
                assert "\n" not in inj.text
            if host is single:
                assert "\n\n" not in inj.text
            if host is crlf:
                assert "\n" not in inj.text.replace("\r\n", "")


def _host_spans_generic(text: str) -> list[dict]:
    """The two host spans wherever they are (line or flattened geometry)."""
    i = text.index("Baca juga")
    e = text.index("Turun", i) + len("Turun")
    j = text.index("(tim)")
    return [{"start": i, "end": e, "label": "boilerplate", "kind": "related_link"},
            {"start": j, "end": j + 5, "label": "boilerplate", "kind": "credit"}]


_HOST_PIECES = st.lists(st.sampled_from(SENTENCES), min_size=0, max_size=9)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=_HOST_PIECES, seps=st.lists(st.sampled_from([" ", "\n", "\n\n", "\r\n", "\n \n", "  "]), min_size=9, max_size=9),
       title=st.one_of(st.none(), st.sampled_from([TITLE, "Lomba Perahu Hias Meriahkan Desa", "x"])),
       title_on_top=st.booleans(), spans_seed=st.integers(0, 10_000), seed=st.integers(0, 10_000),
       trailing=st.sampled_from(["", "\n", " "]))
def test_invariants_on_random_hosts(bank, pieces, seps, title, title_on_top, spans_seed, seed, trailing):
    parts = []
    for k, p in enumerate(pieces):
        parts.append(p)
        if k < len(pieces) - 1:
            parts.append(seps[k])
    host = "".join(parts) + trailing
    if title_on_top and title:
        host = title + ("\n\n" if "\n" in host else " ") + host
    # random existing spans: whole lines, sentences or arbitrary ranges, non-overlapping
    r = random.Random(spans_seed)
    spans, prev = [], 0
    while prev < len(host) and len(spans) < 4 and r.random() < 0.7:
        s = r.randint(prev, len(host) - 1)
        e = r.randint(s + 1, min(len(host), s + 60))
        spans.append({"start": s, "end": e, "label": r.choice(["boilerplate", "promo"]), "kind": "x"})
        prev = e
    inj = inject_boilerplate(host, spans, bank, random.Random(seed), title=title)
    check_injection(host, spans, inj)


def test_empty_and_blank_hosts(bank):
    for host in ("", " ", "\n", "\n\n\n", "Satu kata"):
        for seed in range(30):
            inj = inject_boilerplate(host, [], bank, random.Random(seed))
            check_injection(host, [], inj)
    inj = inject_boilerplate("", [], bank, random.Random(0))
    assert len(inj.spans) == 1 and inj.spans[0]["start"] == 0 and inj.spans[0]["end"] == len(inj.text)


def test_deterministic_and_item_count(bank):
    a = inject_boilerplate(HOST, [], bank, random.Random(7), title=TITLE)
    b = inject_boilerplate(HOST, [], bank, random.Random(7), title=TITLE)
    assert a.text == b.text and a.spans == b.spans
    for seed in range(60):
        one = inject_boilerplate(HOST, [], bank, random.Random(seed), n_items=1)
        assert len(set(one.template_families)) == 1  # one item (maybe several lines)
        five = inject_boilerplate(HOST, [], bank, random.Random(seed), n_items=5)
        assert len(five.forms) >= 3


# ----------------------------------------------------------------------------- coverage of forms

def _lines_of(inj: Injection) -> list[tuple[dict, str]]:
    return [(d, inj.text[d["start"]:d["end"]]) for d in inj.spans if d["label"] == "boilerplate"
            and any(a <= d["start"] < b for a, b in inj.insertions)]


def test_every_kind_and_place_occurs(bank):
    kinds, fams = Counter(), Counter()
    top = bottom = middle = tail = inline = 0
    for seed in range(500):
        inj = inject_boilerplate(HOST, _host_spans(HOST), bank, random.Random(seed), title=TITLE)
        kinds.update(inj.forms)
        fams.update(inj.template_families)
        for d, unit in _lines_of(inj):
            if d["start"] == 0:
                top += 1
            if d["end"] == len(inj.text):
                bottom += 1
            if unit.startswith((" (", "(", "\xa0\xa0(", " [")) and inj.text[d["start"] - 1] not in "\n":
                tail += 1
            if unit.endswith(" ") and d["start"] > 0 and inj.text[d["start"] - 1] == " ":
                inline += 1
            if 0 < d["start"] and d["end"] < len(inj.text) and unit == unit.strip():
                middle += 1
    assert set(kinds) == set(KINDS)
    assert kinds["related_link"] == max(kinds.values())
    assert len(fams) >= 0.9 * len(bank.families)
    assert min(top, bottom, middle, tail, inline) > 0


def _only(bank: BoilerplateBank, *names: str) -> BoilerplateBank:
    return BoilerplateBank([f for f in bank.families if f.name in names], bank.slots)


def test_multiline_items_get_one_span_per_line(bank):
    checks = {  # family: (first line pattern, second line pattern)
        "rel_bacajuga_bare": (r"Baca [Jj]uga ?:?|BACA JUGA:?", r"\S+( \S+)+"),
        "byline_blogger": (r"Dipublikasikan oleh", r".+"),
        "credit_image_source": (r"Sumber [Gg]ambar:", r"- Gambar 1 dari [a-z0-9.]+"),
        "nav_blogger_prevnext": (r"Lebih [Bb]aru", r"Lebih [Ll]ama"),
    }
    for fam, (p1, p2) in checks.items():
        sub = _only(bank, fam)
        pairs = 0
        for seed in range(150):
            inj = inject_boilerplate(HOST, [], sub, random.Random(seed), n_items=1)
            check_injection(HOST, [], inj)
            lines = _lines_of(inj)
            for (d1, u1), (d2, u2) in zip(lines, lines[1:]):
                gap = inj.text[d1["end"]:d2["start"]]
                if re.fullmatch(p1, u1) and re.fullmatch(p2, u2):
                    assert gap and gap.strip("\r\n") == ""  # two lines, two spans
                    pairs += 1
        assert pairs > 0, fam


def test_byline_handles_with_digits_are_boilerplate(bank):
    handles = 0
    sub = _only(bank, *(f.name for f in bank.families if f.kind == "byline"))
    for seed in range(200):
        inj = inject_boilerplate(HOST, [], sub, random.Random(seed))
        for d, unit in _lines_of(inj):
            if d["kind"] == "byline" and re.search(r"\b[A-Za-z_]+\d{1,4}\b", unit):
                handles += 1
                assert d["label"] == "boilerplate"
    assert handles > 0


def test_glued_inline_and_tail_geometry(bank):
    seen = Counter()
    sub = _only(bank, "rel_terkait", "rel_inline_glued", "credit_tail_code", "credit_tail_editor", "ad_label")
    for seed in range(300):
        inj = inject_boilerplate(HOST, [], sub, random.Random(seed))
        for d, unit in _lines_of(inj):
            if re.match(r"Terkait[A-Z]", unit):
                seen["terkait_glued"] += 1
            if d["kind"] == "credit" and unit.lstrip(" \xa0").startswith(("(", "[")) \
                    and inj.text[d["start"] - 1] not in LINE_BREAKS:
                # glued onto the end of the last paragraph of the host (before "(tim)")
                assert inj.text[d["start"] - 1] in ".\"”" or unit[0] in " \xa0"
                assert inj.text[d["end"]] == "\n" or any(a == d["end"] for a, _ in inj.insertions)
                seen["tail"] += 1
                k = inj.insertions.index(next(r for r in inj.insertions if r[0] <= d["start"] < r[1]))
                assert inj.points[k][0] == HOST.index("separuh.") + len("separuh.")
            if d["kind"] == "related_link" and unit.endswith(" ") and inj.text[d["start"] - 1] == " ":
                seen["inline"] += 1
                assert inj.text[d["end"]].isupper()  # the next sentence of the article follows
    assert seen["terkait_glued"] and seen["tail"] and seen["inline"], seen


def test_flattened_host_uses_inline_geometry(bank):
    flat = " ".join(SENTENCES)
    kinds = Counter()
    for seed in range(200):
        inj = inject_boilerplate(flat, [], bank, random.Random(seed))
        check_injection(flat, [], inj)
        assert "\n" not in inj.text
        for d, unit in _lines_of(inj):
            kinds[d["kind"]] += 1
            assert unit.startswith(" ") or unit.endswith(" ") or unit.startswith(("(", "["))
            cleaned = inj.text[:d["start"]] + inj.text[d["end"]:]
            assert "  " not in cleaned
    assert len(kinds) >= 9


def test_related_titles_reuse_host_words(bank):
    host_words = set(w.lower() for w in re.findall(r"\w+", HOST) if len(w) > 4)
    reused = total = 0
    for seed in range(300):
        inj = inject_boilerplate(HOST, [], bank, random.Random(seed))
        for d, unit in _lines_of(inj):
            if d["kind"] == "related_link" and len(unit.split()) >= 4:
                total += 1
                words = set(w.lower() for w in re.findall(r"\w+", unit) if len(w) > 4)
                reused += len(words & host_words) >= 2
    assert total > 50 and 0.2 < reused / total < 0.95


def test_some_sites_are_named_after_the_host_topic(bank):
    """Niche blogs carry their topic in the site name ("Info Sawit Riau"): a share of the
    documents' site names repeat a host word, the rest are generic."""
    from filter.training.boilerplate import _Filler, Host as _BHost
    host_words = set(w.lower() for w in re.findall(r"\w+", HOST) if len(w) > 3)
    named = 0
    for seed in range(200):
        site = _Filler(_BHost(HOST, []), bank, random.Random(seed), TITLE).site
        named += bool(set(w.lower() for w in re.findall(r"\w+", site)) & host_words)
    assert 0.02 < named / 200 < 0.2


def test_duplicate_title(bank):
    body = HOST.split("\n\n", 1)[1]
    seen_copy = seen_content = 0
    sub = _only(bank, "dup_title_copy", "dup_title_site", "meta_date_id", "nav_menu_bar")
    for seed in range(150):
        for host in (HOST, body):
            inj = inject_boilerplate(host, [], sub, random.Random(seed), title=TITLE, n_items=2)
            check_injection(host, [], inj)
            dups = [(d, u) for d, u in _lines_of(inj) if d["kind"] == "duplicate_title"]
            if not dups:
                continue
            d, unit = dups[0]
            first = inj.text.index(TITLE) if TITLE in inj.text else inj.text.upper().index(TITLE.upper())
            assert first < d["start"]  # the first occurrence is content, the repeat is boilerplate
            assert not any(s["start"] <= first < s["end"] for s in inj.spans)
            assert TITLE.upper() in unit.upper() or "{" not in unit
            if host is body:
                (a, b), = inj.content_insertions
                assert inj.text[a:b].strip() == TITLE and a == first
                seen_content += 1
            else:
                assert not inj.content_insertions
                seen_copy += 1
    assert seen_copy and seen_content


# ----------------------------------------------------------------------------- bank

def test_bank_size_and_shape(bank):
    assert len(bank.families) >= 25 and bank.n_templates() >= 300
    per_kind = Counter(f.kind for f in bank.families)
    assert set(per_kind) == set(KINDS) and min(per_kind.values()) >= 2
    for f in bank.families:
        assert set(f.places) <= set(PLACES) and f.templates
        for t in f.templates:
            assert not any(c in t for c in LINE_BREAKS)
    for name in ("first_name", "last_name", "headline", "section", "outlet", "city"):
        assert len(bank.slots[name]) >= 10
    assert bank.stats()["families"] == len(bank.families)


def test_partition_holds_out_whole_families(bank):
    train, valid = bank.partition(0.3, seed=1)
    assert train.family_names().isdisjoint(valid.family_names())
    assert train.family_names() | valid.family_names() == bank.family_names()
    assert train.kinds() == valid.kinds() == set(KINDS)
    assert 0.15 < len(valid.families) / len(bank.families) < 0.45
    again, _ = bank.partition(0.3, seed=1)
    assert again.family_names() == train.family_names()
    assert any(bank.partition(0.3, seed=s)[1].family_names() != valid.family_names() for s in range(2, 6))
    for seed in range(80):  # valid injections draw only valid families
        inj = inject_boilerplate(HOST, [], valid, random.Random(seed), title=TITLE)
        assert set(inj.template_families) <= valid.family_names()
    with pytest.raises(ValueError):
        bank.partition(1.0, seed=0)


def test_parse_errors_are_one_clear_line(tmp_path):
    cases = {
        "@family a\n@kind nonsense\n@place top\nX\n": "@kind",
        "@family a\n@kind ad\n@place top\nHello {NOPE}\n": "unknown slot",
        "Stray line\n": "before @family",
        "@family a\n@kind ad\n@place somewhere\nX\n": "@place",
        "@family a\n@kind ad\nX\n": "needs @kind and @place",
        "@family a\n@kind ad\n@place top\nX ||  || Y\n": "empty line",
    }
    for i, (body, msg) in enumerate(cases.items()):
        p = tmp_path / f"f{i}.txt"
        p.write_text(body, encoding="utf-8")
        with pytest.raises(ValueError, match=re.escape(msg)):
            parse_boilerplate_files([p])
    with pytest.raises(FileNotFoundError):
        load_boilerplate_bank(tmp_path / "nowhere")
    with pytest.raises(ValueError):
        inject_boilerplate(HOST, [], BoilerplateBank([]), random.Random(0))


def test_small_custom_bank_with_default_slots():
    fam = BoilerplateFamily("x", "tags", ("bottom",), ("Tags: {TAG}, {TAG} || {NAME}",))
    inj = inject_boilerplate(HOST, [], BoilerplateBank([fam]), random.Random(3), n_items=1)
    check_injection(HOST, [], inj)
    assert inj.forms == ["tags", "tags"] and inj.text.startswith(HOST)


def test_templates_are_not_copied_from_gold(seeds):
    """No template line (slots removed) occurs in the seed articles."""
    gold = "\n".join(d["text"] for d in seeds).lower()
    bank = load_boilerplate_bank(DATA)
    long_lines = [re.sub(r"\{[^}]*\}", "", part).strip().lower()
                  for f in bank.families for t in f.templates for part in t.split(" || ")]
    copied = [s for s in long_lines if len(s) >= 30 and s in gold]
    assert not copied, copied[:5]
