"""sellglobal listings: every shortlisted item x locale x channel, written, checked, repaired and exported."""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections import Counter
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, Sequence

import jinja2
import pandas as pd

from ..engine import ProcessEngine, is_distributed
from ..errors import ConfigError, Problem, SchemaError
from ..models.gloss import Glosser, has_cjk, strip_noise
from ..models.language import detect_many, reads_as_english
from ..selection.catalogue import read_catalogue
from ..selection.markets import MARKETS, market
from ..selection.tables import RawTable, atomic_write, read_table
from .exporters import Exporter
from .glossary import LOCALES, load_glossary
from .render import Channel, Templates, build_item, channel_rules, draft_title, write_listing

CHUNK = 500  # listings per resumable part file
LISTING_COLUMNS = ["sku", "market", "locale", "channel", "title", "bullets", "description", "search_terms", "tags",
                   "video_script", "violations", "repairs"]


@dataclass(frozen=True)
class Job:
    sku: str
    market: str
    locale: str
    channel: str
    keywords: tuple[str, ...]
    price: float | None
    currency: str | None
    english: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.sku, self.market, self.locale, self.channel)


def locale_for(market_code: str) -> str:
    """The shipped locale a market's listings are written in (its own, else the closest of the same language)."""
    m = market(market_code)
    if m.locale in LOCALES:
        return m.locale
    same = [loc for loc in LOCALES if loc.split("-")[0] == m.language]
    if not same:
        raise ConfigError(f"market {m.code}: no listing glossary for {m.language!r}; sellglobal writes "
                          f"{', '.join(LOCALES)} (choose with --locale)")
    return same[0]


_SHORTLIST_USED = ("market", "sku", "keywords", "price", "currency")


def _read_shortlist(shortlist) -> RawTable:
    if isinstance(shortlist, pd.DataFrame):  # only the columns a listing uses are turned into text
        return RawTable.from_frame(shortlist[[c for c in shortlist.columns if c in _SHORTLIST_USED]], "shortlist")
    return read_table(shortlist)


def plan(shortlist, catalogue: pd.DataFrame, *, channels: Sequence[str], locales: Sequence[str] | None) -> list[Job]:
    """The listings to write, in a fixed order (shortlist order, then locale, then channel)."""
    table = shortlist if isinstance(shortlist, RawTable) else _read_shortlist(shortlist)
    frame = table.frame
    problems = [Problem(table.name, f"missing column {c!r}; a shortlist from sellglobal select has it", column=c)
                for c in ("market", "sku", "keywords") if c not in frame.columns]
    if problems:
        raise SchemaError(problems)
    known = set(catalogue["sku"])
    rows = []
    wanted = [c for c in _SHORTLIST_USED if c in frame.columns]
    for i, rec in enumerate(frame[wanted].to_dict("records")):
        sku, code = str(rec["sku"]).strip(), str(rec["market"]).strip().upper()
        if code not in MARKETS:
            problems.append(Problem(table.name, f"unknown market {rec['market']!r}; use an ISO code such as US, DE",
                                    row=table.rows[i], column="market"))
        elif sku not in known:
            problems.append(Problem(table.name, f"sku {sku!r} is not in the catalogue; pass the catalogue that "
                                                "select ranked", row=table.rows[i], column="sku"))
        else:
            rows.append((sku, code, [k for k in str(rec.get("keywords") or "").split(" | ") if k.strip()],
                         _float(rec.get("price")), str(rec.get("currency") or "") or market(code).currency))
    if problems:
        raise SchemaError(problems)
    english: dict[str, list[str]] = {}
    for sku, code, kws, _, _ in rows:
        if MARKETS[code].language == "en":
            english.setdefault(sku, []).extend(kws[:2])
    jobs: list[Job] = []
    if locales is None:
        for sku, code, kws, price, cur in rows:
            for ch in channels:
                jobs.append(Job(sku, code, locale_for(code), ch, tuple(kws), price, cur, tuple(english.get(sku, ()))))
        return jobs
    by_sku: dict[str, list] = {}
    for row in rows:
        by_sku.setdefault(row[0], []).append(row)
    for sku, entries in by_sku.items():
        for loc in locales:
            lang, region = loc.split("-")[0], loc.split("-")[1]
            same_market = [e for e in entries if e[1] == region]
            same_lang = [e for e in entries if MARKETS[e[1]].language == lang and e[1] != region]
            kws = [k for e in same_market + same_lang for k in e[2]]
            price, cur = (same_market[0][3], same_market[0][4]) if same_market else (None, None)
            for ch in channels:
                jobs.append(Job(sku, region if region in MARKETS else entries[0][1], loc, ch,
                                tuple(dict.fromkeys(kws)), price, cur, tuple(english.get(sku, ()))))
    return jobs


