"""High-precision weak labels for the scraper boilerplate that real news texts carry.

``weak_label(text, title=None, outlet=None)`` returns ``WeakLabels``: boilerplate spans
(``{"start", "end", "label": "boilerplate", "kind"}``) and ``unsure`` ranges that training
should ignore instead of guessing. Only patterns that are boilerplate whenever they match
fire; lines of boilerplate shape that match no pattern go to ``unsure``.

Span geometry follows ``gold/FORMAT.md`` and the annotation decisions of ``gold/DEV.md``:

- a whole-line item covers the line's characters without the newline and without the
  line's leading/trailing whitespace (``\\xa0`` included); one line, one span;
- an item glued inside running text takes one adjoining whitespace run: the run after it
  when text follows on the same line, otherwise the run before it; none when glued.

Kinds: ``related_link, ad, widget, cta, credit, byline, source, tags, nav, meta,
duplicate_title``.

``measure_weak_labeller(docs)`` scores the labeller against gold documents with
boilerplate token precision/recall over ``\\w+`` tokens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from filter.features import DAYS_RE, MONTHS_RE
from filter.segment import LINE_BREAKS, SPACE_CHARS, blocks

KINDS = ("related_link", "ad", "widget", "cta", "credit", "byline", "source", "tags", "nav",
         "meta", "duplicate_title")

_SPACE_CHARS = frozenset(SPACE_CHARS) - frozenset(LINE_BREAKS)


def _is_space(ch: str) -> bool:
    """Whitespace inside a line (including ``\\xa0`` and zero-width characters)."""
    return ch in _SPACE_CHARS


# ----------------------------------------------------------------------------- result

@dataclass
class WeakLabels:
    """Weak boilerplate spans and the ranges the labeller is unsure about (both sorted)."""

    spans: list[dict] = field(default_factory=list)
    unsure: list[tuple[int, int]] = field(default_factory=list)


# ----------------------------------------------------------------------------- lines

@dataclass
class _Line:
    start: int  # trimmed
    end: int
    text: str   # trimmed text, whitespace characters mapped to " " (same length)
    idx: int

    @property
    def words(self) -> list[str]:
        return self.text.split()


_NORM_WS = {ord(c): " " for c in _SPACE_CHARS}


def _lines(text: str) -> list[_Line]:
    """Trimmed non-blank lines (``filter.segment.blocks``) with a space-normalised copy."""
    return [_Line(b.start, b.end, text[b.start:b.end].translate(_NORM_WS), i)
            for i, b in enumerate(blocks(text))]


def _c(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern:
    return re.compile(pattern, flags)


# ----------------------------------------------------------------------------- whole-line rules

_DAYS = DAYS_RE
_MONTHS = MONTHS_RE
_TIMESTAMP = _c(rf"{_DAYS},?\s+\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}(?:\s*[|,-]?\s*\d{{1,2}}[:.]\d{{2}}(?:\s*(?:wib|wita|wit))?)?")
_DATE = _c(rf"(?:{_DAYS},?\s+)?\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}(?:\s*[|,-]?\s*\d{{1,2}}[:.]\d{{2}}(?:\s*(?:wib|wita|wit))?)?")
_AGO = _c(r"\d{1,3}\s+(?:detik|menit|jam|hari|minggu|bulan)\s+(?:yang\s+)?lalu")

_BARE_RELATED = _c(r"(?:baca|lihat)\s+(?:ini\s+)?juga(?:\s+deh)?(\s*[:»>]+)?")
_RELATED_WITH_TITLE = _c(r"(?:baca|lihat)\s+(?:ini\s+)?juga(?:\s+deh)?\s*[:»>]+\s*\S.*")

_LINE_RULES: list[tuple[str, re.Pattern]] = [
    ("ad", _c(r"[-–\s]*(?:advertisement|scroll\s+to\s+continue\s+with\s+content)"
              r"(?:\s+(?:advertisement|scroll\s+to\s+continue\s+with\s+content))*[-–\s]*")),
    ("widget", _c(r"\[\s*gambas\s*:[^\]]*\]")),
    ("nav", _c(r"(?:simak|baca|lihat)\s+(?:berita\s+|informasi\s+|artikel\s+)?selengkapnya\s+di\s+"
               r"halaman\s+(?:selanjutnya|berikutnya)\W*")),
    ("nav", _c(r"(?:bersambung|berlanjut)\s+ke\s+halaman\s+(?:selanjutnya|berikutnya)\W*")),
    ("nav", _c(r"(?:langsung\s+)?klik\s+halaman\s+(?:selanjutnya|berikutnya)\W*")),
    ("nav", _c(r"halaman\s+(?:selanjutnya|berikutnya|sebelumnya)\W*")),
    ("nav", _c(r"lebih\s+(?:baru|lama)(?:\s+lebih\s+(?:baru|lama))?")),
    ("nav", _c(r"halaman\s+\d{1,2}\s+dari\s+\d{1,2}")),
    ("related_link", _c(r"(?:simak|lihat|tonton|saksikan)\s+(?:juga\s+)?video\b.{0,250}")),
    ("related_link", _c(r"(?:simak|lihat|tonton)\s+juga\s+[\"'“‘].{3,200}[\"'”’]\s*(?:di\s*sini)?\s*:?")),
    ("related_link", _c(r"saksikan\s+juga\b.{0,200}")),
    ("related_link", _c(r"(?:baca|simak)\s+(?:berita\s+|artikel\s+)?(?:selengkapnya|lengkapnya)\s*(?:di\s*sini|disini)?\s*[.!]?")),
    ("related_link", _c(r"selengkapnya\s+baca\s+di\s*sini\W*")),
    ("related_link", _c(r"pilihan\s+editor\s*:.{0,250}")),
    ("widget", _c(r"a\s+post\s+shared\s+by\s+.{1,120}")),
    ("widget", _c(r"(?:view\s+this\s+post\s+on\s+instagram|lihat\s+postingan\s+ini\s+di\s+instagram)")),
    ("widget", _c(r"sebuah\s+kiriman\s+dibagikan\s+oleh\s+.{1,120}")),
    ("widget", _c(r"loading\s*\.{2,3}")),
    ("widget", _c(r"berikan\s+rating\s+untuk\s+resep\s+ini|thanks\s+for\s+rating!?|terima\s+kasih\s+sudah\s+"
                  r"membantu\s+banyak\s+orang\s+dengan\s+ratingmu")),
    ("widget", _c(r"geser\s+untuk\s+melihat\s+tabel\s+lengkap")),
    ("widget", _c(r"hoegeng\s+awards\s+\d{4}")),
    ("widget", _c(r"baca\s+kisah\s+inspiratif\s+.{3,80}\s+di\s*sini")),
    ("cta", _c(r"saksikan\s+li?v?e?\s*detik\s*(?:pagi|sore|sport|com|news)?\s*:?")),
    ("cta", _c(r"ikuti\s+kami\s+di\W*")),
    ("cta", _c(r"!+\s*membaca\s+bagi\s+pikiran.{0,60}")),
    ("cta", _c(r"\(?\s*ayo\s+ikuti\s+saluran\s+whatsapp\s+.{10,250}")),
    ("cta", _c(r"simak\s+update\s+terbaru\s+hanya\s+di\s+kapanlagi.{0,120}")),
    ("cta", _c(r"(?:nikmati\s+beragam\s+tayangan|segera\s*(?:unduh|download)\s*aplikasi\s*vidio|"
               r"nonton\s+juga\s+series\s+seru).{0,300}")),
    ("cta", _c(r"ingin\s+lebih\s+cepat\s+mendapat\s+jawaban\?.{0,200}")),
    ("cta", _c(r"\**\s*untuk\s+mengetahui\s+kebenaran\s+informasi\s+yang\s+beredar.{0,200}whatsapp.{0,120}")),
    ("cta", _c(r"\[[^\]]{0,80}klik\s*di\s*sini\s*\]")),
    ("cta", _c(r"kami\s+langsung\s+di\s+ponselmu\..{0,120}whatsapp\s+channel\s*:?")),
    ("cta", _c(r"https?://(?:www\.)?whatsapp\.com/channel/\S+")),
    ("cta", _c(r"\.?\s*pastikan\s+kamu\s+sudah\s+install\s+aplikasi\s+whatsapp\s+ya\.?")),
    ("byline", _c(r"laporan\s+(?:wartawan|reporter|koresponden|kontributor|jurnalis)\b.{3,120}")),
    ("byline", _c(r"(?:penulis|reporter|pewarta|wartawan|kontributor)\s*:\s*\S.{0,100}")),
    ("byline", _c(r"\(\s*(?:reporter|penulis)\s*:.{1,120}\)")),
    ("byline", _c(r"diadaptasi\s+oleh\s+.{3,100}")),
    ("byline", _c(r".{3,150}\s+berkontribusi\s+dalam\s+penulisan\s+artikel\s+ini\.?")),
    ("credit", _c(r"(?:editor|redaktur|penyunting|editing)\s*:\s*\S.{0,80}")),
    ("credit", _c(r"[\[(]\s*(?:editor|redaktur|penyunting|editing)\s*:\s*[^\])]{1,80}[\])]")),
    ("credit", _c(r"sumber\s+(?:informasi\s+)?(?:gambar|foto)\s*:.{0,80}")),
    ("meta", _c(r"\d{1,2}\s+menit\s+(?:membaca|baca|dibaca)|(?:waktu\s+)?baca\s*:?\s*\d{1,2}\s+menit")),
    ("credit", _c(r"sumber\s*:.{0,60}editor\s*:.{0,60}")),
    ("credit", _c(r"\(\s*[a-z]{2,5}\d?\s*(?:/\s*[a-z]{2,5}\d?\s*){0,3}\)")),
    ("credit", _c(r"\(\s*(?:credit|kredit|foto|photo|image|sumber\s+foto)\s*:[^()]{1,80}\)")),
    ("credit", _c(r"\(\s*[\w-]+(?:\.[\w-]+)*\.(?:com|co\.id|id|net|news)\s*/\s*[^()/]{2,60}\)")),
    ("credit", _c(r"(?:©|\(c\)|copyright)\s*(?:\d{4})?.{0,120}")),
    ("source", _c(r"(?:artikel|berita)\s+ini\s+(?:telah\s+|sudah\s+|pertama\s+kali\s+)?(?:lebih\s+dulu\s+)?"
                  r"(?:tayang|naik|terbit|dimuat|dipublikasikan)\b.{0,250}")),
    ("source", _c(r"sumber\s*:\s*\S.{0,60}")),
    ("meta", _c(r"\(\s*\*\s*\)")),
    ("meta", _c(r"disclaimer\s*:\s*(?:setiap\s+keputusan\s+investasi\s+ada\s+di\s+tangan\s+pembaca|"
                r"artikel\s+ini\s+ditulis\s+ulang\s+oleh\s+redaksi).{0,300}")),
    ("cta", _c(r"(?:melawan\s+hoaks\s+sama\s+saja\s+melawan\s+pembodohan|jika\s+anda\s+memiliki\s+informasi\s+"
               r"seputar\s+hoaks|sejak\s+\d{1,2}\s+juli\s+\d{4},?\s*cek\s+fakta\s+liputan6).{0,500}")),
    ("cta", _c(r"ikuti\s+terus\s+ulasan\s+mendalam\s+berita.{0,300}")),
    ("cta", _c(r"[\"“]?detik\s*(?:pagi|sore)\s*,\s*.{3,40}![\"”]?")),
    ("tags", _c(r"tags?\s*:\s*\S.{0,200}")),
]

_CTA_START = _c(r"[-–•*\s]*(?:ikuti|simak|akses|baca|update|dapatkan|artikel\s+lainnya|kunjungi|follow|"
                r"gabung|bergabung|klik|yuk|download|unduh)\b")
_CTA_CHANNEL = _c(r"google\s*news|whats\s*app|wa\s+channel|channel\s+wa|saluran\s+wa\b|telegram|instagram|facebook|tiktok|youtube|twitter")
_CTA_SELF = _c(r"lainnya|terbaru|\.com|\.co\.id|\.id\b|channel|saluran|berita|update|klik|tribun|detik|kompas")

_TAGS_HEADER = _c(r"tags?\s*:?")
_SOURCE_HEADER = _c(r"source\s*:?|(?:dipublikasikan|ditulis|diposting|diunggah)\s+oleh\s*:?")
_VIA_HEADER = _c(r"via\s*:?")
_CODE = _c(r"\(\s*[a-z]{2,5}\d?\s*(?:/\s*[a-z]{2,5}\d?\s*){0,3}\)")
_NAME_PAREN = re.compile(r"\(\s*(?:[A-Z][\w.'’-]*\s*){1,5}\)")
_VIDEO_TITLE = re.compile(r"Video\s*:?\s+[A-Z0-9\"'‘“].{5,200}")


def _line_rule(text: str) -> str | None:
    for kind, pat in _LINE_RULES:
        if pat.fullmatch(text):
            return kind
    return None


def _is_cta_line(line: _Line) -> bool:
    t = line.text
    return (len(t) <= 240 and len(line.words) <= 30 and bool(_CTA_START.match(t))
            and bool(_CTA_CHANNEL.search(t)) and bool(_CTA_SELF.search(t)))


# ----------------------------------------------------------------------------- shapes

_END_PUNCT = tuple('.!?"”’\'…')


def _is_prose(line: _Line) -> bool:
    w = len(line.words)
    return w >= 20 or (w >= 6 and line.text.rstrip().endswith(_END_PUNCT + (":", ")")))


_FUNCTION_WORDS = {
    "di", "ke", "dari", "dan", "yang", "untuk", "pada", "dengan", "atau", "soal", "vs", "vs.", "usai",
    "akibat", "bagi", "hingga", "saat", "jelang", "karena", "oleh", "dalam", "sebagai", "per",
    "tentang", "terhadap", "antara", "agar", "serta", "lewat", "jadi", "tak", "tidak", "ini", "itu",
    "sudah", "belum", "akan", "bisa", "juga", "masih", "lagi", "pun", "si", "sang", "para", "kian",
    "makin", "demi", "sejak", "sampai", "hari", "ala", "se", "nan", "x", "&", "-", "–", "—", "ya",
    "kok", "nih", "dong", "deh", "vs", "menuju", "jelang", "seusai", "setelah", "sebelum", "meski",
    "walau", "tapi", "namun", "kala", "ketika", "sambil", "lalu", "kembali", "mulai", "dulu", "kini",
    "baru", "terus", "sempat", "harus", "ada", "apa", "siapa", "mana", "bagaimana", "kenapa",
    "mengapa", "berapa", "kapan", "of", "the", "and", "in", "on", "for", "to", "a", "an", "at", "by",
    "with", "from", "is", "buat", "terkait", "via", "atas", "bak", "tanpa", "versus", "usai", "pasca",
    "jadi", "kah", "lho", "pula", "nya", "tetapi", "hanya", "saja", "malah", "justru", "sedangkan",
}


def _is_titlecase_word(w: str) -> bool:
    core = w.strip("\"'“”‘’()[],:;!?.«»-–—")
    if not core:
        return True
    c = core[0]
    return c.isupper() or c.isdigit() or not c.isalpha() or core.lower() in _FUNCTION_WORDS


def _looks_like_title(text: str, min_words: int = 3, max_words: int = 30,
                      titlecase: float = 0.75) -> bool:
    """A headline: short, no terminal full stop, mostly Title Case words."""
    t = text.strip()
    words = t.split()
    if not (min_words <= len(words) <= max_words):
        return False
    if t.endswith((".", ",", ";", ":")) and not t.endswith(("...", "…")):
        return False
    if t[0] in "\"“'‘(-–•*" or not (t[0].isupper() or t[0].isdigit()):
        return False
    content = [w for w in words if w.strip("\"'“”‘’(),:;!?.").lower() not in _FUNCTION_WORDS]
    if not content:
        return False
    share = sum(_is_titlecase_word(w) for w in content) / len(content)
    return share >= titlecase


def _norm_title(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


# ----------------------------------------------------------------------------- inline items

# Common capitalised sentence openers: a capitalised word followed by lower-case text that is
# one of these starts the article's next sentence after an inline related-link title.
_SENTENCE_STARTERS = {
    "ia", "dia", "mereka", "kami", "kita", "saya", "aku", "beliau", "namun", "tetapi", "tapi",
    "sementara", "selain", "menurut", "sejak", "saat", "ketika", "kini", "dalam", "sebelumnya",
    "kemudian", "hal", "pihaknya", "dengan", "adapun", "di", "pada", "untuk", "para", "sebanyak",
    "diketahui", "selanjutnya", "lebih", "bahkan", "meski", "meskipun", "walaupun", "jika", "kalau",
    "apabila", "setelah", "sebelum", "usai", "sedangkan", "karena", "oleh", "itu", "ini", "tak",
    "tidak", "hingga", "sampai", "bagi", "dari", "ada", "akibat", "atas", "berdasarkan", "terkait",
    "sebab", "padahal", "lalu", "kala", "maka", "jadi", "sehingga", "seperti", "sebagai", "salah",
    "banyak", "sejumlah", "beberapa", "semua", "seluruh", "setiap", "tiap", "kepada", "mengenai",
    "adanya", "sebelumnya", "sekarang", "saat", "hari", "dikatakan", "dijelaskan", "disebutkan",
    "ditambahkan", "menanggapi", "mengutip", "dilansir", "dikutip", "berikut", "begitu", "demikian",
    "tahun", "pekan", "bulan", "sedikitnya", "hanya", "masih", "sudah", "telah", "akan", "juga",
    "pun", "yang", "apalagi", "sedang", "sesuai", "secara", "selama", "menjelang", "jelang",
    "setidaknya", "total", "tercatat", "sebagaimana", "turis", "warga", "polisi", "pemerintah",
}

# Capitalised words that (almost) only ever open a sentence, never sit inside a headline.
_STRONG_STARTERS = {"ia", "dia", "mereka", "namun", "sementara", "selain", "menurut", "sejak", "adapun",
                    "sebelumnya", "kemudian", "dengan", "diketahui", "sedangkan", "padahal", "meski",
                    "meskipun", "bahkan", "selanjutnya", "pihaknya", "beliau"}

_INLINE_PATTERNS: list[tuple[str, str, re.Pattern]] = [
    # (kind, mode, pattern); mode: "fixed" = the match only, "title" = marker + linked title,
    # "to_eol" = to the end of the line (short tails only), "sentence" = to the sentence end
    ("ad", "fixed", re.compile(r"(?:ADVERTISEMENT\s+)?SCROLL\s+TO\s+CONTINUE\s+WITH\s+CONTENT|ADVERTISEMENT")),
    ("widget", "fixed", re.compile(r"\[Gambas:[^\]\n]{0,60}\]", re.IGNORECASE)),
    ("widget", "fixed", re.compile(r"(?:View this post on Instagram|Lihat postingan ini di Instagram)")),
    ("widget", "fixed", re.compile(r"(?:A post shared by|Sebuah kiriman dibagikan oleh)\s+[^()\n]{1,80}\(@[\w.]+\)")),
    ("widget", "fixed", re.compile(r"Loading\.\.\.")),
    ("cta", "fixed", re.compile(r"Ikuti Whatsapp Channel Republika", re.IGNORECASE)),
    ("cta", "fixed", re.compile(r"Saksikan\s+Li?v?e?\s*Detik\w*\s*:", re.IGNORECASE)),
    ("cta", "fixed", re.compile(r"Simak update terbaru hanya di KapanLagi[^\n]{0,80}?kapan lagi\?", re.IGNORECASE)),
    ("cta", "to_eol", re.compile(r"Akses\s+\S+\s+di\s+Google\s+News\b")),
    ("cta", "to_eol", re.compile(r"(?<=[.!?\"”])\s*Saksikan\s+(?!juga\b)[^\n]{3,120}?\b(?:hanya\s+)?di\s+"
                                r"(?:SCTV|RCTI\+?|Indosiar|Vidio|MNCTV|GTV|iNews|Vision\+|Moji|ANTV)\b")),
    ("nav", "fixed", re.compile(r"(?:Simak|Baca)\s+(?:berita\s+)?selengkapnya\s+di\s+halaman\s+(?:selanjutnya|berikutnya)\W?", re.IGNORECASE)),
    ("nav", "fixed", re.compile(r"Bersambung\s+ke\s+halaman\s+(?:berikutnya|selanjutnya)(?:\.{1,3}|…)?", re.IGNORECASE)),
    ("nav", "fixed", re.compile(r"Halaman Selanjutnya")),
    ("related_link", "fixed", re.compile(r"Baca\s+berita\s+lengkapnya\s*di\s*sini\s*\.?", re.IGNORECASE)),
    ("related_link", "fixed", re.compile(r"(?<=[?.!])\s*Simak\s+dalam\s+artikel\s+berikut\s*ini\s*(?:\.{2,3}|…)")),
    ("related_link", "title", re.compile(r"(?<![\w])(?:Baca|BACA|Lihat|LIHAT)\s+(?:[Ii]ni\s+)?(?:[Jj]uga|JUGA)(?:\s+[Dd]eh)?\s*:\s*")),
    ("related_link", "title", re.compile(r"(?<![\w])(?:Simak|Lihat|Tonton)\s+(?:[Jj]uga\s+)?Video\s*:?\s*")),
    ("related_link", "to_eol", re.compile(r"(?<![\w])Pilihan\s+[Ee]ditor\s*:", re.IGNORECASE)),
    ("source", "to_eol", re.compile(r"(?<![\w])(?:Sumber\s*:\s*[\w./&-]+(?:\s+[\w./&-]+){0,3}\s+)?(?:Artikel|Berita)\s+ini\s+"
                                   r"(?:telah\s+|sudah\s+)?(?:lebih\s+dulu\s+)?(?:tayang|naik|terbit)\s+di\b")),
    ("credit", "fixed", re.compile(r"Foto/(?:Instagram|IG|Twitter|X|TikTok|Facebook)\s+@[\w.]+(?=[\s\"“]|$)")),
    ("byline", "fixed", re.compile(r"(?:(?<=[.!?\"”;])|(?<=[.!?\"”;]\s))\s*(?:[A-Z][\w'’-]*\s+){1,4}(?:dan\s+(?:[A-Z][\w'’-]*\s+){1,4})?"
                                  r"berkontribusi\s+dalam\s+penulisan\s+artikel\s+ini\.?")),
]

_NEXT_MARKER = re.compile(
    r"(?:Baca|BACA|Lihat|LIHAT)\s+(?:[Ii]ni\s+)?(?:[Jj]uga|JUGA)\b|\[Gambas:|ADVERTISEMENT|SCROLL TO CONTINUE|"
    r"Halaman Selanjutnya|(?:Simak|Lihat|Tonton)\s+(?:juga\s+)?Video\b|Pilihan\s+[Ee]ditor|"
    r"Saksikan\s+Live|Loading\.\.\.|Ikuti Whatsapp|Foto/|Photo\s*:")
_WORD_RE = re.compile(r"\S+")


_VERBISH = re.compile(r"(?:me[mny]?|meng|meny|di|ber|be|ter|per)\w{3,}|(?:ujar|kata|tutur|ucap|jelas|sebut|"
                      r"ungkap|tegas|papar|imbuh|tambah|lanjut|pungkas|tandas|kata|bilang|akui)\w*")
_ABBREV_DOT = re.compile(r"(?:\w\.)+|[A-Z][a-z]{0,3}\.|(?:No|Rp|Jl|Dr|Ir|Prof|H|Hj|St)\.")


def _core(w: str) -> str:
    return w.strip("\"'“”‘’()[],:;!?.«»")


def _is_neutral(w: str) -> bool:
    """Function words, numbers and symbols: allowed lower-case inside a Title Case headline."""
    c = _core(w)
    return not c or c.lower() in _FUNCTION_WORDS or not c[0].isalpha()


def _is_cap(w: str) -> bool:
    c = _core(w)
    return bool(c) and c[0].isupper()


def _is_lower_word(w: str) -> bool:
    c = _core(w)
    if not c or not c[0].islower() or c.lower() in _FUNCTION_WORDS or not c.islower():
        return False
    # "di-Blacklist", "e-KTP": a lower-case prefix glued to a capitalised word
    return not re.fullmatch(r"[a-z]{1,3}-[A-Z0-9].*", c)


def _sentence_end(w: str) -> bool:
    return w.endswith((".", "!", "?", ".\"", ".”", "!\"", "?\"", "!”", "?”")) and not w.endswith("..") \
        and not _ABBREV_DOT.fullmatch(w)


def _title_end(text: str, start: int, stop: int, max_words: int = 32) -> tuple[int, int, bool]:
    """Where an inline linked title starting at ``start`` ends (before ``stop``).

    Returns ``(confident_end, content_start, sure)``: the title surely covers
    ``start:confident_end``; ``confident_end:content_start`` may be title or article text
    (unsure); the article surely resumes at ``content_start``. ``sure`` is False when no end
    was found within a headline's length.
    """
    m = _NEXT_MARKER.search(text, start, stop)
    limit = m.start() if m else stop
    words = [(w.start(), w.end(), w.group()) for w in _WORD_RE.finditer(text, start, limit)]
    if not words:
        return start, start, True
    if len(words) <= max_words and _tail_is_title(words):
        return words[-1][1], words[-1][1], True
    for i, (ws, we, w) in enumerate(words[:max_words + 2]):
        if i >= 1:
            prev = words[i - 1][2]
            if i >= 2 and w[0] in "\"“" and not prev.endswith(("\"", "”")):
                return words[i - 1][1], ws, True
            if _sentence_end(prev) and _is_cap(w):
                return words[i - 1][1], ws, True
        if i >= 3 and _core(w).lower() in _STRONG_STARTERS and _is_cap(w):
            return words[i - 1][1], ws, True
        if i >= 1 and _is_lower_word(w):
            # the article's sentence opener: the last capitalised word before this one
            k = i - 1
            while k >= 0 and not _is_cap(words[k][2]):
                k -= 1
            if k < 0 or not _is_cap(words[k][2]):
                continue  # a lower-case word inside the title (sentence-case headline)
            if k == 0:
                return start, words[0][0], False
            j = k
            while j - 1 >= 0 and _is_cap(words[j - 1][2]) and not _is_neutral(words[j - 1][2]):
                j -= 1
            opener = _core(words[k][2]).lower()
            if opener in _SENTENCE_STARTERS or j == k or not _VERBISH.fullmatch(_core(w).lower()):
                return words[k - 1][1], words[k][0], True
            # a multi-word subject ("Kepala Dinas X mengatakan"): the title ends in words[j-1:k]
            if j >= 1:
                return words[j - 1][1], words[k][0], True
            return start, words[k][0], False
    n = min(len(words), max_words)
    return start, words[n - 1][1], False


def _tail_is_title(words: list[tuple[int, int, str]]) -> bool:
    """True when all ``words`` (to the next marker or the line's end) read as one headline."""
    if not words or len(words) > 32:
        return False
    for a, b in zip(words, words[1:]):
        if _sentence_end(a[2]) and _is_cap(b[2]):
            return False
    last = words[-1][2]
    if last.endswith(".") and not last.endswith(("..", "…")):
        return False
    if len(words) <= 14:
        return True
    return not any(_is_lower_word(w) for _, _, w in words[1:])


def _ws_after(text: str, pos: int) -> int:
    while pos < len(text) and _is_space(text[pos]):
        pos += 1
    return pos


def _ws_before(text: str, pos: int) -> int:
    while pos > 0 and _is_space(text[pos - 1]):
        pos -= 1
    return pos


def _attach_ws(text: str, s: int, e: int) -> tuple[int, int]:
    """Inline geometry: one adjoining whitespace run (after if text follows on the line, else before)."""
    e2 = _ws_after(text, e)
    if e2 > e:
        return s, e2
    return _ws_before(text, s), e


# ----------------------------------------------------------------------------- labeller

class _Labeller:
    def __init__(self, text: str, title: str | None, outlet: str | None) -> None:
        self.text = text
        self.title = title or ""
        self.outlet = (outlet or "").lower()
        self.lines = _lines(text)
        self.kind: dict[int, str] = {}      # line idx -> kind of a whole-line span
        self.unsure_lines: set[int] = set()
        self.inline: list[tuple[int, int, str]] = []
        self.unsure: list[tuple[int, int]] = []

    # -- helpers
    def _next(self, i: int) -> int | None:
        return i + 1 if i + 1 < len(self.lines) else None

    def _last_prose(self) -> int:
        for ln in reversed(self.lines):
            if _is_prose(ln) and ln.idx not in self.kind and _line_rule(ln.text) is None \
                    and not _is_cta_line(ln):
                return ln.idx
        return -1

    # -- passes
    def run(self) -> WeakLabels:
        lines = self.lines
        i = 0
        while i < len(lines):
            ln = lines[i]
            t = ln.text
            if i in self.kind:
                i += 1
                continue
            # "Baca juga" without its title: the next line(s) carry the linked title
            bm = _BARE_RELATED.fullmatch(t)
            if bm:
                self.kind[i] = "related_link"
                self._follow_titles(i, colon=bool(bm.group(1)))
                i += 1
                continue
            if _RELATED_WITH_TITLE.fullmatch(t):
                rest = re.sub(r"^(?:baca|lihat)\s+(?:ini\s+)?juga(?:\s+deh)?\s*[:»>]+\s*", "", t, flags=re.I)
                flattened = len(lines) <= 3
                if len(rest.split()) <= 30 and (not flattened or not re.search(r"[.!?][\"”']?\s+[A-Z\"“]", rest)):
                    self.kind[i] = "related_link"
                    i += 1
                    continue
            kind = _line_rule(t)
            if kind is None and _is_cta_line(ln):
                kind = "cta"
            if kind is not None:
                if kind == "widget" and _TIMESTAMP.fullmatch(t) and i == 0:
                    kind = "meta"
                self.kind[i] = kind
                if kind == "source" and re.search(r"(?:dengan\s+judul|\bdi)\s*:?$", t, re.I):
                    j = self._next(i)
                    limit = 30 if t.lower().rstrip(": ").endswith("judul") else 3
                    if j is not None and len(lines[j].words) <= limit and _line_rule(lines[j].text) is None:
                        self.kind[j] = "source"
                i += 1
                continue
            if _TIMESTAMP.fullmatch(t):
                if i == 0:
                    self.kind[i] = "meta"
                elif (i > 0 and (self.kind.get(i - 1) == "widget" or _TIMESTAMP.fullmatch(lines[i - 1].text)
                                 or (i + 1 < len(lines) and _TIMESTAMP.fullmatch(lines[i + 1].text)))):
                    self.kind[i] = "widget"
                else:
                    self.unsure_lines.add(i)
                i += 1
                continue
            if _DATE.fullmatch(t):
                if i <= 2:
                    self.kind[i] = "meta"
                else:
                    self.unsure_lines.add(i)
                i += 1
                continue
            if _AGO.fullmatch(t):
                self.kind[i] = "widget"
                i += 1
                continue
            if _TAGS_HEADER.fullmatch(t):
                self.kind[i] = "tags"
                self._follow_tags(i)
                i += 1
                continue
            if _SOURCE_HEADER.fullmatch(t) or _VIA_HEADER.fullmatch(t):
                k = "byline" if _SOURCE_HEADER.fullmatch(t) else "credit"
                self.kind[i] = k
                j = self._next(i)
                if j is not None and len(lines[j].words) <= 5 and not _is_prose(lines[j]) \
                        and _line_rule(lines[j].text) is None and not _TAGS_HEADER.fullmatch(lines[j].text):
                    self.kind[j] = k
                i += 1
                continue
            i += 1
        self._duplicate_titles()
        self._multi_line_cta()
        self._detik_trailer()
        self._hoegeng()
        self._video_titles()
        self._doubled_titles()
        self._trailer_names()
        self._inline()
        self._unsure()
        return self._result()

    def _duplicate_titles(self) -> None:
        """A line equal to the headline after its first occurrence is a repeated headline."""
        title_norm = _norm_title(self.title) if self.title else ""
        if len(title_norm) <= 10:
            return
        seen = False
        for ln in self.lines:
            if _norm_title(ln.text) == title_norm:
                if seen and ln.idx not in self.kind:
                    self.kind[ln.idx] = "duplicate_title"
                seen = True

    def _follow_titles(self, i: int, colon: bool) -> None:
        """Title line(s) under a bare "Baca juga"."""
        lines = self.lines
        j = i + 1
        taken = 0
        while j < len(lines) and taken < (1 if colon else 3):
            ln = lines[j]
            if _line_rule(ln.text) is not None or _BARE_RELATED.fullmatch(ln.text):
                break
            words = ln.words
            t = ln.text
            if colon:
                ends_period = t.endswith(".") and not t.endswith(("...", "…"))
                if t[:1] in "\"“" or len(words) > 30:
                    break
                if not ends_period and len(words) >= 2:
                    self.kind[j] = "related_link"
                elif len(words) <= 25:
                    self.unsure_lines.add(j)
                break
            if _looks_like_title(t, min_words=3, max_words=25):
                taken += 1
                j += 1
                continue
            break
        if not colon:
            # Republika lists 2-3 headlines under a bare "Baca Juga"; a single title-like line
            # is more likely the article's own sub-heading
            for k in range(i + 1, i + 1 + taken):
                if taken >= 2:
                    self.kind[k] = "related_link"
                else:
                    self.unsure_lines.add(k)

    def _follow_tags(self, i: int) -> None:
        lines = self.lines
        for j in range(i + 1, len(lines)):
            ln = lines[j]
            if _line_rule(ln.text) is not None or _is_prose(ln) or len(ln.words) > 8:
                break
            self.kind[j] = "tags"

    def _multi_line_cta(self) -> None:
        """Kompas's WhatsApp CTA split over lines by anchor links."""
        lines = self.lines
        for ln in lines:
            if self.kind.get(ln.idx) == "cta" and re.match(r"kami\s+langsung\s+di\s+ponselmu", ln.text, re.I):
                j = ln.idx - 1
                parts = ("berita pilihan", "dan", "breaking news", "simak")
                k = 0
                while j >= 0 and k < len(parts):
                    if lines[j].text.strip().lower() == parts[k]:
                        self.kind[j] = "cta"
                        j -= 1
                    k += 1

    def _detik_trailer(self) -> None:
        """detik: the editor code ``(abc/def)`` is followed by the article's keyword tags."""
        lines = self.lines
        codes = [ln.idx for ln in lines if self.kind.get(ln.idx) == "credit" and _CODE.fullmatch(ln.text)]
        if not codes:
            return
        c = codes[-1]
        if self.outlet and self.outlet != "detik":
            return
        for j in range(c + 1, len(lines)):
            ln = lines[j]
            if j in self.kind:
                if self.kind[j] in ("widget", "related_link", "cta", "ad", "nav"):
                    break
                continue
            if _is_prose(ln) or len(ln.words) > 7 or len(ln.text) > 60 or ln.text.endswith("."):
                break
            self.kind[j] = "tags"

    def _hoegeng(self) -> None:
        lines = self.lines
        for ln in lines:
            if self.kind.get(ln.idx) == "widget" and re.match(r"baca\s+kisah\s+inspiratif", ln.text, re.I):
                j = ln.idx + 1
                if j < len(lines) and j not in self.kind and re.fullmatch(r"selengkapnya\W*", lines[j].text, re.I):
                    self.kind[j] = "widget"

    def _video_titles(self) -> None:
        """detik embedded-video title lines (``Video: ...``)."""
        for ln in self.lines:
            if ln.idx in self.kind or not _VIDEO_TITLE.fullmatch(ln.text):
                continue
            if ln.text.endswith(".") or len(ln.words) > 22:
                continue
            if self.outlet == "detik" and _looks_like_title(ln.text, 3, 22, 0.6):
                self.kind[ln.idx] = "widget"
            else:
                self.unsure_lines.add(ln.idx)

    def _doubled_titles(self) -> None:
        """detik embeds a video as its title line twice, after the article's last prose line."""
        last = self._last_prose()
        lines = self.lines
        for a, b in zip(lines, lines[1:]):
            if a.idx <= last or a.idx in self.kind or b.idx in self.kind:
                continue
            if a.text == b.text and _looks_like_title(a.text, 3, 22, 0.6):
                self.kind[a.idx] = self.kind[b.idx] = "widget"

    def _trailer_names(self) -> None:
        """Editor names in parentheses on their own line after the article's last prose line."""
        last = self._last_prose()
        for ln in self.lines:
            if ln.idx in self.kind or not _NAME_PAREN.fullmatch(ln.text):
                continue
            if ln.idx > last:
                self.kind[ln.idx] = "credit"
            else:
                self.unsure_lines.add(ln.idx)

    def _inline(self) -> None:
        text = self.text
        last_prose = self._last_prose()
        for ln in self.lines:
            if ln.idx in self.kind:
                continue
            found: list[tuple[int, int, str]] = []
            unsure: list[tuple[int, int]] = []
            pos = ln.start
            while pos < ln.end:
                best = None
                for kind, mode, pat in _INLINE_PATTERNS:
                    m = pat.search(text, pos, ln.end)
                    if m and (best is None or m.start() < best[1].start()):
                        best = (kind, m, mode)
                if best is None:
                    break
                kind, m, mode = best
                s = _ws_after(text, m.start())
                e = m.end()
                if mode == "to_eol":
                    tail = len(text[e:ln.end].split())
                    if tail > 40:
                        if kind == "related_link":  # a "Pilihan editor" mid-text: title rules
                            mode = "title"
                        else:
                            pos = m.end()
                            continue
                    else:
                        e = ln.end
                if mode == "title":
                    e_conf, content, sure = _title_end(text, _ws_after(text, m.end()), ln.end)
                    e = max(e_conf, m.end())
                    if content > e:
                        unsure.append((_ws_after(text, e), content))
                while e > s and _is_space(text[e - 1]):
                    e -= 1
                s2, e2 = _attach_ws(text, s, e)
                if found and s2 < found[-1][1]:
                    s2 = max(s, found[-1][1])
                found.append((s2, e2, kind))
                pos = max(e2, e, m.end())
            # glued end-of-article codes: "... selanjutnya. (rob)", "...(*)"
            seg = text[ln.start:ln.end]
            m = re.search(r"(?:(?<=[.!?\"”'’)])\s*\((?:[A-Za-z]{2,5}\d?(?:/[A-Za-z]{2,5}\d?)*|\s?[A-Z][a-z]{2,12})\)"
                          r"|\s*\(\*\))$", seg)
            if m and m.start() > 0 and not any(f[1] > ln.start + m.start() for f in found):
                s = ln.start + m.start()
                while _is_space(text[s]):
                    s += 1
                if ln.idx >= last_prose or "*" in m.group():
                    k = "meta" if "*" in m.group() else "credit"
                    found.append((_ws_before(text, s), ln.end, k))
                else:
                    unsure.append((s, ln.end))
            self.inline.extend(found)
            self.unsure.extend(unsure)

    def _unsure(self) -> None:
        lines = self.lines
        last_prose = self._last_prose()
        loose = re.compile(r"(?i)\b(?:klik|download|unduh|ikuti|follow|instagram|google\s*news|whatsapp|"
                           r"saluran|baca\s+juga|simak|selengkapnya|editor|penulis|reporter|sumber|foto|"
                           r"credit|dok\.|copyright|hak\s+cipta|tonton|saksikan|video|tags?|halaman|"
                           r"advertisement|iklan)\b|©|\(\s*[A-Za-z]{1,6}\s*\)")
        inline_lines = {ln.idx for ln in lines for (s, e, _) in self.inline if ln.start <= s < ln.end}
        for ln in lines:
            if ln.idx in self.kind or ln.idx in inline_lines:
                continue
            t = ln.text
            w = len(ln.words)
            if ln.idx in self.unsure_lines:
                continue
            if ln.idx > last_prose and ln.idx >= len(lines) - 8 and w <= 12 and not _is_prose(ln):
                self.unsure_lines.add(ln.idx)
            elif w <= 25 and loose.search(t) and not _is_prose(ln):
                self.unsure_lines.add(ln.idx)
            elif re.fullmatch(r"[\W_]{2,}", t):
                self.unsure_lines.add(ln.idx)
            elif re.search(r"(?i)\((?:foto|dok|credit|image|ist)\b|\bfoto\s*:|antara/|/detik", t) and w <= 60:
                self.unsure_lines.add(ln.idx)
            elif w <= 3 and re.fullmatch(r"\(.*\)", t):
                self.unsure_lines.add(ln.idx)

    def _result(self) -> WeakLabels:
        spans = [(ln.start, ln.end, self.kind[ln.idx]) for ln in self.lines if ln.idx in self.kind]
        spans += self.inline
        spans.sort()
        out: list[dict] = []
        prev = -1
        for s, e, k in spans:
            if e <= s or s < prev:
                continue
            out.append({"start": s, "end": e, "label": "boilerplate", "kind": k})
            prev = e
        uns = [(self.lines[i].start, self.lines[i].end) for i in sorted(self.unsure_lines) if i not in self.kind]
        uns += [(s, e) for s, e in self.unsure if e > s]
        return WeakLabels(out, _subtract(_merge(uns), [(d["start"], d["end"]) for d in out]))


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _subtract(ranges: list[tuple[int, int]], cut: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` minus ``cut`` (both sorted)."""
    out = []
    for s, e in ranges:
        cur = s
        for cs, ce in cut:
            if ce <= cur or cs >= e:
                continue
            if cs > cur:
                out.append((cur, cs))
            cur = max(cur, ce)
        if cur < e:
            out.append((cur, e))
    return out


def weak_label(text: str, title: str | None = None, outlet: str | None = None) -> WeakLabels:
    """Weak boilerplate spans and unsure ranges for one article text."""
    if not text:
        return WeakLabels()
    return _Labeller(text, title, outlet).run()


# ----------------------------------------------------------------------------- evaluation

_TOKEN = re.compile(r"\w+")


def _covered(intervals: list[tuple[int, int]], s: int, e: int) -> bool:
    """True when token ``s:e`` lies inside one of the sorted ``intervals``."""
    import bisect

    i = bisect.bisect_right(intervals, (s, float("inf"))) - 1
    return i >= 0 and intervals[i][0] <= s and e <= intervals[i][1]


def measure_weak_labeller(docs: Iterable[dict], label: str = "boilerplate") -> dict:
    """Boilerplate token precision/recall of ``weak_label`` against gold documents.

    A ``\\w+`` token is gold-junk when inside a non-optional gold span of ``label``; tokens
    inside optional gold spans, and tokens inside gold spans of other labels, are ignored.
    Predicted-junk = inside a weak span. Unsure ranges count as not predicted.
    """
    tp = fp = fn = n_docs = 0
    per_doc = []
    for d in docs:
        n_docs += 1
        text = d["text"]
        wl = weak_label(text, d.get("title"), d.get("outlet"))
        gold = sorted((s["start"], s["end"]) for s in d.get("spans", [])
                      if s["label"] == label and not s.get("optional"))
        ignore = sorted((s["start"], s["end"]) for s in d.get("spans", [])
                        if s.get("optional") or s["label"] != label)
        pred = sorted((s["start"], s["end"]) for s in wl.spans)
        dtp = dfp = dfn = 0
        for m in _TOKEN.finditer(text):
            s, e = m.span()
            if _covered(ignore, s, e):
                continue
            g, p = _covered(gold, s, e), _covered(pred, s, e)
            dtp += g and p
            dfp += p and not g
            dfn += g and not p
        tp, fp, fn = tp + dtp, fp + dfp, fn + dfn
        per_doc.append({"id": d.get("id"), "tp": dtp, "fp": dfp, "fn": dfn})
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"docs": n_docs, "tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 4),
            "recall": round(recall, 4), "per_doc": per_doc}
