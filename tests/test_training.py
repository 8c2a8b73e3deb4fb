from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline

import sellglobal
from sellglobal import ConfigError, SchemaError
from sellglobal.cli import DEMO_MARKETS, DEMO_SIGNALS, cli
from sellglobal.errors import ModelError
from sellglobal.models.evaluation import ndcg_scorer, ranking_metrics
from sellglobal.models.history import read_history, relevance
from sellglobal.models.persist import load_model, save_model
from sellglobal.models.ranker import FEATURES, PairwiseRanker
from sellglobal.models.synthetic import synthetic_history
from sellglobal.models.training import cross_validate, train, training_table
from sellglobal.selection.select import feature_table

DEMO = resources.files("sellglobal") / "data" / "demo"
DEMO_ARGS = [f"{DEMO_MARKETS[n]}:{DEMO / n}" if n in DEMO_MARKETS else str(DEMO / n) for n in DEMO_SIGNALS]


@pytest.fixture(scope="module")
def demo_features(encoder):
    signals = pd.concat([sellglobal.read_signals(DEMO / n, market_code=DEMO_MARKETS.get(n)) for n in DEMO_SIGNALS])
    return feature_table(DEMO / "catalogue.csv", signals, model=encoder, use_cache=False)


@pytest.fixture(scope="module")
def trained(demo_features):
    return train(DEMO / "history.csv", demo_features.features, demo_features.catalogue)


def toy(n_markets=3, n=30, seed=0):
    """Feature rows whose outcome follows demand and competition (what a seller's history often shows)."""
    rng = np.random.default_rng(seed)
    frames = []
    for m in ["US", "DE", "FR", "ES", "JP"][:n_markets]:
        share = rng.lognormal(-5, 1.2, n)
        comp = rng.uniform(0, 1, n)
        units = share ** 0.8 * (1.2 - comp) * rng.lognormal(0, 0.2, n)
        grade = np.digitize(units, np.quantile(units, [0.4, 0.7, 0.9]))
        frames.append(pd.DataFrame({"market": m, "sku": [f"{m}{i}" for i in range(n)], "demand_share": share, "demand_rel": share / share.max(),
                                    "best_match": rng.uniform(0.4, 0.8, n), "n_keywords": rng.integers(1, 5, n),
                                    "growth": rng.uniform(-0.2, 0.5, n), "competition": comp,
                                    "margin": rng.uniform(0, 0.5, n), "grade": grade.astype(float)}))
    return pd.concat(frames, ignore_index=True)


# --- history --------------------------------------------------------------------------------------------------------

def test_business_report_is_read_with_the_market_given(data_dir):
    h = read_history(data_dir / "business_report_child_DE.csv", market_code="DE")
    assert h["market"].tolist() == ["DE"] * 4
    fry = h.set_index("sku").loc["FRY"]
    assert (fry["units"], fry["revenue"], fry["conversion"]) == (96, 6143.04, pytest.approx(0.0797))
    assert relevance(h).tolist() == [3.0, 2.0, 1.0, 0.0]  # thirds of the products that sold; 0 = no sale


def test_canonical_history_with_chinese_headers_and_repeated_rows():
    frame = pd.DataFrame({"站点": ["US", "US", "US", "DE"], "商品编码": ["A", "A", "B", "A"], "销量": ["10", "5", "0", "3"]})
    h = read_history(frame)
    assert h.set_index(["market", "sku"])["units"].to_dict() == {("US", "A"): 15, ("US", "B"): 0, ("DE", "A"): 3}


