"""select end to end versus the raw encoder alone on the same texts (target: overhead at most 20%).

Same synthetic catalogue and demand for both. The raw encoder encodes exactly the texts select encodes (each
product's views: title and English gloss; every keyword); select does that plus reading, glossing, matching,
scoring and ranking, with no embedding cache. Each run is a fresh process, so select pays for loading its
dictionaries and language detector every time, as a real run does; the clock starts once the encoder's weights are
loaded and the modules imported, on both sides. The runs alternate and the best of each is compared: this machine's speed drifts by a third
from one minute to the next.

Run: python bench/overhead.py [--products 20000] [--keywords 2000] [--repeats 2]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time


def child(kind: str, products: int, keywords: int) -> None:
    import sellglobal
    from sellglobal.models.encoders import get_encoder
    from sellglobal.models.matching import product_views
    from synthetic_data import catalogue, demand

    cat, dem = catalogue(products), demand(keywords)
    encoder = get_encoder()
    encoder.encode(["warm up"])
    select = sellglobal.select  # imported on first use (scikit-learn and all): before the clock, like the weights
    if kind == "raw":
        texts = product_views(cat["title"].tolist()).texts + dem["keyword"].tolist()
        start = time.perf_counter()
        encoder.encode(texts)
        print(f"{time.perf_counter() - start} {len(texts)}")
    else:
        start = time.perf_counter()
        select(cat, dem, use_cache=False, model=encoder)
        print(f"{time.perf_counter() - start} 0")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=20000)
    ap.add_argument("--keywords", type=int, default=2000, help="per market (5 markets)")
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each; the best of each is compared")
    ap.add_argument("--child", choices=["raw", "select"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.products, args.keywords)

    def run(kind: str) -> tuple[float, int]:
        out = subprocess.run([sys.executable, __file__, "--child", kind, "--products", str(args.products),
                              "--keywords", str(args.keywords)], check=True, capture_output=True, text=True)
        seconds, texts = out.stdout.split()
        return float(seconds), int(texts)

    raw, full, n_texts = [], [], 0
    for _ in range(args.repeats):
        seconds, n_texts = run("raw")
        raw.append(seconds)
        full.append(run("select")[0])
    raw_s, full_s = min(raw), min(full)
    print(f"{args.products:,} products x {5 * args.keywords:,} keywords: raw encoder on the same {n_texts:,} texts "
          f"{raw_s:.1f} s ({n_texts / raw_s:,.0f} texts/s; runs {', '.join(f'{t:.1f}' for t in raw)}); "
          f"select end to end {full_s:.1f} s (runs {', '.join(f'{t:.1f}' for t in full)})")
    print(f"overhead of select over the raw encoder: {full_s / raw_s - 1:+.0%} (target: at most +20%)")


if __name__ == "__main__":
    main()
