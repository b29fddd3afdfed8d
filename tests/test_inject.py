"""Promo injection, decoys and the promo bank (invented hosts, comments and corpus files)."""
from __future__ import annotations

import csv
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filter.training.brands import generate_brand
from filter.training.inject import (FORMS, OBFUSCATION_KINDS, Injection, Host, host_clause, inject_decoys, inject_promo,
                           topic_phrase)
from filter.normalize import normalize
from filter.training.promo import Brand, PromoBank, PromoText, load_lexicon, load_promo_bank, load_templates
from filter.spans import Span, check_spans

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

COMMENTS = [
    "Gak nyangka main di HOKIRAJA88 bisa langsung wd 2jt, mantap bosku!",
    "Modal receh di 𝐁𝐔𝐋𝐀𝐍𝐓𝐎𝐓𝐎 langsung jepe, makasih admin",
    "Cuma di sultanjaya77 scatter hitam turun terus, gacor parah",
    "Siapa yang belum coba K U D A H O K I 9 9 rugi banget, maxwin tiap hari",
    "Terima kasih MELATISLOT, rezeki buat bayar kontrakan bulan ini",
    "Auto cuan pakai pola dari g4c0r88, deposit 10rb jadi jutaan",
]

HOST = ("Warga Kedaton Sambut Perbaikan Jalan\n\n"
        "BANDAR LAMPUNG - Pemerintah kota mulai memperbaiki ruas jalan rusak di wilayah Kedaton, "
        "Senin (4/8/2025). Perbaikan dilakukan setelah warga mengeluhkan lubang yang membahayakan "
        "pengendara.\n\n"
        "Kepala dinas mengatakan, anggaran perbaikan jalan sudah disiapkan sejak awal tahun. "
        "Menurutnya, pekerjaan ditargetkan selesai dalam dua pekan.\n\n"
        "Baca juga: Warga Keluhkan Banjir di Way Halim\n\n"
        "Warga menyambut baik langkah tersebut, karena jalan itu merupakan akses utama menuju pasar "
        "dan sekolah. \"Kami sudah lama menunggu,\" ujar Siti, warga Kedaton.\n\n(rob)")


def _host_spans(text: str) -> list[dict]:
    i = text.index("Baca juga")
    return [{"start": i, "end": text.index("\n", i), "label": "boilerplate", "kind": "related_link"},
            {"start": text.index("(rob)"), "end": text.index("(rob)") + 5, "label": "boilerplate",
             "kind": "credit", "optional": False}]


@pytest.fixture(scope="module")
def bank() -> PromoBank:
    rng = random.Random(0)
    brands = [Brand(n, n.lower(), "brands.txt") for n in ("Mustang303", "NAGATOTO", "hoki4d")]
    brands += [Brand(generate_brand(rng), f"g{i}", "generated") for i in range(40)]
    comments = [PromoText(c, "invented", f"c{i % 3}", "comment") for i, c in enumerate(COMMENTS)]
    return PromoBank(comments, load_templates(DATA / "templates"), brands,
                     load_lexicon(DATA / "lexicons" / "promo_terms.txt"))


# ----------------------------------------------------------------------------- invariants

def assert_host_spans_kept(inj, host: str, spans: list[dict], new: list[dict]) -> list[tuple[dict, dict]]:
    """The host's spans survive an injection: same text, same other keys; returns (new, old) pairs."""
    old = [d for d in inj.spans if d not in new]
    assert len(old) == len(spans)
    pairs = list(zip(old, sorted(spans, key=lambda d: (d["start"], d["end"]))))
    for o, s in pairs:
        assert inj.text[o["start"]:o["end"]] == host[s["start"]:s["end"]]
        assert {k: v for k, v in o.items() if k not in ("start", "end")} == \
            {k: v for k, v in s.items() if k not in ("start", "end")}
    return pairs


