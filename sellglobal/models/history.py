"""Sales history: past outcomes per (market, sku), to train and evaluate the ranker on.

Read from a canonical CSV (``market``, ``sku`` and at least one of ``units``, ``revenue``, ``conversion``,
``grade`` 0..3; Chinese headers 站点, 商品编码, 销量, 销售额, 转化率, 等级 are understood) or from Amazon Seller Central's
business report "Detail Page Sales and Traffic By Child Item" (SKU, Units Ordered, Ordered Product Sales, Unit Session
Percentage; one marketplace per file, so ``market_code`` names it).
"""
from __future__ import annotations

import math
import os
import re

import numpy as np
import pandas as pd

from ..errors import Problem, SchemaError
from ..selection.catalogue import parse_number
from ..selection.demand import parse_metric
from ..selection.markets import MARKETS, market
from ..selection.tables import RawTable, read_table

OUTCOMES = ("units", "revenue", "conversion", "grade")
HISTORY_COLUMNS = ["market", "sku", *OUTCOMES]
_ALIASES = {
    "market": ["market", "marketplace", "country", "站点", "市场", "国家"],
    "sku": ["sku", "seller sku", "商品编码", "货号", "sku编码"],
    "units": ["units", "units ordered", "units ordered - total", "quantity", "销量", "销售数量"],
    "revenue": ["revenue", "sales", "ordered product sales", "ordered product sales - total", "销售额", "销售金额"],
    "conversion": ["conversion", "unit session percentage", "unit session percentage - total", "转化率"],
    "grade": ["grade", "relevance", "等级", "评分"],
}


def _map_headers(columns) -> dict[str, str]:
    out = {}
    for col in columns:
        key = str(col).strip().casefold()
        for name, aliases in _ALIASES.items():
            if key in aliases and name not in out.values():
                out[col] = name
    return out


def read_history(source: str | os.PathLike | pd.DataFrame, *, market_code: str | None = None) -> pd.DataFrame:
    """Outcomes per (market, sku) with columns ``HISTORY_COLUMNS`` (missing outcomes are NaN).

    Every problem of the file is reported at once, with row and column. Several rows of one (market, sku) (a
    report per month, say) are summed (units, revenue), averaged (conversion) or maximised (grade).
    """
    raw = RawTable.from_frame(source, "history") if isinstance(source, pd.DataFrame) else read_table(source)
    mapping = _map_headers(raw.frame.columns)
    frame = raw.frame.rename(columns=mapping)
    problems: list[Problem] = []
    if "sku" not in frame.columns:
        problems.append(Problem(raw.name, "no sku column; name it sku (or SKU, 商品编码)", column="sku"))
    if not any(o in frame.columns for o in OUTCOMES):
        problems.append(Problem(raw.name, "no outcome column; give at least one of units, revenue, conversion, "
                                          "grade (or a business report's Units Ordered)"))
    if "market" not in frame.columns and not market_code:
        problems.append(Problem(raw.name, "no market column; add one or pass --market for a one-market report",
                                column="market"))
    if problems:
        raise SchemaError(problems)
    default_market = market(market_code, source="--market").code if market_code else None
    rows = []
    for i, rec in enumerate(frame.to_dict("records")):
        where = dict(file=raw.name, row=raw.rows[i])
        sku = str(rec.get("sku", "")).strip()
        if not sku:
            problems.append(Problem(message="empty sku", column="sku", **where))
            continue
        code = str(rec.get("market", "") or default_market or "").strip().upper()
        if code not in MARKETS:
            problems.append(Problem(message=f"unknown market {rec.get('market')!r}; use an ISO code such as US, DE",
                                    column="market", **where))
            continue
        row = {"market": code, "sku": sku}
        for name in OUTCOMES:
            cell = rec.get(name, "")
            try:
                value = _number(cell, percent=name == "conversion")
            except ValueError:
                problems.append(Problem(message=f"{name} {cell!r} is not a number", column=name, **where))
                continue
            if value is not None and value < 0:
                problems.append(Problem(message=f"{name} {cell!r} is negative", column=name, **where))
                continue
            if name == "grade" and value is not None and not (0 <= value <= 3):
                problems.append(Problem(message=f"grade {cell!r} is outside 0 to 3", column=name, **where))
                continue
            row[name] = math.nan if value is None else float(value)
        rows.append(row)
    if problems:
        raise SchemaError(problems)
    out = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    out = out.groupby(["market", "sku"], as_index=False, sort=False).agg(
        units=("units", lambda s: s.sum(min_count=1)), revenue=("revenue", lambda s: s.sum(min_count=1)),
        conversion=("conversion", "mean"), grade=("grade", "max"))
    return out[HISTORY_COLUMNS]


# a decimal comma with one or two decimals; "1,234" stays English thousands
_EUROPEAN_RE = re.compile(r"^[-+]?\d{1,3}(?:[.\u00a0\u202f ]\d{3})*,\d{1,2}$|^[-+]?\d+,\d{1,2}$")


def _number(cell, *, percent: bool = False) -> float | None:
    """A number as reports write it: ``1,234.56``, ``$1,234.56``, ``12.5%``, and the German/French/Spanish UI's
    ``1.234,56 €`` or ``7,97 %``."""
    text = str(cell).strip()
    bare = re.sub(r"[^\d.,\u00a0\u202f +-]", "", text).strip()
    if _EUROPEAN_RE.match(bare):
        value = float(re.sub(r"[.\u00a0\u202f ]", "", bare).replace(",", "."))
        return value / 100 if percent else value
    if percent:
        return parse_metric(cell, percent=True)
    value = parse_number(text)
    return value if value is not None else parse_metric(cell)


def relevance(history: pd.DataFrame) -> pd.Series:
    """A 0..3 grade per row: the given ``grade``, else the best available outcome (units, then revenue, then
    conversion) binned within its market: 0 for nothing sold, 1 to 3 for the lower, middle and upper third of the
    products that sold."""
    grade = history["grade"].copy()
    for outcome in ("units", "revenue", "conversion"):
        todo = grade.isna() & history[outcome].notna()
        if not todo.any():
            continue
        for _, idx in history[todo].groupby("market").groups.items():
            values = history.loc[idx, outcome].to_numpy(dtype=float)
            positive = values[values > 0]
            if len(positive):
                cuts = np.quantile(positive, [1 / 3, 2 / 3])
                bins = np.where(values > 0, 1 + (values > cuts[0]).astype(int) + (values > cuts[1]).astype(int), 0)
            else:
                bins = np.zeros(len(values))
            grade.loc[idx] = bins
    return grade.fillna(0).astype(float)
