"""Command line: thin click layer over the library (parse options -> call the library -> print)."""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import click

from . import __version__
from .errors import SellglobalError
from .selection.tables import WRITE_SUFFIXES


SHOWN_PROBLEMS = 20  # a wrong file can break every row: the first ones say what is wrong, the count says how much


class _Cli(click.Group):
    """Turns every SellglobalError into a one-line (per problem) message and exit code 1, in one place."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SellglobalError as exc:
            problems = getattr(exc, "problems", None)
            if problems and len(problems) > SHOWN_PROBLEMS:
                raise click.ClickException("\n".join(
                    [str(p) for p in problems[:SHOWN_PROBLEMS]]
                    + [f"... and {len(problems) - SHOWN_PROBLEMS:,} more problems (fix these and run again)"])) \
                    from None
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
        start, bars = time.monotonic(), []

        def rate(_item) -> str:  # items per second so far, beside the percentage and the time left
            elapsed = time.monotonic() - start
            done = bars[0].pos if bars else 0
            return f"{done / elapsed:,.0f}/s" if done and elapsed > 0 else ""

        with click.progressbar(length=max(total, 1), label=label.ljust(18), file=sys.stderr,
                               show_eta=True, show_percent=True, item_show_func=rate) as bar:
            bars.append(bar)
            yield bar

    return factory


def _check_output(path: str | None) -> None:
    if path and Path(path).suffix.lower() not in WRITE_SUFFIXES:
        raise click.UsageError(f"-o {path}: unknown output type; end the name with one of {', '.join(WRITE_SUFFIXES)}")


def _summary(frame) -> str:
    header = ["market", "keywords", "searches/mo", "matched", "listed", "covered", "top pick"]
    rows = []
    for s in frame.attrs.get("summary", []):
        top = frame[(frame["market"] == s["market"]) & (frame["rank"] == 1)]
        pick = f"{top.iloc[0]['sku']} {top.iloc[0]['title']}" if len(top) else "-"
        rows.append([s["market"], f"{s['keywords']:,}", f"{s['volume']:,.0f}", f"{s['matched_products']:,}",
                     f"{s['shortlisted']:,}", f"{s['covered_share']:.0%}", pick[:60]])
    # columns as wide as their widest cell: a billion searches a month must not run into the next column
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    return "\n".join("  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:-1], widths[1:])] + [r[-1]])
                     for r in [header, *rows])


def _run_select(catalogue, signals, markets, market_code, top, min_margin, max_weight_kg, exclude_category, model,
                cache_dir, no_cache, costs, quiet, ranker=None, engine=None, ann=False):
    from .selection.commerce import CommerceConfig
    from .selection.select import select

    return select(catalogue, list(signals), markets=markets, market_code=market_code, top=top, min_margin=min_margin,
                  max_weight_kg=max_weight_kg, exclude_category=exclude_category, model=model, cache_dir=cache_dir,
                  use_cache=not no_cache, commerce=CommerceConfig.from_file(costs) if costs else None,
                  progress=_progress_factory(quiet), ranker=ranker, engine=engine, ann=ann)


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
    click.option("--signals", "-s", multiple=True, required=True, metavar="[MARKET:]FILE",
                 help="Demand export (Amazon Brand Analytics, Keyword Planner, Google Trends, Helium 10, "
                      "Jungle Scout or canonical CSV); DE:file.csv names the market of a file that has none. "
                      "Repeat for several files."),
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


_engine_options = [
    click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                 help="Run in this process, or partitioned on a dask.distributed cluster (dask extra)."),
    click.option("--scheduler", metavar="ADDRESS",
                 help="Dask scheduler to use with --engine dask, e.g. tcp://10.0.0.5:8786 (default: a local "
                      "cluster on this machine)."),
]


@contextmanager
def _engine(name: str, scheduler: str | None):
    from .engine import get_engine

    if scheduler and name != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    engine = get_engine(name, scheduler)
    try:
        yield engine
    finally:
        engine.close()


def _with_options(options):
    def wrap(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn
    return wrap


@cli.command()
@click.argument("catalogue", type=click.Path(dir_okay=False))
@_with_options(_select_options)
@click.option("--ranker", type=click.Path(file_okay=False, exists=True),
              help="A model folder written by sellglobal train (default: the hand-set default ranker).")
@click.option("--ann", is_flag=True,
              help="Match through approximate nearest-neighbour indexes (usearch; ann extra) instead of every "
                   "product against every keyword: for millions of products x keywords. See the README for recall.")
@_with_options(_engine_options)
def select(catalogue, signals, market_code, markets, top, min_margin, max_weight_kg, exclude_category, model,
           cache_dir, no_cache, costs, output, quiet, ranker, ann, engine, scheduler):
    """Rank CATALOGUE against overseas demand: which products to list in which market.

    Writes one row per (market, product) in the shortlist: market, rank, sku, title, score, demand_volume,
    margin, landed_cost, price, keywords (matched search terms in the market's language, best first) and why.

    Example:

        sellglobal select catalogue.csv -s amazon_ba_US.csv -s keyword_planner_DE.csv --market DE --top 30 -o shortlist.xlsx
    """
    _check_output(output)
    with _engine(engine, scheduler) as runner:
        frame = _run_select(catalogue, signals, markets, market_code, top, min_margin, max_weight_kg,
                            exclude_category, model, cache_dir, no_cache, costs, quiet, ranker=ranker, engine=runner,
                            ann=ann)
    _emit(frame, output, quiet)


def _listing_summary(summary: list[dict]) -> str:
    lines = [f"{'channel':<9}{'locale':<8}{'listings':>9}{'repaired':>10}{'failed':>8}"]
    for s in summary:
        lines.append(f"{s['channel']:<9}{s['locale']:<8}{s['listings']:>9,}{s['repaired']:>10,}{s['failed']:>8,}")
    return "\n".join(lines)


CHANNEL_NAMES = ["amazon", "shopify", "ebay", "tiktok", "google", "etsy"]


@cli.command()
@click.argument("shortlist", type=click.Path(dir_okay=False, exists=True))
@click.option("--catalogue", "-c", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The catalogue select ranked (facts for the listings).")
@click.option("--channel", "channels", multiple=True, type=click.Choice(CHANNEL_NAMES), default=["amazon"],
              show_default=True, help="Marketplace or shop channel. Repeat for several.")
@click.option("--locale", "locales", metavar="en-US,de-DE,...",
              help="Write every shortlisted product in these locales (default: each market's own locale).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="Folder of your own Jinja templates, overriding the shipped ones by name "
                   "(CHANNEL/KIND[.LOCALE].j2, KIND = title, bullets, description, video).")
@click.option("--glossary", type=click.Path(dir_okay=False, exists=True),
              help="TOML extending the shipped glossaries, e.g. [de-DE.colours] or [fr-FR.products].")
@click.option("--amazon-rules", type=click.Choice(["amazon", "amazon-2026"]), default="amazon", show_default=True,
              help="Amazon rule set: amazon-2026 limits titles to 75 characters.")
@click.option("--base-url", help="Your shop's URL, for product links in the Google Merchant feed.")
@click.option("--seller-id", default="", help="Your Amazon merchant token, for the Amazon JSON feed header.")
@click.option("--model", help="Encoder for matching Google product categories (default: multilingual USE).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Embedding cache folder.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run in OUTDIR without redoing finished listings.")
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False),
              help="Folder for listings.jsonl, validation.csv, preview/, shopify/, amazon/, google/.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary on stderr.")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Processes writing listings side by side on this machine (default: one per core).")
@_with_options(_engine_options)
def listings(shortlist, catalogue, channels, locales, templates, glossary, amazon_rules, base_url, seller_id, model,
             cache_dir, resume, output_dir, quiet, jobs, engine, scheduler):
    """Write native-language listings and short-video scripts for SHORTLIST (the output of select).

    Every item x locale x channel gets a title, bullets, description, search terms or tags and a 15 to 30 second
    video script, checked against the channel's rules (repaired where that is safe), and exported as
    listings.jsonl, per-locale HTML previews, a Shopify product CSV, Amazon JSON feeds and a Google Merchant feed.

    Example:

        sellglobal listings shortlist.csv -c catalogue.csv --channel amazon --channel shopify -o listings/
    """
    from .listings.generate import listings as run

    locale_list = [x.strip() for x in locales.split(",") if x.strip()] if locales else None
    with _engine(engine, scheduler) as runner:
        frame = run(shortlist, catalogue, channels=list(channels), locales=locale_list, templates=templates,
                    glossary=glossary, amazon_rules=amazon_rules, output_dir=output_dir, resume=resume,
                    base_url=base_url, seller_id=seller_id, model=model, cache_dir=cache_dir,
                    progress=_progress_factory(quiet), collect=False, engine=runner,
                    workers=jobs or os.cpu_count() or 1)
    out = Path(output_dir)
    summary = frame.attrs["summary"]
    if not quiet:
        click.echo(_listing_summary(summary), err=True)
    click.echo(f"{sum(s['listings'] for s in summary)} listings: {(out / 'listings.jsonl').resolve()}")
    click.echo(f"validation report: {(out / 'validation.csv').resolve()}")


def _metrics_table(metrics: dict, names: list[str]) -> str:
    cols = ["ndcg@10", "map", "recall@10", "recall@50"]
    lines = [f"{'':<10}" + "".join(f"{c:>11}" for c in cols)]
    for name in names:
        lines.append(f"{name:<10}" + "".join(f"{metrics[name].get(c, 0.0):>11.3f}" for c in cols))
    return "\n".join(lines)


@cli.command()
@click.argument("history", type=click.Path(dir_okay=False, exists=True))
@click.option("--catalogue", "-c", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The catalogue the history's SKUs come from.")
@click.option("--signals", "-s", multiple=True, required=True, metavar="[MARKET:]FILE",
              help="Demand exports for the history's markets (as for select; DE:file.csv names a file's market). "
                   "Repeat for several files.")
@click.option("--market", "market_code", metavar="CODE",
              help="Market (ISO code) for a history or demand file that names none, such as a business report.")
@click.option("--model", help="Encoder for matching (as for select).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Embedding cache folder.")
@click.option("--fine-tune-encoder", is_flag=True,
              help="Also fine-tune a sentence-transformers encoder on (keyword, product) pairs of well-selling "
                   "products and save it in MODEL_DIR/encoder (needs the st extra).")
@click.option("--base-encoder", default="all-MiniLM-L6-v2", show_default=True,
              help="sentence-transformers model to fine-tune.")
@click.option("--epochs", default=1, show_default=True, type=click.IntRange(min=1), help="Fine-tuning epochs.")
@click.option("-o", "--output", "model_dir", required=True, type=click.Path(file_okay=False),
              help="Model folder to write.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars on stderr.")
def train(history, catalogue, signals, market_code, model, cache_dir, fine_tune_encoder, base_encoder, epochs,
          model_dir, as_json, quiet):
    """Train the ranker on sales HISTORY (market, sku, units/revenue/conversion/grade, or a business report).

    Cross-validates by market (whole markets held out) and reports nDCG@10, MAP and Recall@k of the trained ranker
    next to the default ranker, then fits on all the history and writes MODEL_DIR (config.json, the estimator
    saved with skops, README.md model card, and encoder/ with --fine-tune-encoder). Use it with select --ranker.

    Example:

        sellglobal train history.csv -c catalogue.csv -s amazon_ba_US.csv -s kp_DE.csv --market DE -o models/v1
    """
    import json

    from .models.persist import save_model
    from .models.training import train as run_train
    from .selection.select import feature_table

    table = feature_table(catalogue, list(signals), market_code=market_code, model=model, cache_dir=cache_dir,
                          progress=_progress_factory(quiet))
    result = run_train(history, table.features, table.catalogue, market_code=market_code)
    training = {"history": str(history), "rows": len(result.table), "markets": sorted(result.table["market"].unique()),
                "relevance": "grade column, else units/revenue/conversion binned in thirds per market (0 = no sale)"}
    if fine_tune_encoder:
        from .models.finetune import fine_tune, training_pairs

        pairs = training_pairs(result.table, table.catalogue)
        if not quiet:
            click.echo(f"fine-tuning {base_encoder} on {len(pairs)} keyword-product pairs ...", err=True)
        fine_tune(pairs, Path(model_dir) / "encoder", base=base_encoder, epochs=epochs)
        training.update(encoder_base=base_encoder, encoder_pairs=len(pairs), encoder_epochs=epochs)
    path = save_model(model_dir, result.estimator, metrics=result.metrics, data_hash=result.data_hash,
                      training=training)
    if as_json:
        click.echo(json.dumps({"trained": result.metrics["trained"], "default": result.metrics["default"]}))
    else:
        click.echo(_metrics_table(result.metrics, ["trained", "default"]))
        click.echo(result.metrics["verdict"])
        click.echo(f"model: {path.resolve()}")


@cli.command()
@click.option("--relevance", "-r", required=True, type=click.Path(dir_okay=False, exists=True),
              help="Judged pairs: columns query, sku, grade (0 to 3).")
@click.option("--catalogue", "-c", required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--model", help="Encoder: use-multilingual-v3 (default), all-MiniLM-L6-v2 or a sentence-transformers "
                              "folder.")
@click.option("--ranker", type=click.Path(file_okay=False, exists=True),
              help="A model folder: its fine-tuned encoder is evaluated (unless --model is given).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Embedding cache folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object on stdout.")
def evaluate(relevance, catalogue, model, ranker, cache_dir, as_json):
    """Rank the catalogue for each query of a relevance file, with the encoder and with BM25, in the same run.

    Prints nDCG@10, MAP, Recall@10 and Recall@50 of both.

    Example:

        sellglobal evaluate --relevance judged.csv --catalogue catalogue.csv --ranker models/v1 --json
    """
    import json

    from .models.retrieval import evaluate as run

    if ranker and not model:
        from .models.persist import load_model

        loaded = load_model(ranker)
        if loaded.encoder_path is None:
            raise click.UsageError(f"--ranker {ranker}: this model has no fine-tuned encoder to evaluate; "
                                   "train it with --fine-tune-encoder or pass --model")
        model = str(loaded.encoder_path)
    result = run(relevance, catalogue, model=model, cache_dir=cache_dir)
    if as_json:
        click.echo(json.dumps({"model": result["model"], "bm25": result["bm25"]}))
    else:
        click.echo(_metrics_table(result, ["model", "bm25"]))
        click.echo(f"{result['model']['queries']} queries; model = {result['model']['name']}")


@cli.group()
def models():
    """List and inspect model folders written by sellglobal train.

    Example:

        sellglobal models list models/
    """


@models.command("list")
@click.argument("directory", default=".", type=click.Path(file_okay=False, exists=True))
def models_list(directory):
    """List the model folders in DIRECTORY (and DIRECTORY itself), newest first.

    Example:

        sellglobal models list models/
    """
    from .models.persist import list_models

    found = sorted(list_models(directory), key=lambda m: m["created"] or "", reverse=True)
    if not found:
        click.echo(f"no models in {directory}", err=True)
        return
    click.echo(f"{'created':<26}{'nDCG@10':>8}{'default':>9}  {'encoder':<8} path")
    for m in found:
        trained, default = m["metrics"].get("trained", {}), m["metrics"].get("default", {})
        click.echo(f"{m['created'] or '-':<26}{trained.get('ndcg@10', float('nan')):>8.3f}"
                   f"{default.get('ndcg@10', float('nan')):>9.3f}  {'yes' if m['encoder'] else 'no':<8} {m['path']}")


@models.command("show")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
def models_show(directory):
    """Check a model folder (format, file hash, trusted types) and print its model card.

    Example:

        sellglobal models show models/v1
    """
    from .models.persist import load_model

    loaded = load_model(directory)
    click.echo((loaded.path / "README.md").read_text(encoding="utf-8"))


def demo_dir() -> Path:
    return Path(str(resources.files("sellglobal") / "data" / "demo"))


def _demo_demand() -> list[dict]:
    import tomllib

    return tomllib.loads((demo_dir() / "project.toml").read_text(encoding="utf-8"))["demand"]


# The demo project's demand files (for tests and benchmarks), as its project file lists them, and the market of
# each file that names none.
_DEMO_DEMAND = _demo_demand()
DEMO_SIGNALS = [d["path"] for d in _DEMO_DEMAND]
DEMO_MARKETS = {d["path"]: d["market"] for d in _DEMO_DEMAND if "market" in d}


def _run_project(project, output, ui_lang, cache_dir, quiet, heading):
    from .project import run as run_project

    result = run_project(project, output=output, ui_lang=ui_lang, cache_dir=cache_dir,
                         progress=_progress_factory(quiet), workers=os.cpu_count() or 1)
    if not quiet:
        click.echo(_summary(result.table), err=True)
        click.echo(_listing_summary(result.listing_summary), err=True)
    click.echo(heading)
    for p in result.outputs:
        click.echo(f"  {Path(p).resolve()}")
    click.echo(f"Report: {result.report.resolve()}")


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing sellglobal.toml.")
def init(directory, force):
    """Write a commented project file, DIRECTORY/sellglobal.toml, to edit and then run.

    Example:

        sellglobal init my-shop && sellglobal run my-shop/sellglobal.toml
    """
    from .project import write_template

    path = write_template(directory, force=force)
    click.echo(f"wrote {path.resolve()}; edit the paths, markets and channels, then: sellglobal run {path}")


@cli.command()
@click.argument("project_file", default="sellglobal.toml", type=click.Path(dir_okay=False))
@click.option("-o", "--output-dir", type=click.Path(file_okay=False), help="Output folder (default: the project's).")
@click.option("--ui-lang", type=click.Choice(["zh", "en"]), help="Report language (default: the project's, zh).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Embedding cache folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summaries on stderr.")
def run(project_file, output_dir, ui_lang, cache_dir, quiet):
    """Run a project: select, then listings, then the report, in one go.

    Prints where everything was written, the report last.

    Example:

        sellglobal run sellglobal.toml --ui-lang en
    """
    from .project import load_project

    _run_project(load_project(project_file), output_dir, ui_lang, cache_dir, quiet, "Outputs:")


@cli.command()
@click.option("-o", "--output-dir", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's outputs.")
@click.option("--ui-lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Report language.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Embedding cache folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary on stderr.")
def demo(output_dir, ui_lang, cache_dir, quiet):
    """Run the bundled demo project: select, listings and the report on illustrative data (300 products; US, DE,
    FR, ES, JP demand).

    Example:

        sellglobal demo -o demo-output --ui-lang en
    """
    from .project import load_project

    _run_project(load_project(demo_dir() / "project.toml"), output_dir, ui_lang, cache_dir, quiet,
                 "Demo outputs (illustrative data):")
