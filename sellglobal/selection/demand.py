"""Read demand signals: search terms with volumes, from the exports sellers actually have.

Every importer returns the canonical demand table: ``market`` (ISO 3166-1 alpha-2), ``keyword``, ``volume``
(monthly searches, or a relative 0-100 index for Google Trends), ``growth`` (0.25 = +25%), ``competition``
(0 to 1), ``avg_price``, ``currency``, ``language``, ``source``, ``date``.

Formats are detected from the file's header, not its name:

==================  ===========================================================================================
amazon-ba           Amazon Brand Analytics search terms report (``Search Frequency Rank``, ``Search Term``).
                    Amazon publishes ranks, not volumes: volume is estimated from the rank (see
                    :func:`volume_from_rank`); competition is the top-3 ASINs' click share.
keyword-planner     Google Ads Keyword Planner (UTF-16, tab-separated, title lines above the header; English
                    or Chinese UI). Growth is the YoY change (else the three-month change).
google-trends       Google Trends: interest over time (multiTimeline), related queries (TOP / RISING) and the
                    ranking tables Google publishes. Volumes are relative interest (0-100), not searches.
helium10            Helium 10 Cerebro / Magnet (``Keyword Phrase``, ``Search Volume``).
jungle-scout        Jungle Scout Keyword Scout (``Keyword``, ``Exact Search Volume`` or ``Search Volume``).
canonical           Any table with a ``keyword`` column and the canonical columns above.
==================  ===========================================================================================
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import Problem, SchemaError
from .markets import country_code, market, market_from_domain
from .tables import RawTable, parse_delimited, read_table, read_text, TEXT_SUFFIXES

DEMAND_COLUMNS = ["market", "keyword", "volume", "growth", "competition", "avg_price", "currency", "language",
                  "source", "date"]

_RANGE_RE = re.compile(r"^\s*([\d.,]+)\s*([KkMm万]?)\s*[–\-~至]\s*([\d.,]+)\s*([KkMm万]?)\s*$")
_SUFFIX = {"": 1, "k": 1e3, "m": 1e6, "万": 1e4}


def parse_metric(text, *, percent: bool = False) -> float | None:
    """Parse the numbers exports contain: ``1,234``, ``12%``, ``+900%``, ``1K – 10K``, ``<10``, ``2.5万``.

    With ``percent=True`` a value is a percentage and is returned as a fraction (``12%`` and ``12`` -> 0.12).
    Ranges give their geometric middle, as Keyword Planner's ranges span an order of magnitude.
    Returns None for an empty cell or a dash, raises ValueError for text that is not a number.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
        if math.isnan(value):
            return None
        return value / 100 if percent else value
    s = str(text).strip().replace("\u00a0", " ").replace("\u202f", " ")
    if s in ("", "-", "--", "–", "—", "N/A", "n/a", "NaN", "nan"):
        return None
    if s.lower() in ("breakout", "飙升"):
        return 50.0 if percent else None  # Google Trends marks growth above +5000% "Breakout"
    m = _RANGE_RE.match(s)
    if m:
        lo = float(m.group(1).replace(",", "")) * _SUFFIX[m.group(2).lower()]
        hi = float(m.group(3).replace(",", "")) * _SUFFIX[m.group(4).lower()]
        return math.sqrt(max(lo, 1) * hi)
    s = s.lstrip("<>≤≥~ ").replace(" ", "")
    is_pct = s.endswith("%")
    s = s.rstrip("%")
    mult = 1.0
    if s and s[-1].lower() in ("k", "m", "万"):
        mult = _SUFFIX[s[-1].lower()]
        s = s[:-1]
    s = s.replace(",", "")
    try:
        value = float(s) * mult
    except ValueError:
        raise ValueError(text) from None
    if percent or is_pct:
        value /= 100
    return value


def volume_from_rank(rank: float) -> float:
    """Estimated monthly searches for an Amazon search frequency rank.

    Amazon does not publish volumes; search frequency follows a power law of rank, and this curve
    (rank 1 about 4.5 million searches a month, rank 100,000 about 1,500) sits close to the volumes third-party
    tools report for the same terms. It preserves order exactly; treat the level as an estimate.
    """
    return float(4.5e6 * max(rank, 1.0) ** -0.7)


# --- header helpers --------------------------------------------------------------------------------------------

def _key(header: str) -> str:
    return re.sub(r"[\s_\-./:()（）#]+", "", str(header)).lower()


