"""The document classifier (numpy inference, scikit-learn fitting), the promotion-page step,
the language guard, and the document fields in every output."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from filter.cleaner import Cleaner, Policy
from filter.doc import (CLASSES, N_DENSE, DocModel, DocModelError, doc_tokens, hashed_features,
                        load_doc_model, promo_page_spans)
from filter.langid import detect_language, is_foreign
from filter.spans import CleanResult, Span
from tests.fakes import FakeModel

# ----------------------------------------------------------------------------- team-written texts

_TOPICS = ["harga gabah di tingkat petani", "pembangunan jembatan desa", "jadwal vaksinasi balita",
           "festival budaya di alun-alun", "perbaikan jalan provinsi", "penyaluran bantuan beras"]
_NEWS = ["Pemerintah kabupaten membahas {t} dalam rapat koordinasi pada Senin pagi.",
         "Warga menyambut baik rencana {t} yang dijadwalkan selesai bulan depan.",
         "Kepala dinas menjelaskan bahwa anggaran untuk {t} sudah disetujui dewan.",
         "Menurut camat setempat, {t} melibatkan ratusan warga dari lima desa."]
_GAMBLING_NEWS = ["Polisi menggerebek lokasi perjudian dan menyita uang taruhan sebagai barang bukti.",
                  "PPATK memblokir ribuan rekening yang terkait transaksi judi online sepanjang tahun.",
                  "Tokoh agama mengingatkan bahaya judi yang merusak ekonomi keluarga.",
                  "Kementerian memutus akses ribuan situs judi dan mengajak warga melapor."]
_PROMO = ["Daftar sekarang di {b} situs slot gacor terpercaya dengan bonus new member 100.",
          "Main di {b} dijamin maxwin setiap hari, deposit pulsa tanpa potongan.",
          "Link alternatif {b} resmi, RTP live tertinggi dan pola gacor malam ini.",
          "Klaim bonus harian di {b}, withdraw cepat dan aman untuk semua member."]
_BRANDS = ["Gacor77", "Maxwin88", "Jitu303", "Hoki99", "Sultan777", "Cuan4d"]


def _doc(kind: str, rng: random.Random) -> str:
    if kind == "promo":
        return "\n".join(rng.choice(_PROMO).format(b=rng.choice(_BRANDS)) for _ in range(5))
    if kind == "gambling_news":
        return "\n".join(rng.sample(_GAMBLING_NEWS, 3) + [rng.choice(_NEWS).format(t=rng.choice(_TOPICS))])
    return "\n".join(rng.choice(_NEWS).format(t=rng.choice(_TOPICS)) for _ in range(4))


def _examples(n: int, seed: int):
    from filter.training.docs import DocExample

    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = CLASSES[i % 3]
        out.append(DocExample(_doc(kind, rng), kind, f"g{i % 17}", f"synthetic_{kind}",
                              "valid" if i % 5 == 0 else "train"))
    return out


@pytest.fixture(scope="module")
def fitted():
    from filter.training.docs import fit_doc_model

    model, report = fit_doc_model(_examples(150, 0), n_hash=1 << 12, n_folds=3, c=10.0)
    return model, report


# ----------------------------------------------------------------------------- features

def test_hashed_features_are_deterministic_and_normalised():
    toks = doc_tokens("Daftar GACOR77 sekarang, daftar g4c0r!")
    assert toks == ["daftar", "gacor77", "sekarang", "daftar", "gacor"]
    cols, vals = hashed_features(toks, 1 << 12)
    cols2, vals2 = hashed_features(list(toks), 1 << 12)
    assert np.array_equal(cols, cols2) and np.allclose(vals, vals2)
    assert np.isclose((vals ** 2).sum(), 1.0)
    assert (np.diff(cols) > 0).all() and cols.max() < 1 << 12


def test_brand_placeholder_shares_features_across_brands():
    a, _ = hashed_features(doc_tokens("daftar gacor77 sekarang"), 1 << 16)
    b, _ = hashed_features(doc_tokens("daftar hoki99 sekarang"), 1 << 16)
    c, _ = hashed_features(doc_tokens("daftar hoki sekarang"), 1 << 16)
    shared_ab = set(a) & set(b)
    # "daftar", "sekarang", "<brand>", "daftar <brand>", "<brand> sekarang"
    assert len(shared_ab) == 5
    assert len(set(b) & set(c)) == 2  # only the two plain words


def test_char_ngram_block_links_unseen_brands_to_known_words():
    from filter.doc import FeatureSpec

    spec = FeatureSpec(char_hash=1 << 16)
    n = 1 << 12
    cols, vals = hashed_features(doc_tokens("Di BKTOTO kami percaya"), n, spec)
    word, char = cols < n, cols >= n
    assert word.any() and char.any() and cols.max() < n + (1 << 16)
    assert np.isclose((vals[word] ** 2).sum(), 1.0) and np.isclose((vals[char] ** 2).sum(), 1.0)
    # the word block is exactly the words-only features
    w0, v0 = hashed_features(doc_tokens("Di BKTOTO kami percaya"), n)
    assert np.array_equal(cols[word], w0) and np.allclose(vals[word], v0)
    a, _ = hashed_features(["bktoto"], n, spec)
    b, _ = hashed_features(["toto"], n, spec)
    c, _ = hashed_features(["berita"], n, spec)
    assert len(set(a[a >= n]) & set(b[b >= n])) >= 4   # "tot", "oto", "oto>", "toto", "toto>", ...
    assert not set(a[a >= n]) & set(c[c >= n])


def test_char_ngram_model_saves_its_feature_spec(tmp_path):
    from filter.doc import FeatureSpec
    from filter.training.docs import fit_doc_model

    spec = FeatureSpec(char_hash=1 << 10, char_weight=0.7)
    model, report = fit_doc_model(_examples(90, 3), n_hash=1 << 12, n_folds=3, features=spec)
    assert model.coef.shape == ((1 << 12) + (1 << 10) + N_DENSE, 3)
    assert report.validation["all"]["accuracy"] >= 0.9
    meta = model.save(tmp_path / "c.npz")
    assert meta["features"] == spec.to_dict()
    back = load_doc_model(tmp_path / "c.npz")
    assert back.features == spec
    texts = [_doc(k, random.Random(6)) for k in CLASSES]
    assert np.allclose(back.predict_proba(texts), model.predict_proba(texts))


# ----------------------------------------------------------------------------- model

def test_fit_learns_the_three_classes_and_calibrates(fitted):
    model, report = fitted
    assert report.validation["all"]["accuracy"] >= 0.95
    rng = random.Random(99)
    for kind in CLASSES:
        texts = [_doc(kind, rng) for _ in range(10)]
        labels = [v.label for v in model.verdicts(texts)]
        assert labels.count(kind) >= 9, (kind, labels)
    p = model.predict_proba([_doc("promo", rng), "Teks pendek."])
    assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1.0)
    assert 0.2 <= report.temperature <= 5.0
    assert 0.5 <= model.promo_threshold <= 0.95


def test_one_injected_paragraph_does_not_make_a_promo_page(fitted):
    model, _ = fitted
    rng = random.Random(5)
    host = "\n".join(rng.choice(_NEWS).format(t=t) for t in _TOPICS * 2)
    injected = host + "\n" + _PROMO[0].format(b="Gacor77")
    assert model.verdict(injected).label == "ordinary"


def test_token_path_equals_text_path(fitted):
    model, _ = fitted
    texts = [_doc(k, random.Random(i)) for i, k in enumerate(CLASSES)]
    toks = [doc_tokens(t, model.max_chars) for t in texts]
    assert np.allclose(model.predict_proba_tokens(toks, texts), model.predict_proba(texts))


def test_label_of_uses_the_promo_threshold():
    m = DocModel(coef=np.zeros((16 + N_DENSE, 3)), intercept=np.zeros(3), n_hash=16, promo_threshold=0.6)
    p = np.array([[0.5, 0.1, 0.4], [0.2, 0.2, 0.6], [0.1, 0.35, 0.55]])
    assert [CLASSES[k] for k in m.label_of(p)] == ["ordinary", "promo", "gambling_news"]


def test_save_load_roundtrip_and_tamper_refused(fitted, tmp_path):
    model, _ = fitted
    path = tmp_path / "doc.npz"
    model.save(path)
    loaded = load_doc_model(path)
    texts = [_doc(k, random.Random(3)) for k in CLASSES]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.promo_threshold == model.promo_threshold and loaded.temperature == model.temperature
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DocModelError, match="checksum"):
        load_doc_model(path)
    with pytest.raises(DocModelError, match="not found"):
        load_doc_model(tmp_path / "missing.npz")


def test_wrong_shape_is_refused():
    with pytest.raises(DocModelError, match="shape"):
        DocModel(coef=np.zeros((10, 3)), intercept=np.zeros(3), n_hash=16)


def test_span_documents_are_scored_by_document_models_without_their_group(monkeypatch):
    """``training.stacking.doc_proba_out_of_fold``: every span document's verdict comes from a
    document model fitted on examples of other groups only (and train-split examples only)."""
    from filter.training import stacking
    from filter.training.docs import DocExample

    seen: list[set[str]] = []

    class _Fold:
        def __init__(self, groups):
            self.groups = groups

        def predict_proba(self, texts):
            for t in texts:   # the text names its group: it must not be among the fitted ones
                assert f"host:{t.split()[0]}" not in self.groups
            return np.tile([0.5, 0.25, 0.25], (len(texts), 1))

    def fake_fit(examples, **kw):
        assert all(e.split == "train" for e in examples)
        groups = {e.group for e in examples}
        seen.append(groups)
        return _Fold(groups), None

    monkeypatch.setattr(stacking, "fit_doc_model", fake_fit)
    ex = [DocExample(f"h{i % 12}.id teks", CLASSES[i % 3], f"host:h{i % 12}.id", "web",
                     "valid" if i % 7 == 0 else "train") for i in range(60)]
    docs = [{"id": f"w-{i}", "source": f"https://h{i % 12}.id/a/{i}", "text": f"h{i % 12}.id isi"} for i in range(30)]
    p = stacking.doc_proba_out_of_fold(docs, None, None, n_folds=3, examples=ex, progress=lambda _: None)
    assert p.shape == (30, 3) and np.allclose(p.sum(axis=1), 1.0)
    assert 2 <= len(seen) <= 3 and all(len(g) < 12 for g in seen)


def test_scikit_learn_is_not_imported_by_inference():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from filter.doc import DocModel, N_DENSE;"
            "m = DocModel(coef=np.zeros((64 + N_DENSE, 3)), intercept=np.zeros(3), n_hash=64);"
            "m.predict_proba(['teks berita biasa']); print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- promo-page step

def test_promo_page_spans_cover_text_outside_furniture():
    text = "Beranda | Berita\n\nSlot gacor hari ini.\nDaftar sekarang.\n\nHak cipta 2025\n"
    nav = Span(0, 16, "boilerplate", "nav", 0.9)
    foot = Span(text.index("Hak"), text.index("Hak") + 14, "boilerplate", "credit", 0.8)
    inline = Span(text.index("Slot"), text.index("Slot") + 10, "promo", "inline_brand", 0.7)
    out = promo_page_spans(text, [nav, inline, foot], 0.97)
    assert out[0] == nav and out[-1] == foot
    assert [(s.label, s.kind, text[s.start:s.end]) for s in out[1:-1]] == \
        [("promo", "promo_page", "Slot gacor hari ini.\nDaftar sekarang.")]
    assert out[1].score == 0.97 and out[1].step == "promo_page"
    assert promo_page_spans("  \n ", [], 0.9) == []


class _StubDoc:
    """A document model that returns fixed verdicts (for the Cleaner wiring)."""

    def __init__(self, label: str, score: float = 0.95) -> None:
        from filter.doc import DocVerdict

        self.v = DocVerdict(label, score, tuple(score if c == label else (1 - score) / 2 for c in CLASSES))

    def verdicts(self, texts):
        return [self.v for _ in texts]


def test_cleaner_turns_a_promo_page_into_one_span_and_keeps_the_record():
    text = "Baca juga: tautan lain\nSitus resmi dengan bonus harian.\nMain sekarang juga."
    r = Cleaner(FakeModel(), Policy(), _StubDoc("promo")).clean(text)
    assert r.doc_label == "promo" and r.doc_score == 0.95
    assert [s.kind for s in r.spans] == ["related_link", "promo_page"]
    assert r.cleaned.strip() == "" and r.junk_ratio > 0.95
    counts: dict[str, int] = {}
    Cleaner(FakeModel(), Policy(), _StubDoc("promo")).clean_batch([text, text], counts)
    assert counts["promo_page"] == 2
    off = Cleaner(FakeModel(), Policy(promo_pages=False), _StubDoc("promo")).clean(text)
    assert [s.kind for s in off.spans] == ["related_link"] and "bonus harian" in off.cleaned
    news = Cleaner(FakeModel(), Policy(), _StubDoc("gambling_news", 0.8)).clean(text)
    assert news.doc_label == "gambling_news" and "bonus harian" in news.cleaned


# ----------------------------------------------------------------------------- language guard

_ID = ("Pemerintah kabupaten menggelar rapat koordinasi untuk membahas harga gabah di tingkat "
       "petani yang terus naik sepanjang bulan ini, kata kepala dinas kepada wartawan.")
_MS = ("Kerajaan negeri akan melaksanakan dasar baharu bagi membantu rakyat menghadapi kenaikan "
       "kos sara hidup, kata Menteri Besar dalam kenyataan akhbar semalam.")
_EN = ("The district government held a coordination meeting to discuss rice prices, which have "
       "kept rising all month, the head of the agency told reporters on Monday.")
_VI = "Nhà cái uy tín hàng đầu, đăng ký ngay hôm nay để nhận thưởng hấp dẫn và rút tiền nhanh chóng."


@pytest.mark.parametrize("text,code", [(_ID, "id"), (_MS, "ms"), (_EN, "en"), (_VI, "vi")])
def test_detect_language_on_written_texts(text, code):
    got, prob = detect_language(text)
    assert got == code and prob >= 0.9
    assert is_foreign(got, prob) == (code != "id")


def test_no_letters_has_no_language():
    assert detect_language("12345 -- 678") == ("", 0.0)


def test_foreign_document_keeps_only_confident_spans():
    text = _EN + " Gacor77\nBaca juga: another story"   # fake model: brand 0.9, link 0.8
    r = Cleaner(FakeModel(), Policy()).clean(text)
    assert r.language == "en"
    assert [s.kind for s in r.spans] == ["inline_brand"]
    counts: dict[str, int] = {}
    Cleaner(FakeModel(), Policy()).detect_many([text], counts)
    assert counts.get("language_guard") == 1
    off = Cleaner(FakeModel(), Policy(language_guard=False)).clean(text)
    assert [s.kind for s in off.spans] == ["inline_brand", "related_link"]
    ind = Cleaner(FakeModel(), Policy()).clean(_ID + " Gacor77\nBaca juga: berita lain")
    assert ind.language == "id" and len(ind.spans) == 2


# ----------------------------------------------------------------------------- outputs

def test_clean_result_carries_document_fields():
    r = CleanResult("abc", "abc", [], "v", doc_label="promo", doc_score=0.912345, language="id")
    d = r.to_dict()
    assert (d["doc_label"], d["doc_score"], d["language"]) == ("promo", 0.9123, "id")
    back = CleanResult.from_json(r.to_json())
    assert (back.doc_label, back.doc_score, back.language) == ("promo", 0.9123, "id")
    assert CleanResult("a", "a").doc_fields() == {"doc_label": "", "doc_score": None, "language": ""}


def _write_and_read(tmp_path, fmt):
    from filter.io import Record
    from filter.io.writers import open_writer, output_record

    res = CleanResult("Gacor77 teks", "teks", [Span(0, 8, "promo", "inline_brand", 0.9)], "v1",
                      doc_label="gambling_news", doc_score=0.81, language="id")
    out = tmp_path / f"out.{fmt}"
    with open_writer(out, fmt) as w:
        w.write(output_record(Record(1, "a", "Gacor77 teks"), res))
        w.write(output_record(Record(2, "b", None, error="bad"), None, error="bad"))
    return out


def test_document_fields_in_jsonl_csv_parquet(tmp_path):
    import pandas as pd

    rows = [json.loads(x) for x in _write_and_read(tmp_path, "jsonl").read_text().splitlines()]
    assert (rows[0]["doc_label"], rows[0]["doc_score"], rows[0]["language"]) == ("gambling_news", 0.81, "id")
    assert rows[1]["doc_label"] is None and rows[1]["error"] == "bad"
    df = pd.read_csv(_write_and_read(tmp_path, "csv"))
    assert df.loc[0, "doc_label"] == "gambling_news" and df.loc[0, "doc_score"] == 0.81
    assert df.loc[0, "language"] == "id"
    pq = pd.read_parquet(_write_and_read(tmp_path, "parquet"))
    assert pq["doc_score"].dtype == "float64" and pq.loc[0, "doc_score"] == 0.81
    assert pq.loc[0, "doc_label"] == "gambling_news" and pd.isna(pq.loc[1, "doc_label"])


def test_clean_frame_has_document_columns():
    import pandas as pd

    df = pd.DataFrame({"text": [_ID, None]})
    out = Cleaner(FakeModel(), Policy(), _StubDoc("ordinary", 0.7)).clean_frame(df)
    assert out.loc[0, "doc_label"] == "ordinary" and out.loc[0, "doc_score"] == 0.7
    assert out.loc[0, "language"] == "id" and pd.isna(out.loc[1, "doc_label"])


def test_review_page_shows_the_document_label():
    from filter.evaluation.review import review_docs, review_html

    docs = review_docs([{"id": "a", "text": "Slot gacor", "spans": [], "doc_label": "promo",
                         "doc_score": 0.97, "language": "id"}])
    assert docs[0].meta["page"] == "promo 0.97" and docs[0].meta["language"] == "id"
    assert "promo 0.97" in review_html(docs) and 'value="promo_page"' in review_html(docs)


def test_line_shares_separate_promo_pages_from_pages_with_one_promo_line():
    from filter.doc import _hash, line_shares

    n_hash = 1 << 12
    coef = np.zeros((n_hash + N_DENSE, 3))
    for w in ("slot", "gacor", "daftar", "bonus", "maxwin", "deposit"):
        coef[_hash(w) % n_hash, CLASSES.index("promo")] = 4.0
    for w in ("warga", "pemerintah", "kabupaten", "rapat", "dinas", "desa"):
        coef[_hash(w) % n_hash, CLASSES.index("ordinary")] = 4.0
    args = (coef, np.zeros(3), n_hash, CLASSES.index("promo"))
    promo = "Daftar slot gacor sekarang juga bonus maxwin.\nDeposit slot gacor tanpa potongan bonus.\n"
    news = "Pemerintah kabupaten menggelar rapat dengan warga desa.\nDinas kabupaten mengundang warga desa.\n"
    assert line_shares(promo * 3, *args)[0] == 1.0
    shares = line_shares(news * 3 + "Daftar slot gacor sekarang juga bonus maxwin.", *args)
    assert 0.1 < shares[0] < 0.2 and shares[1] > 0.8
    assert np.array_equal(line_shares("", *args), np.zeros(2))
    assert np.array_equal(line_shares("dua kata\nsatu", *args), np.zeros(2))  # lines under 4 words


def test_stacked_fit_saves_and_loads_its_second_stage(tmp_path):
    from filter.training.docs import fit_doc_model

    model, report = fit_doc_model(_examples(90, 2), n_hash=1 << 12, n_folds=3, stack=True)
    assert model.stack_coef.shape == (5, 3) and report.validation["all"]["accuracy"] >= 0.9
    model.save(tmp_path / "s.npz")
    back = load_doc_model(tmp_path / "s.npz")
    texts = [_doc(k, random.Random(4)) for k in CLASSES]
    assert np.allclose(back.predict_proba(texts), model.predict_proba(texts))


def test_bundled_doc_model_loads_and_reads_a_promo_text():
    from filter.doc import DEFAULT_DOC_MODEL

    m = load_doc_model(DEFAULT_DOC_MODEL)
    p = m.predict_proba(["Daftar slot gacor Gacor77 bonus new member 100 deposit pulsa.\nLink alternatif "
                         "resmi, RTP live tertinggi, pola maxwin malam ini."])
    assert p[0, CLASSES.index("promo")] > 0.5


def test_clean_summary_counts_page_labels_and_foreign_pages():
    from filter.cli.clean import Summary
    from filter.io import Record

    s = Summary()
    s.add(Record(1, "a", "x"), CleanResult("x", "", [], "v", doc_label="promo", doc_score=0.9, language="id"), None)
    s.add(Record(2, "b", "y"), CleanResult("y", "y", [], "v", doc_label="ordinary", doc_score=0.8, language="en"), None)
    assert s.pages == {"promo": 1, "ordinary": 1, "not Indonesian": 1}
    assert "pages: not Indonesian 1, ordinary 1, promo 1" in s.line()


@pytest.mark.shared
def test_bundled_doc_model_on_dev_web_and_dev(shared_dir):
    """Floors a little below what the bundled model scores (dev_web accuracy 0.849, promo
    precision 10/11, recall 10/15; dev accuracy 0.896, no outlet article judged promotion).
    Evaluation only: the label comes from the gold id category."""
    from filter.doc import DEFAULT_DOC_MODEL
    from filter.training.docs import gold_doc_label, per_class_metrics

    m = load_doc_model(DEFAULT_DOC_MODEL)
    scores = {}
    for name in ("dev_web", "dev"):
        gold = [json.loads(x) for x in (shared_dir / "gold" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
        pred = [v.label for v in m.verdicts([d["text"] for d in gold])]
        scores[name] = per_class_metrics([gold_doc_label(d) for d in gold], pred)
    web = scores["dev_web"]
    assert web["accuracy"] >= 0.82
    assert web["promo"]["precision"] >= 0.85 and web["promo"]["recall"] >= 0.6
    assert scores["dev"]["accuracy"] >= 0.87 and scores["dev"]["promo"]["predicted"] == 0


def test_inspect_and_clean_cli_show_the_page_label(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from filter.cli import app
    from filter.cli import clean as clean_cli

    def load(model=None, **policy):
        return Cleaner(FakeModel(), Policy(**policy), _StubDoc("promo", 0.93))

    monkeypatch.setattr(clean_cli, "load_cleaner", load)
    text = "Situs resmi dengan bonus harian untuk semua member baru.\nBaca juga: kabar lain"
    res = CliRunner().invoke(app, ["inspect", "--text", text, "--no-color"])
    assert res.exit_code == 0 and "page promo 0.93" in res.stdout and "language id" in res.stdout
    assert "[-promo:promo_page 0.93" in res.stdout and "untuk semua member baru.-]" in res.stdout
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": text}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(app, ["clean", str(src), "-o", str(out)])
    rec = json.loads(out.read_text(encoding="utf-8"))
    assert (rec["doc_label"], rec["doc_score"], rec["language"], rec["cleaned"]) == ("promo", 0.93, "id", "")
    assert "pages: promo 1" in res.stderr


def test_doc_examples_read_only_outlet_origins_and_drop_error_page_snippets(tmp_path):
    """The span dataset's web origins (the same corpus/web pages, some of them promotion) must
    not come back labelled ordinary; a SERP row whose snippet is an error page has no text to
    label."""
    import csv

    from filter.training.docs import _databuild, _serp

    for split in ("train", "valid"):
        recs = [{"id": f"{split}-a-1", "origin": "natural", "text": "Berita biasa.", "title": "t"},
                {"id": f"{split}-b-1", "origin": "web_promo", "text": "Daftar slot gacor.", "title": ""},
                {"id": f"{split}-c-1", "origin": "snippet_promo", "text": "Slot gacor.", "title": ""}]
        (tmp_path / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    ex = _databuild(tmp_path, 0, 10)
    assert sorted(e.source for e in ex) == ["news_natural", "news_natural"]
    path = tmp_path / "serp.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, ["url", "title", "description", "label_status"])
        w.writeheader()
        w.writerow({"url": "https://a.ac.id/x", "title": "Error - This site can’t be reached",
                    "description": "Error - This site can’t be reached", "label_status": "hack judol"})
        w.writerow({"url": "https://b.ac.id/x", "title": "Attention Required! | Cloudflare",
                    "description": "Attention Required! | Cloudflare", "label_status": "hack judol"})
        w.writerow({"url": "https://c.ac.id/x", "title": "SLOT GACOR77 Kampus", "description": "Daftar slot.",
                    "label_status": "hack judol"})
    assert [e.label for e in _serp(path, 0, 0.25)] == ["promo"]


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
       | st.text(alphabet="AbC1 .:@\nwWhHtps/comidxyz\u0130\u212a\U0001d400\u00b2", max_size=300)
       | st.text(alphabet="ab1_9 \n\u00b2\u0663\u2460\u0301\U0001d7cf\U0001d41a.", max_size=300))
def test_fast_shape_features_equal_the_per_character_definitions(text):
    """The document model's case counts (table lookup), brand shares (one pass over character
    flags) and link-line share (one scan) equal the per-character and per-line definitions
    they replace."""
    from filter.doc import _ALPHA, _TOKEN, _UPPER, _URLISH, _char_flags, _flag_count, _is_brand, dense_features

    flags = _char_flags(text)[0]
    assert (_flag_count(flags, _UPPER), _flag_count(flags, _ALPHA)) == (sum(map(str.isupper, text)),
                                                                      sum(map(str.isalpha, text)))
    lines = [ln for ln in (x.strip() for x in text.split("\n")) if ln]
    if lines:
        f = dense_features(text)
        per_line = [_TOKEN.findall(ln) for ln in lines]
        brands = [sum(map(_is_brand, toks)) for toks in per_line]
        assert f[0] == sum(1 for b in brands if b) / len(lines)
        assert f[1] == sum(brands) / max(1, sum(map(len, per_line)))
        assert f[2] == sum(1 for ln in lines if _URLISH.search(ln)) / len(lines)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="hHwWtTpPsS\u017f:.@/cCoOmMiIdD\u0130\u0131\u212axyzvVlLnNeEgGrR \n1_", max_size=80))
def test_link_scan_matches_the_case_insensitive_pattern(text):
    """``_URLISH`` (a plain first-character set, the rest case-insensitive) finds the matches of
    the one case-insensitive pattern it replaced, at the same offsets."""
    import re

    from filter.doc import _URLISH

    plain = re.compile(r"(?:https?:|www\.|\.(?:com|net|org|id|xyz|vip|io|me|ly)\b|@)", re.IGNORECASE)
    assert [m.span() for m in _URLISH.finditer(text)] == [m.span() for m in plain.finditer(text)]


# ----------------------------------------------------------------------------- promo lexicon shares

def test_lexicon_features_cover_longest_terms_and_count_lines():
    from filter.doc import lexicon_features, read_lexicon

    lex = ("bonus", "bonus new member", "deposit pulsa", "wd")
    text = "Klaim BONUS new member hari ini\nDeposit pulsa tanpa potongan, langsung WD\nBerita cuaca besok"
    f = lexicon_features(text, lex)
    # words: 6 + 6 + 3 = 15; covered: "bonus new member" (3) + "deposit pulsa" (2) + "wd" (1)
    assert np.allclose(f, [6 / 15, 2 / 3])
    assert np.allclose(lexicon_features("", lex), [0.0, 0.0])
    terms = read_lexicon()
    assert "bonus new member" in terms and len(terms) > 100 and list(terms) == sorted(set(terms))


def test_lexicon_model_saves_its_terms_under_the_checksum(tmp_path):
    from filter.doc import LEXICON_FEATURES, FeatureSpec
    from filter.training.docs import fit_doc_model

    spec = FeatureSpec(lexicon=("bonus new member", "deposit pulsa", "maxwin", "link alternatif"))
    model, report = fit_doc_model(_examples(90, 4), n_hash=1 << 12, n_folds=3, features=spec)
    assert model.coef.shape == ((1 << 12) + N_DENSE + len(LEXICON_FEATURES), 3)
    assert report.validation["all"]["accuracy"] >= 0.9
    meta = model.save(tmp_path / "l.npz")
    assert meta["features"]["lexicon_terms"] == 4 and meta["dense"][-2:] == list(LEXICON_FEATURES)
    back = load_doc_model(tmp_path / "l.npz")
    assert back.features == spec
    texts = [_doc(k, random.Random(7)) for k in CLASSES]
    assert np.allclose(back.predict_proba(texts), model.predict_proba(texts))
    toks = [doc_tokens(t) for t in texts]
    assert np.allclose(back.predict_proba_tokens(toks, texts), model.predict_proba(texts))


def test_refit_all_keeps_the_train_only_threshold_and_fits_on_both_splits(tmp_path):
    """``refit_all``: temperature, threshold and validation metrics are the train-only fit's; the
    coefficients are those of the same configuration fitted on train + validation."""
    from dataclasses import replace

    from filter.training.docs import _fit_linear, _matrix, _weights, fit_doc_model

    ex = _examples(120, 5)
    kw = {"n_hash": 1 << 12, "n_folds": 3, "c": 10.0}
    plain, rep = fit_doc_model(ex, **kw)
    refit, rep_all = fit_doc_model(ex, refit_all=True, **kw)
    assert rep_all.refit_all and not rep.refit_all
    assert refit.temperature == plain.temperature and refit.promo_threshold == plain.promo_threshold
    assert rep_all.validation == rep.validation
    both = [e for e in ex if e.split == "train"] + [e for e in ex if e.split == "valid"]
    coef, b = _fit_linear(_matrix([e.text for e in both], kw["n_hash"], 20000),
                          np.array([CLASSES.index(e.label) for e in both]), _weights(both), kw["c"])
    assert np.allclose(refit.coef, coef.astype(np.float32), atol=1e-5) and np.allclose(refit.intercept, b)
    assert not np.allclose(refit.coef, plain.coef, atol=1e-3)   # the validation documents moved it
    # the same as a train-only fit of the relabelled examples (nothing held out)
    flat, _ = fit_doc_model([replace(e, split="train") for e in both], **kw)
    assert np.allclose(refit.coef, flat.coef, atol=1e-4)
    meta = refit.save(tmp_path / "r.npz")
    assert meta["refit_all"]["coefficients_fitted_on"] == ["train", "valid"] and "refit_all" not in plain.meta
    back = load_doc_model(tmp_path / "r.npz")
    assert back.promo_threshold == plain.promo_threshold and back.meta["refit_all"]["documents"] == len(ex)
    with pytest.raises(ValueError):
        fit_doc_model(ex, refit_all=True, stack=True, **kw)
    with pytest.raises(ValueError):
        fit_doc_model([replace(e, split="train") for e in ex], refit_all=True, **kw)