def _float(value) -> float | None:
    try:
        v = float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _fingerprint(jobs: list[Job], options: dict) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    for j in jobs:
        h.update(repr(j).encode())
    return h.hexdigest()


class _Parts:
    """Finished listings in numbered part files under OUTDIR/.parts, each written atomically: what an interrupted
    run finished is kept, and ``--resume`` skips exactly those listings."""

    def __init__(self, out: Path, fingerprint: str, resume: bool):
        self.dir = out / ".parts"
        if self.dir.exists() and resume:
            meta = json.loads((self.dir / "run.json").read_text(encoding="utf-8")) \
                if (self.dir / "run.json").exists() else {}
            if meta.get("fingerprint") != fingerprint:
                raise ConfigError(f"--resume: {out} holds an unfinished run with other inputs or options; "
                                  "run again without --resume to start over")
        elif self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.dir / "run.json") as fh:
            json.dump({"fingerprint": fingerprint}, fh)

    def files(self) -> list[Path]:
        return sorted(self.dir.glob("part-*.jsonl"))

    def done(self) -> set[tuple]:
        return {(d["sku"], d["market"], d["locale"], d["channel"]) for d in self.read()}

    def read(self) -> Iterator[dict]:
        for path in self.files():
            yield from self.read_file(path)

    @staticmethod
    def read_file(path: Path) -> Iterator[dict]:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)

    def write(self, lines: list[str]) -> None:
        """One part: the listings as JSON lines (as listings.jsonl has them)."""
        n = len(self.files()) + 1
        with atomic_write(self.dir / f"part-{n:06d}.jsonl") as fh:
            fh.writelines(line + "\n" for line in lines)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def listings(shortlist, catalogue, *, channels: Sequence[str] = ("amazon",), locales: Sequence[str] | None = None,
             templates: str | os.PathLike | None = None, glossary: str | os.PathLike | None = None,
             amazon_rules: str = "amazon", output_dir: str | os.PathLike | None = None, resume: bool = False,
             base_url: str | None = None, seller_id: str = "", model=None, cache_dir=None,
             progress: Callable[[str, int], object] | None = None, collect: bool = True,
             engine=None, workers: int = 1) -> pd.DataFrame:
    """Write native-language listings and short-video scripts for a shortlist, checked against each channel's rules.

    Parameters
    ----------
    shortlist : path or DataFrame
        Output of :func:`sellglobal.select` (columns market, sku, keywords; price and currency used if present).
    catalogue : path or DataFrame
        The catalogue select ranked: the listing's facts (attributes, size, weight, brand) come from it.
    channels : amazon, shopify, ebay, tiktok, google, etsy
    locales : e.g. ["de-DE", "ja-JP"], optional
        Default: each shortlist row in its market's locale. Given: every shortlisted product in each locale, with
        the keywords of the markets that speak its language.
    templates : folder, optional
        Agency templates overriding the shipped ones by name (see :class:`~sellglobal.listings.render.Templates`).
    glossary : TOML file, optional
        Extends the shipped per-locale glossaries (``[de-DE.colours]``, ``[fr-FR.products]`` ...).
    amazon_rules : "amazon" or "amazon-2026" (75-character titles)
    output_dir : folder, optional
        Writes listings.jsonl, validation.csv, preview/LOCALE.html, shopify/, amazon/, google/ there.
    resume : bool
        Continue an interrupted run in ``output_dir``: finished listings are kept, none is written twice.
    engine : engine from :func:`sellglobal.engine.get_engine`, optional
        ``dask`` writes the listings in partitions on a dask.distributed cluster; the files are written here.
    workers : int
        Without a distributed engine: processes that write listings side by side (``sellglobal listings --jobs``
        defaults to one per core; here the default 1 stays in this process, since worker processes re-import the
        calling script, which then needs an ``if __name__ == "__main__":`` guard). Runs of fewer than ``2 * CHUNK``
        listings stay in this process, where starting workers would cost more than they save. The output is the
        same whatever the number.

    Returns
    -------
    DataFrame with ``LISTING_COLUMNS`` (one row per listing), or an empty one when ``collect`` is False (for runs
    too large to hold in memory; the files in ``output_dir`` have everything). ``.attrs["summary"]`` counts
    listings, repaired and failing ones per (channel, locale).

    Examples
    --------
    >>> import pandas as pd, sellglobal
    >>> cat = pd.DataFrame({"sku": ["A1"], "title": ["空气炸锅 5L"], "weight_kg": [4.2]})
    >>> short = pd.DataFrame({"market": ["DE"], "sku": ["A1"], "keywords": ["Heißluftfritteuse | Airfryer groß"]})
    >>> sellglobal.listings(short, cat, channels=["ebay"])["title"].tolist()
    ['Heißluftfritteuse 5 l']
    """
    channels = [Channel(c).value if c in {e.value for e in Channel} else _bad_channel(c) for c in channels]
    for loc in locales or ():
        if loc not in LOCALES:
            raise ConfigError(f"--locale {loc}: no glossary for it; sellglobal writes {', '.join(LOCALES)}")
    table = _read_shortlist(shortlist)
    # Worker processes start now, so that their start (imports, language models) overlaps the reading and planning
    # here. The shortlist's rows bound the number of listings; a resumed run with little left closes them unused.
    bound = len(table.frame) * len(channels) * (len(locales) if locales else 1)
    own_engine = None
    if not is_distributed(engine) and workers > 1 and bound >= 2 * CHUNK:
        engine = own_engine = ProcessEngine(min(workers, -(-bound // CHUNK)), initializer=_warm_worker,
                                            initargs=(str(templates) if templates else None,))
    try:
        return _write_all(table, catalogue, channels=channels, locales=locales, templates=templates,
                          glossary=glossary, amazon_rules=amazon_rules, output_dir=output_dir, resume=resume,
                          base_url=base_url, seller_id=seller_id, model=model, cache_dir=cache_dir,
                          progress=progress, collect=collect, engine=engine)
    finally:
        if own_engine is not None:
            own_engine.close()


def _write_all(table: RawTable, catalogue, *, channels, locales, templates, glossary, amazon_rules, output_dir,
               resume, base_url, seller_id, model, cache_dir, progress, collect, engine) -> pd.DataFrame:
    """:func:`listings` once the shortlist is read and the engine chosen."""
    items = read_catalogue(catalogue)
    jobs = plan(table, items, channels=channels, locales=locales)
    by_sku = {rec["sku"]: rec for rec in items.to_dict("records")}
    tpl = Templates(templates)
    glossaries = {loc: load_glossary(loc, glossary) for loc in {j.locale for j in jobs}}
    rules = {ch: channel_rules(ch, amazon_rules if ch == "amazon" else None) for ch in channels}
    google = _google_matcher(model, cache_dir) if "google" in channels else None
    glosser = Glosser() if google else None

    out = Path(output_dir) if output_dir else None
    parts = None
    if out is not None:
        options = {"channels": channels, "locales": locales, "templates": str(templates), "amazon_rules": amazon_rules,
                   "glossary": str(glossary), "base_url": base_url, "seller_id": seller_id}
        parts = _Parts(out, _fingerprint(jobs, options), resume)
        done = parts.done() if resume else set()
        todo = [j for j in jobs if j.key not in done]
    else:
        todo = jobs

    collected: list[dict] = []
    tally = _Tally()
    if engine is not None and engine.name == "processes" and len(todo) < 2 * CHUNK:
        engine = None  # resumed with little left: starting the work elsewhere would cost more than it saves
    starts = list(range(0, len(todo), CHUNK))

    def task(s0: int):
        return (todo[s0:s0 + CHUNK], {j.sku: by_sku[j.sku] for j in todo[s0:s0 + CHUNK]},
                str(templates) if templates else None, str(glossary) if glossary else None, amazon_rules,
                base_url)

    def chunks():
        """(start, listings) in job order, wherever they are written."""
        if not is_distributed(engine):
            for s0 in starts:
                yield s0, _write_chunk(todo[s0:s0 + CHUNK], by_sku, glossaries.__getitem__, tpl,
                                       rules.__getitem__, base_url=base_url)
        else:
            yield from zip(starts, engine.stream(_render_task, (task(s0) for s0 in starts)))

    with ExitStack() as stack:
        exporter = None
        if parts is not None:
            preview_env = jinja2.Environment(loader=jinja2.PackageLoader("sellglobal", "templates"),
                                             autoescape=True, undefined=jinja2.StrictUndefined)
            exporter = stack.enter_context(Exporter(out, seller_id=seller_id, base_url=base_url,
                                                    preview_env=preview_env))

        def finished(listings_done: list[dict], lines: list[str] | None = None) -> None:
            """Exported (in job order, as the chunks arrive), counted and kept."""
            if exporter is not None:
                exporter.add(listings_done, lines)
            tally.add(listings_done)
            if collect:
                collected.extend(listings_done)

        if exporter is not None and len(todo) < len(jobs):  # --resume: what the earlier run finished comes first
            for path in parts.files():
                finished(list(parts.read_file(path)))
        bar = stack.enter_context(progress("Writing listings", len(todo)) if progress else nullcontext(None))
        for start, chunk in chunks():
            if google is not None:
                jobs_here = todo[start:start + CHUNK]
                _add_google_categories([(d, j.english) for d, j in zip(chunk, jobs_here)
                                        if d["channel"] == "google"], by_sku, google, glosser)
            lines = None
            if parts is not None:
                lines = [json.dumps(d, ensure_ascii=False) for d in chunk]
                parts.write(lines)
            finished(chunk, lines)
            if bar is not None:
                bar.update(len(chunk))
    if parts is not None:
        parts.remove()
    frame = pd.DataFrame(collected, columns=None if collected else LISTING_COLUMNS)
    frame.attrs["summary"] = tally.rows()
    return frame


def _render_task(task) -> list[dict]:
    """One partition of listings, on a worker: the same work as in this process."""
    jobs, products, templates, glossary, amazon_rules, base_url = task
    return _write_chunk(jobs, products, lambda loc: _worker_glossary(loc, glossary), _worker_templates(templates),
                        lambda ch: _worker_rules(ch, amazon_rules if ch == "amazon" else None), base_url=base_url)


# A worker writes many partitions: its templates (compiled once), glossaries and rules are loaded once per process.
_worker_templates = lru_cache(maxsize=4)(Templates)
_worker_glossary = lru_cache(maxsize=64)(load_glossary)
_worker_rules = lru_cache(maxsize=16)(channel_rules)


def _warm_worker(templates: str | None) -> None:
    """A worker's start: what every partition needs, loaded before the first one arrives."""
    from ..models.language import _detector, english_words

    try:
        _detector()
        english_words()
        _worker_templates(templates)
    except Exception:  # noqa: BLE001 - the first partition meets it again and reports it; a failed start would not
        pass


def _bad_channel(name: str) -> str:
    raise ConfigError(f"unknown channel {name!r}; use one of {', '.join(c.value for c in Channel)}")


def _write_chunk(jobs: Sequence[Job], products: dict, glossary_of: Callable, tpl: Templates, rules_of: Callable, *,
                 base_url: str | None) -> list[dict]:
    """The listings of ``jobs``, in order. The languages of the chunk's titles, and then of its whole listings, are
    detected in one batch each, on every core."""
    items = [_item(job, products[job.sku], glossary_of(job.locale)) for job in jobs]
    drafts = {i: draft_title(item, glossary=glossary_of(job.locale), templates=tpl, rules=rules_of(job.channel))
              for i, (job, (item, _)) in enumerate(zip(jobs, items)) if item is not None}
    for draft, found in zip(drafts.values(), detect_many([" ".join(d.segments) for d in drafts.values()])):
        draft.language = found
    listings = {i: _listing(jobs[i], items[i][0], products[jobs[i].sku], glossary_of(jobs[i].locale), tpl,
                            rules_of(jobs[i].channel), draft) for i, draft in drafts.items()}
    texts = {i: " ".join([lst.title, *lst.bullets, lst.description]) for i, lst in listings.items()}
    found = dict(zip(texts, detect_many(list(texts.values()))))
    return [_checked(listings[i], job, glossary_of(job.locale), texts[i], found[i], base_url=base_url)
            if i in listings else _unlisted(job, items[i][1]) for i, job in enumerate(jobs)]


def _item(job: Job, product: dict, glossary) -> tuple:
    """(item, None), or (None, why the product cannot be listed)."""
    return build_item(product, list(job.keywords), glossary=glossary, channel=job.channel, price=job.price,
                      currency=job.currency)


def _unlisted(job: Job, why: str) -> dict:
    return {"sku": job.sku, "market": job.market, "locale": job.locale, "channel": job.channel, "title": "",
            "bullets": [], "description": "", "search_terms": "", "tags": [], "video_script": {}, "violations": [why],
            "repairs": [], "warnings": [], "product": "", "brand": "", "price": job.price, "currency": job.currency,
            "image_url": "", "weight_kg": None, "colour": None}


def _listing(job: Job, item, product: dict, glossary, tpl: Templates, rules, draft):
    listing = write_listing(item, market=job.market, glossary=glossary, templates=tpl, rules=rules, draft=draft)
    listing.price, listing.currency = job.price, job.currency
    listing.image_url = str(product.get("image_url") or "")
    w = product.get("weight_kg")
    listing.weight_kg = None if w is None or (isinstance(w, float) and math.isnan(w)) else float(w)
    return listing


def _checked(listing, job: Job, glossary, text: str, found: str | None, *, base_url: str | None) -> dict:
    """The listing's row, with what the language checks and the channel's required fields found (``text``: its
    title, bullets and description; ``found``: the language they read as)."""
    if found and found != glossary.language:
        listing.violations.append(f"language: the listing reads as {found}, not {glossary.language}")
    elif reads_as_english(" ".join(w for w in listing.title.split() if w != listing.brand), glossary.language):
        listing.violations.append("language: the title reads as English")
    if glossary.language not in ("ja", "zh") and has_cjk(text):
        listing.violations.append("language: Chinese characters in the listing")
    if job.channel == "google":
        if not base_url:
            listing.violations.append("link: Google requires a product page URL; pass --base-url")
        if not listing.image_url:
            listing.violations.append("image_link: Google requires an image; add image_url to the catalogue")
    return listing.to_dict()


def _google_matcher(model, cache_dir):
    from ..models.encoders import encoder_for
    from .taxonomy import GoogleCategories

    return GoogleCategories(encoder_for(model, cache_dir))


def _add_google_categories(chunk: list[tuple[dict, tuple]], by_sku: dict, google, glosser) -> None:
    """Match each listing to a Google category (see :mod:`sellglobal.listings.taxonomy`)."""
    products = []
    for d, english_keywords in chunk:
        p = by_sku[d["sku"]]
        english = [t for t in (*english_keywords, " ".join(glosser.phrases_in(strip_noise(str(p.get("title") or "")))),
                               str(p.get("title_en") or "").strip()) if t]
        products.append((d["product"], english, d["locale"]))
    for (d, _), (gid, path) in zip(chunk, google.match(products)):
        d["google_product_category"] = gid
        d["google_product_category_path"] = path


class _Tally:
    """Per (channel, locale): listings, repaired (passing after repair) and failing ones, counted as they stream."""

    def __init__(self):
        self.counts: Counter = Counter()

    def add(self, listings: list[dict]) -> None:
        for d in listings:
            key = (d["channel"], d["locale"])
            self.counts[key + ("listings",)] += 1
            if d["violations"]:
                self.counts[key + ("failed",)] += 1
            elif d["repairs"]:
                self.counts[key + ("repaired",)] += 1

    def rows(self) -> list[dict]:
        keys = sorted({k[:2] for k in self.counts})
        return [{"channel": c, "locale": loc, "listings": self.counts[(c, loc, "listings")],
                 "repaired": self.counts[(c, loc, "repaired")], "failed": self.counts[(c, loc, "failed")]}
                for c, loc in keys]