def check_injection(host: str, spans: list[dict], inj: Injection) -> None:
    n = len(inj.forms)
    assert 1 <= n <= 3
    assert len(inj.obfuscation) == len(inj.brands) == len(inj.template_families) == n
    assert set(inj.forms) <= set(FORMS)
    assert set(inj.obfuscation) <= set(OBFUSCATION_KINDS) | {"none"}
    # removing every inserted region gives back the host exactly
    assert inj.host_text() == host
    assert len(inj.insertions) == n and not inj.content_insertions
    # all spans valid, sorted, non-overlapping
    check_spans(inj.text, [Span(d["start"], d["end"], d["label"], d["kind"]) for d in inj.spans])
    assert inj.spans == sorted(inj.spans, key=lambda d: (d["start"], d["end"]))
    # new spans: one per insertion, exactly the inserted unit (region minus a line separator)
    new = [d for d in inj.spans if any(a <= d["start"] < b for a, b in inj.insertions)]
    assert len(new) == n
    for d, (a, b), form in zip(new, inj.insertions, inj.forms):
        assert d["kind"] == form and d["label"] == "promo"
        assert a <= d["start"] < d["end"] <= b
        unit = inj.text[d["start"]:d["end"]]
        rest = inj.text[a:d["start"]] + inj.text[d["end"]:b]
        assert rest.strip("\r\n") == "" or (form == "promo_line" and rest == "")
        assert "\n" not in unit and "\r" not in unit
        if form in ("inline_brand", "keyword_substitution"):
            assert unit.endswith(" ") and not unit.endswith("  ") and not unit.startswith(" ")
            assert rest == ""
        if form == "promo_sentence":
            assert rest == "" and (unit.startswith(" ") != unit.endswith(" "))
        if form == "injected_paragraph":
            assert rest and unit == unit.strip()
    # host spans cover the same host text after shifting
    for o, s in assert_host_spans_kept(inj, host, spans, new):
        assert o["start"] == inj.shift(s["start"]) and o["end"] == inj.shift(s["end"], "left")
    # insertions never break a word or land inside a host span
    for p, _ in inj.points:
        assert p in (0, len(host)) or host[p - 1].isspace() or host[p].isspace()
        assert not any(s["start"] < p < s["end"] for s in spans)


def test_injection_invariants_on_a_news_host(bank):
    spans = _host_spans(HOST)
    for seed in range(200):
        check_injection(HOST, spans, inject_promo(HOST, spans, bank, random.Random(seed), title=HOST.split("\n")[0]))


def test_all_forms_and_obfuscations_occur(bank):
    forms, obf, fams = Counter(), Counter(), Counter()
    for seed in range(400):
        inj = inject_promo(HOST, _host_spans(HOST), bank, random.Random(seed))
        forms.update(inj.forms)
        obf.update(inj.obfuscation)
        fams.update(f for f in inj.template_families if f)
    assert set(forms) == set(FORMS)
    assert forms["inline_brand"] > forms["keyword_substitution"]
    assert set(OBFUSCATION_KINDS) <= set(obf)
    share = 1 - obf["none"] / sum(obf.values())
    assert 0.12 < share < 0.45  # ~30% of brand-bearing units; comments stay verbatim
    assert len(fams) >= 12


def test_later_insertions_often_promote_the_first_brand(bank):
    """One client per injected page: documents with several brand insertions repeat the first
    brand (in some case) about SAME_BRAND_RATE of the time, and not always."""
    from filter.training.inject import SAME_BRAND_RATE

    later = repeats = 0
    for seed in range(400):
        brands = [b for b in inject_promo(HOST, _host_spans(HOST), bank, random.Random(seed)).brands if b]
        for b in brands[1:]:
            later += 1
            repeats += b.lower() == brands[0].lower()
    assert later > 100
    assert SAME_BRAND_RATE - 0.15 < repeats / later < SAME_BRAND_RATE + 0.15


def test_flattened_host_gets_no_newlines(bank):
    flat = HOST.replace("\n\n", " ")
    for seed in range(100):
        inj = inject_promo(flat, [], bank, random.Random(seed))
        check_injection(flat, [], inj)
        assert "\n" not in inj.text and "injected_paragraph" not in inj.forms


def test_line_insertion_reuses_host_separator(bank):
    single = HOST.replace("\n\n", "\n")
    for seed in range(100):
        inj = inject_promo(single, _host_spans(single), bank, random.Random(seed))
        check_injection(single, _host_spans(single), inj)
        assert "\n\n" not in inj.text


def test_inline_brand_example_reads_naturally(bank):
    seen = False
    for seed in range(300):
        inj = inject_promo(HOST, [], bank, random.Random(seed))
        for d, form in zip([d for d in inj.spans if d["label"] == "promo"], inj.forms):
            if form == "inline_brand" and inj.text[d["start"] - 2] == ",":
                seen = True
                cleaned = inj.text[:d["start"]] + inj.text[d["end"]:]
                assert ", " in cleaned and ",  " not in cleaned
    assert seen


