from __future__ import annotations

import math

import numpy as np
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


# A catalogue the matching was never tuned on: twelve product types with wholesale-style Chinese titles, and demand
# in five languages that points at four of them, plus searches for things the seller does not make.
UNSEEN = pd.DataFrame({
    "sku": [f"S{i:02d}" for i in range(12)],
    "title": ["2025新款 宠物梳子 去浮毛 厂家直销", "防雾游泳眼镜 成人 黑色", "便携蓝牙音箱 防水 跨境专供", "不锈钢保温饭盒 双层",
              "万向轮行李箱 20寸 拉杆箱", "全自动折叠雨伞 晴雨两用", "纯棉棒球帽 男女同款 白色", "懒人免手洗平板拖把",
              "厨房电子秤 克称 烘焙", "硅胶手机壳 防摔", "真丝睡眠眼罩 遮光", "记忆棉坐垫 办公室"],
})
POINTED = {
    "US": {"S01": ["swim goggles", "anti fog swim goggles"], "S02": ["bluetooth speaker", "waterproof speaker"],
           "S04": ["carry on luggage", "suitcase with wheels"], "S07": ["flat mop", "mop and bucket"]},
    "DE": {"S02": ["Bluetooth Lautsprecher", "Musikbox Bluetooth"], "S05": ["Regenschirm", "Taschenschirm automatisch"],
           "S08": ["Küchenwaage", "Küchenwaage digital"], "S10": ["Schlafmaske", "Schlafbrille"]},
    "FR": {"S00": ["brosse chien", "brosse pour chat"], "S04": ["valise cabine", "valise à roulettes"],
           "S09": ["coque iphone", "coque téléphone silicone"], "S11": ["coussin de chaise", "coussin d'assise"]},
    "ES": {"S01": ["gafas de natación", "gafas natación antivaho"], "S03": ["fiambrera", "fiambrera térmica"],
           "S06": ["gorra", "gorra de béisbol"], "S10": ["antifaz para dormir", "antifaz dormir"]},
    "JP": {"S02": ["ブルートゥース スピーカー", "防水スピーカー"], "S05": ["折りたたみ傘", "自動開閉 傘"],
           "S08": ["キッチンスケール", "デジタルスケール"], "S11": ["クッション 椅子", "低反発クッション"]},
}
GAP = {"US": ["robot lawn mower", "gaming laptop"], "DE": ["Rasenmähroboter", "E-Bike"],
       "FR": ["robot tondeuse", "vélo électrique"], "ES": ["robot cortacésped", "bicicleta eléctrica"],
       "JP": ["ロボット芝刈り機", "電動自転車"]}


def _unseen_signals() -> pd.DataFrame:
    rows = []
    for m, products in POINTED.items():
        for rank, (sku, terms) in enumerate(products.items()):
            for i, term in enumerate(terms):
                rows.append({"market": m, "keyword": term, "volume": (40000 - 8000 * rank) * (1.0 if i == 0 else 0.3)})
        for term in GAP[m]:
            rows.append({"market": m, "keyword": term, "volume": 60000.0})  # more than any product's demand
    return pd.DataFrame(rows)


def test_unseen_catalogue_pointed_products_fill_the_top(encoder):
    shortlist = sellglobal.select(UNSEEN, _unseen_signals(), model=encoder, use_cache=False, top=6)
    found = 0
    for m, products in POINTED.items():
        got = shortlist[shortlist["market"] == m].sort_values("rank")["sku"].tolist()
        assert got[0] == next(iter(products)), (m, got)  # the most searched product first
        assert len(set(got[:4]) & set(products)) >= 3, (m, got)
        found += len(set(got[:4]) & set(products))
    # Measured 16 of 20: "robot lawn mower" in four languages still lifts the mop (懒人免手洗平板拖把), whose
    # title the encoder places near it. The README lists this under known limits.
    assert found >= 16


def test_approximate_matching_gives_the_exact_shortlist_on_the_unseen_catalogue(encoder):
    pytest.importorskip("usearch")
    exact = sellglobal.select(UNSEEN, _unseen_signals(), model=encoder, use_cache=False, top=6)
    approx = sellglobal.select(UNSEEN, _unseen_signals(), model=encoder, use_cache=False, top=6, ann=True)
    assert approx[["market", "rank", "sku", "keywords"]].equals(exact[["market", "rank", "sku", "keywords"]])
    assert np.allclose(approx["score"], exact["score"], atol=1e-6)


