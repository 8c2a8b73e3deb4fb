"""One click: a project file (TOML) names the catalogue, demand, markets, channels and costs; ``run`` does the rest.

``sellglobal init`` writes a commented project file; ``sellglobal run`` reads it, checks every key and value
(reporting the file's line for each problem), then runs select, listings and the report.
"""
from __future__ import annotations

import os
import re
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .errors import ConfigError, Problem, SchemaError
from .listings.glossary import LOCALES
from .listings.render import Channel
from .selection.commerce import CommerceConfig
from .selection.markets import MARKETS

if TYPE_CHECKING:
    import pandas as pd

TEMPLATE = "project_template.toml"
# table -> key -> (type check, description of the allowed values)
_CHANNELS = {c.value for c in Channel}
_is_str = (lambda v: isinstance(v, str), "a string")
_is_pos_int = (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0, "a whole number above 0")
_is_num = (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number")
_is_pos_num = (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0, "a number above 0")
_is_str_list = (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings")
SCHEMA: dict[str, dict[str, tuple]] = {
    "project": {"name": _is_str, "output": _is_str,
                "ui_lang": (lambda v: v in ("zh", "en"), '"zh" or "en"')},
    "catalogue": {"path": _is_str},
    "demand": {"path": _is_str, "market": (lambda v: isinstance(v, str) and v.upper() in MARKETS,
                                           "an ISO market code such as US, DE, JP")},
    "select": {"markets": (lambda v: isinstance(v, list) and all(str(x).upper() in MARKETS for x in v),
                           "a list of ISO market codes such as [\"US\", \"DE\"]"),
               "top": _is_pos_int, "min_margin": _is_num, "max_weight_kg": _is_pos_num,
               "exclude_category": _is_str_list, "model": _is_str, "ranker": _is_str},
    "listings": {"channels": (lambda v: isinstance(v, list) and all(x in _CHANNELS for x in v),
                              f"a list of {', '.join(sorted(_CHANNELS))}"),
                 "locales": (lambda v: isinstance(v, list) and all(x in LOCALES for x in v),
                             f"a list of {', '.join(LOCALES)}"),
                 "amazon_rules": (lambda v: v in ("amazon", "amazon-2026"), '"amazon" or "amazon-2026"'),
                 "base_url": _is_str, "seller_id": _is_str, "templates": _is_str, "glossary": _is_str},
}
COST_KEYS = ("fx", "freight_cny_per_kg", "default_freight_cny_per_kg", "fee_rate", "default_fee_rate", "fixed_fee",
             "volumetric_divisor")


@dataclass
class Project:
    """A project file, read and checked. Paths are absolute."""

    path: Path
    name: str
    output: Path
    ui_lang: str
    catalogue: Path
    demand: list[tuple[Path, str | None]]
    markets: list[str] | None = None
    top: int = 20
    min_margin: float | None = None
    max_weight_kg: float | None = None
    exclude_category: list[str] = field(default_factory=list)
    model: str | None = None
    ranker: Path | None = None
    channels: list[str] = field(default_factory=lambda: ["amazon"])
    locales: list[str] | None = None
    amazon_rules: str = "amazon"
    base_url: str | None = None
    seller_id: str = ""
    templates: Path | None = None
    glossary: Path | None = None
    costs: CommerceConfig = field(default_factory=CommerceConfig)


class _Lines:
    """Line numbers of tables and keys in a TOML text, for error messages (tomllib reports none for valid TOML)."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
    _KEY = re.compile(r"^\s*\"?([A-Za-z0-9_\-]+)\"?\s*=")

    def __init__(self, text: str):
        self.entries: list[tuple[str, int, str, int]] = []  # (table, index of the array item, key, line)
        self.tables: dict[tuple[str, int], int] = {}
        table, counts, index = "", {}, 0
        for n, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            h = self._HEADER.match(line)
            if h:
                table = h.group(2).replace('"', "")
                index = counts.get(table, 0)
                counts[table] = index + 1
                self.tables[(table, index)] = n
                continue
            k = self._KEY.match(line)
            if k:
                self.entries.append((table, index, k.group(1), n))

    def of(self, table: str, key: str | None = None, index: int = 0) -> int | None:
        if key is None:
            return self.tables.get((table, index))
        for t, i, k, n in self.entries:
            if t == table and k == key and i == index:
                return n
        return self.tables.get((table, index))


def write_template(directory: str | os.PathLike = ".", *, name: str = "sellglobal.toml", force: bool = False) -> Path:
    """Write the commented project file into ``directory`` (refusing to overwrite one unless ``force``)."""
    out = Path(directory) / name
    if out.exists() and not force:
        raise ConfigError(f"{out} exists; edit it, or pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text((resources.files("sellglobal") / "data" / TEMPLATE).read_text(encoding="utf-8"), encoding="utf-8")
    return out


def load_project(path: str | os.PathLike, *, check_files: bool = True) -> Project:
    """Read and check a project file; every problem is reported at once with its line number."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: project file not found; create one with sellglobal init")
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    lines = _Lines(text)
    problems: list[Problem] = []
    name = str(path)

    def problem(message: str, table: str, key: str | None = None, index: int = 0):
        line = lines.of(table, key, index)
        problems.append(Problem(f"{name} line {line}" if line else name, message))

    known_tables = set(SCHEMA) | {"costs"}
    for table in raw:
        if table not in known_tables:
            problem(f"unknown table [{table}]; use {', '.join(sorted(known_tables))}", table)
    for table, spec in SCHEMA.items():
        items = raw.get(table, [] if table == "demand" else {})
        if table == "demand":
            if not isinstance(items, list):
                problem("demand must be [[demand]] tables, one per file", table)
                continue
        else:
            items = [items]
        for i, item in enumerate(items):
            for key, value in item.items():
                if key not in spec:
                    problem(f"unknown key {key!r} in [{table}]; use one of {', '.join(spec)}", table, key, i)
                elif not spec[key][0](value):
                    problem(f"{table}.{key} = {value!r}: must be {spec[key][1]}", table, key, i)
    costs_raw = raw.get("costs", {})
    costs = CommerceConfig()
    for key in costs_raw:
        if key not in COST_KEYS:
            problem(f"unknown key {key!r} in [costs]; use one of {', '.join(COST_KEYS)}", "costs", key)
    try:
        costs = CommerceConfig.from_dict({k: v for k, v in costs_raw.items() if k in COST_KEYS}, source="[costs]")
    except ConfigError as exc:
        *tables, key = exc.key_path
        problem(exc.detail, ".".join(["costs", *tables]), key)
    if "catalogue" not in raw or "path" not in raw.get("catalogue", {}):
        problem("[catalogue] path is required: the catalogue file to select from", "catalogue")
    if not raw.get("demand"):
        problem("at least one [[demand]] table with a path is required", "demand")
    if problems:
        raise SchemaError(problems)

    base = path.parent
    proj, sel, lst = raw.get("project", {}), raw.get("select", {}), raw.get("listings", {})

    def resolve(value: str | None) -> Path | None:
        return (base / value).resolve() if value else None

    project = Project(
        path=path.resolve(), name=proj.get("name", path.stem), output=resolve(proj.get("output", "sellglobal-output")),
        ui_lang=proj.get("ui_lang", "zh"), catalogue=resolve(raw["catalogue"]["path"]),
        demand=[(resolve(d["path"]), d.get("market", "").upper() or None) for d in raw["demand"]],
        markets=[m.upper() for m in sel["markets"]] if sel.get("markets") else None, top=sel.get("top", 20),
        min_margin=sel.get("min_margin"), max_weight_kg=sel.get("max_weight_kg"),
        exclude_category=sel.get("exclude_category", []), model=sel.get("model") or None,
        ranker=resolve(sel.get("ranker")), channels=lst.get("channels", ["amazon"]),
        locales=lst.get("locales") or None, amazon_rules=lst.get("amazon_rules", "amazon"),
        base_url=lst.get("base_url") or None, seller_id=lst.get("seller_id", ""),
        templates=resolve(lst.get("templates")), glossary=resolve(lst.get("glossary")), costs=costs)
    if check_files:
        missing = [(p, t, k, i) for p, t, k, i in
                   [(project.catalogue, "catalogue", "path", 0)]
                   + [(d, "demand", "path", i) for i, (d, _) in enumerate(project.demand)]
                   + [(project.ranker, "select", "ranker", 0), (project.templates, "listings", "templates", 0),
                      (project.glossary, "listings", "glossary", 0)] if p is not None and not p.exists()]
        for p, t, k, i in missing:
            problem(f"{t}.{k}: {p} does not exist", t, k, i)
        if problems:
            raise SchemaError(problems)
    return project


@dataclass
class RunResult:
    shortlist: Path
    table: pd.DataFrame  # the shortlist itself, with its per-market summary in .attrs["summary"]
    listings: Path | None
    report: Path
    outputs: list[Path]
    listing_summary: list[dict]


def run(project: Project, *, output: str | os.PathLike | None = None, ui_lang: str | None = None,
        cache_dir=None, progress: Callable[[str, int], object] | None = None, workers: int = 1) -> RunResult:
    """select, then listings (``workers`` processes, see :func:`sellglobal.listings`), then the report, into the
    project's output folder."""
    from .listings.generate import listings
    from .report.build import build_report
    from .selection.select import feature_table, rank, resolve_ranker
    from .selection.tables import write_table

    out = Path(output) if output else project.output
    stages = 3

    def staged(n: int, name: str):
        if progress is None:
            return None

        @contextmanager
        def factory(label: str, total: int):
            with progress(f"[{n}/{stages}] {name}: {label}", total) as bar:
                yield bar
        return factory

    signals = [f"{m}:{p}" if m else str(p) for p, m in project.demand]
    ranker, model = resolve_ranker(project.ranker, project.model)
    table = feature_table(project.catalogue, signals, markets=project.markets, max_weight_kg=project.max_weight_kg,
                          exclude_category=project.exclude_category, model=model, cache_dir=cache_dir,
                          commerce=project.costs, progress=staged(1, "select"))
    shortlist = rank(table, ranker=ranker, top=project.top, min_margin=project.min_margin)
    short_path = write_table(shortlist, out / "shortlist.csv")
    write_table(shortlist, out / "shortlist.xlsx")
    listing_dir = out / "listings"
    written = listings(shortlist, table.catalogue, channels=project.channels, locales=project.locales,
                       templates=project.templates, glossary=project.glossary, amazon_rules=project.amazon_rules,
                       output_dir=listing_dir, base_url=project.base_url, seller_id=project.seller_id,
                       model=model, cache_dir=cache_dir, progress=staged(2, "listings"), collect=False,
                       workers=workers)
    listing_summary = written.attrs["summary"]
    report = build_report(table, shortlist, out / "report.html", ranker=ranker,
                          listing_summary=listing_summary, preview_dir="listings/preview",
                          ui_lang=ui_lang or project.ui_lang, title=None, note=project.name)
    outputs = [short_path, out / "shortlist.xlsx", listing_dir / "listings.jsonl", listing_dir / "validation.csv",
               *sorted((listing_dir / "preview").glob("*.html")), report]
    return RunResult(shortlist=short_path, table=shortlist, listings=listing_dir, report=report, outputs=outputs,
                     listing_summary=listing_summary)
