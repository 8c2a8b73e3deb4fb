"""Read a seller's catalogue into the canonical columns, reporting every problem of the file at once.

Canonical columns: ``sku`` (unique) and ``title`` (required); optional ``title_en``, ``description``,
``category``, ``brand``, ``cost``, ``currency`` (default CNY), ``weight_kg``, ``length_cm``, ``width_cm``,
``height_cm``, ``attributes``, ``image_url``, ``moq``. Common Chinese and English header variants are mapped onto
them; a weight in grams (``重量(g)``) is converted to kilograms and a ``尺寸`` column such as ``30x20x10`` is split
into length, width and height.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, SchemaError
from .tables import RawTable, read_table

CATALOGUE_COLUMNS = [
    "sku", "title", "title_en", "description", "category", "brand", "cost", "currency",
    "weight_kg", "length_cm", "width_cm", "height_cm", "attributes", "image_url", "moq",
]
NUMERIC_COLUMNS = ["cost", "weight_kg", "length_cm", "width_cm", "height_cm", "moq"]

# Header variants seen in 1688, Taobao, ERP (店小秘, 马帮, 通途) and Amazon template exports.
HEADER_ALIASES: dict[str, list[str]] = {
    "sku": ["sku", "sellersku", "skuid", "skucode", "itemid", "itemnumber", "itemno", "productid", "productcode",
            "商品编码", "商品编号", "产品编码", "产品编号", "货号", "商品货号", "sku编码", "款号", "编码", "型号编码"],
    "title": ["title", "name", "productname", "producttitle", "itemname", "titlezh", "chinesetitle", "标题",
              "商品名称", "商品标题", "产品名称", "产品标题", "品名", "名称", "中文标题", "中文名称", "中文品名"],
    "title_en": ["titleen", "englishtitle", "englishname", "nameen", "producttitleen", "英文标题", "英文名称",
                 "英文品名", "英文名"],
    "description": ["description", "desc", "details", "描述", "商品描述", "产品描述", "详情", "商品详情", "卖点",
                    "产品卖点"],
    "category": ["category", "producttype", "类目", "分类", "商品类目", "产品类目", "品类", "产品类别", "商品分类"],
    "brand": ["brand", "brandname", "品牌", "品牌名称"],
    "cost": ["cost", "unitcost", "purchaseprice", "costprice", "factoryprice", "fobprice", "成本", "成本价",
             "采购价", "采购成本", "进价", "出厂价", "拿货价", "供货价"],
    "currency": ["currency", "币种", "货币", "币别"],
    "weight_kg": ["weightkg", "weight", "grossweight", "netweight", "重量", "毛重", "净重", "单品重量", "产品重量",
                  "包装重量"],
    "length_cm": ["lengthcm", "length", "长", "长度", "包装长"],
    "width_cm": ["widthcm", "width", "宽", "宽度", "包装宽"],
    "height_cm": ["heightcm", "height", "高", "高度", "包装高"],
    "attributes": ["attributes", "attrs", "specs", "specifications", "属性", "规格", "产品属性", "商品属性", "参数"],
    "image_url": ["imageurl", "image", "mainimage", "imagelink", "picture", "图片", "主图", "图片链接", "主图链接",
                  "图片地址"],
    "moq": ["moq", "minimumorder", "minorderqty", "起订量", "最小起订量", "最低起订量"],
}
DIMENSION_ALIASES = ["dimensions", "size", "packagesize", "尺寸", "包装尺寸", "产品尺寸", "外箱尺寸"]
_ALIAS_TO_COLUMN = {alias: col for col, aliases in HEADER_ALIASES.items() for alias in aliases}

_UNIT_RE = re.compile(r"[(（\[【]\s*([a-zA-Z克千公斤厘米毫]+)\s*[)）\]】]$")
_GRAM_UNITS = {"g", "gram", "grams", "克"}
_MM_UNITS = {"mm", "毫米"}
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DIMS_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[x×*X]\s*(\d+(?:\.\d+)?)\s*[x×*X]\s*(\d+(?:\.\d+)?)\s*(cm|mm|厘米|毫米)?\s*$")
_CURRENCY_MARKS = ("¥", "￥", "$", "€", "£", "元", "rmb", "RMB", "CNY", "USD", "人民币")


def _normalise_header(header: str) -> tuple[str, str | None]:
    """Key used for alias lookup, and a unit found in brackets (``重量(g)`` -> ("重量", "g"))."""
    h = header.strip()
    unit = None
    m = _UNIT_RE.search(h)
    if m:
        unit = m.group(1).lower()
        h = h[: m.start()]
    key = re.sub(r"[\s_\-./:()（）]+", "", h).lower()
    if unit is None:
        for suffix in ("kg", "g", "cm", "mm"):
            if key.endswith(suffix) and key[: -len(suffix)] in _ALIAS_TO_COLUMN:
                return key[: -len(suffix)], suffix
    return key, unit


def parse_number(text: str) -> float | None:
    """A number as sellers write it (``12.5``, ``¥12.5``, ``12.5元``, ``1,234.50``); None if it is not one."""
    s = str(text).strip()
    for mark in _CURRENCY_MARKS:
        s = s.replace(mark, "")
    s = s.strip()
    if _THOUSANDS_RE.match(s):
        s = s.replace(",", "")
    if not _NUMBER_RE.match(s):
        return None
    return float(s)


def map_columns(columns: list[str]) -> tuple[dict[str, str], dict[str, float], str | None]:
    """Map file headers to canonical columns.

    Returns (file header -> canonical column, canonical column -> unit factor, header of a combined
    dimensions column or None). The first header that maps to a column wins.
    """
    mapping: dict[str, str] = {}
    factors: dict[str, float] = {}
    dims = None
    for header in columns:
        key, unit = _normalise_header(header)
        col = _ALIAS_TO_COLUMN.get(key)
        if col is None:
            if key in DIMENSION_ALIASES and dims is None:
                dims = header
            continue
        if col in mapping.values():
            continue
        mapping[header] = col
        if col == "weight_kg" and unit in _GRAM_UNITS:
            factors[col] = 0.001
        elif col.endswith("_cm") and unit in _MM_UNITS:
            factors[col] = 0.1
    return mapping, factors, dims


def validate_catalogue(raw: RawTable) -> pd.DataFrame:
    """Turn a raw table into the canonical catalogue, or raise SchemaError listing every problem."""
    name = Path(raw.name).name
    mapping, factors, dims_header = map_columns(list(raw.frame.columns))
    problems: list[Problem] = []
    found = set(mapping.values())
    for required in ("sku", "title"):
        if required not in found:
            tried = ", ".join(HEADER_ALIASES[required][:3] + [a for a in HEADER_ALIASES[required] if not a.isascii()][:3])
            problems.append(Problem(name, f"no {required} column (looked for headers such as {tried}); "
                                          f"add one or rename the column that holds it to '{required}'"))
    if problems:
        raise SchemaError(problems)
    if raw.frame.empty:
        raise SchemaError([Problem(name, "the catalogue has a header but no products; add one product per row")])

    frame = raw.frame.rename(columns=mapping)
    out = pd.DataFrame(index=range(len(frame)))
    for col in CATALOGUE_COLUMNS:
        out[col] = frame[col].map(lambda v: str(v).strip()) if col in frame.columns else ""
    header_of = {v: k for k, v in mapping.items()}

    if dims_header is not None:
        for i, value in enumerate(frame[dims_header]):
            value = str(value).strip()
            if not value:
                continue
            m = _DIMS_RE.match(value)
            if not m:
                problems.append(Problem(name, f'dimensions "{value}" are not length x width x height '
                                              f'(write e.g. 30x20x10 in cm)', raw.rows[i], dims_header))
                continue
            factor = 0.1 if m.group(4) in ("mm", "毫米") else 1.0
            for col, v in zip(("length_cm", "width_cm", "height_cm"), m.groups()[:3]):
                if not out.at[i, col]:
                    out.at[i, col] = str(float(v) * factor)

    first_row: dict[str, int] = {}
    titles = out["title"].tolist()  # plain lists: per-cell access to a DataFrame costs microseconds each
    for i, sku in enumerate(out["sku"].tolist()):
        row = raw.rows[i]
        if not sku:
            problems.append(Problem(name, "sku is empty; every product needs its own sku", row, header_of["sku"]))
        elif sku in first_row:
            problems.append(Problem(name, f"sku {sku!r} is already used in row {first_row[sku]}; skus must be unique",
                                    row, header_of["sku"]))
        else:
            first_row[sku] = row
        if not titles[i]:
            problems.append(Problem(name, "title is empty; give every product a title", row, header_of["title"]))

    numbers = {}
    for col in NUMERIC_COLUMNS:
        values = np.full(len(out), np.nan)
        for i, text in enumerate(out[col].tolist()):
            if not text:
                continue
            value = parse_number(text)
            header = header_of.get(col, dims_header or col)
            if value is None:
                problems.append(Problem(name, f'{col.replace("_", " ")} "{text}" is not a number '
                                              f'(write digits with a decimal point, e.g. 12.5)', raw.rows[i], header))
            elif value < 0:
                problems.append(Problem(name, f'{col.replace("_", " ")} {text} is negative; it must be 0 or more',
                                        raw.rows[i], header))
            else:
                values[i] = value * factors.get(col, 1.0)
        numbers[col] = values
    if problems:
        raise SchemaError(problems)

    for col, values in numbers.items():
        out[col] = values
    out["currency"] = out["currency"].replace("", "CNY").str.upper()
    out["moq"] = out["moq"].astype("Float64")
    return out


def read_catalogue(source: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a catalogue file (CSV, TSV, XLSX, Parquet, JSON Lines) or DataFrame.

    Parameters
    ----------
    source : path or DataFrame
        The catalogue. A DataFrame goes through the same header mapping and validation as a file.

    Returns
    -------
    DataFrame with the canonical columns (see module docstring); numbers are floats, NaN when missing.

    Raises
    ------
    SchemaError
        Listing every problem with file, row and column.

    Examples
    --------
    >>> import pandas as pd
    >>> read_catalogue(pd.DataFrame({"商品编码": ["A1"], "商品名称": ["空气炸锅"], "成本": ["89元"]}))[["sku", "cost"]]
      sku  cost
    0  A1  89.0
    """
    if isinstance(source, pd.DataFrame):
        raw = RawTable.from_frame(source, "catalogue")
    else:
        raw = read_table(source)
    return validate_catalogue(raw)
