"""Document verdicts on dev_web per id category (evaluation only; run after a choice is made on
validation): counts of predicted labels per category for each given document model.

``python scripts/doc_dev_web_verdicts.py ../shared/gold/dev_web.jsonl MODEL.npz [MODEL.npz ...]``
"""
from __future__ import annotations

import json
import sys
from collections import Counter

from filter.doc import load_doc_model
from filter.training.docs import gold_doc_label, per_class_metrics


def main(gold_path: str, *models: str) -> None:
    gold = [json.loads(x) for x in open(gold_path, encoding="utf-8") if x.strip()]
    cats = sorted({d["id"].rsplit("-", 1)[0] for d in gold})
    for path in models:
        m = load_doc_model(path)
        proba = m.predict_proba([d["text"] for d in gold])
        pred = [m.classes[k] for k in m.label_of(proba)]
        print(f"## {path} (threshold {m.promo_threshold}, temperature {m.temperature:.3f})")
        for c in cats:
            idx = [i for i, d in enumerate(gold) if d["id"].rsplit("-", 1)[0] == c]
            counts = Counter(pred[i] for i in idx)
            print(f"  {c} (gold {gold_doc_label(gold[idx[0]])}, n={len(idx)}): "
                  + ", ".join(f"{k} {counts.get(k, 0)}" for k in m.classes))
        met = per_class_metrics([gold_doc_label(d) for d in gold], pred)
        print(f"  accuracy {met['accuracy']}, promo P {met['promo']['precision']} R {met['promo']['recall']}, "
              f"gambling_news R {met['gambling_news']['recall']}")
        ip = m.classes.index("promo")
        print("  web-P promo probabilities:", " ".join(f"{proba[i, ip]:.2f}" for i, d in enumerate(gold)
                                                    if d["id"].startswith("web-P")))
        print("  non-promo pages with p(promo) >= 0.3:", ", ".join(f"{d['id']} {proba[i, ip]:.2f}" for i, d in
                                                               enumerate(gold) if not d["id"].startswith("web-P")
                                                               and proba[i, ip] >= 0.3))


if __name__ == "__main__":
    main(*sys.argv[1:])
