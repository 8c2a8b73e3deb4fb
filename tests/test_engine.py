from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import sellglobal
from sellglobal import ConfigError
from sellglobal.cli import cli
from sellglobal.engine import LocalEngine, get_engine

pytest.importorskip("distributed")

CATALOGUE = pd.DataFrame({
    "sku": [f"P{i:03d}" for i in range(60)],
    "title": [["家用空气炸锅 5L", "加厚防滑瑜伽垫", "304不锈钢保温杯 500ml", "便携蓝牙音箱 防水", "真丝睡眠眼罩",
               "万向轮行李箱 20寸"][i % 6] + f" {['黑色', '白色', '粉色'][i % 3]} {i}" for i in range(60)],
    "cost": [20.0 + i for i in range(60)], "weight_kg": [0.5 + (i % 5) for i in range(60)],
})
SIGNALS = pd.DataFrame({
    "market": ["US"] * 4 + ["DE"] * 3 + ["JP"] * 3,
    "keyword": ["air fryer", "yoga mat", "bluetooth speaker", "carry on luggage", "Heißluftfritteuse", "Yogamatte",
                "Schlafmaske", "ヨガマット", "水筒", "スーツケース"],
    "volume": [450000, 135000, 90000, 60000, 120000, 60000, 30000, 40000, 50000, 20000],
})


@pytest.fixture(scope="module")
def dask_engine():
    engine = get_engine("dask")
    yield engine
    engine.close()


def test_dask_engine_gives_the_local_shortlist(dask_engine, monkeypatch):
    import sellglobal.selection.select as select_module

    # small partitions, so that the work really is split across the workers
    monkeypatch.setattr(select_module, "PRODUCTS_PER_PARTITION", 25)
    monkeypatch.setattr(select_module, "TEXTS_PER_PARTITION", 256)
    local = sellglobal.select(CATALOGUE, SIGNALS, use_cache=False, top=8)
    distributed = sellglobal.select(CATALOGUE, SIGNALS, use_cache=False, top=8, engine=dask_engine)
    assert distributed[["market", "rank", "sku", "keywords"]].equals(local[["market", "rank", "sku", "keywords"]])
    # workers run numpy single-threaded: sums add up in another order, a few units in the 7th decimal
    assert (distributed["score"] - local["score"]).abs().max() < 1e-5


def test_dask_engine_uses_the_embedding_cache_of_this_machine(dask_engine, tmp_path, monkeypatch):
    """The cluster encodes and glosses only what the caches here lack: a rerun sends it nothing, and a run after a
    local one reuses the local run's vectors (the same shortlist)."""
    import sellglobal.selection.select as select_module
    from sellglobal.models.matching import product_views

    sent = {"texts": 0, "products": 0}
    encode, views = select_module._ClusterEncoder.encode, select_module._views_distributed

    def counted_encode(self, texts):
        sent["texts"] += len(texts)
        return encode(self, texts)

    def counted_views(engine, titles, titles_en):
        sent["products"] += len(titles)
        return views(engine, titles, titles_en)

    monkeypatch.setattr(select_module._ClusterEncoder, "encode", counted_encode)
    monkeypatch.setattr(select_module, "_views_distributed", counted_views)
    local = sellglobal.select(CATALOGUE, SIGNALS, cache_dir=tmp_path / "cache", top=8)
    assert sent == {"texts": 0, "products": 0}
    again = sellglobal.select(CATALOGUE, SIGNALS, cache_dir=tmp_path / "cache", top=8, engine=dask_engine)
    assert sent == {"texts": 0, "products": 0}  # everything came from the local run's caches
    assert again.equals(local)
    fresh = sellglobal.select(CATALOGUE, SIGNALS, cache_dir=tmp_path / "fresh", top=8, engine=dask_engine)
    view_texts = set(product_views(CATALOGUE["title"].tolist()).texts)  # each product's title and gloss, once
    assert sent == {"texts": len(view_texts) + SIGNALS["keyword"].nunique(), "products": len(CATALOGUE)}
    first = dict(sent)
    sellglobal.select(CATALOGUE, SIGNALS, cache_dir=tmp_path / "fresh", top=8, engine=dask_engine)
    assert sent == first  # the rerun sent nothing more
    assert fresh[["market", "rank", "sku", "keywords"]].equals(local[["market", "rank", "sku", "keywords"]])


def test_dask_engine_writes_the_same_listings(dask_engine, tmp_path, monkeypatch):
    from sellglobal.listings import generate

    monkeypatch.setattr(generate, "CHUNK", 5)
    shortlist = sellglobal.select(CATALOGUE, SIGNALS, use_cache=False, top=8)
    sellglobal.listings(shortlist, CATALOGUE, channels=["amazon", "ebay"], output_dir=tmp_path / "local", workers=1)
    sellglobal.listings(shortlist, CATALOGUE, channels=["amazon", "ebay"], output_dir=tmp_path / "dask",
                        engine=dask_engine)
    read = lambda p: [json.loads(x) for x in (p / "listings.jsonl").read_text(encoding="utf-8").splitlines()]  # noqa
    assert read(tmp_path / "dask") == read(tmp_path / "local")
    assert (tmp_path / "dask" / "amazon" / "listings_US_001.json").read_text(encoding="utf-8") == \
        (tmp_path / "local" / "amazon" / "listings_US_001.json").read_text(encoding="utf-8")


def test_engine_choice_and_errors(tmp_path):
    assert isinstance(get_engine(None), LocalEngine) and isinstance(get_engine("local"), LocalEngine)
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        get_engine("spark")
    with pytest.raises(ConfigError, match="--scheduler needs --engine dask"):
        get_engine("local", "tcp://127.0.0.1:1")
    cat = tmp_path / "cat.csv"
    CATALOGUE.head(3).to_csv(cat, index=False)
    sig = tmp_path / "sig.csv"
    SIGNALS.head(2).to_csv(sig, index=False)
    result = CliRunner().invoke(cli, ["select", str(cat), "-s", str(sig), "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "--scheduler needs --engine dask" in result.output


def test_listing_workers_and_the_command_line_start_without_scikit_learn():
    """Workers import sellglobal.listings.generate; the CLI imports sellglobal.cli. Neither ranks, so neither pays
    for scikit-learn (a second of import), and the names of the API still resolve on first use."""
    import subprocess
    import sys

    code = ("import sys, sellglobal.listings.generate, sellglobal.cli; print('sklearn' in sys.modules); "
            "import sellglobal; from sellglobal import select, DefaultRanker; "
            "print(callable(select), 'sklearn' in sys.modules, callable(sellglobal.listings), "
            "sorted(set(sellglobal.__all__) - set(dir(sellglobal))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:2] == ["False", "True True True []"]
    with pytest.raises(AttributeError, match="no attribute 'selec'"):
        import sellglobal

        sellglobal.selec
