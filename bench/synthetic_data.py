"""Synthetic catalogues and demand of any size for the scale benchmarks (built from the demo's product types)."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from demo_products import PRODUCTS  # noqa: E402

ADJ = ["加厚", "升级款", "便携式", "家用", "迷你", "大号", "小号", "多功能", "折叠", "防水", "透气", "耐用", "儿童", "户外"]
COL = ["黑色", "白色", "灰色", "粉色", "蓝色", "绿色", "红色", "卡其色"]
MARKETS = {"US": 0, "DE": 1, "FR": 2, "ES": 3, "JP": 4}
MODS = {0: ["best", "for kids", "large", "small", "mini", "cheap", "portable", "black", "white", "set", "2 pack",
            "for women", "for men", "heavy duty", "premium"],
        1: ["groß", "klein", "kinder", "damen", "herren", "schwarz", "weiß", "set", "2er", "test", "günstig"],
        2: ["grand", "petit", "enfant", "femme", "homme", "noir", "blanc", "lot de 2", "pas cher", "pliable"],
        3: ["grande", "pequeño", "niños", "mujer", "hombre", "negro", "blanco", "pack 2", "barato", "plegable"],
        4: ["大きい", "小さい", "子供", "レディース", "メンズ", "黒", "白", "セット", "安い", "折りたたみ"]}


def catalogue(n: int, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        p = PRODUCTS[i % len(PRODUCTS)]
        rows.append({"sku": f"S{i:07d}", "title": f"{rng.choice(ADJ)}{p[0]} {rng.choice(COL)} {i}",
                     "cost": p[4], "weight_kg": p[5]})
    return pd.DataFrame(rows)


def demand(per_market: int, markets=tuple(MARKETS), seed: int = 2) -> pd.DataFrame:
    """``per_market`` distinct search terms per market: each demo term, then with modifiers, then with numbers."""
    rng = random.Random(seed)
    rows = []
    for m in markets:
        lang = MARKETS[m]
        base = [t for p in PRODUCTS for t in p[9 + lang]]
        terms, k = [], 0
        while len(terms) < per_market:
            t = base[k % len(base)]
            round_ = k // len(base)
            mods = MODS[lang]
            terms.append(t if round_ == 0 else f"{t} {mods[round_ % len(mods)]}" if round_ < len(mods)
                         else f"{t} {mods[round_ % len(mods)]} {round_}")
            k += 1
        for t in terms:
            rows.append({"market": m, "keyword": t, "volume": float(rng.randint(100, 200000)),
                         "avg_price": round(rng.uniform(10, 80), 2)})
    return pd.DataFrame(rows)
