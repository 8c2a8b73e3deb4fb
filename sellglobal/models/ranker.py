"""The ranker: a scikit-learn compatible estimator turning (market, product) features into a score."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

FEATURES = ["demand_share", "demand_rel", "best_match", "n_keywords", "growth", "competition", "margin"]

DEFAULT_WEIGHTS = {"demand": 0.70, "match": 0.05, "growth": 0.10, "margin": 0.10, "competition": 0.05}


def feature_terms(X: pd.DataFrame) -> pd.DataFrame:
    """Each feature mapped to about 0..1 (missing growth, margin -> neutral 0; missing competition -> 0.5).

    * demand: the mean of log10(1 + 1000 x share of the market's search volume) / log10(1001) (0.1% -> 0.10,
      10% -> 0.67) and ``demand_rel``, the product's credited volume relative to the best product of the market
    * match: best cosine similarity, 0.40 -> 0, 0.80 -> 1
    * growth: clipped to [-0.5, 1]; margin: clipped to [-0.5, 0.6]; competition: 0 (open) to 1 (crowded)
    """
    share = X["demand_share"].to_numpy(dtype=float)
    return pd.DataFrame({
        "demand": 0.5 * np.log10(1 + 1000 * np.clip(share, 0, 1)) / np.log10(1001)
        + 0.5 * np.clip(X["demand_rel"].to_numpy(dtype=float), 0, 1),
        "match": np.clip((X["best_match"].to_numpy(dtype=float) - 0.40) / 0.40, 0, 1),
        "growth": np.nan_to_num(np.clip(X["growth"].to_numpy(dtype=float), -0.5, 1.0)),
        "margin": np.nan_to_num(np.clip(X["margin"].to_numpy(dtype=float), -0.5, 0.6)),
        "competition": np.nan_to_num(X["competition"].to_numpy(dtype=float), nan=0.5),
    }, index=X.index)


class DefaultRanker(BaseEstimator):
    """Hand-set linear ranker over the selection features; the baseline a trained ranker must beat.

    score = 0.70 demand + 0.05 match + 0.10 growth + 0.10 margin - 0.05 competition (see :func:`feature_terms`).
    Demand dominates on purpose: a product nobody searches for is not worth listing at any margin. Match quality
    already weights the credited demand (see ``MatchSettings``), so its own term stays small.

    Parameters
    ----------
    weights : dict, optional
        Overrides for ``DEFAULT_WEIGHTS`` (keys demand, match, growth, margin, competition).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"demand_share": [0.10, 0.001], "demand_rel": [1.0, 0.01], "best_match": [0.7, 0.7], "n_keywords": [3, 1],
    ...                   "growth": [0.0, 0.0], "competition": [0.5, 0.5], "margin": [0.3, 0.3]})
    >>> s = DefaultRanker().fit(X).predict(X)
    >>> bool(s[0] > s[1])
    True
    """

    def __init__(self, *, weights: dict[str, float] | None = None):
        self.weights = weights

    def fit(self, X: pd.DataFrame, y=None, **fit_params) -> "DefaultRanker":
        missing = [f for f in FEATURES if f not in X.columns]
        if missing:
            raise ValueError(f"feature table lacks {missing}; expected columns {FEATURES}")
        self.weights_ = {**DEFAULT_WEIGHTS, **(self.weights or {})}
        unknown = set(self.weights_) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown weights {sorted(unknown)}; use {sorted(DEFAULT_WEIGHTS)}")
        self.feature_names_in_ = np.array(FEATURES, dtype=object)
        self.n_features_in_ = len(FEATURES)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        weights = getattr(self, "weights_", None) or {**DEFAULT_WEIGHTS, **(self.weights or {})}
        terms = feature_terms(X)
        return (weights["demand"] * terms["demand"] + weights["match"] * terms["match"]
                + weights["growth"] * terms["growth"] + weights["margin"] * terms["margin"]
                - weights["competition"] * terms["competition"]).to_numpy()
