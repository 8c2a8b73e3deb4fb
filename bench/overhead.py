"""select end to end versus the raw encoder alone on the same texts (target: overhead at most 20%).

Both in this process, interleaved and repeated, cold (no embedding cache), on the same synthetic catalogue and demand: the raw encoder encodes
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
    ap.add_argument("--repeats", type=int, default=2, help="interleaved runs of each; the best of each is compared")
    args = ap.parse_args()
    cat, dem = catalogue(args.products), demand(args.keywords)
    encoder = get_encoder()
    encoder.encode(["warm up"])
    texts = product_views(cat["title"].tolist()).texts + dem["keyword"].tolist()

    def timed(run) -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    # Interleaved, best of each: this machine's speed drifts by a third from one minute to the next, and the best
    # run of each is the one least disturbed.
    raw, full = [], []
    for _ in range(args.repeats):
        raw.append(timed(lambda: encoder.encode(texts)))
        full.append(timed(lambda: sellglobal.select(cat, dem, use_cache=False, model=encoder)))
    raw_s, full_s = min(raw), min(full)
    print(f"{args.products:,} products x {len(dem):,} keywords: raw encoder on the same {len(texts):,} texts "
          f"{raw_s:.1f} s ({len(texts) / raw_s:,.0f} texts/s; runs {', '.join(f'{t:.1f}' for t in raw)}); "
          f"select end to end {full_s:.1f} s (runs {', '.join(f'{t:.1f}' for t in full)})")
    print(f"overhead of select over the raw encoder: {full_s / raw_s - 1:+.0%} (target: at most +20%)")


if __name__ == "__main__":
    main()