def test_history_problems_are_reported_together(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("market,sku,units,grade\nUS,A,12,\nXX,B,3,\nUS,C,many,\nUS,D,,5\nUS,E,-2,\n", encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        read_history(path)
    assert str(err.value).splitlines() == [
        f"{path} row 3 column 'market': unknown market 'XX'; use an ISO code such as US, DE",
        f"{path} row 4 column 'units': units 'many' is not a number",
        f"{path} row 5 column 'grade': grade '5' is outside 0 to 3",
        f"{path} row 6 column 'units': units '-2' is negative",
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,title\nA,x\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no outcome column"):
        read_history(bad, market_code="US")


# --- the estimator --------------------------------------------------------------------------------------------------

def test_pairwise_ranker_is_a_scikit_learn_estimator():
    data = toy()
    r = PairwiseRanker(C=0.5)
    assert r.get_params() == {"C": 0.5, "max_pairs": 20000, "random_state": 0}
    assert clone(r).set_params(C=2.0).C == 2.0
    fitted = r.fit(data, data["grade"])
    assert fitted is r and len(r.coef_) == 6
    pipe = Pipeline([("rank", PairwiseRanker())]).fit(data, data["grade"])
    assert np.allclose(pipe.predict(data), PairwiseRanker().fit(data, data["grade"]).predict(data))


def test_grid_search_with_markets_as_groups():
    data = toy(n_markets=4)
    search = GridSearchCV(PairwiseRanker(), {"C": [0.01, 1.0]}, cv=GroupKFold(n_splits=2), scoring=ndcg_scorer)
    search.fit(data, data["grade"], groups=data["market"])
    assert search.best_params_["C"] in (0.01, 1.0) and 0 < search.best_score_ <= 1


def test_trained_ranker_beats_default_on_held_out_markets_in_toy_data():
    data = toy(n_markets=5, n=60)
    cv = cross_validate(data)
    assert cv.folds == 5
    assert cv.trained["ndcg@10"] > cv.default["ndcg@10"]


def test_ranker_needs_pairs_to_learn_from():
    data = toy(n_markets=1, n=5).assign(grade=1.0)
    with pytest.raises(ValueError, match="nothing to learn from"):
        PairwiseRanker().fit(data, data["grade"])


def test_ranking_metrics_by_hand():
    m = ranking_metrics([0.9, 0.8, 0.1, 0.5], [0, 3, 1, 0], ["Q"] * 4, k=2, recall_k=(2,))
    # ranked grades: 0, 3 | 0, 1 -> DCG@2 = 7/log2(3); ideal 7 + 1/log2(3)
    assert m["ndcg@2"] == pytest.approx((7 / np.log2(3)) / (7 + 1 / np.log2(3)))
    assert m["map"] == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert m["recall@2"] == 0.5


# --- training on the demo -------------------------------------------------------------------------------------------

def test_demo_history_trains_a_ranker_that_beats_the_default(trained):
    m = trained.metrics
    assert m["trained"]["ndcg@10"] > m["default"]["ndcg@10"]
    assert "better by" in m["verdict"] and m["folds"] == 5
    assert set(trained.table["market"]) == {"US", "DE", "FR", "ES", "JP"}


def test_training_needs_two_markets(demo_features):
    history = read_history(DEMO / "history.csv")
    with pytest.raises(ConfigError, match="at least 2 markets"):
        train(history[history["market"] == "US"], demo_features.features, demo_features.catalogue)


def test_synthetic_history_is_deterministic_and_follows_demand(demo_features):
    a = synthetic_history(demo_features.features, demo_features.catalogue, seed=3)
    b = synthetic_history(demo_features.features, demo_features.catalogue, seed=3)
    pd.testing.assert_frame_equal(a, b)
    table = training_table(read_history(a), demo_features.features, demo_features.catalogue)
    units = read_history(a).set_index(["market", "sku"])["units"]
    joined = table.set_index(["market", "sku"]).join(units)
    assert joined["units"].corr(joined["demand_share"], method="spearman") > 0.5


# --- model folders ----------------------------------------------------------------------------------------------------

def test_model_folder_round_trips_with_the_same_ranks(trained, tmp_path):
    path = save_model(tmp_path / "m", trained.estimator, metrics=trained.metrics, data_hash=trained.data_hash,
                      training={"history": "h", "rows": 1, "markets": ["US"], "relevance": "r"})
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    assert config["format_version"] == 1 and config["features"] == FEATURES
    assert {"sellglobal", "scikit-learn", "numpy", "sentence-transformers"} <= set(config["versions"])
    assert config["training_data_sha256"] == trained.data_hash
    assert "## Evaluation" in (path / "README.md").read_text(encoding="utf-8")
    loaded = load_model(path).estimator
    X = trained.table
    assert np.array_equal(np.argsort(-loaded.predict(X)), np.argsort(-trained.estimator.predict(X)))


def test_modified_unknown_or_untrusted_models_are_refused(trained, tmp_path):
    import skops.io as sio
    from sklearn.tree import DecisionTreeRegressor

    path = save_model(tmp_path / "m", trained.estimator, metrics=trained.metrics, data_hash="x",
                      training={"history": "h", "rows": 1, "markets": ["US"], "relevance": "r"})
    blob = (path / "ranker.skops").read_bytes()
    (path / "ranker.skops").write_bytes(blob[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="modified after training"):
        load_model(path)

    # a well-formed file holding a type outside the trusted list, with a matching hash
    import hashlib

    (path / "ranker.skops").write_bytes(sio.dumps(DecisionTreeRegressor().fit([[0], [1]], [0, 1])))
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    config["estimator_sha256"] = hashlib.sha256((path / "ranker.skops").read_bytes()).hexdigest()
    (path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelError, match="types sellglobal does not trust: sklearn.tree"):
        load_model(path)

    config["format_version"] = 99
    (path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelError, match="format_version 99 is not one this sellglobal reads"):
        load_model(path)
    with pytest.raises(ModelError, match="not a sellglobal model folder"):
        load_model(tmp_path)


# --- command line ---------------------------------------------------------------------------------------------------

def test_train_select_models_cli(tmp_path):
    runner = CliRunner()
    model = tmp_path / "models" / "v1"
    args = ["train", str(DEMO / "history.csv"), "-c", str(DEMO / "catalogue.csv"), "-o", str(model), "--json", "-q"]
    for s in DEMO_ARGS:
        args += ["-s", s]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert set(metrics) == {"trained", "default"}
    assert {"ndcg@10", "map", "recall@10", "recall@50"} <= set(metrics["trained"])
    assert metrics["trained"]["ndcg@10"] > metrics["default"]["ndcg@10"]

    listed = runner.invoke(cli, ["models", "list", str(tmp_path / "models")])
    assert listed.exit_code == 0 and str(model) in listed.stdout
    shown = runner.invoke(cli, ["models", "show", str(model)])
    assert shown.exit_code == 0 and "| trained |" in shown.stdout

    select = runner.invoke(cli, ["select", str(DEMO / "catalogue.csv"), "-s", str(DEMO / "amazon_ba_US.csv"),
                                 "--ranker", str(model), "--top", "5", "-q"])
    assert select.exit_code == 0, select.output
    ranked = pd.read_csv(__import__("io").StringIO(select.stdout))
    assert ranked["rank"].tolist() == [1, 2, 3, 4, 5]

    (model / "ranker.skops").write_bytes((model / "ranker.skops").read_bytes() + b"\0")
    refused = runner.invoke(cli, ["select", str(DEMO / "catalogue.csv"), "-s", str(DEMO / "amazon_ba_US.csv"),
                                  "--ranker", str(model), "-q"])
    assert refused.exit_code == 1 and "modified after training" in refused.stderr
    assert "Traceback" not in refused.output


def test_evaluate_cli_reports_model_and_bm25(tmp_path):
    relevance = pd.read_csv(DEMO / "relevance.csv")
    small = relevance[relevance["query"].isin(["air fryer", "Heißluftfritteuse", "ヨガマット", "tapis de yoga"])]
    path = tmp_path / "judged.csv"
    small.to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["evaluate", "--relevance", str(path), "--catalogue", str(DEMO / "catalogue.csv"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"model", "bm25"} and out["model"]["queries"] == 4
    assert out["model"]["ndcg@10"] > out["bm25"]["ndcg@10"]
    model_dir = tmp_path / "m"
    save_model(model_dir, PairwiseRanker().fit(toy(), toy()["grade"]), metrics={
        "trained": {"ndcg@10": 0, "map": 0, "recall@10": 0, "recall@50": 0},
        "default": {"ndcg@10": 0, "map": 0, "recall@10": 0, "recall@50": 0}, "cv": "-", "verdict": "-"},
        data_hash="", training={"history": "-", "rows": 0, "markets": [], "relevance": "-"})
    no_encoder = CliRunner().invoke(cli, ["evaluate", "-r", str(path), "-c", str(DEMO / "catalogue.csv"),
                                          "--ranker", str(model_dir)])
    assert no_encoder.exit_code == 2 and "has no fine-tuned encoder" in no_encoder.output


def test_fine_tuned_encoder_is_saved_in_the_model_and_used(tmp_path):
    pytest.importorskip("sentence_transformers")
    from sellglobal.models.finetune import fine_tune

    pairs = [("air fryer", "Air Fryers"), ("yoga mat", "Yoga Mats"), ("water bottle", "Insulated Water Bottle"),
             ("hair dryer", "Ionic Hair Dryer")]
    out = fine_tune(pairs, tmp_path / "m" / "encoder", epochs=1)
    assert (out / "config_sentence_transformers.json").exists()
    from sellglobal.models.encoders import SentenceTransformerEncoder

    enc = SentenceTransformerEncoder(str(out))
    v = enc.encode(["air fryer", "Air Fryers", "Yoga Mats"])
    assert v.shape == (3, 384) and v[0] @ v[1] > v[0] @ v[2]
    assert enc.name.startswith("st:") and "@" in enc.name  # cache key follows the weights


def test_history_numbers_in_english_and_european_formats():
    frame = pd.DataFrame({"market": ["DE"] * 4, "sku": ["A", "B", "C", "D"],
                          "Units Ordered": ["1,234", "12", "3", "0"],
                          "Ordered Product Sales": ["1.234,56 €", "€1,234.56", "99,90 €", "0,00 €"],
                          "Unit Session Percentage": ["7,97 %", "12.5%", "0,5 %", "0%"]})
    h = read_history(frame).set_index("sku")
    assert h["units"].tolist() == [1234, 12, 3, 0]
    assert h["revenue"].tolist() == [1234.56, 1234.56, 99.90, 0.0]
    assert h["conversion"].tolist() == pytest.approx([0.0797, 0.125, 0.005, 0.0])
