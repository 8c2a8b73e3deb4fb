"""Listings at scale: time per listing and peak memory for 10,000 and 100,000 item-locales, in one script.

The catalogue and shortlist are the demo's, replicated (product i of copy c becomes SKU "c/i"), so the text of every
listing is realistic. Each size runs as a fresh `python -c` process writing all outputs (JSONL, validation, HTML
previews, Amazon feeds); peak resident memory is the child's ru_maxrss. Bounded memory shows as a peak that does
not grow with the number of listings.

Run: python bench/listings_scale.py [--sizes 10000,100000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import pandas as pd

CHILD = """
import json, resource, sys, time
import sellglobal
t = time.perf_counter()
frame = sellglobal.listings(sys.argv[1], sys.argv[2], channels=["amazon"], output_dir=sys.argv[3], collect=False)
n = sum(s["listings"] for s in frame.attrs["summary"])
failed = sum(s["failed"] for s in frame.attrs["summary"])
print(json.dumps({"listings": n, "failed": failed, "seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def build(work: Path, size: int) -> tuple[Path, Path]:
    demo = resources.files("sellglobal") / "data" / "demo"
    import sellglobal
    from sellglobal.cli import DEMO_MARKETS, DEMO_SIGNALS

    catalogue = sellglobal.read_catalogue(demo / "catalogue.csv")
    signals = pd.concat([sellglobal.read_signals(demo / n, market_code=DEMO_MARKETS.get(n)) for n in DEMO_SIGNALS])
    shortlist = sellglobal.select(catalogue, signals, top=len(catalogue))
    copies = -(-size // len(shortlist))
    cat = pd.concat([catalogue.assign(sku=catalogue["sku"] + f"/{c}") for c in range(copies)], ignore_index=True)
    short = pd.concat([shortlist.assign(sku=shortlist["sku"] + f"/{c}") for c in range(copies)],
                      ignore_index=True).head(size)
    cat = cat[cat["sku"].isin(set(short["sku"]))]
    cat_path, short_path = work / f"catalogue_{size}.parquet", work / f"shortlist_{size}.parquet"
    cat.to_parquet(cat_path)
    short.to_parquet(short_path)
    return cat_path, short_path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for size in sizes:
            cat, short = build(work, size)
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", CHILD, str(short), str(cat), str(work / f"out_{size}")],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["wall"] = time.perf_counter() - start
            r["size"] = size
            results.append(r)
            print(f"{size:>8,} item-locales: {r['listings']:,} listings ({r['failed']} failing) in {r['seconds']:.1f} s "
                  f"({r['listings'] / r['seconds']:,.0f}/s), peak RSS {r['peak_mb']:,.0f} MB", flush=True)
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(f"{b['size'] // a['size']}x the listings: time x{b['seconds'] / a['seconds']:.2f}, "
              f"peak memory x{b['peak_mb'] / a['peak_mb']:.2f}")


if __name__ == "__main__":
    main()
