"""Write the illustrative demo data set into sellglobal/data/demo/ (deterministic; run from the repo root).

The catalogue and demand are invented for the demo from the product types in demo_products.py: realistic in
shape (Chinese titles, GB18030 CSV with Chinese headers, real export formats) but not real sales or search data.
"""
from __future__ import annotations

import csv
import io
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_products import GAPS, PRODUCTS  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "sellglobal" / "data" / "demo"
LANG_OF = {"US": "en", "DE": "de", "FR": "fr", "ES": "es", "JP": "ja"}
SCALE = {"US": 1.0, "DE": 0.30, "FR": 0.22, "ES": 0.20, "JP": 0.25}
PRICE = {"US": ("USD", 1.0), "DE": ("EUR", 0.95), "FR": ("EUR", 0.97), "ES": ("EUR", 0.93), "JP": ("JPY", 140.0)}
MODIFIERS = ["", "加厚", "升级款", "便携式", "家用", "迷你"]
COLOURS = [("黑色", "Black"), ("白色", "White"), ("灰色", "Grey"), ("粉色", "Pink"), ("蓝色", "Blue"), ("绿色", "Green")]
SELLING = ["", "跨境专供", "厂家直销", "新款", "", "热卖"]
NO_DEMAND = [("红色春联 福字 对联套装", "节庆用品", 6.0, 0.3), ("手工刺绣锦旗 定制", "礼品", 35.0, 0.4),
             ("中式喜帖 婚礼请柬 烫金", "婚庆用品", 1.2, 0.05), ("木质算盘 17档", "文具", 12.0, 0.5),
             ("利是封 红包袋 烫金", "节庆用品", 3.0, 0.1), ("毛笔 书法套装 狼毫", "文具", 22.0, 0.4)]


def catalogue_rows(rng: random.Random) -> list[dict]:
    rows = []
    for t, (zh, en, cat, belt, cost, weight, dims, *_rest) in enumerate(PRODUCTS):
        for v in range(6):
            colour_zh, colour_en = COLOURS[(t + v) % len(COLOURS)]
            title = f"{MODIFIERS[v]}{zh} {colour_zh} {SELLING[(t + v) % len(SELLING)]}".strip()
            rows.append({
                "商品编码": f"{belt[:1]}{t + 1:02d}-{v + 1}",
                "商品名称": title,
                "英文标题": f"{en.title()} {colour_en}" if (t + v) % 3 == 0 else "",
                "类目": cat,
                "品牌": ["Homiva", "Kitchio", "Velora", "Sportek", "Motrix", "Lunaby"][t % 6],
                "采购价": f"{cost * rng.uniform(0.85, 1.2):.2f}",
                "重量(kg)": f"{weight * rng.uniform(0.9, 1.1):.2f}",
                "尺寸": "x".join(str(d) for d in dims),
                "属性": f"颜色:{colour_zh}",
                "起订量": str(rng.choice([50, 100, 200, 500])),
            })
    for i, (title, cat, cost, weight) in enumerate(NO_DEMAND):
        rows.append({"商品编码": f"X{i + 1:02d}", "商品名称": title, "英文标题": "", "类目": cat, "品牌": "",
                     "采购价": f"{cost:.2f}", "重量(kg)": f"{weight:.2f}", "尺寸": "", "属性": "", "起订量": "100"})
    return rows


def demand(rng: random.Random) -> dict[str, list[tuple[str, float, float, float, float]]]:
    """market -> [(keyword, monthly volume, growth, competition, price in market currency)]."""
    out: dict[str, list] = {m: [] for m in LANG_OF}
    for zh, en, cat, belt, cost, weight, dims, price_usd, volume, *kw in PRODUCTS:
        by_lang = dict(zip(["en", "de", "fr", "es", "ja"], kw))
        for m, lang in LANG_OF.items():
            cur, factor = PRICE[m]
            for rank, term in enumerate(by_lang[lang]):
                v = volume * SCALE[m] * (1.0 if rank == 0 else 0.3) * rng.uniform(0.7, 1.3)
                out[m].append((term, round(v, -1), round(rng.uniform(-0.15, 0.45), 2), round(rng.uniform(0.3, 0.9), 2),
                               round(price_usd * factor * rng.uniform(0.9, 1.1), 0 if cur == "JPY" else 2)))
    for m, lang in LANG_OF.items():
        for term, v in GAPS[lang]:
            out[m].append((term, float(v), 0.2, 0.7, float("nan")))
    return out


def write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_bytes(text.encode(encoding))


