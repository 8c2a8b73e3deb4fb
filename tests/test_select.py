from __future__ import annotations

import math

import pandas as pd
import pytest

import sellglobal
from sellglobal import CommerceConfig, ConfigError
from sellglobal.selection.select import SHORTLIST_COLUMNS

CATALOGUE = pd.DataFrame({
    "sku": ["FRY", "MAT", "CUP", "HEEL", "FU"],
    "title": ["家用大容量空气炸锅 5L 黑色", "加厚防滑瑜伽垫 TPE 6mm", "304不锈钢保温杯 500ml", "女士真皮高跟鞋 尖头",
              "红色春联 福字 对联套装"],
    "cost": [120, 20, 18, 80, 6], "weight_kg": [4.5, 1.2, 0.4, 0.8, 0.3],
    "category": ["厨房电器", "运动", "厨房用品", "女鞋", "节庆用品"],
})
SIGNALS = pd.DataFrame({
    "market": ["US", "US", "US", "DE", "DE", "FR", "ES", "JP", "JP"],
    "keyword": ["yoga mat", "air fryer", "high heels for women", "Yogamatte", "Stiefeletten Damen", "tapis de yoga",
                "esterilla de yoga", "ヨガマット", "ワイヤレスイヤホン"],
    "volume": [135000, 450000, 20000, 60000, 40000, 30000, 25000, 40000, 90000],
    "avg_price": [24.9, 69.9, 49.9, 27.0, 60, 28.0, 26.0, 2980, 4980],
})


@pytest.fixture(scope="module")
def shortlist():
    return sellglobal.select(CATALOGUE, SIGNALS, use_cache=False)


def test_columns_and_markets(shortlist):
    assert list(shortlist.columns) == SHORTLIST_COLUMNS
    assert set(shortlist["market"]) == {"US", "DE", "FR", "ES", "JP"}


def test_demand_points_at_the_right_products(shortlist):
    top = shortlist[shortlist["rank"] == 1].set_index("market")["sku"].to_dict()
    assert top["US"] == "FRY"  # 450k air fryer searches beat 135k yoga mat searches
    assert top["FR"] == top["ES"] == "MAT"
    us = shortlist[shortlist["market"] == "US"]
    assert us["sku"].tolist()[:3] == ["FRY", "MAT", "HEEL"]
    assert "FU" not in set(shortlist["sku"])  # nobody abroad searches for spring couplets here


def test_keywords_in_market_language_best_first(shortlist):
    row = shortlist[(shortlist["market"] == "US") & (shortlist["sku"] == "MAT")].iloc[0]
    assert row["keywords"].split(" | ")[0] == "yoga mat"
    jp = shortlist[(shortlist["market"] == "JP") & (shortlist["sku"] == "MAT")].iloc[0]
    assert jp["keywords"].split(" | ")[0] == "ヨガマット"


def test_margin_by_hand(shortlist):
    row = shortlist[(shortlist["market"] == "US") & (shortlist["sku"] == "MAT")].iloc[0]
    c = CommerceConfig()
    kg = max(1.2, 0)  # no dimensions: real weight
    expected = 20 / 7.10 + kg * 45 / 7.10 + 3.50 + 0.15 * 24.9
    assert row["landed_cost"] == pytest.approx(expected, rel=1e-6)
    assert row["margin"] == pytest.approx((24.9 - expected) / 24.9, rel=1e-6)
    assert row["price"] == pytest.approx(24.9)
    assert c.convert(7.10, "CNY", "USD") == pytest.approx(1.0)
    assert "margin" in row["why"] and "yoga mat" in row["why"]


def test_filters():
    out = sellglobal.select(CATALOGUE, SIGNALS, use_cache=False, markets="US", max_weight_kg=2,
                            exclude_category=["女鞋"], top=5)
    assert set(out["market"]) == {"US"}
    assert "FRY" not in set(out["sku"]) and "HEEL" not in set(out["sku"])
    out = sellglobal.select(CATALOGUE, SIGNALS, use_cache=False, markets=["US"], min_margin=0.9)
    assert out.empty


def test_unknown_price_keeps_margin_unknown():
    sig = SIGNALS.drop(columns="avg_price")
    out = sellglobal.select(CATALOGUE, sig, use_cache=False, markets="US", top=1)
    assert math.isnan(out.loc[0, "margin"]) and "margin unknown" in out.loc[0, "why"]


def test_markets_without_demand_is_an_error():
    with pytest.raises(ConfigError, match=r"--markets: no demand data for GB"):
        sellglobal.select(CATALOGUE, SIGNALS, use_cache=False, markets="US,GB")


def test_commerce_config_from_toml(tmp_path):
    path = tmp_path / "costs.toml"
    path.write_text('[fx]\nUSD = 7.0\n[freight_cny_per_kg]\nus = 30\n')
    c = CommerceConfig.from_file(path)
    assert c.fx["USD"] == 7.0 and c.freight_cny_per_kg["US"] == 30 and c.fx["EUR"] == 7.70
    path.write_text('[fxx]\nUSD = 7.0\n')
    with pytest.raises(ConfigError, match="unknown key 'fxx'"):
        CommerceConfig.from_file(path)


def test_volumetric_weight_counts():
    c = CommerceConfig()
    assert c.chargeable_kg(1.0, 60, 40, 30) == pytest.approx(12.0)
    assert c.chargeable_kg(1.0, float("nan"), float("nan"), float("nan")) == 1.0
