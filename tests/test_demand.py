from __future__ import annotations

import math

import pandas as pd
import pytest

from sellglobal import SchemaError, read_signals
from sellglobal.selection.demand import detect_format, parse_metric, read_all_signals, volume_from_rank
from sellglobal.selection.tables import read_text


@pytest.mark.parametrize("name, fmt", [
    ("amazon_ba_DE.csv", "amazon-ba"), ("keyword_planner_DE.csv", "keyword-planner"),
    ("keyword_planner_JP_zh_ui.csv", "keyword-planner"), ("trends_timeline.csv", "google-trends"),
    ("trends_related.csv", "google-trends"), ("trends_ranking_halloween_2022.csv", "google-trends"),
    ("helium10_magnet.csv", "helium10"), ("jungle_scout.csv", "jungle-scout"),
    ("demand_bad_market.csv", "canonical"),
])
def test_format_detection(data_dir, name, fmt):
    assert detect_format(read_text(data_dir / name).split("\n")) == fmt


def test_amazon_brand_analytics(data_dir):
    d = read_signals(data_dir / "amazon_ba_DE.csv")
    assert d["market"].tolist() == ["DE", "DE"]  # from Marketplace=["Amazon.de"]
    assert d["language"].tolist() == ["de", "de"]
    assert d.loc[0, "keyword"] == "heißluftfritteuse"
    assert d.loc[0, "volume"] == pytest.approx(volume_from_rank(1204))
    assert d.loc[1, "volume"] > d.loc[0, "volume"]  # rank 15 searched more than rank 1,204
    assert d.loc[0, "competition"] == pytest.approx(0.419)
    assert d.loc[0, "date"] == "2026-10-31"


def test_keyword_planner_utf16_english_ui(data_dir):
    d = read_signals(data_dir / "keyword_planner_DE.csv", market_code="DE")
    assert d["keyword"].tolist() == ["Heißluftfritteuse", "yogamatte"]
    assert d.loc[0, "volume"] == pytest.approx(math.sqrt(1000 * 10000))  # "1K – 10K" range
    assert d.loc[0, "growth"] == pytest.approx(0.25)
    assert d.loc[1, "growth"] == pytest.approx(-0.18)  # YoY empty -> three-month change
    assert d.loc[0, "competition"] == pytest.approx(0.88)
    assert d.loc[1, "competition"] == pytest.approx(0.2)  # "Low" without an index
    assert d.loc[0, "currency"] == "EUR"


def test_keyword_planner_chinese_ui(data_dir):
    d = read_signals(data_dir / "keyword_planner_JP_zh_ui.csv", market_code="jp")
    assert d.iloc[0][["market", "keyword", "volume", "language"]].tolist() == ["JP", "ノンフライヤー", 22200, "ja"]
    assert d.loc[0, "competition"] == pytest.approx(0.5)


def test_keyword_planner_needs_market(data_dir):
    with pytest.raises(SchemaError, match=r"keyword_planner_DE.csv: the file names no market; pass --market"):
        read_signals(data_dir / "keyword_planner_DE.csv")


def test_google_trends_timeline(data_dir):
    d = read_signals(data_dir / "trends_timeline.csv")
    assert d["market"].tolist() == ["US", "US"]
    assert d["keyword"].tolist() == ["air fryer", "yoga mat"]
    assert d.loc[0, "growth"] > 0.3 and d.loc[1, "growth"] < 0


def test_google_trends_related_queries(data_dir):
    d = read_signals(data_dir / "trends_related.csv", market_code="US").set_index("keyword")
    assert d.loc["air fryer recipes", "volume"] == 100
    assert d.loc["ninja air fryer", "growth"] == pytest.approx(2.5)
    assert d.loc["air fryer liners", "growth"] == pytest.approx(50.0)  # Breakout


def test_google_trends_real_ranking_export(data_dir):
    d = read_signals(data_dir / "trends_ranking_halloween_2022.csv")
    assert d.loc[0, ["market", "keyword", "volume"]].tolist() == ["US", "Witch", 100.0]
    assert d["volume"].is_monotonic_decreasing


def test_google_trends_region_table_refused(data_dir):
    with pytest.raises(SchemaError, match="lists regions, not search terms"):
        read_signals(data_dir / "trends_by_country.csv")


def test_helium10(data_dir):
    d = read_signals(data_dir / "helium10_magnet.csv", market_code="US")
    assert d.loc[0, "volume"] == 452310
    assert d.loc[0, "growth"] == pytest.approx(0.12)
    assert 0.8 < d.loc[0, "competition"] < 0.9


def test_jungle_scout(data_dir):
    d = read_signals(data_dir / "jungle_scout.csv", market_code="FR")
    assert d.loc[0, ["keyword", "volume", "language"]].tolist() == ["friteuse sans huile", 60500, "fr"]
    assert d.loc[0, "competition"] == pytest.approx(0.65)
    assert d.loc[1, "growth"] == pytest.approx(-0.03)


def test_canonical_bad_market_reported_with_row(data_dir):
    with pytest.raises(SchemaError, match=r"demand_bad_market.csv row 5 column 'market': unknown market 'XX'"):
        read_signals(data_dir / "demand_bad_market.csv")


def test_unknown_market_option():
    with pytest.raises(Exception, match="unknown market 'ZZ'"):
        read_signals(pd.DataFrame({"keyword": ["a"]}), market_code="ZZ")


@pytest.mark.parametrize("text, value", [("1,234", 1234), ("12%", 0.12), ("+900%", 9.0), ("<10", 10), ("2.5万", 25000),
                                         ("10K", 10000), ("", None), ("-", None)])
def test_parse_metric(text, value):
    out = parse_metric(text)
    assert out == (pytest.approx(value) if value is not None else None)


def test_merge_keeps_largest_volume_and_fills_price():
    a = pd.DataFrame({"market": ["US"], "keyword": ["air fryer"], "volume": [100]})
    b = pd.DataFrame({"market": ["US"], "keyword": ["Air Fryer"], "volume": [50], "avg_price": [69.9]})
    d = read_all_signals([a, b])
    assert len(d) == 1 and d.loc[0, "volume"] == 100 and d.loc[0, "avg_price"] == 69.9
