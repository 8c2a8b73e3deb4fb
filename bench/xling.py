"""Cross-lingual retrieval dev benchmark on public product taxonomies.

Sets (all from ../shared/data, see the README for sources and licences):
  de-DE -> en-US, ja-JP -> en-US   Google product taxonomy category paths, parallel by ID, against all en-US paths.
  zh -> en-US / de-DE / ja-JP      Chinese set of our own making: Shopify taxonomy zh-CN categories whose English
                                   name equals a Google category's name (4,978 pairs), zh path against all Google
                                   paths of the target locale. Held apart: the product phrase vocabulary used by
                                   sellglobal's matching is rebuilt here from the other half of the Shopify
                                   categories, and no test leaf name is in it.
Methods, all in the same run: the raw default encoder (USE), MiniLM, BM25 (bm25s), and for the Chinese set the
product's own matching (USE over the mean of title and gloss views).

Usage: python bench/xling.py [--data ../shared/data] [--limit N] [--leaf]
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sellglobal.models.encoders import CachedEncoder, get_encoder  # noqa: E402
from sellglobal.models.gloss import Glosser  # noqa: E402
from sellglobal.models.matching import embed_products  # noqa: E402

CACHE = Path(__file__).resolve().parent / "out" / "cache"


def load_google(data: Path, locale: str) -> dict[int, str]:
    out = {}
    for line in (data / "google-product-taxonomy" / f"taxonomy-with-ids.{locale}.txt").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            i, _, path = line.partition(" - ")
            out[int(i)] = path.strip()
    return out


def load_shopify(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("gid"):
            gid, _, p = line.partition(" : ")
            out[gid.strip()] = p.replace("\u200b", "").strip()
    return out


def leaf(path: str) -> str:
    return path.split(" > ")[-1]


def in_test_half(key: str) -> bool:
    return hashlib.sha1(key.encode()).digest()[0] % 2 == 1


def metrics(ranks: np.ndarray) -> dict[str, float]:
    return {"R@1": float(np.mean(ranks == 0)), "R@10": float(np.mean(ranks < 10)), "MRR": float(np.mean(1 / (ranks + 1)))}


def ranks_from_scores(scores: np.ndarray, target: np.ndarray) -> np.ndarray:
    # Ties count against the method (a tie with 5,000 zero scores is not a hit).
    true = scores[np.arange(len(target)), target]
    return (scores >= true[:, None]).sum(axis=1) - 1


def dense_ranks(encoder, queries, cands, target):
    q, c = encoder.encode(queries), encoder.encode(cands)
    return ranks_from_scores(q @ c.T, target)


def bm25_ranks(queries, cands, target):
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(cands, show_progress=False), show_progress=False)
    q_tokens = bm25s.tokenize(queries, show_progress=False, return_ids=False)
    scores = np.zeros((len(queries), len(cands)), dtype=np.float32)
    for i, toks in enumerate(q_tokens):
        scores[i] = retriever.get_scores(toks) if toks else 0
    return ranks_from_scores(scores, target)


def product_ranks(encoder, glosser, queries, cands, target):
    products = embed_products(queries, None, encoder, glosser=glosser)
    return ranks_from_scores(products @ encoder.encode(cands).T, target)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--limit", type=int, default=0, help="queries per set (0: all)")
    ap.add_argument("--leaf", action="store_true", help="match leaf names instead of full paths")
    ap.add_argument("--no-minilm", action="store_true")
    args = ap.parse_args(argv)
    text = leaf if args.leaf else (lambda p: p)
    google = {loc: load_google(args.data, loc) for loc in ("en-US", "de-DE", "ja-JP")}
    use = CachedEncoder(get_encoder(), CACHE)
    encoders = {"USE (raw)": use}
    if not args.no_minilm:
        try:
            encoders["MiniLM (raw)"] = CachedEncoder(get_encoder("all-MiniLM-L6-v2"), CACHE)
        except Exception as exc:  # the st extra may be missing
            print(f"MiniLM skipped: {exc}", file=sys.stderr)
    rows = []

    def run(set_name, queries, cand_locale, targets_ids, extra=None):
        ids = list(google[cand_locale])
        cands = [text(google[cand_locale][i]) for i in ids]
        pos = {i: n for n, i in enumerate(ids)}
        target = np.array([pos[t] for t in targets_ids])
        if args.limit:
            queries, target = queries[:args.limit], target[:args.limit]
        for name, enc in encoders.items():
            t = time.perf_counter()
            rows.append((set_name, name, len(queries), metrics(dense_ranks(enc, queries, cands, target)),
                         time.perf_counter() - t))
        t = time.perf_counter()
        rows.append((set_name, "BM25 (bm25s)", len(queries), metrics(bm25_ranks(queries, cands, target)),
                     time.perf_counter() - t))
        if extra:
            t = time.perf_counter()
            rows.append((set_name, "sellglobal matching", len(queries), metrics(extra(queries, cands, target)),
                         time.perf_counter() - t))

    for src in ("de-DE", "ja-JP"):
        common = [i for i in google[src] if i in google["en-US"]]
        run(f"{src} -> en-US", [text(google[src][i]) for i in common], "en-US", common)

    zh = load_shopify(args.data / "shopify-taxonomy" / "categories.zh-CN.txt")
    en = load_shopify(args.data / "shopify-taxonomy" / "categories.en.partial.txt")
    by_leaf: dict[str, list[int]] = {}
    for i, p in google["en-US"].items():
        by_leaf.setdefault(leaf(p).lower(), []).append(i)
    test_leaves = {leaf(zh[g]) for g in en if in_test_half(g)}
    phrases: dict[str, str] = {}
    for g, p in en.items():
        z = leaf(zh[g])
        if not in_test_half(g) and z not in test_leaves and len(z) >= 2:
            phrases.setdefault(z, leaf(p))
    glosser = Glosser(phrases=phrases)
    pairs = [(zh[g], by_leaf[leaf(p).lower()][0]) for g, p in en.items()
             if in_test_half(g) and len(by_leaf.get(leaf(p).lower(), [])) == 1]
    for loc in ("en-US", "de-DE", "ja-JP"):
        subset = [(q, t) for q, t in pairs if t in google[loc]]
        run(f"zh -> {loc}", [text(q) for q, _ in subset], loc, [t for _, t in subset],
            extra=lambda q, c, t: product_ranks(use, glosser, q, c, t))

    kind = "leaf names" if args.leaf else "full paths"
    print(f"\nCross-lingual retrieval, {kind}, among all categories of the target locale "
          f"(phrase vocabulary held apart: {len(phrases)} entries)\n")
    print("| set | method | queries | R@1 | R@10 | MRR | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for set_name, method, n, m, secs in rows:
        print(f"| {set_name} | {method} | {n} | {m['R@1']:.3f} | {m['R@10']:.3f} | {m['MRR']:.3f} | {secs:.1f} |")
    for set_name in dict.fromkeys(r[0] for r in rows):
        base = next((r[3] for r in rows if r[0] == set_name and r[1] == "USE (raw)"), None)
        ours = next((r[3] for r in rows if r[0] == set_name and r[1] == "sellglobal matching"), None)
        if base and ours:
            print(f"{set_name}: sellglobal / raw USE  R@1 x{ours['R@1'] / base['R@1']:.2f}  "
                  f"R@10 x{ours['R@10'] / base['R@10']:.2f}  MRR x{ours['MRR'] / base['MRR']:.2f}")


if __name__ == "__main__":
    main()