def to_csv(rows: list[list], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def main() -> None:
    rng = random.Random(20261129)
    OUT.mkdir(parents=True, exist_ok=True)
    cat = catalogue_rows(rng)
    header = list(cat[0])
    # Excel on a Chinese Windows saves "CSV" as GB18030/GBK: the demo catalogue is in that encoding on purpose.
    write(OUT / "catalogue.csv", to_csv([header] + [[r[h] for h in header] for r in cat]), "gb18030")
    d = demand(rng)

    us = sorted(d["US"], key=lambda r: -r[1])
    ba = [['Reporting Range=["Monthly"]', 'Select month=["October 2026"]', 'Marketplace=["Amazon.com"]'] + [""] * 9,
          ["Search Frequency Rank", "Search Term", "Top Clicked Brand #1", "Top Clicked Brands #2",
           "Top Clicked Brands #3", "Top Clicked Category #1", "Top Clicked Product #1: ASIN",
           "Top Clicked Product #1: Product Title", "Top Clicked Product #1: Click Share",
           "Top Clicked Product #2: Click Share", "Top Clicked Product #3: Click Share", "Reporting Date"]]
    for term, v, g, c, p in us:
        rank = max(1, int((4.5e6 / v) ** (1 / 0.7)))
        shares = [round(c * 0.5 * 100, 2), round(c * 0.3 * 100, 2), round(c * 0.2 * 100, 2)]
        ba.append([f"{rank:,}", term, "Brand A", "Brand B", "Brand C", "Home & Kitchen", "B0" + str(rank).zfill(8)[:8],
                   f"{term.title()} - Top Seller", f"{shares[0]}%", f"{shares[1]}%", f"{shares[2]}%", "10/31/2026"])
    write(OUT / "amazon_ba_US.csv", to_csv(ba))

    h10 = [["Keyword Phrase", "ABA Total Click Share", "Keyword Sales", "Cerebro IQ Score", "Search Volume",
            "Search Volume Trend", "Sponsored ASINs", "Competing Products", "CPR", "Title Density"]]
    for term, v, g, c, p in us[:60]:
        h10.append([term, f"{c * 100:.1f}%", f"{int(v * 0.05):,}", f"{int(v / 50):,}", f"{int(v):,}", f"{g * 100:.0f}",
                    "12", f"{int(10 ** (c * 5)):,}", "24", "31"])
    write(OUT / "helium10_cerebro_US.csv", to_csv(h10))

    kp = [["Keyword Stats 2026-11-02 at 09_14_33"], ["October 1, 2025 - September 30, 2026"],
          ["Keyword", "Currency", "Avg. monthly searches", "Three month change", "YoY change", "Competition",
           "Competition (indexed value)", "Top of page bid (low range)", "Top of page bid (high range)"]]
    for term, v, g, c, p in d["DE"]:
        level = "High" if c > 0.66 else "Medium" if c > 0.33 else "Low"
        kp.append([term, "EUR", str(int(v)), "0%", f"{g * 100:.0f}%", level, str(int(c * 100)), "0.31", "1.24"])
    # Keyword Planner downloads "CSV" as UTF-16 with tabs
    write(OUT / "keyword_planner_DE.csv", "\ufeff" + to_csv(kp, "\t"), "utf-16-le")

    kpz = [["关键字统计信息 2026-11-02 at 09_20_10"], ["2025年10月1日 - 2026年9月30日"],
           ["关键字", "货币", "平均每月搜索量", "三个月内的变化", "同比变化", "竞争", "竞争（索引值）",
            "页首出价（低位区间）", "页首出价（高位区间）"]]
    for term, v, g, c, p in d["JP"]:
        level = "高" if c > 0.66 else "中" if c > 0.33 else "低"
        kpz.append([term, "JPY", str(int(v)), "0%", f"{g * 100:.0f}%", level, str(int(c * 100)), "38", "160"])
    write(OUT / "keyword_planner_JP.csv", "\ufeff" + to_csv(kpz, "\t"), "utf-16-le")

    js = [["Keyword", "Exact Search Volume", "Broad Search Volume", "Dominant Category", "Recommended Promotions",
           "Sponsored Product Bid - Broad", "Sponsored Product Bid - Exact", "Ease to Rank Score", "Relevancy Score",
           "Organic Product Count", "30-Day Trend"]]
    for term, v, g, c, p in d["FR"]:
        js.append([term, str(int(v)), str(int(v * 1.8)), "Home & Kitchen", "12", "0.85", "1.10",
                   str(int((1 - c) * 100)), "80", str(int(10 ** (c * 5))), f"{g * 100:.0f}%"])
    write(OUT / "jungle_scout_FR.csv", to_csv(js))

    es = [["market", "keyword", "volume", "growth", "competition", "avg_price", "currency", "source"]]
    for term, v, g, c, p in d["ES"]:
        es.append(["ES", term, str(int(v)), str(g), str(c), "" if p != p else str(p), "EUR", "seller research"])
    write(OUT / "demand_ES.csv", to_csv(es))

    prices = [["market", "keyword", "avg_price", "currency"]]
    for m in ("US", "DE", "FR", "JP"):
        for term, v, g, c, p in d[m]:
            if p == p:
                prices.append([m, term, str(p), PRICE[m][0]])
    write(OUT / "prices.csv", to_csv(prices))
    print(f"wrote {len(cat)} products and demand for {', '.join(d)} to {OUT}")


if __name__ == "__main__":
    main()