def test_gap_demand_does_not_credit_its_nearest_product(encoder):
    catalogue = pd.DataFrame({"sku": ["BAG", "CARVAC", "MAT"],
                              "title": ["真空压缩袋 衣物收纳", "车载吸尘器 大功率", "加厚防滑瑜伽垫"]})
    signals = pd.DataFrame({"market": "US", "keyword": ["robot vacuum", "vacuum storage bags", "car vacuum cleaner",
                                                        "yoga mat"],
                            "volume": [300000, 20000, 15000, 10000]})
    shortlist = sellglobal.select(catalogue, signals, model=encoder, use_cache=False)
    assert shortlist["sku"].tolist() == ["BAG", "CARVAC", "MAT"]
    assert not shortlist["keywords"].str.contains("robot vacuum").any()
    assert shortlist["demand_volume"].max() < 25000


def test_head_term_of_a_long_tail_keyword_still_credits():
    from sellglobal.selection.select import _head_of

    assert _head_of("swim goggles", "anti fog swim goggles")
    assert _head_of("ヨガマット", "ヨガマット厚手")
    assert not _head_of("robot vacuum", "vacuum storage bags")
    assert not _head_of("", "anything")


def test_ambiguous_keyword_is_split_between_distinct_products_not_variants():
    from sellglobal.selection.select import MatchSettings, _split

    v = np.eye(3, dtype=np.float32)
    variants = np.vstack([v[0], v[0] * 0.99 + v[1] * 0.01, v[2]])
    variants /= np.linalg.norm(variants, axis=1, keepdims=True)
    # keyword 0 credits all three, keyword 1 only product 2
    share = _split(variants, np.array([0, 1, 2, 2]), np.array([0.50, 0.49, 0.50, 0.4]), np.array([3, 1]),
                   MatchSettings())
    assert share[0] == share[1] == pytest.approx(0.5)  # two variants of one product share in full
    assert share[2] == pytest.approx(0.5)
    assert share[3] == 1.0


def _split_one_keyword(vectors, idx, sims, settings):
    """The split for one keyword as a plain loop, to check the batched version against."""
    heads, group = [], []
    for i in range(len(idx)):
        earlier = [j for j in range(i) if vectors[idx[i]] @ vectors[idx[j]] >= settings.same_product_similarity]
        g = group[earlier[0]] if earlier else i
        group.append(g)
        if g == i:
            heads.append(i)
    weight = {h: np.exp((sims[h] - sims[0]) / settings.split_temperature) for h in heads}
    total = sum(weight.values())
    return [weight[g] / total for g in group]


@pytest.mark.parametrize("batch", [1, 3, 256])
def test_batched_split_equals_a_plain_loop_per_keyword(batch):
    from sellglobal.selection.select import MatchSettings, _split

    rng = np.random.default_rng(3)
    base = rng.normal(size=(6, 8))
    vectors = np.vstack([base[i % 6] + rng.normal(scale=0.1, size=8) for i in range(40)]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    counts = rng.integers(1, 12, size=25)
    products = np.concatenate([rng.choice(40, size=c, replace=False) for c in counts])
    sims = np.concatenate([np.sort(rng.uniform(0.2, 0.6, size=c))[::-1] for c in counts])
    settings = MatchSettings()
    got = _split(vectors, products, sims, counts, settings, batch=batch)
    start = 0
    for c in counts:
        sl = slice(start, start + c)
        assert got[sl] == pytest.approx(_split_one_keyword(vectors, products[sl], sims[sl], settings))
        start += c


def test_sales_talk_and_colours_are_not_matched():
    from sellglobal.models.gloss import strip_noise

    assert strip_noise("2025新款 空气炸锅 黑色 厂家直销 一件代发") == "空气炸锅"
    assert strip_noise("玫瑰金色 手表") == "手表"
    assert strip_noise("Air Fryer Black") == "Air Fryer"
    assert strip_noise("white noise machine") == "white noise machine"
    assert strip_noise("黑色") == "黑色"  # nothing left: keep the text


def test_sized_long_tail_keyword_is_the_same_product():
    from sellglobal.selection.select import _sized

    assert _sized("air fryer 5 quart", "air fryer")
    assert not _sized("air fryer liners", "air fryer")  # an accessory, not a size
    assert not _sized("5 quart pot", "air fryer")


def test_uncovered_demand_is_listed_with_the_nearest_product(encoder):
    from sellglobal.selection.select import feature_table

    catalogue = pd.DataFrame({"sku": ["BAG", "MAT"], "title": ["真空压缩袋 衣物收纳", "加厚防滑瑜伽垫"]})
    signals = pd.DataFrame({"market": "US", "keyword": ["robot vacuum", "vacuum storage bags", "yoga mat"],
                            "volume": [300000, 20000, 10000]})
    table = feature_table(catalogue, signals, model=encoder, use_cache=False)
    gap = table.uncovered["US"]
    assert gap["keyword"].tolist() == ["robot vacuum"]
    assert gap.loc[0, "volume"] == 300000 and gap.loc[0, "nearest_sku"] == "BAG"
