"""The scale run: `sellglobal select` on 1,000,000 products x 5 markets x 50,000 keywords per market.

Writes the synthetic catalogue and demand as CSV files, runs the real command in a child process (cold: an empty
embedding cache in a temporary folder, which the run fills), and reports its wall time and peak memory. As the
baseline, the same script times the raw encoder on a sample of the texts the run encodes and scales it to all of
them, so the ratio says how much of the run is the encoding no pipeline can avoid.

Run: python bench/million.py [--products 1000000] [--keywords 50000]   (about an hour on 2 cores)
"""
from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic_data import catalogue, demand

from sellglobal.models.encoders import get_encoder
from sellglobal.models.matching import product_views


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=1_000_000)
    ap.add_argument("--keywords", type=int, default=50_000, help="per market (5 markets)")
    ap.add_argument("--sample", type=int, default=20_000, help="texts in the raw-encoder baseline")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cat, dem = catalogue(args.products), demand(args.keywords)
        cat.to_csv(tmp / "catalogue.csv", index=False)
        dem.to_csv(tmp / "demand.csv", index=False)
        views = product_views(cat["title"].sample(min(args.sample, len(cat)), random_state=1).tolist())
        n_texts = round(len(views.texts) / min(args.sample, len(cat)) * len(cat)) + len(dem)
        del cat, dem

        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sellglobal", "select", str(tmp / "catalogue.csv"),
                        "-s", str(tmp / "demand.csv"), "--cache-dir", str(tmp / "cache"), "--top", "100",
                        "-o", str(tmp / "shortlist.csv")], check=True)
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = sum(1 for _ in open(tmp / "shortlist.csv", encoding="utf-8")) - 1

        encoder = get_encoder()
        sample = random.Random(2).sample(views.texts, min(args.sample, len(views.texts)))
        encoder.encode(sample[:100])
        t0 = time.perf_counter()
        encoder.encode(sample)
        raw = (time.perf_counter() - t0) / len(sample) * n_texts
    print(f"{args.products:,} products x 5 markets x {args.keywords:,} keywords: select {took / 60:.1f} min, "
          f"peak RSS {peak / 1024:.1f} GB, {rows:,} shortlist rows")
    print(f"raw encoder on the run's {n_texts:,} texts (scaled from {len(sample):,}): {raw / 60:.1f} min; "
          f"select took {took / raw:.2f}x that")


if __name__ == "__main__":
    main()
