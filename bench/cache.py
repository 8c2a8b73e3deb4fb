"""Warm rerun versus cold run of `sellglobal select` on a synthetic catalogue (process start included).

Both runs are the real command in a fresh process, in the same script: the cold one with an empty embedding cache,
the warm one right after, on the unchanged catalogue. Prints the ratio and how many texts the warm run encoded.

Usage: python bench/cache.py [--products 5000]
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from demo_products import PRODUCTS  # noqa: E402

ADJ = ["加厚", "升级款", "便携式", "家用", "迷你", "大号", "小号", "多功能", "折叠", "防水", "透气", "耐用"]
COL = ["黑色", "白色", "灰色", "粉色", "蓝色", "绿色", "红色", "卡其色"]


def make_catalogue(path: Path, n: int) -> None:
    rng = random.Random(5000)
    lines = ["sku,title,cost,weight_kg"]
    for i in range(n):
        p = PRODUCTS[i % len(PRODUCTS)]
        lines.append(f"S{i:06d},{rng.choice(ADJ)}{p[0]} {rng.choice(COL)} {i},{p[4]},{p[5]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sellglobal", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=5000)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cat = tmp / "catalogue.csv"
        make_catalogue(cat, opts.products)
        demo = ROOT / "sellglobal" / "data" / "demo"
        args = ["select", str(cat), "-s", str(demo / "amazon_ba_US.csv"), "-s", str(demo / "demand_ES.csv"),
                "--cache-dir", str(tmp / "cache"), "-q", "-o", str(tmp / "out.csv")]
        cold = run(args)
        warm = run(args)
        from sellglobal.models.encoders import CachedEncoder, get_encoder

        import resource

        import pandas as pd

        from sellglobal.models.matching import embed_products

        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        probe = CachedEncoder(get_encoder(), tmp / "cache")
        embed_products(pd.read_csv(cat)["title"].tolist(), None, probe)
        print(f"select on {opts.products:,} products, process start included")
        print(f"cold run  {cold:7.2f} s")
        print(f"warm run  {warm:7.2f} s   warm/cold = {warm / cold:.2f}")
        print(f"texts encoded again for the products on the warm cache: {probe.encoded}")
        print(f"peak RSS of the select processes: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
