"""How well does select put the products the demand points at on top? Measured on the bundled demo.

The demo data is generated from product types (scripts/demo_products.py), so the truth is known: a product's
demand in a market is the search volume of its type's keywords there; the gap keywords (robot vacuum, ...) point at
nothing in the catalogue. For each market this prints, for the top 20 of the shortlist:
  * precision: share of shortlisted products whose type is among the market's top T types by true demand, T being
    the number of distinct types in the shortlist (several variants of one type may share the credit);
  * nDCG@20 with the type's true volume as gain;
  * intruders: shortlisted products whose type has less than a tenth of the best type's demand.

Run: python bench/demo_quality.py
"""
from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from demo_products import PRODUCTS  # noqa: E402

import sellglobal  # noqa: E402
from sellglobal.cli import DEMO_MARKETS, DEMO_SIGNALS  # noqa: E402
from sellglobal.selection.select import MatchSettings  # noqa: E402

LANG = {"US": 0, "DE": 1, "FR": 2, "ES": 3, "JP": 4}


def demo_demand() -> pd.DataFrame:
    demo = resources.files("sellglobal") / "data" / "demo"
    frames = [sellglobal.read_signals(demo / name, market_code=DEMO_MARKETS.get(name)) for name in DEMO_SIGNALS]
    return pd.concat(frames, ignore_index=True)


def truth(demand: pd.DataFrame) -> dict[str, dict[int, float]]:
    demand = demand.dropna(subset=["volume"]).drop_duplicates(["market", "keyword"])
    out: dict[str, dict[int, float]] = {}
    for m, li in LANG.items():
        vol = demand[demand["market"] == m].set_index("keyword")["volume"]
        out[m] = {t: float(sum(vol.get(k, 0.0) for k in p[9 + li])) for t, p in enumerate(PRODUCTS)}
    return out


def product_type(sku: str) -> int | None:
    return int(sku[1:3]) - 1 if sku[1:3].isdigit() and not sku.startswith("X") else None


def evaluate(shortlist: pd.DataFrame, gains: dict[str, dict[int, float]], top: int) -> pd.DataFrame:
    rows = []
    for m, g in gains.items():
        sl = shortlist[shortlist["market"] == m].sort_values("rank")
        types = [product_type(s) for s in sl["sku"]]
        ranked = sorted(g, key=lambda t: -g[t])
        best_types = set(ranked[: len(set(types) - {None})])
        gain = np.array([g.get(t, 0.0) if t is not None else 0.0 for t in types])
        ideal = np.sort(np.repeat([g[t] for t in ranked], 6))[::-1][:top]
        disc = 1 / np.log2(np.arange(2, top + 2))
        ndcg = float((gain * disc[: len(gain)]).sum() / (ideal * disc).sum())
        intruders = [s for s, t in zip(sl["sku"], types) if t is None or g[t] < 0.1 * g[ranked[0]]]
        rows.append({"market": m, "precision": np.mean([t in best_types for t in types]), "ndcg@20": ndcg,
                     "intruders": len(intruders), "which": " ".join(intruders[:6])})
    return pd.DataFrame(rows)


def main(top: int = 20) -> None:
    demo = resources.files("sellglobal") / "data" / "demo"
    demand = demo_demand()
    gains = truth(demand)
    # Baseline in the same run: every keyword credits every product within the margin of its best, in full (no
    # product-side check, no split between distinct products).
    runs = {"baseline: credit nearest products in full": MatchSettings(product_margin=9.0, same_product_similarity=-1.0),
            "sellglobal": MatchSettings()}
    for name, settings in runs.items():
        table = evaluate(sellglobal.select(demo / "catalogue.csv", demand, top=top, settings=settings), gains, top)
        print(f"\n{name}")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(f"mean precision {table['precision'].mean():.3f}  mean nDCG@20 {table['ndcg@20'].mean():.3f}  "
              f"intruders {table['intruders'].sum()}")


if __name__ == "__main__":
    main()
