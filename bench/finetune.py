"""Does fine-tuning the encoder on sales history help? Measured on the demo, on products it was not trained on.

The demo's product types are split in two by parity of their number. `train --fine-tune-encoder` pairs are built
from the synthetic history of the even types only; the odd types' search terms (five languages, from
sellglobal/data/demo/relevance.csv) are the test queries, ranked against the whole catalogue. In the same run:
the default encoder (multilingual USE), all-MiniLM-L6-v2 as shipped, the same model fine-tuned, and BM25.

Run: python bench/finetune.py   (needs the st extra)
"""
from __future__ import annotations

import tempfile
import time
from importlib import resources
from pathlib import Path

import pandas as pd

import sellglobal
from sellglobal.cli import DEMO_MARKETS, DEMO_SIGNALS
from sellglobal.models.finetune import fine_tune, training_pairs
from sellglobal.models.history import read_history
from sellglobal.models.retrieval import evaluate
from sellglobal.models.training import training_table
from sellglobal.selection.select import feature_table


def odd(sku: str) -> bool:
    return sku[1:3].isdigit() and int(sku[1:3]) % 2 == 1


def main() -> None:
    demo = resources.files("sellglobal") / "data" / "demo"
    signals = pd.concat([sellglobal.read_signals(demo / n, market_code=DEMO_MARKETS.get(n)) for n in DEMO_SIGNALS])
    table = feature_table(demo / "catalogue.csv", signals)
    history = read_history(demo / "history.csv")
    train_table = training_table(history[~history["sku"].map(odd)], table.features, table.catalogue)
    pairs = training_pairs(train_table, table.catalogue)
    relevance = pd.read_csv(demo / "relevance.csv")
    test = relevance[relevance["sku"].map(odd)]
    test = relevance[relevance["query"].isin(set(test["query"]))]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        tuned = fine_tune(pairs, Path(tmp) / "encoder", epochs=2)
        tune_s = time.perf_counter() - start
        for name, model in [("USE (default)", None), ("MiniLM", "all-MiniLM-L6-v2"), ("MiniLM fine-tuned", str(tuned))]:
            result = evaluate(test, demo / "catalogue.csv", model=model, use_cache=False)
            rows.append({"method": name, **{k: result["model"][k] for k in ("ndcg@10", "map", "recall@10")}})
        rows.append({"method": "BM25 (bm25s)", **{k: result["bm25"][k] for k in ("ndcg@10", "map", "recall@10")}})
    print(f"fine-tuned on {len(pairs)} pairs (even product types) in {tune_s:.0f} s; "
          f"{test['query'].nunique()} held-out queries (odd types)")
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    base, tuned_row = frame.iloc[1], frame.iloc[2]
    print(f"fine-tuned / base MiniLM nDCG@10 x{tuned_row['ndcg@10'] / base['ndcg@10']:.2f}; "
          f"fine-tuned / USE x{tuned_row['ndcg@10'] / frame.iloc[0]['ndcg@10']:.2f}")


if __name__ == "__main__":
    main()
