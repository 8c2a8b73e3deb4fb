"""Train the ranker on sales history: features from select, labels from outcomes, markets as groups."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GroupKFold

from ..errors import ConfigError
from .evaluation import ranking_metrics
from .history import read_history, relevance
from .ranker import FEATURES, DefaultRanker, PairwiseRanker

# Features of a product that no keyword of the market credits: no demand at all (growth, competition and margin
# stay unknown).
_UNMATCHED = {"demand_share": 0.0, "demand_rel": 0.0, "best_match": 0.0, "n_keywords": 0, "demand_volume": 0.0,
              "keywords": ""}


def training_table(history: pd.DataFrame, features: dict[str, pd.DataFrame], catalogue: pd.DataFrame) -> pd.DataFrame:
    """One row per (market, sku) of the history whose market has demand data and whose sku is in the catalogue:
    the selection features (zero demand for a product no keyword credits) and the relevance grade."""
    known = set(catalogue["sku"])
    hist = history[history["market"].isin(features) & history["sku"].isin(known)].copy()
    hist["grade"] = relevance(hist).to_numpy()
    frames = []
    for code, group in hist.groupby("market", sort=True):
        feats = features[code]
        cols = ["sku", *FEATURES, "demand_volume", "keywords"]
        feats = feats[cols] if len(feats) else pd.DataFrame(columns=cols)
        frames.append(group[["market", "sku", "grade"]].merge(feats, on="sku", how="left").fillna(_UNMATCHED))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["market", "sku", "grade",
                                                                                       *FEATURES])
    for col in FEATURES:
        table[col] = pd.to_numeric(table[col], errors="coerce")
    return table


def data_hash(table: pd.DataFrame) -> str:
    """SHA-256 of the training table (rows sorted), recorded in the model's config."""
    cols = ["market", "sku", "grade", *FEATURES]
    text = table[cols].sort_values(["market", "sku"]).to_csv(index=False, float_format="%.6g")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class CrossValidation:
    """Held-out scores of the trained and the default ranker on the same rows, and the folds used."""

    trained: dict
    default: dict
    folds: int
    scores: pd.DataFrame = field(repr=False)

    def as_dict(self) -> dict:
        better = self.trained["ndcg@10"] - self.default["ndcg@10"]
        verdict = (f"On held-out markets the trained ranker's nDCG@10 is {self.trained['ndcg@10']:.3f} against "
                   f"{self.default['ndcg@10']:.3f} for the default ranker "
                   f"({'better' if better > 0 else 'not better'} by {abs(better):.3f}).")
        return {"trained": self.trained, "default": self.default, "cv": f"{self.folds}-fold cross-validation by market",
                "folds": self.folds, "verdict": verdict}


def cross_validate(table: pd.DataFrame, estimator=None, *, k: int = 10) -> CrossValidation:
    """Group-aware cross-validation: each fold holds out whole markets (leave-one-market-out up to 5 markets)."""
    estimator = estimator if estimator is not None else PairwiseRanker()
    markets = table["market"].unique()
    if len(markets) < 2:
        raise ConfigError(f"training needs history from at least 2 markets to test on a held-out market; got "
                          f"{', '.join(markets) or 'none'} (check that the history's markets have demand data)")
    folds = min(5, len(markets))
    scores = pd.Series(np.nan, index=table.index)
    y = table["grade"].to_numpy(dtype=float)
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(table, y, groups=table["market"]):
        model = clone(estimator).fit(table.iloc[train_idx], y[train_idx])
        scores.iloc[test_idx] = model.predict(table.iloc[test_idx])
    default = DefaultRanker().fit(table).predict(table)
    out = table[["market", "sku", "grade"]].assign(trained=scores.to_numpy(), default=default)
    return CrossValidation(
        trained=ranking_metrics(out["trained"], out["grade"], out["market"], k=k),
        default=ranking_metrics(out["default"], out["grade"], out["market"], k=k),
        folds=folds, scores=out)


@dataclass
class TrainingResult:
    estimator: object
    metrics: dict
    table: pd.DataFrame
    data_hash: str


def train(history, features: dict[str, pd.DataFrame], catalogue: pd.DataFrame, *, estimator=None,
          market_code: str | None = None) -> TrainingResult:
    """Cross-validate by market against the default ranker, then fit on all the history.

    ``history`` is a file or DataFrame that :func:`~sellglobal.models.history.read_history` reads.
    """
    table = training_table(read_history(history, market_code=market_code), features, catalogue)
    if table.empty:
        raise ConfigError("no history row matches a catalogue sku in a market with demand data; check the sku "
                          "column and the markets of the history against the catalogue and the signals")
    if table["grade"].nunique() < 2:
        raise ConfigError("every product of the history has the same outcome: there is nothing to learn from")
    cv = cross_validate(table, estimator)
    final = clone(estimator if estimator is not None else PairwiseRanker()).fit(table, table["grade"].to_numpy())
    return TrainingResult(estimator=final, metrics=cv.as_dict(), table=table, data_hash=data_hash(table))