def _find(columns: list[str], *candidates: str) -> str | None:
    keys = {_key(c): c for c in columns}
    for cand in candidates:
        if _key(cand) in keys:
            return keys[_key(cand)]
    return None


def _header_line(lines: list[str], predicate: Callable[[str], bool], limit: int = 40) -> int | None:
    for i, line in enumerate(lines[:limit]):
        if predicate(_key(line)):
            return i
    return None


# --- importers -------------------------------------------------------------------------------------------------

class _Ctx:
    """What an importer needs besides the table: file name, --market, and the problems found so far."""

    def __init__(self, name: str, market_code: str | None):
        self.name = name
        self.market = market_code
        self.problems: list[Problem] = []

    def number(self, raw: RawTable, i: int, column: str | None, *, percent: bool = False) -> float:
        if column is None:
            return np.nan
        text = raw.cell(i, column)
        try:
            value = parse_metric(text, percent=percent)
        except ValueError:
            self.problems.append(Problem(Path(self.name).name, f'"{text}" is not a number', raw.rows[i], column))
            return np.nan
        return np.nan if value is None else value


def _keyword_rows(raw: RawTable, column: str):
    """(row index, keyword) for every row whose keyword cell is not empty."""
    for i in range(len(raw.frame)):
        keyword = str(raw.cell(i, column)).strip()
        if keyword:
            yield i, keyword


def _frame(records: list[dict], source: str) -> pd.DataFrame:
    out = pd.DataFrame.from_records(records, columns=DEMAND_COLUMNS)
    out["source"] = out["source"].astype(object).fillna(source)
    return out


def _read_amazon_ba(text: str, ctx: _Ctx) -> pd.DataFrame:
    lines = text.split("\n")
    at = _header_line(lines, lambda k: "searchfrequencyrank" in k and "searchterm" in k)
    meta = " ".join(lines[:at])
    ctx.market = ctx.market or market_from_domain(meta)
    dates = re.findall(r"\d{4}-\d{2}-\d{2}", meta)
    date = dates[-1] if dates else None  # the end of the reporting period
    raw = parse_delimited(text, ctx.name, ".csv", at)
    cols = list(raw.frame.columns)
    term = _find(cols, "Search Term")
    rank = _find(cols, "Search Frequency Rank")
    shares = [c for c in cols if re.search(r"click\s*share", c, re.I)][:3]
    records = []
    for i, keyword in _keyword_rows(raw, term):
        r = ctx.number(raw, i, rank)
        click = [ctx.number(raw, i, c, percent=True) for c in shares]
        click = [c for c in click if not np.isnan(c)]
        records.append({"market": ctx.market, "keyword": keyword,
                        "volume": volume_from_rank(r) if not np.isnan(r) else np.nan,
                        "competition": min(1.0, sum(click)) if click else np.nan, "date": date})
    return _frame(records, "amazon-ba")


_KP_KEYWORD = ("Keyword", "关键字", "关键词", "Keyword (by relevance)", "Keyword (by relevance)", "Suchbegriff",
               "Keyword (nach Relevanz)")
_KP_VOLUME = ("Avg. monthly searches", "平均每月搜索量", "Durchschnittl. Suchanfragen pro Monat")
_KP_YOY = ("YoY change", "同比变化", "Veränderung ggü. Vorjahr")
_KP_3M = ("Three month change", "三个月内的变化", "Veränderung in drei Monaten")
_KP_COMP_IDX = ("Competition (indexed value)", "竞争（索引值）", "竞争(索引值)", "Wettbewerb (indexierter Wert)")
_KP_COMP = ("Competition", "竞争", "Wettbewerb")
_KP_LEVELS = {"low": 0.2, "medium": 0.5, "high": 0.8, "低": 0.2, "中": 0.5, "高": 0.8,
              "niedrig": 0.2, "mittel": 0.5, "hoch": 0.8}