def test_bridge_uses_the_article_topic(bank):
    bridges = PromoBank([], [t for t in bank.templates if t.register == "bridge"], bank.brands, bank.keywords)
    topic_words = {"jalan", "kedaton", "warga", "perbaikan", "pemerintah", "kota", "lampung", "bandar"}
    hits = 0
    for seed in range(60):
        inj = inject_promo(HOST, [], bridges, random.Random(seed), title="Warga Kedaton Sambut Perbaikan Jalan")
        for d in inj.spans:
            if d["kind"] in ("injected_paragraph", "promo_sentence"):
                hits += bool(topic_words & set(normalize(inj.text[d["start"]:d["end"]]).split()))
    assert hits >= 10


def test_topic_phrase_prefers_article_words():
    rng = random.Random(0)
    topics = {topic_phrase(HOST, None, rng) for _ in range(20)}
    assert all(t and "{" not in t for t in topics)
    assert any("jalan" in t.lower() or "kedaton" in t.lower() or "warga" in t.lower() for t in topics)


def test_host_clause_is_a_clause_of_the_article():
    """{CLAUSE}: a 5-18 word stretch of one content sentence, cut at punctuation, its first
    word lowered only when the article writes it in lower case too; never from a span."""
    text = "Wali Kota Resmikan Jalan Baru Di Kedaton Bersama Warga Setempat\n\n" + HOST + "\n\nBaca juga: Lima Fakta Menarik tentang Jalan Raya di Kota Kita yang Jarang Diketahui"
    start = text.index("Baca juga")
    host = Host(text, [{"start": start, "end": len(text), "label": "boilerplate"}])
    rng = random.Random(1)
    clauses = {host_clause(host, rng) for _ in range(40)}
    assert len(clauses) >= 3
    body = HOST.lower()
    for c in clauses:
        assert 5 <= len(c.split()) <= 18
        assert c.lower() in body and c not in text[start:]
        assert not c.endswith((".", ",", "!", "?")) and c.count("(") == c.count(")")
        assert sum(w[:1].isupper() for w in c.split()) <= 0.4 * len(c.split())   # not the headline
    assert host_clause(Host("Kota.", []), rng) is None


def test_empty_and_tiny_hosts(bank):
    for host in ("", "Kota.", "   \n\n  ", "Satu dua tiga"):
        inj = inject_promo(host, [], bank, random.Random(3))
        assert inj.host_text() == host and inj.forms


# ----------------------------------------------------------------------------- hypothesis hosts

WORDS = ["pemerintah", "warga", "jalan", "anggaran", "sekolah", "pasar", "kota", "desa", "banjir",
         "petani", "harga", "beras", "dinas", "kepala", "rapat", "program", "baru", "lama", "Senin",
         "Bandung", "Kedaton", "dan", "yang", "di", "untuk", "dengan", "2025", "Rp3", "(4/8)"]


@st.composite
def news_hosts(draw):
    def sentence():
        ws = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=12))
        if len(ws) > 3 and draw(st.booleans()):
            ws[draw(st.integers(0, len(ws) - 2))] += ","
        return ws[0].capitalize() + (" " + " ".join(ws[1:]) if len(ws) > 1 else "") + draw(st.sampled_from(".!?"))

    paras = [" ".join(sentence() for _ in range(draw(st.integers(1, 4)))) for _ in range(draw(st.integers(1, 6)))]
    sep = draw(st.sampled_from(["\n", "\n\n", " ", "\r\n", "\n\n\n"]))
    text, spans, pos = "", [], 0
    for i, p in enumerate(paras):
        if i:
            text += sep
        start = len(text)
        text += p
        if draw(st.integers(0, 3)) == 0:  # a whole-line boilerplate span
            spans.append({"start": start, "end": len(text), "label": "boilerplate", "kind": "widget"})
        elif draw(st.integers(0, 4)) == 0 and " " in p:  # an inline span with its trailing space
            j = p.index(" ") + 1
            spans.append({"start": start, "end": start + j, "label": "boilerplate", "kind": "ad"})
    lead = draw(st.sampled_from(["", "\n", "  "]))
    trail = draw(st.sampled_from(["", "\n", " "]))
    spans = [{**s, "start": s["start"] + len(lead), "end": s["end"] + len(lead)} for s in spans]
    return lead + text + trail, spans


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(news_hosts(), st.integers(0, 10_000))
def test_invariants_hypothesis_news_hosts(bank, host_spans, seed):
    host, spans = host_spans
    check_injection(host, spans, inject_promo(host, spans, bank, random.Random(seed)))


