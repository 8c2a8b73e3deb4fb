"""Command line: thin click layer over the library (parse options -> call the library -> print)."""
from __future__ import annotations

import math
import sys
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import click

from . import __version__
from .errors import SellglobalError
from .selection.tables import WRITE_SUFFIXES


class _Cli(click.Group):
    """Turns every SellglobalError into a one-line (per problem) message and exit code 1, in one place."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SellglobalError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sellglobal")
def cli() -> None:
    """sellglobal: decide which of your products to sell in which overseas market.

    Example:

        sellglobal select catalogue.xlsx --signals amazon_ba_US.csv --signals kp_DE.csv --market DE -o shortlist.xlsx
    """


def _progress_factory(quiet: bool):
    if quiet:
        return None

    @contextmanager
    def factory(label: str, total: int):
        with click.progressbar(length=max(total, 1), label=label.ljust(18), file=sys.stderr,
                               show_eta=True, show_percent=True) as bar:
            yield bar

    return factory


def _check_output(path: str | None) -> None:
    if path and Path(path).suffix.lower() not in WRITE_SUFFIXES:
        raise click.UsageError(f"-o {path}: unknown output type; end the name with one of {', '.join(WRITE_SUFFIXES)}")


def _summary(frame) -> str:
    lines = [f"{'market':<7}{'keywords':>9}{'searches/mo':>13}{'matched':>9}{'listed':>8}{'covered':>9}  top pick"]
    for s in frame.attrs.get("summary", []):
        top = frame[(frame["market"] == s["market"]) & (frame["rank"] == 1)]
        pick = f"{top.iloc[0]['sku']} {top.iloc[0]['title']}" if len(top) else "-"
        lines.append(f"{s['market']:<7}{s['keywords']:>9,}{s['volume']:>13,.0f}{s['matched_products']:>9,}"
                     f"{s['shortlisted']:>8,}{s['covered_share']:>9.0%}  {pick[:60]}")
    return "\n".join(lines)


def _run_select(catalogue, signals, markets, market_code, top, min_margin, max_weight_kg, exclude_category, model,
                cache_dir, no_cache, costs, quiet):
    from .selection.commerce import CommerceConfig
    from .selection.select import select

    return select(catalogue, list(signals), markets=markets, market_code=market_code, top=top, min_margin=min_margin,
                  max_weight_kg=max_weight_kg, exclude_category=exclude_category, model=model, cache_dir=cache_dir,
                  use_cache=not no_cache, commerce=CommerceConfig.from_file(costs) if costs else None,
                  progress=_progress_factory(quiet))


def _emit(frame, output: str | None, quiet: bool) -> None:
    from .selection.tables import write_table

    if output:
        path = write_table(frame, output)
        if not quiet:
            click.echo(f"wrote {len(frame)} rows to {path}", err=True)
    else:
        click.echo(frame.to_csv(index=False), nl=False)
    if not quiet:
        click.echo(_summary(frame), err=True)


_select_options = [
    click.option("--signals", "-s", multiple=True, required=True, type=click.Path(dir_okay=False),
                 help="Demand export (Amazon Brand Analytics, Keyword Planner, Google Trends, Helium 10, "
                      "Jungle Scout or canonical CSV). Repeat for several files."),
    click.option("--market", "market_code", metavar="CODE", help="Market (ISO code) for demand files that name none."),
    click.option("--markets", metavar="US,DE,...", help="Markets to rank (default: every market in the signals)."),
    click.option("--top", default=20, show_default=True, type=click.IntRange(min=1), help="Shortlist length per market."),
    click.option("--min-margin", type=float, help="Drop products whose margin is known and below this (0.2 = 20%)."),
    click.option("--max-weight-kg", type=click.FloatRange(min=0), help="Drop products heavier than this."),
    click.option("--exclude-category", multiple=True, metavar="C", help="Drop products whose category contains C."),
    click.option("--model", help="Encoder: use-multilingual-v3 (default), all-MiniLM-L6-v2, or a "
                                 "sentence-transformers model folder."),
    click.option("--cache-dir", type=click.Path(file_okay=False), help="Embedding cache folder "
                                                                       "(default: the user cache directory)."),
    click.option("--no-cache", is_flag=True, help="Do not read or write the embedding cache."),
    click.option("--costs", type=click.Path(dir_okay=False, exists=True),
                 help="TOML or JSON with fx, freight_cny_per_kg, fee_rate, fixed_fee tables."),
    click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file: .csv .xlsx .parquet .json "
                                                                         ".jsonl (default: CSV on stdout)."),
    click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary on stderr."),
]


def _with_options(options):
    def wrap(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn
    return wrap


@cli.command()
@click.argument("catalogue", type=click.Path(dir_okay=False))
@_with_options(_select_options)
def select(catalogue, signals, market_code, markets, top, min_margin, max_weight_kg, exclude_category, model,
           cache_dir, no_cache, costs, output, quiet):
    """Rank CATALOGUE against overseas demand: which products to list in which market.

    Writes one row per (market, product) in the shortlist: market, rank, sku, title, score, demand_volume,
    margin, landed_cost, price, keywords (matched search terms in the market's language, best first) and why.

    Example:

        sellglobal select catalogue.csv -s amazon_ba_US.csv -s keyword_planner_DE.csv --market DE --top 30 -o shortlist.xlsx
    """
    _check_output(output)
    frame = _run_select(catalogue, signals, markets, market_code, top, min_margin, max_weight_kg, exclude_category,
                        model, cache_dir, no_cache, costs, quiet)
    _emit(frame, output, quiet)


def demo_dir() -> Path:
    return Path(str(resources.files("sellglobal") / "data" / "demo"))


DEMO_SIGNALS = ["amazon_ba_US.csv", "helium10_cerebro_US.csv", "keyword_planner_DE.csv", "jungle_scout_FR.csv",
                "demand_ES.csv", "keyword_planner_JP.csv", "prices.csv"]
# Files without a market inside them, and the market they were exported for.
DEMO_MARKETS = {"helium10_cerebro_US.csv": "US", "keyword_planner_DE.csv": "DE", "jungle_scout_FR.csv": "FR",
                "keyword_planner_JP.csv": "JP"}


@cli.command()
@click.option("-o", "--output-dir", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's outputs.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1), help="Shortlist length per market.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Embedding cache folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary on stderr.")
def demo(output_dir, top, cache_dir, quiet):
    """Run select on the bundled, illustrative demo data (300 products; US, DE, FR, ES, JP demand).

    Example:

        sellglobal demo -o demo-output
    """
    import pandas as pd

    from .selection.demand import read_signals
    from .selection.select import select as run
    from .selection.tables import write_table

    data = demo_dir()
    frames = [read_signals(data / name, market_code=DEMO_MARKETS.get(name)) for name in DEMO_SIGNALS]
    shortlist = run(data / "catalogue.csv", [pd.concat(frames, ignore_index=True)], top=top, cache_dir=cache_dir,
                    progress=_progress_factory(quiet))
    out = Path(output_dir)
    path = write_table(shortlist, out / "shortlist.csv")
    write_table(shortlist, out / "shortlist.xlsx")
    if not quiet:
        click.echo(_summary(shortlist), err=True)
    click.echo(f"Demo outputs (illustrative data):\n  {path.resolve()}\n  {(out / 'shortlist.xlsx').resolve()}")