def _read_keyword_planner(text: str, ctx: _Ctx) -> pd.DataFrame:
    lines = text.split("\n")
    at = _header_line(lines, lambda k: any(_key(v) in k for v in _KP_VOLUME))
    raw = parse_delimited(text, ctx.name, ".tsv" if "\t" in lines[at] else ".csv", at)
    cols = list(raw.frame.columns)
    kw = _find(cols, *_KP_KEYWORD) or cols[0]
    vol = _find(cols, *_KP_VOLUME)
    yoy, three = _find(cols, *_KP_YOY), _find(cols, *_KP_3M)
    comp_idx, comp = _find(cols, *_KP_COMP_IDX), _find(cols, *_KP_COMP)
    currency = _find(cols, "Currency", "货币", "Währung")
    records = []
    for i, keyword in _keyword_rows(raw, kw):
        growth = ctx.number(raw, i, yoy, percent=True)
        if np.isnan(growth):
            growth = ctx.number(raw, i, three, percent=True)
        competition = ctx.number(raw, i, comp_idx) / 100 if comp_idx else np.nan
        if np.isnan(competition) and comp:
            competition = _KP_LEVELS.get(str(raw.cell(i, comp)).strip().lower(), np.nan)
        records.append({"market": ctx.market, "keyword": keyword, "volume": ctx.number(raw, i, vol),
                        "growth": growth, "competition": competition,
                        "currency": raw.cell(i, currency) if currency else None})
    return _frame(records, "keyword-planner")


_TRENDS_GEO_RE = re.compile(r"^(.*?):\s*\((.+)\)\s*$")


def _read_google_trends(text: str, ctx: _Ctx) -> pd.DataFrame:
    import csv
    import io

    records_all = list(csv.reader(io.StringIO(text)))
    # Title cells above the table (sometimes one quoted cell spanning two lines) have one non-empty cell.
    at = next((i for i, rec in enumerate(records_all) if sum(bool(c.strip()) for c in rec) >= 2), None)
    head = " ".join(" ".join(rec) for rec in records_all[: at or 0])
    m = re.search(r"based on ([A-Za-z .]+?) searches", head, re.I) or re.search(r",\s*([A-Z]{2})\s*$", head)
    if m and ctx.market is None:
        ctx.market = country_code(m.group(1)) or ctx.market
    lines = [line.rstrip(",") for line in text.split("\n")]
    if any(line.strip().upper() in ("TOP", "RISING") for line in lines[:8]):
        return _read_trends_related(lines, ctx)
    if at is None:
        raise SchemaError([Problem(Path(ctx.name).name, "no table found below the Google Trends title lines")])
    raw = parse_delimited("\n".join(",".join(f'"{c}"' if "," in c else c for c in rec)
                                    for rec in records_all[at:]), ctx.name, ".csv")
    raw.rows = [r + at for r in raw.rows]
    cols = list(raw.frame.columns)
    first = _key(cols[0])
    if first in ("week", "month", "day", "time", "woche", "monat", "周", "月", "日"):
        return _read_trends_timeline(raw, ctx)
    if first in ("state", "region", "country", "subregion", "metro", "city", "dma") or (
            country_code(str(raw.frame.iloc[0, 0])) and country_code(str(raw.frame.iloc[-1, 0]))):
        raise SchemaError([Problem(
            Path(ctx.name).name, "this Google Trends table lists regions, not search terms; export 'Related "
                                 "queries' or 'Interest over time' for the market instead")])
    value_col = cols[1] if len(cols) > 1 else None
    is_rank = value_col is not None and "rank" in _key(value_col)
    records = []
    for i, keyword in _keyword_rows(raw, cols[0]):
        value = ctx.number(raw, i, value_col)
        # Ranking tables publish order only; map rank to relative interest on the same 0-100 scale.
        volume = 100.0 * value ** -0.7 if is_rank and value > 0 else value
        records.append({"market": ctx.market, "keyword": keyword, "volume": volume})
    return _frame(records, "google-trends")


def _read_trends_related(lines: list[str], ctx: _Ctx) -> pd.DataFrame:
    records: dict[str, dict] = {}
    section = None
    for line_no, line in enumerate(lines, start=1):
        token = line.strip()
        if token.upper() in ("TOP", "RISING"):
            section = token.upper()
            continue
        if section is None or not token or "," not in token:
            continue
        keyword, _, value = token.rpartition(",")
        keyword = keyword.strip().strip('"')
        try:
            number = parse_metric(value, percent=section == "RISING")
        except ValueError:
            ctx.problems.append(Problem(Path(ctx.name).name, f'"{value}" is not a number', line_no, section))
            continue
        rec = records.setdefault(keyword, {"market": ctx.market, "keyword": keyword, "volume": np.nan})
        if section == "TOP":
            rec["volume"] = number
        else:
            rec["growth"] = number
    for rec in records.values():
        if np.isnan(rec["volume"]):
            rec["volume"] = 1.0  # a rising query outside the TOP list: small but real interest
    return _frame(list(records.values()), "google-trends")