@st.composite
def weird_hosts(draw):
    text = draw(st.text(alphabet=st.sampled_from(list("ab Z,.!?\n\r\t\xa0\u2028\u200b7-\"")), max_size=120))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=6))))
    spans = [{"start": a, "end": b, "label": "promo", "kind": "x"} for a, b in zip(cuts[::2], cuts[1::2]) if b > a]
    return text, spans


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weird_hosts(), st.integers(0, 10_000))
def test_invariants_hypothesis_weird_hosts(bank, host_spans, seed):
    host, spans = host_spans
    check_injection(host, spans, inject_promo(host, spans, bank, random.Random(seed)))


# ----------------------------------------------------------------------------- decoys

def test_decoys_are_content_only():
    spans = _host_spans(HOST)
    digits = 0
    for seed in range(60):
        inj = inject_decoys(HOST, spans, random.Random(seed))
        assert inj.insertions == [] and inj.content_insertions
        assert inj.host_text() == HOST
        assert [d["kind"] for d in inj.spans] == [d["kind"] for d in spans]
        for o, s in zip(inj.spans, spans):
            assert inj.text[o["start"]:o["end"]] == HOST[s["start"]:s["end"]]
        # every decoy is a digit-bearing name or a piece of journalism about gambling
        digits += all(re.search(r"\d|judi|togel|sabung|situs|perjudian|bandar", inj.text[a:b], re.I)
                      for a, b in inj.content_insertions)
        for p, _ in inj.points:
            assert HOST[p - 1].isspace() or HOST[p].isspace()
    assert digits >= 50


@settings(max_examples=80, deadline=None)
@given(news_hosts(), st.integers(0, 10_000))
def test_decoys_hypothesis(host_spans, seed):
    host, spans = host_spans
    inj = inject_decoys(host, spans, random.Random(seed))
    assert inj.host_text() == host
    assert len(inj.spans) == len(spans)


# ----------------------------------------------------------------------------- bank

def test_templates_are_many_and_varied():
    tpl = load_templates(DATA / "templates")
    fams = Counter(t.family for t in tpl)
    assert len(tpl) >= 150 and len(fams) >= 12 and min(fams.values()) >= 8
    assert {t.register for t in tpl} >= {"educational", "human_interest", "news", "testimonial", "cta",
                                         "bridge", "line"}
    assert all("{BRAND}" in t.text for t in tpl)
    assert all("{TOPIC}" in t.text or "{CLAUSE}" in t.text for t in tpl if t.register == "bridge")
    assert all(not re.search(r"\{(?!BRAND|KEYWORD|TOPIC|CLAUSE|URL)\w*\}", t.text) for t in tpl)
    assert len({t.text for t in tpl}) == len(tpl)


