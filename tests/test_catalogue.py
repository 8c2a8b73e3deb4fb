from __future__ import annotations

import math

import pandas as pd
import pytest

from sellglobal import SchemaError, read_catalogue
from sellglobal.errors import InputFormatError
from sellglobal.selection.catalogue import parse_number
from sellglobal.selection.tables import write_table


def test_gb18030_csv_with_chinese_headers_and_grams(data_dir):
    cat = read_catalogue(data_dir / "catalogue_gb18030.csv")
    assert cat["sku"].tolist() == ["A1", "A2"]
    assert cat.loc[0, "title"] == "家用空气炸锅 5L"
    assert cat.loc[0, "category"] == "厨房电器"
    assert cat.loc[0, "cost"] == 120.5
    assert cat.loc[0, "weight_kg"] == pytest.approx(4.2)  # 重量(g) converted to kg
    assert cat.loc[0, "currency"] == "CNY"


@pytest.mark.parametrize("name", ["catalogue_bom.csv", "catalogue.tsv"])
def test_bom_and_tsv(data_dir, name):
    cat = read_catalogue(data_dir / name)
    assert cat.loc[0, "title"] == "空气炸锅" and cat.loc[0, "cost"] == 120


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".jsonl"])
def test_binary_and_json_formats_round_trip(tmp_path, suffix):
    frame = pd.DataFrame({"商品编码": ["A1", "B2"], "商品名称": ["空气炸锅", "瑜伽垫"], "采购价": ["120", "20.5"],
                          "尺寸": ["30x20x10", ""]})
    path = write_table(frame, tmp_path / f"cat{suffix}")
    cat = read_catalogue(path)
    assert cat["title"].tolist() == ["空气炸锅", "瑜伽垫"]
    assert cat.loc[1, "cost"] == 20.5
    assert (cat.loc[0, "length_cm"], cat.loc[0, "width_cm"], cat.loc[0, "height_cm"]) == (30, 20, 10)
    assert math.isnan(cat.loc[1, "length_cm"])


def test_missing_title_column_names_the_fix(data_dir):
    with pytest.raises(SchemaError, match=r"catalogue_no_title.csv: no title column .*rename the column"):
        read_catalogue(data_dir / "catalogue_no_title.csv")


def test_every_bad_row_reported_at_once(data_dir):
    with pytest.raises(SchemaError) as info:
        read_catalogue(data_dir / "catalogue_bad.csv")
    assert str(info.value).splitlines() == [
        "catalogue_bad.csv row 3 column 'sku': sku 'A1' is already used in row 2; skus must be unique",
        "catalogue_bad.csv row 4 column 'title': title is empty; give every product a title",
        'catalogue_bad.csv row 5 column \'cost\': cost "12,5元" is not a number (write digits with a decimal '
        'point, e.g. 12.5)',
        "catalogue_bad.csv row 6 column 'weight_kg': weight kg -1 is negative; it must be 0 or more",
    ]
    assert len(info.value.problems) == 4


@pytest.mark.parametrize("text, value", [("12.5", 12.5), ("¥12.5", 12.5), ("12.5元", 12.5), ("1,234.50", 1234.5),
                                         ("12,5", None), ("abc", None), ("", None)])
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_unknown_file_type(tmp_path):
    path = tmp_path / "cat.doc"
    path.write_text("x")
    with pytest.raises(InputFormatError, match=r"unknown file type .doc"):
        read_catalogue(path)


def test_empty_catalogue(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("sku,title\n")
    with pytest.raises(SchemaError, match="no products"):
        read_catalogue(path)