def _read_trends_timeline(raw: RawTable, ctx: _Ctx) -> pd.DataFrame:
    records = []
    for col in list(raw.frame.columns)[1:]:
        m = _TRENDS_GEO_RE.match(col)
        keyword, geo = (m.group(1), m.group(2)) if m else (col, None)
        mkt = ctx.market
        if geo:
            mkt = country_code(geo) or mkt
        series = np.array([ctx.number(raw, i, col) if str(raw.cell(i, col)).strip() != "<1" else 0.5
                           for i in range(len(raw.frame))], dtype=float)
        series = series[~np.isnan(series)]
        if not len(series):
            continue
        window = max(1, min(len(series) // 4, 13))
        recent, earlier = series[-window:].mean(), series[:window].mean()
        growth = recent / earlier - 1 if earlier > 0 else np.nan
        records.append({"market": mkt, "keyword": keyword.strip(), "volume": float(series[-window:].mean()),
                        "growth": growth, "date": str(raw.frame.iloc[-1, 0])})
    return _frame(records, "google-trends")


def _read_helium10(text: str, ctx: _Ctx) -> pd.DataFrame:
    raw = _parse_at(text, ctx, lambda k: "keywordphrase" in k)
    cols = list(raw.frame.columns)
    kw, vol = _find(cols, "Keyword Phrase"), _find(cols, "Search Volume")
    trend = _find(cols, "Search Volume Trend")
    competing = _find(cols, "Competing Products")
    price = _find(cols, "Avg. Price", "Average Price")
    records = []
    for i, keyword in _keyword_rows(raw, kw):
        n = ctx.number(raw, i, competing)
        records.append({"market": ctx.market, "keyword": keyword, "volume": ctx.number(raw, i, vol),
                        "growth": ctx.number(raw, i, trend, percent=True),
                        "competition": _competition_from_count(n), "avg_price": ctx.number(raw, i, price)})
    return _frame(records, "helium10")


def _competition_from_count(n: float) -> float:
    """Competing listings on a log scale: 10 listings -> 0.2, 1,000 -> 0.6, 100,000 or more -> 1."""
    if np.isnan(n):
        return np.nan
    return float(min(1.0, math.log10(1 + n) / 5))


def _read_jungle_scout(text: str, ctx: _Ctx) -> pd.DataFrame:
    raw = _parse_at(text, ctx, lambda k: k.startswith("keyword") and "searchvolume" in k)
    cols = list(raw.frame.columns)
    kw = _find(cols, "Keyword")
    vol = _find(cols, "Exact Search Volume", "30-Day Search Volume (Exact)", "Monthly Search Volume (Exact)",
                "Search Volume", "Broad Search Volume")
    trend = _find(cols, "30-Day Trend", "90-Day Trend", "Trend")
    ease = _find(cols, "Ease to Rank Score", "Ease to Rank")
    organic = _find(cols, "Organic Product Count")
    price = _find(cols, "Avg. Price", "Average Price")
    records = []
    for i, keyword in _keyword_rows(raw, kw):
        e = ctx.number(raw, i, ease)
        competition = 1 - min(e, 100) / 100 if not np.isnan(e) else _competition_from_count(
            ctx.number(raw, i, organic))
        records.append({"market": ctx.market, "keyword": keyword, "volume": ctx.number(raw, i, vol),
                        "growth": ctx.number(raw, i, trend, percent=True), "competition": competition,
                        "avg_price": ctx.number(raw, i, price)})
    return _frame(records, "jungle-scout")


_CANONICAL_ALIASES = {
    "market": ("market", "country", "marketplace", "市场", "国家", "站点"),
    "keyword": ("keyword", "search term", "query", "keyword phrase", "term", "关键词", "关键字", "搜索词"),
    "volume": ("volume", "search volume", "monthly searches", "searches", "搜索量", "月搜索量"),
    "growth": ("growth", "trend", "增长", "增长率"),
    "competition": ("competition", "竞争", "竞争度"),
    "avg_price": ("avg_price", "average price", "avg price", "price", "均价", "平均价格", "价格"),
    "currency": ("currency", "币种", "货币"),
    "language": ("language", "lang", "语言"),
    "source": ("source", "来源"),
    "date": ("date", "日期"),
}


def _read_canonical(raw: RawTable, ctx: _Ctx) -> pd.DataFrame:
    cols = list(raw.frame.columns)
    found = {c: _find(cols, *aliases) for c, aliases in _CANONICAL_ALIASES.items()}
    records = []
    for i, keyword in _keyword_rows(raw, found["keyword"]):
        rec = {"keyword": keyword,
               "market": str(raw.cell(i, found["market"])).strip() if found["market"] else ctx.market,
               "volume": ctx.number(raw, i, found["volume"]),
               "growth": ctx.number(raw, i, found["growth"]),
               "competition": ctx.number(raw, i, found["competition"]),
               "avg_price": ctx.number(raw, i, found["avg_price"])}
        if not rec["market"]:
            rec["market"] = ctx.market
        for c in ("currency", "language", "source", "date"):
            rec[c] = str(raw.cell(i, found[c])).strip() or None if found[c] else None
        rec["_row"] = raw.rows[i]
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=DEMAND_COLUMNS + ["_row"])
    frame["source"] = frame["source"].fillna("canonical")
    return frame


def _parse_at(text: str, ctx: _Ctx, predicate: Callable[[str], bool]) -> RawTable:
    lines = text.split("\n")
    at = _header_line(lines, predicate) or 0
    return parse_delimited(text, ctx.name, ".tsv" if "\t" in lines[at] else ".csv", at)


def detect_format(lines: list[str]) -> str:
    """Name of the export format whose header appears in the first lines of a file."""
    keys = [_key(line) for line in lines[:40]]
    if any("searchfrequencyrank" in k and "searchterm" in k for k in keys):
        return "amazon-ba"
    if any(any(_key(v) in k for v in _KP_VOLUME) for k in keys):
        return "keyword-planner"
    if any("keywordphrase" in k and "searchvolume" in k for k in keys):
        return "helium10"
    if any(k.startswith("keyword") and ("exactsearchvolume" in k or "eastorank" in k or "easetorank" in k
                                         or "30daysearchvolume" in k) for k in keys):
        return "jungle-scout"
    first = next((line for line in lines if line.strip()), "").lstrip('"\ufeff')
    if (first.lower().startswith(("category:", "kategorie:", "类别：", "rankings for", "top countries",
                                  "most searched", "top searched"))
            or any(line.strip().upper() in ("TOP", "RISING") for line in lines[:6])
            or _TRENDS_GEO_RE.match(first.split(",")[-1].strip())):
        return "google-trends"
    return "canonical"


_TEXT_READERS = {"amazon-ba": _read_amazon_ba, "keyword-planner": _read_keyword_planner,
                 "google-trends": _read_google_trends, "helium10": _read_helium10,
                 "jungle-scout": _read_jungle_scout}
FORMATS = ["canonical", *_TEXT_READERS]


def read_signals(source: str | os.PathLike | pd.DataFrame, *, market_code: str | None = None) -> pd.DataFrame:
    """Read one demand file in any supported export format into the canonical demand table.

    Parameters
    ----------
    source : path or DataFrame
        The export. The format is detected from its header (see the module docstring).
    market_code : str, optional
        Market (ISO code) for files that do not name one, such as Keyword Planner or Helium 10 exports.

    Raises
    ------
    SchemaError
        Every problem of the file (missing market, unknown market code, values that are not numbers).

    Examples
    --------
    >>> import pandas as pd
    >>> read_signals(pd.DataFrame({"keyword": ["air fryer"], "volume": ["12,000"]}), market_code="US")[
    ...     ["market", "keyword", "volume", "language"]]
      market    keyword   volume language
    0     US  air fryer  12000.0       en
    """
    mkt = market(market_code, source="--market").code if market_code else None
    if isinstance(source, pd.DataFrame):
        raw = RawTable.from_frame(source, "signals")
        ctx = _Ctx("signals", mkt)
        out = _read_canonical_checked(raw, ctx)
    else:
        path = Path(source)
        ctx = _Ctx(str(path), mkt)
        if path.suffix.lower() in TEXT_SUFFIXES:
            text = read_text(path)
            fmt = detect_format(text.split("\n"))
            out = (_TEXT_READERS[fmt](text, ctx) if fmt != "canonical"
                   else _read_canonical_checked(parse_delimited(text, str(path), path.suffix.lower()), ctx))
        else:
            out = _read_canonical_checked(read_table(path), ctx)
    return _finish(out, ctx)


def _read_canonical_checked(raw: RawTable, ctx: _Ctx) -> pd.DataFrame:
    if _find(list(raw.frame.columns), *_CANONICAL_ALIASES["keyword"]) is None:
        raise SchemaError([Problem(Path(ctx.name).name,
                                   f"no keyword column and not a known export format (found columns: "
                                   f"{', '.join(map(str, raw.frame.columns[:8]))}); name the search-term column "
                                   f"'keyword' or export from Amazon Brand Analytics, Keyword Planner, Google "
                                   f"Trends, Helium 10 or Jungle Scout")])
    return _read_canonical(raw, ctx)


def _finish(out: pd.DataFrame, ctx: _Ctx) -> pd.DataFrame:
    name = Path(ctx.name).name
    problems = ctx.problems
    rows = out.pop("_row") if "_row" in out.columns else pd.Series([None] * len(out))
    if out.empty and not problems:
        raise SchemaError([Problem(name, "no search terms found; the file has a header but no keyword rows")])
    missing = out["market"].isna() | (out["market"].astype(str).str.strip() == "")
    if missing.any():
        problems.append(Problem(name, "the file names no market; pass --market with the ISO code of the "
                                      "market it was exported for (e.g. --market DE)"))
    else:
        codes = {}
        for code, row in zip(out["market"], rows):
            try:
                codes[code] = market(code).code
            except Exception:
                problems.append(Problem(name, f"unknown market {code!r}; use an ISO 3166-1 alpha-2 code such "
                                              f"as US, DE, FR, ES, JP", row, "market"))
        out["market"] = out["market"].map(lambda c: codes.get(c, c))
    for col in ("volume", "growth", "competition", "avg_price"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    bad = out["competition"].notna() & ~out["competition"].between(0, 1)
    for row, value in zip(rows[bad], out.loc[bad, "competition"]):
        problems.append(Problem(name, f"competition {value:g} is outside 0 to 1", row, "competition"))
    if (out["volume"] < 0).any():
        for row in rows[out["volume"] < 0]:
            problems.append(Problem(name, "volume is negative", row, "volume"))
    if problems:
        raise SchemaError(problems)
    # A term without a volume still shows demand exists; count it as the smallest volume seen.
    floor = out["volume"].min() if out["volume"].notna().any() else 1.0
    out["volume"] = out["volume"].fillna(floor if floor > 0 else 1.0)
    out["language"] = [lang if isinstance(lang, str) and lang else market(m).language
                       for lang, m in zip(out["language"], out["market"])]
    out["currency"] = [cur if isinstance(cur, str) and cur else market(m).currency
                       for cur, m in zip(out["currency"], out["market"])]
    out["keyword"] = out["keyword"].astype(str).str.strip()
    return out[DEMAND_COLUMNS].reset_index(drop=True)


def split_market_prefix(source) -> tuple[object, str | None]:
    """``"DE:keyword_planner.csv"`` -> (``"keyword_planner.csv"``, ``"DE"``): the market a file was exported for,
    written in front of its name. Anything else is returned as it is, with no market."""
    if isinstance(source, str) and len(source) > 3 and source[2] == ":" and source[:2].isalpha() \
            and source[:2].isupper():
        from .markets import MARKETS

        if source[:2] in MARKETS or source[:2] == "UK":
            return source[3:], source[:2]
    return source, None


def read_all_signals(sources, *, market_code: str | None = None) -> pd.DataFrame:
    """Read several demand files and merge duplicates of a (market, keyword) pair, keeping the largest volume.

    A file name may carry its market in front (``DE:kp.csv``), which wins over ``market_code`` for that file.
    """
    frames = []
    for s in sources:
        path, prefix = split_market_prefix(s)
        frames.append(read_signals(path, market_code=prefix or market_code))
    if not frames:
        raise SchemaError([Problem("--signals", "no demand file given; pass at least one --signals FILE")])
    frame = pd.concat(frames, ignore_index=True)
    frame["_k"] = frame["keyword"].str.lower()
    frame = frame.sort_values("volume", ascending=False, kind="stable")
    agg = frame.groupby(["market", "_k"], sort=False).agg(
        {c: "first" for c in DEMAND_COLUMNS if c not in ("market",)}).reset_index()
    return agg.drop(columns="_k")[DEMAND_COLUMNS].reset_index(drop=True)
