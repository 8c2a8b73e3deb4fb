"""Listings: render + validate + repair + language check + export, versus raw Jinja rendering of the same
templates for the same items (target: at least 50% of the raw throughput).

On the demo shortlist replicated to --items item-locales (each copy with its own model number, so no two listings
are the same text), Amazon channel. Raw: the four shipped templates (title, bullets, description, video) rendered
in this process for each item's prepared context, nothing else. Full: `sellglobal.listings(..., output_dir=...)`,
which also prepares the contexts, writes every output file and checks, once in this process (`workers=1`) and once
with one worker process per core (what `sellglobal listings` does by default). The three runs alternate and the
best of each is compared: this machine's speed drifts by a third from one minute to the next.

Run: python bench/listings_vs_jinja.py [--items 20000] [--repeats 2]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from importlib import resources
from pathlib import Path

import pandas as pd

import sellglobal
from sellglobal.cli import DEMO_MARKETS, DEMO_SIGNALS
from sellglobal.listings.generate import locale_for
from sellglobal.listings.glossary import load_glossary
from sellglobal.listings.render import KINDS, Templates, build_item


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    demo = resources.files("sellglobal") / "data" / "demo"
    catalogue = sellglobal.read_catalogue(demo / "catalogue.csv")
    signals = pd.concat([sellglobal.read_signals(demo / n, market_code=DEMO_MARKETS.get(n)) for n in DEMO_SIGNALS])
    shortlist = sellglobal.select(catalogue, signals, top=len(catalogue))
    copies = -(-args.items // len(shortlist))
    # each copy its own model number, which the listing text carries: no two listings are the same text, so no
    # cache of language checks or formatted texts sees a repeat that a real catalogue would not have
    cat = pd.concat([catalogue.assign(sku=catalogue["sku"] + f"/{c}",
                                      attributes=catalogue["attributes"].fillna("") + f";型号:SG-{c:05d}")
                     for c in range(copies)], ignore_index=True)
    short = pd.concat([shortlist.assign(sku=shortlist["sku"] + f"/{c}") for c in range(copies)],
                      ignore_index=True).head(args.items)

    by_sku = {r["sku"]: r for r in cat.to_dict("records")}
    glossaries = {loc: load_glossary(loc) for loc in {locale_for(m) for m in short["market"]}}
    templates = Templates()
    items = []
    for r in short.itertuples():
        g = glossaries[locale_for(r.market)]
        item, _ = build_item(by_sku[r.sku], r.keywords.split(" | "), glossary=g, channel="amazon")
        if item is not None:
            items.append((item, g))
    cores = os.cpu_count() or 1
    raw, timings = float("inf"), {w: float("inf") for w in sorted({1, cores})}
    for _ in range(args.repeats):
        start = time.perf_counter()
        for item, g in items:
            for kind in KINDS:
                templates.render("amazon", kind, item, g)
        raw = min(raw, time.perf_counter() - start)
        for workers in timings:
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                sellglobal.listings(short, cat, channels=["amazon"], output_dir=Path(tmp) / "out", collect=False,
                                    workers=workers)
                timings[workers] = min(timings[workers], time.perf_counter() - start)
    print(f"{len(short):,} item-locales, best of {args.repeats}: raw Jinja {raw:.2f} s ({len(items) / raw:,.0f}/s, "
          "one core)")
    for workers, full in timings.items():
        print(f"listings end to end, {workers} worker process{'es' if workers > 1 else ''}: {full:.2f} s "
              f"({len(short) / full:,.0f}/s) = {raw / full:.0%} of raw Jinja throughput (target: at least 50%)")


if __name__ == "__main__":
    main()
