"""select end to end versus the raw encoder alone on the same texts (target: overhead at most 20%).

Both in this process, cold (no embedding cache), on the same synthetic catalogue and demand: the raw encoder encodes
exactly the texts select encodes (each product's views: title and English gloss; every keyword); select does that
plus reading, glossing, matching, scoring and ranking.

Run: python bench/overhead.py [--products 20000] [--keywords 2000]
"""
from __future__ import annotations

import argparse
import time

import sellglobal
from sellglobal.models.encoders import get_encoder
from sellglobal.models.matching import product_views

from synthetic_data import catalogue, demand


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=20000)
    ap.add_argument("--keywords", type=int, default=2000, help="per market (5 markets)")
    args = ap.parse_args()
    cat, dem = catalogue(args.products), demand(args.keywords)
    encoder = get_encoder()
    encoder.encode(["warm up"])
    texts = product_views(cat["title"].tolist()).texts + dem["keyword"].tolist()
    def raw_run() -> float:
        start = time.perf_counter()
        encoder.encode(texts)
        return time.perf_counter() - start

    before = raw_run()
    start = time.perf_counter()
    sellglobal.select(cat, dem, use_cache=False, model=encoder)
    full = time.perf_counter() - start
    # the raw encoder before and after select: the faster of the two, so that a noisy moment does not flatter select
    raw = min(before, raw_run())
    print(f"{args.products:,} products x {len(dem):,} keywords: raw encoder on the same {len(texts):,} texts "
          f"{raw:.1f} s ({len(texts) / raw:,.0f} texts/s); select end to end {full:.1f} s")
    print(f"overhead of select over the raw encoder: {full / raw - 1:+.0%} (target: at most +20%)")


if __name__ == "__main__":
    main()
