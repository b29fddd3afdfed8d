"""Is inline-brand removal invariant to how the brand is written? (prints numbers; not a test)

Held-out validation documents of a built dataset whose only promotion is plain inline brands
get each brand token re-rendered in one obfuscation (styled Unicode, combining marks, zero-width
characters, leetspeak; ``filter.training.obfuscate``, seed 0). For each rendering: the share of
gold-content tokens kept, the share of promo tokens removed and how many documents lose any
content. Bundled model with its live page verdicts.

    python scripts/obfuscation_invariance.py --data ../work/databuild/web
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filter import Cleaner  # noqa: E402
from filter.training.obfuscate import leet, styled, zero_width  # noqa: E402

TOKEN = re.compile(r"\w+")
RENDERINGS = {
    "plain": lambda b, rng: b,
    "styled": lambda b, rng: styled(b, rng, rng.choice(["math_bold", "fullwidth", "circled", "homoglyph"])),
    "combining": lambda b, rng: styled(b, rng, "combining"),
    "zero_width": zero_width,
    "leet": leet,
}


def inline_only(path: Path) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if (any(s["label"] == "promo" for s in d["spans"]) and set(d.get("forms") or []) == {"inline_brand"}
                    and set(d.get("obfuscation") or []) == {"none"}):
                out.append(d)
    return out


def render(doc: dict, how: str, rng: random.Random) -> tuple[str, list[dict]]:
    """The document with each promo span's first token re-rendered; spans moved to match."""
    text, parts, spans, pos = doc["text"], [], [], 0
    for s in sorted(doc["spans"], key=lambda s: s["start"]):
        parts.append(text[pos:s["start"]])
        seg = text[s["start"]:s["end"]]
        if s["label"] == "promo" and (m := re.match(r"\S+", seg)):
            seg = RENDERINGS[how](m.group(), rng) + seg[m.end():]
        start = sum(map(len, parts))
        parts.append(seg)
        spans.append({**s, "start": start, "end": start + len(seg)})
        pos = s["end"]
    parts.append(text[pos:])
    return "".join(parts), spans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="a built dataset (filter data build) with valid.jsonl")
    args = ap.parse_args()
    docs = inline_only(args.data / "valid.jsonl")
    cleaner = Cleaner.load()
    print(f"{len(docs)} validation documents whose only promotion is plain inline brands")
    for how in RENDERINGS:
        rng = random.Random(0)
        variants = [render(d, how, rng) for d in docs]
        results = [r for i in range(0, len(variants), 128)
                   for r in cleaner.clean_batch([t for t, _ in variants[i:i + 128]])]
        kept = content = removed = promo = losing = 0
        for (text, gold), res in zip(variants, results):
            cut = bytearray(len(text))
            for s in res.spans:
                cut[s.start:s.end] = b"\1" * (s.end - s.start)
            label = [""] * len(text)
            for s in gold:
                label[s["start"]:s["end"]] = [s["label"]] * (s["end"] - s["start"])
            lost = 0
            for m in TOKEN.finditer(text):
                if label[m.start()] == "promo":
                    promo += 1
                    removed += cut[m.start()]
                elif not label[m.start()]:
                    content += 1
                    kept += not cut[m.start()]
                    lost += cut[m.start()]
            losing += lost > 0
        print(f"{how:11s} content kept {kept / content:.4f}  promo tokens removed {removed / promo:.3f}  "
              f"documents losing content {losing}/{len(docs)}")


if __name__ == "__main__":
    main()
