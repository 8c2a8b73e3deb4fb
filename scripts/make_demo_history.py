"""Write the demo's SYNTHETIC sales history and relevance judgments into sellglobal/data/demo/ (run from the repo root).

history.csv: units, revenue, conversion per (market, sku) from sellglobal.models.synthetic (sales follow the demand
select credits, lowered by competition, raised by margin, with noise). Invented, not real sales.
relevance.csv: every demo search term (five languages) judged against the products of its type (grade 3 for the
head term, 2 for the second term); from scripts/demo_products.py, so the truth is known.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_products import PRODUCTS  # noqa: E402

import sellglobal  # noqa: E402
from sellglobal.cli import DEMO_MARKETS, DEMO_SIGNALS  # noqa: E402
from sellglobal.models.synthetic import synthetic_history  # noqa: E402
from sellglobal.selection.select import feature_table  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "sellglobal" / "data" / "demo"


def main() -> None:
    signals = pd.concat([sellglobal.read_signals(OUT / n, market_code=DEMO_MARKETS.get(n)) for n in DEMO_SIGNALS])
    table = feature_table(OUT / "catalogue.csv", signals, use_cache=False)
    history = synthetic_history(table.features, table.catalogue, seed=20261129)
    history.to_csv(OUT / "history.csv", index=False, lineterminator="\n")
    rows = []
    skus = table.catalogue["sku"].tolist()
    for t, product in enumerate(PRODUCTS):
        mine = [s for s in skus if s[1:3] == f"{t + 1:02d}" and not s.startswith("X")]
        for terms in product[9:14]:
            for i, term in enumerate(terms):
                rows += [{"query": term, "sku": s, "grade": 3 if i == 0 else 2} for s in mine]
    pd.DataFrame(rows).drop_duplicates(["query", "sku"]).to_csv(OUT / "relevance.csv", index=False,
                                                                lineterminator="\n")
    print(f"wrote {len(history)} history rows and {len(rows)} judgments to {OUT}")


if __name__ == "__main__":
    main()
