"""Build the report: one self-contained HTML file (charts inlined as SVG, styles inline, no network)."""
from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pandas as pd

from ..errors import ConfigError
from ..models.ranker import FEATURES
from ..selection.select import FeatureTable, load_ranker
from ..selection.tables import atomic_write
from . import charts

UI_LANGS = ("zh", "en")
STRINGS = {
    "en": {
        "title": "Sell globally: selection report", "generated": "Generated", "markets": "Markets",
        "market": "Market", "keywords": "Search terms", "searches": "Searches / month", "matched": "Products matched",
        "shortlisted": "Shortlisted", "covered": "Demand covered", "shortlist": "Shortlist", "rank": "#",
        "sku": "SKU", "product": "Product", "score": "Score", "demand": "Credited searches / month",
        "margin": "Margin", "price": "Price", "landed": "Landed cost", "matched_keywords": "Demand it covers",
        "overview": "All markets at a glance", "heatmap": "Score of each shortlisted product in each market",
        "heatmap_colour": "score", "scatter": "Margin against demand", "scatter_x": "credited searches per month (log)",
        "scatter_y": "margin", "parts": "What each score is made of", "gap": "Demand nothing in your catalogue covers",
        "gap_note": "Search terms that no product matches with confidence: products to source, or titles to fix.",
        "gap_keyword": "Search term", "gap_volume": "Searches / month", "gap_nearest": "Nearest product",
        "gap_similarity": "Similarity", "none": "none", "listings": "Listings", "channel": "Channel",
        "locale": "Locale", "n_listings": "Listings", "repaired": "Repaired", "failed": "Failing",
        "preview": "Preview", "no_listings": "No listings were written in this run.", "unknown": "unknown",
    },
    "zh": {
        "title": "一键出海：选品报告", "generated": "生成时间", "markets": "市场", "market": "市场",
        "keywords": "搜索词数", "searches": "月搜索量", "matched": "匹配商品数", "shortlisted": "入选商品",
        "covered": "需求覆盖率", "shortlist": "入选清单", "rank": "排名", "sku": "商品编码", "product": "商品",
        "score": "得分", "demand": "匹配月搜索量", "margin": "毛利率", "price": "售价", "landed": "到岸成本",
        "matched_keywords": "覆盖的需求", "overview": "各市场总览", "heatmap": "入选商品在各市场的得分",
        "heatmap_colour": "得分", "scatter": "毛利率与需求", "scatter_x": "匹配月搜索量（对数）", "scatter_y": "毛利率",
        "parts": "得分构成", "gap": "目录中没有商品覆盖的需求",
        "gap_note": "没有商品能可靠匹配的搜索词：可考虑开发新品，或改进商品标题。", "gap_keyword": "搜索词",
        "gap_volume": "月搜索量", "gap_nearest": "最接近的商品", "gap_similarity": "相似度", "none": "无",
        "listings": "商品文案", "channel": "渠道", "locale": "语言区域", "n_listings": "文案数", "repaired": "已修正",
        "failed": "未通过", "preview": "预览", "no_listings": "本次运行未生成商品文案。", "unknown": "未知",
    },
}
PART_NAMES = {
    "zh": {"demand": "需求", "match": "匹配度", "growth": "增长", "margin": "毛利", "competition": "竞争",
           "log demand share": "需求（对数）", "log keywords": "搜索词数"},
    "en": {},
}


def _fmt(value, kind: str, unknown: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return unknown
    if kind == "pct":
        return f"{value:.0%}"
    if kind == "int":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def build_report(table: FeatureTable, shortlist: pd.DataFrame, path: str | os.PathLike, *, ranker=None,
                 listing_summary: list[dict] | None = None, preview_dir: str | None = None, ui_lang: str = "zh",
                 title: str | None = None, note: str = "") -> Path:
    """Write the report of a run to ``path``, atomically. ``preview_dir`` is the listings' preview folder relative
    to the report (for the links)."""
    if ui_lang not in UI_LANGS:
        raise ConfigError(f"ui_lang {ui_lang!r}: use one of {', '.join(UI_LANGS)}")
    t = STRINGS[ui_lang]
    ranker = load_ranker(ranker)
    titles = table.catalogue.set_index("sku")["title"].to_dict()
    markets = []
    for s in shortlist.attrs.get("summary", []):
        code = s["market"]
        sl = shortlist[shortlist["market"] == code].sort_values("rank").reset_index(drop=True)
        parts = ranker.score_parts(sl[FEATURES]) if len(sl) else pd.DataFrame()
        names = PART_NAMES[ui_lang]
        rows = []
        for i, r in sl.iterrows():
            rows.append({
                "rank": int(r["rank"]), "sku": r["sku"], "title": r["title"], "score": float(r["score"]),
                "demand_volume": float(r["demand_volume"]), "margin": r["margin"], "price": r["price"],
                "landed_cost": r["landed_cost"], "currency": r["currency"], "keywords": r["keywords"],
                "parts": {names.get(c, c): float(parts.loc[i, c]) for c in parts.columns},
                "f": {"score": _fmt(r["score"], "num", t["unknown"]),
                      "demand": _fmt(r["demand_volume"], "int", t["unknown"]),
                      "margin": _fmt(r["margin"], "pct", t["unknown"]),
                      "price": _fmt(r["price"], "num", t["unknown"]),
                      "landed": _fmt(r["landed_cost"], "num", t["unknown"])},
            })
        gap = table.uncovered.get(code, pd.DataFrame(columns=["keyword", "volume"])).head(15)
        gaps = [{"keyword": g["keyword"], "volume": _fmt(float(g["volume"]), "int", t["unknown"]),
                 "nearest": f"{g.get('nearest_sku', '')} {titles.get(g.get('nearest_sku', ''), '')}".strip(),
                 "similarity": _fmt(float(g.get("nearest_similarity", math.nan)), "num", t["unknown"])}
                for _, g in gap.iterrows()]
        labelled = [f"{r['sku']} {str(r['title'])[:14]}" for _, r in sl.iterrows()]
        markets.append({
            "code": code, "summary": s, "rows": rows, "gaps": gaps,
            "f": {"volume": _fmt(s["volume"], "int", ""), "covered": _fmt(s["covered_share"], "pct", "")},
            "parts_chart": charts.score_parts(parts.rename(columns=names), labelled, title=f"{code} · {t['parts']}")
            if len(sl) else "",
            "scatter": charts.margin_vs_demand(sl, title=f"{code} · {t['scatter']}", x_label=t["scatter_x"],
                                               y_label=t["scatter_y"]) if len(sl) else "",
        })
    heat = ""
    if len(shortlist):
        pivot = shortlist.pivot_table(index="sku", columns="market", values="score", aggfunc="max")
        pivot = pivot.loc[pivot.max(axis=1).sort_values(ascending=False).index[:25]]
        pivot.index = [f"{sku} {str(titles.get(sku, ''))[:12]}" for sku in pivot.index]
        heat = charts.heatmap(pivot, title=t["heatmap"], colour_label=t["heatmap_colour"])
    env = jinja2.Environment(loader=jinja2.PackageLoader("sellglobal", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    html = env.get_template("report/report.html.j2").render(
        t=t, lang=ui_lang, title=title or t["title"], note=note, markets=markets, heatmap=heat,
        listings=listing_summary or [], preview_dir=preview_dir,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    out = Path(path)
    with atomic_write(out) as fh:
        fh.write(html)
    return out
