"""Matplotlib figures for the evaluation notebooks (every axis labelled, legends, titles).

Each function draws on ``ax`` (a new figure when omitted) and returns the axes. Inputs are the
frames of ``filter.evaluation.metrics`` (``token_table``, ``span_table``, ``EvalReport.to_frame``...).
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import numpy as np

from filter.evaluation.metrics import CLASSES, calibration, confusion, pr_curve, threshold_sweep
from filter.spans import LABELS

COLORS = {"promo": "#d62728", "boilerplate": "#1f77b4", "content": "#7f7f7f", "all": "#2ca02c",
          "model": "#1f77b4", "baseline": "#ff7f0e"}


def _ax(ax: Any = None, figsize: tuple[float, float] = (6, 4)) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def plot_confusion(table: Any, normalize: bool = True, ax: Any = None, title: str = "Token confusion matrix") -> Any:
    """Gold x predicted token classes of a ``token_table`` (row-normalised by default)."""
    ax = _ax(ax, (5, 4))
    m = confusion(table, normalize=normalize)
    counts = confusion(table)
    im = ax.imshow(m.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=1 if normalize else None)
    ax.set_xticks(range(len(CLASSES)), CLASSES)
    ax.set_yticks(range(len(CLASSES)), CLASSES)
    for i in range(len(CLASSES)):
        for j in range(len(CLASSES)):
            v = m.iat[i, j]
            txt = (f"{v:.3f}\n({counts.iat[i, j]})" if normalize else f"{counts.iat[i, j]}") if v == v else "-"
            ax.text(j, i, txt, ha="center", va="center", fontsize=8,
                    color="white" if normalize and v == v and v > 0.6 else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("gold class")
    ax.set_title(title + (" (row share)" if normalize else ""))
    ax.figure.colorbar(im, ax=ax, label="share of gold tokens" if normalize else "tokens")
    return ax


def plot_pr_curves(table: Any, thresholds: Mapping[str, float] | None = None, ax: Any = None,
                   title: str = "Token precision-recall per label") -> Any:
    """One precision-recall curve per label; shipped thresholds marked."""
    ax = _ax(ax)
    for lab in LABELS:
        pr = pr_curve(table, lab)
        if pr.empty:
            continue
        ax.plot(pr["recall"], pr["precision"], color=COLORS[lab], label=f"{lab}")
        if thresholds and lab in thresholds:
            th = pr["threshold"].to_numpy()
            ok = np.where(th >= thresholds[lab])[0]
            if len(ok):
                i = ok[0]
                ax.scatter([pr["recall"].iat[i]], [pr["precision"].iat[i]], color=COLORS[lab], marker="o",
                           edgecolor="black", zorder=3, label=f"{lab} shipped threshold {thresholds[lab]:.2f}")
    ax.set_xlabel("recall (tokens of the label removed with that label)")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_threshold_sweep(table: Any, thresholds: Mapping[str, float] | None = None, ax: Any = None,
                         title: str = "Content retention vs junk recall as thresholds vary") -> Any:
    """Retention against junk recall: one global threshold, and each label's threshold alone
    (the other at its shipped value); shipped operating point marked."""
    ax = _ax(ax)
    grid = np.round(np.linspace(0.0, 1.0, 51), 2)
    base = dict(thresholds or {})
    sw = threshold_sweep(table, grid)
    ax.plot(sw["junk_recall"], sw["retention"], color=COLORS["all"], label="one threshold for all labels")
    for lab in LABELS:
        s = threshold_sweep(table, grid, label=lab, base=base)
        ax.plot(s["junk_recall"], s["retention"], color=COLORS[lab], ls="--", label=f"{lab} threshold varies")
    if thresholds:
        pred = table[~table["ignored"].astype(bool)]
        cut = pred["pred"].map(lambda p: base.get(p, np.inf)).to_numpy(dtype=float)
        removed = (pred["pred"].to_numpy() != "content") & (pred["score"].to_numpy() >= cut)
        junk = (pred["gold"] != "content").to_numpy()
        r = removed[junk].mean() if junk.any() else np.nan
        ret = 1 - removed[~junk].mean() if (~junk).any() else np.nan
        ax.scatter([r], [ret], color="black", marker="*", s=150, zorder=3,
                   label="shipped: " + ", ".join(f"{k}={v:.2f}" for k, v in sorted(thresholds.items())))
    ax.set_xlabel("junk recall (tokens)")
    ax.set_ylabel("content retention (tokens kept)")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_calibration(spans: Any, bins: int = 10, ax: Any = None, title: str = "Span score calibration") -> Any:
    """Reliability diagram of predicted spans: mean score vs share of spans that are junk."""
    ax = _ax(ax)
    ax.plot([0, 1], [0, 1], color="grey", ls=":", label="perfect calibration")
    for lab in LABELS:
        sub = spans[spans["label"] == lab]
        if len(sub) == 0:
            continue
        c = calibration(sub, bins)
        ax.plot(c["mean_score"], c["frac_correct"], marker="o", color=COLORS[lab], label=f"{lab} ({len(sub)} spans)")
        for x, y, n in zip(c["mean_score"], c["frac_correct"], c["count"]):
            ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(3, -10), fontsize=7, color=COLORS[lab])
    ax.set_xlabel("mean predicted span score (bin)")
    ax.set_ylabel("share of spans that are gold junk")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_metric_bars(frame: Any, metric: str, group: str = "category", ax: Any = None,
                     title: str | None = None, ylim: tuple[float, float] = (0.0, 1.05),
                     values: bool = True) -> Any:
    """Grouped bars of one metric per group name, one bar per predictor (``EvalReport.to_frame`` rows)."""
    ax = _ax(ax, (7, 3.5))
    f = frame[frame["group"].isin(["overall", group])]
    names = list(dict.fromkeys(f["name"]))
    preds = list(dict.fromkeys(f["predictor"]))
    w = 0.8 / max(1, len(preds))
    for k, p in enumerate(preds):
        vals = [f[(f["predictor"] == p) & (f["name"] == n)][metric].astype(float).mean() for n in names]
        bars = ax.bar(np.arange(len(names)) + k * w - 0.4 + w / 2, vals, w, label=p, color=COLORS.get(p))
        if values:
            ax.bar_label(bars, labels=[f"{v:.3f}" if v == v else "" for v in vals], fontsize=7, padding=1)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_xlabel(group)
    ax.set_ylabel(metric)
    ax.set_ylim(*ylim)
    ax.set_title(title or f"{metric} by {group}")
    ax.legend(fontsize=8)
    return ax


def plot_counts(counts: Any, ax: Any = None, title: str = "", xlabel: str = "", ylabel: str = "count",
                horizontal: bool = True) -> Any:
    """Bar chart of a Series or of a DataFrame's columns (one colour per column, with legend)."""
    import pandas as pd

    ax = _ax(ax, (7, max(2.5, 0.28 * len(counts) + 1)) if horizontal else (7, 3.5))
    df = counts.to_frame(ylabel) if isinstance(counts, pd.Series) else counts
    df.plot.barh(ax=ax) if horizontal else df.plot.bar(ax=ax)
    if horizontal:
        ax.set_xlabel(ylabel)
        ax.set_ylabel(xlabel)
        ax.invert_yaxis()
    else:
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


_SHAPE_RUN = re.compile(r"(.)\1+")


def brand_shape(name: str) -> str:
    """The character-class shape of a brand name, runs collapsed: ``Mustang303`` -> ``Aa9``,
    ``TOTO4D`` -> ``A9A``, ``slot 88`` -> ``a_9``. Other characters map to ``*``."""
    out = []
    for ch in name:
        if ch.isdigit():
            out.append("9")
        elif ch.isalpha():
            out.append("A" if ch.isupper() else "a")
        elif ch.isspace():
            out.append("_")
        else:
            out.append("*")
    return _SHAPE_RUN.sub(r"\1", "".join(out))


def shape_counts(names: Sequence[str], top: int = 15) -> Any:
    """Counts of ``brand_shape`` over names, most common first."""
    import pandas as pd

    return pd.Series([brand_shape(n) for n in names], dtype=object).value_counts().head(top).rename("brands")
