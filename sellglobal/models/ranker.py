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
        return self.score_parts(X).sum(axis=1).to_numpy()

    def score_parts(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each term's contribution to the score (columns demand, match, growth, margin, competition); the score is
        their sum."""
        weights = getattr(self, "weights_", None) or {**DEFAULT_WEIGHTS, **(self.weights or {})}
        terms = feature_terms(X)
        sign = {"competition": -1.0}
        return pd.DataFrame({k: sign.get(k, 1.0) * weights[k] * terms[k] for k in DEFAULT_WEIGHTS}, index=X.index)


RANKING_INPUTS = ["log demand share", "match", "log keywords", "growth", "margin", "competition"]


def ranking_matrix(X: pd.DataFrame) -> np.ndarray:
    """The numeric inputs of a learned ranker (``RANKING_INPUTS``). Demand enters on a log scale, since sales
    multiply out of demand, conversion and price; shares are floored at 0.01% so that products with no demand do
    not dominate the fit. Missing growth and margin count as 0 and missing competition as 0.5, as in the default
    ranker. Indicators of missingness are left out on purpose: whether growth is known depends on the export a
    market's demand came from (Brand Analytics has none), so a model would learn the data source, not the product.
    """
    # demand_rel is left out: within a market it is the share times a constant, and pairs never leave a market
    share = np.clip(X["demand_share"].to_numpy(dtype=float), 0, 1)
    return np.column_stack([
        np.log10(1e-4 + share), np.nan_to_num(X["best_match"].to_numpy(dtype=float)),
        np.log1p(np.nan_to_num(X["n_keywords"].to_numpy(dtype=float))),
        np.nan_to_num(np.clip(X["growth"].to_numpy(dtype=float), -0.5, 1.0)),
        np.nan_to_num(np.clip(X["margin"].to_numpy(dtype=float), -0.5, 0.6)),
        np.nan_to_num(X["competition"].to_numpy(dtype=float), nan=0.5),
    ])


class PairwiseRanker(BaseEstimator):
    """Learning to rank from outcomes: a linear scoring function fitted on pairs (RankSVM-style, with logistic loss).

    Within each group (the ``market`` column of X when present), every pair of products with different relevance
    becomes one example: the difference of their inputs (:func:`ranking_matrix`, standardised), labelled by which
    one did better. A logistic regression without intercept on these differences gives the weights. Linear and
    pairwise, it learns from a few hundred products and explains itself (``coef_`` per input).

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    max_pairs : int
        Pairs sampled per group at most (with ``random_state``), so that training stays fast on big catalogues.
    random_state : int

    Examples
    --------
    >>> X = pd.DataFrame({"market": ["US"] * 4, "demand_share": [0.3, 0.1, 0.05, 0.01], "demand_rel": [1, .3, .2, .03],
    ...                   "best_match": [.7] * 4, "n_keywords": [3, 2, 1, 1], "growth": [0.0] * 4,
    ...                   "competition": [.5] * 4, "margin": [.3] * 4})
    >>> r = PairwiseRanker().fit(X, [3, 2, 1, 0])
    >>> np.argsort(-r.predict(X)).tolist()
    [0, 1, 2, 3]
    """

    def __init__(self, *, C: float = 0.01, max_pairs: int = 20000, random_state: int = 0):
        self.C = C
        self.max_pairs = max_pairs
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y, **fit_params) -> "PairwiseRanker":
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        missing = [f for f in FEATURES if f not in X.columns]
        if missing:
            raise ValueError(f"feature table lacks {missing}; expected columns {FEATURES}")
        y = np.asarray(y, dtype=float)
        M = ranking_matrix(X)
        self.scaler_ = StandardScaler().fit(M)
        Z = self.scaler_.transform(M)
        groups = X["market"].to_numpy() if "market" in X.columns else np.zeros(len(X))
        rng = np.random.default_rng(self.random_state)
        diffs, labels, weights = [], [], []
        for g in pd.unique(groups):
            idx = np.flatnonzero(groups == g)
            i, j = np.triu_indices(len(idx), k=1)
            keep = y[idx[i]] != y[idx[j]]
            i, j = idx[i[keep]], idx[j[keep]]
            if len(i) > self.max_pairs:
                pick = rng.choice(len(i), self.max_pairs, replace=False)
                i, j = i[pick], j[pick]
            # both orders, so the classes balance and the function stays antisymmetric
            diffs += [Z[i] - Z[j], Z[j] - Z[i]]
            better = (y[i] > y[j]).astype(int)
            labels += [better, 1 - better]
            # a pair counts by how much the order matters at the top (gain 2^grade - 1, as nDCG counts it)
            w = np.abs(2.0 ** y[i] - 2.0 ** y[j])
            weights += [w, w]
        if not diffs or len(np.unique(np.concatenate(labels))) < 2:
            raise ValueError("no pair of products with different outcomes in the same market: nothing to learn from")
        self.model_ = LogisticRegression(C=self.C, fit_intercept=False, max_iter=1000).fit(
            np.vstack(diffs), np.concatenate(labels), sample_weight=np.concatenate(weights))
        self.coef_ = self.model_.coef_.ravel()
        self.feature_names_in_ = np.array(FEATURES, dtype=object)
        self.n_features_in_ = len(FEATURES)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.scaler_.transform(ranking_matrix(X)) @ self.coef_

    def score_parts(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each input's contribution to the score (weight x standardised input, one column per
        ``RANKING_INPUTS``); the score is their sum."""
        return pd.DataFrame(self.scaler_.transform(ranking_matrix(X)) * self.coef_, columns=RANKING_INPUTS,
                            index=X.index)
