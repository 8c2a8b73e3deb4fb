"""Synthetic sales history, for the demo and the tests. SYNTHETIC: invented numbers, not anyone's sales.

Sales follow demand: a product's monthly units are Poisson with a mean proportional to the search volume credited
to it in that market (to the power 0.8), lowered by competition, raised by margin, times log-normal noise for
everything a model cannot see. Products that no search credits sell a trickle at most.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def synthetic_history(features: dict[str, pd.DataFrame], catalogue: pd.DataFrame, *, seed: int = 0,
                      unmatched_share: float = 0.3, noise: float = 0.5, units_per_search: float = 0.002) -> pd.DataFrame:
    """market, sku, units, revenue, conversion for the credited products of each market and a sample of the rest.

    ``features`` is what :func:`sellglobal.selection.select.feature_table` computes per market.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for code, feats in sorted(features.items()):
        listed = set(feats["sku"]) if len(feats) else set()
        rest = [s for s in catalogue["sku"] if s not in listed]
        extra = rng.choice(rest, size=int(len(rest) * unmatched_share), replace=False) if rest else []
        for _, f in (feats.iterrows() if len(feats) else iter(())):
            competition = 0.5 if math.isnan(f["competition"]) else f["competition"]
            margin = 0.0 if math.isnan(f["margin"]) else max(-0.5, min(0.6, f["margin"]))
            mean = units_per_search * f["demand_volume"] ** 0.8 * (1.2 - competition) * (1 + margin) \
                * rng.lognormal(0, noise)
            units = int(rng.poisson(mean))
            price = 0.0 if math.isnan(f["price"]) else f["price"]
            sessions = max(units, int(units / rng.uniform(0.05, 0.15))) if units else int(rng.integers(0, 30))
            rows.append({"market": code, "sku": f["sku"], "units": units, "revenue": round(units * price, 2),
                         "conversion": round(units / sessions, 4) if sessions else 0.0})
        for sku in extra:
            units = int(rng.poisson(0.3))
            rows.append({"market": code, "sku": sku, "units": units, "revenue": 0.0,
                         "conversion": round(units / 40, 4)})
    return pd.DataFrame(rows, columns=["market", "sku", "units", "revenue", "conversion"])