def test_partition_holds_out_whole_families(bank):
    rng = random.Random(0)
    comments = [PromoText(f"main di naga{i % 9}toto gacor {i}", "x", f"naga{i % 9}", "comment")
                for i in range(90)]
    brands = [Brand(f"Naga{i % 9}toto{i}", f"naga{i % 9}", "brands.txt") for i in range(45)]
    brands += [Brand(generate_brand(rng), f"gen{i}", "generated") for i in range(60)]
    big = PromoBank(comments, bank.templates, brands, bank.keywords)
    train, valid = big.partition(0.25, seed=7)
    assert not (train.brand_families() | train.comment_families()) & \
        (valid.brand_families() | valid.comment_families())
    assert not train.template_families() & valid.template_families()
    assert len(train.brands) + len(valid.brands) == len(brands)
    assert len(train.comments) + len(valid.comments) == len(comments)
    assert len(train.templates) + len(valid.templates) == len(bank.templates)
    assert 0.1 < len(valid.brands) / len(brands) < 0.4
    assert valid.templates and {t.register for t in valid.templates} == {t.register for t in train.templates}
    again = big.partition(0.25, seed=7)
    assert again[1].brand_families() == valid.brand_families()
    assert big.partition(0.25, seed=8)[1].brand_families() != valid.brand_families()
    with pytest.raises(ValueError):
        big.partition(1.5, seed=0)


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_load_promo_bank_from_a_fake_corpus(tmp_path):
    promo = tmp_path / "promo"
    (promo).mkdir()
    (promo / "brands.txt").write_text("Mustang303\nKUDAHOKI99\npermainan judi online\nKenzo Toto\n", encoding="utf-8")
    (promo / "brands_trustpositif.txt").write_text("mustang77\nlebahtoto12\n", encoding="utf-8")
    (promo / "keywords.txt").write_text("slot gacor\nlink alternatif\n", encoding="utf-8")
    leaked = "Main di KUDAHOKI99 auto jepe, deposit receh wd jutaan bosku"
    first_line_leak = "Hanya di LEBAHTOTO12 member baru pasti maxwin!!"
    _write_csv(promo / "datasets/gbennnn_judol-comment-classification/dataset_judol_labelled.csv",
               ["comment_id", "author", "comment_text", "label"], [
                   [1, "a", "02:15 Gacor banget di Mustang303, langsung wd 3jt!", 1],
                   [2, "b", "Videonya bagus banget, semangat terus kak", 1],    # no promo signal
                   [3, "c", "Ã¢â‚¬Å“ mantap slot gacor Ã¢â‚¬", 1],            # mojibake
                   [4, "d", leaked, 1],                                         # in an eval doc
                   [5, "e", "gacor banget di mustang303, langsung wd 3jt!", 1],  # duplicate
                   [6, "f", "Berita ini sangat informatif, terima kasih", 0],   # label 0
                   [7, "g", first_line_leak + "\nDaftar sekarang juga", 1],      # first line leaked
               ])
    _write_csv(promo / "datasets/diashitenas_llm_judol/dataset.csv",
               ["label", "author", "comment", "id", "channel", "title"], [
                   [1, "h", "Modal 10rb di 𝐊𝐄𝐍𝐙𝐎𝐓𝐎𝐓𝐎 bisa maxwin, cobain bos", "v", "c", "t"],
                   [1, "i", "Baru coba 𝐒𝐔𝐋𝐓𝐀𝐍𝐄𝐌𝐀𝐒𝟖𝟖 langsung scatter hitam", "v", "c", "t"],
               ])
    eval_doc = f"Sebuah artikel tentang harga beras.\n{leaked}\nHarga naik. {first_line_leak}\nSelesai."
    b = load_promo_bank(tmp_path, DATA, [eval_doc], n_generated=30)
    texts = [c.text for c in b.comments]
    assert texts == ["Gacor banget di Mustang303, langsung wd 3jt!",
                     "Modal 10rb di 𝐊𝐄𝐍𝐙𝐎𝐓𝐎𝐓𝐎 bisa maxwin, cobain bos",
                     "Baru coba 𝐒𝐔𝐋𝐓𝐀𝐍𝐄𝐌𝐀𝐒𝟖𝟖 langsung scatter hitam"]
    assert [c.family for c in b.comments] == ["mustang", "kenzo", "sultanemas"]
    assert b.stats["comments_gbennnn_excluded"] == 2 and b.stats["comments_gbennnn_unusable"] == 2
    assert b.stats["comments_gbennnn_duplicate"] == 1
    names = {x.name for x in b.brands}
    assert {"Mustang303", "KUDAHOKI99", "Kenzo Toto", "lebahtoto12"} <= names
    assert "permainan judi online" not in names and "mustang77" in names  # other digits: kept, same family
    assert sum(x.source == "generated" for x in b.brands) == 30
    assert {x.family for x in b.brands if x.name in ("Mustang303", "mustang77")} == {"mustang"}
    assert "slot gacor" in b.keywords and "maxwin" in b.keywords
    train, valid = b.partition(0.3, seed=1)
    fam_of = {x.name: x.family for x in b.brands}
    for c in valid.comments:
        assert c.family not in {fam_of[x.name] for x in train.brands}


@pytest.mark.slow
@pytest.mark.shared
def test_real_bank_excludes_eval_promo(corpus_dir, shared_dir, seeds):
    dev = [json.loads(line) for line in open(shared_dir / "gold" / "dev.jsonl", encoding="utf-8")]
    docs = dev + seeds
    b = load_promo_bank(corpus_dir, DATA, [d["text"] for d in docs])
    assert len(b.comments) > 5000 and len(b.brands) > 10000 and len(b.templates) >= 150
    ws = lambda s: " ".join(s.split())  # noqa: E731
    promo = [ws(d["text"][s["start"]:s["end"]]) for d in docs for s in d["spans"] if s["label"] == "promo"]
    long_promo = [p for p in promo if len(p) > 30]
    for c in b.comments:
        t = ws(c.text)
        assert not any(t in p or p in t for p in long_promo)
