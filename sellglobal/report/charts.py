"""Charts of the report, drawn by matplotlib as SVG and inlined: no JavaScript, no network, no font files.

Text stays text in the SVG (``svg.fonttype = "none"``), so the browser draws Chinese titles with the reader's own
fonts and the chart stays searchable and small.
"""
from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd

PALETTE = ["#1b6ca8", "#e07b39", "#3a9e6f", "#c44e52", "#8172b3", "#937860", "#da8bc3"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False, "font.family": ["sans-serif"],
                         "font.sans-serif": ["Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "DejaVu Sans"]})
    return plt


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    _pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def heatmap(scores: pd.DataFrame, *, title: str, colour_label: str) -> str:
    """Market x product grid of scores (rows: products, columns: markets; blank where not shortlisted)."""
    plt = _pyplot()
    data = scores.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * data.shape[1], 0.8 + 0.28 * data.shape[0]))
    masked = np.ma.masked_invalid(data)
    mesh = ax.pcolormesh(masked, cmap="YlGnBu", edgecolors="white", linewidth=0.5)
    ax.set_xticks(np.arange(data.shape[1]) + 0.5, scores.columns)
    ax.set_yticks(np.arange(data.shape[0]) + 0.5, scores.index)
    ax.invert_yaxis()
    ax.xaxis.tick_top()
    for (i, j), v in np.ndenumerate(data):
        if not math.isnan(v):
            ax.text(j + 0.5, i + 0.5, f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if v > np.nanmean(data) else "#222")
    fig.colorbar(mesh, ax=ax, label=colour_label, shrink=0.6)
    ax.set_title(title, loc="left", pad=24)
    return _svg(fig)


def margin_vs_demand(frame: pd.DataFrame, *, title: str, x_label: str, y_label: str) -> str:
    """Scatter of each shortlisted product: credited searches per month (log) against margin."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    known = frame[frame["margin"].notna()]
    ax.scatter(known["demand_volume"], known["margin"], s=28, color=PALETTE[0], alpha=0.8)
    for _, r in known.head(12).iterrows():
        ax.annotate(str(r["sku"]), (r["demand_volume"], r["margin"]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    if len(known):
        ax.set_xscale("log")
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title, loc="left")
    return _svg(fig)


def score_parts(parts: pd.DataFrame, labels: list[str], *, title: str) -> str:
    """Horizontal stacked bars: each product's score split into its parts (negative parts to the left)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 0.6 + 0.3 * len(parts)))
    y = np.arange(len(parts))
    left_pos, left_neg = np.zeros(len(parts)), np.zeros(len(parts))
    for k, col in enumerate(parts.columns):
        v = parts[col].to_numpy(dtype=float)
        base = np.where(v >= 0, left_pos, left_neg)
        ax.barh(y, v, left=base, color=PALETTE[k % len(PALETTE)], label=col, height=0.7)
        left_pos += np.where(v >= 0, v, 0)
        left_neg += np.where(v < 0, v, 0)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#666", linewidth=0.8)
    ax.legend(ncol=min(len(parts.columns), 4), fontsize=7, frameon=False, loc="lower right",
              bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title, loc="left", pad=20)
    return _svg(fig)
