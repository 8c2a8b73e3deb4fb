"""Ranking metrics: nDCG@k, MAP and Recall@k, per group (a market, a query) and averaged over groups."""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd


def ndcg_at_k(grades_in_rank_order: np.ndarray, all_grades: np.ndarray, k: int = 10) -> float:
    """nDCG@k with gain 2^grade - 1; 0 when the group has nothing relevant."""
    gains = lambda g: (2.0 ** np.asarray(g, dtype=float) - 1)[:k]  # noqa: E731
    disc = 1 / np.log2(np.arange(2, k + 2))
    ideal = gains(np.sort(all_grades)[::-1])
    idcg = float((ideal * disc[: len(ideal)]).sum())
    got = gains(grades_in_rank_order)
    return float((got * disc[: len(got)]).sum() / idcg) if idcg > 0 else 0.0


def average_precision(relevant_in_rank_order: np.ndarray, n_relevant: int) -> float:
    """AP of a ranked list (relevant = grade > 0), over all ``n_relevant`` relevant items."""
    rel = np.asarray(relevant_in_rank_order, dtype=bool)
    if n_relevant == 0:
        return 0.0
    hits = np.cumsum(rel)
    return float((hits[rel] / (np.flatnonzero(rel) + 1)).sum() / n_relevant)


def ranking_metrics(scores: Iterable[float], grades: Iterable[float], groups: Iterable, *, k: int = 10,
                    recall_k: Iterable[int] = (10, 50)) -> dict[str, float]:
    """Mean over groups of nDCG@k, MAP and Recall@k of ranking each group's items by ``scores``.

    Groups without any relevant item (grade > 0) are left out, as a query without answers is.

    >>> m = ranking_metrics([3, 2, 1], [0, 1, 2], ["US", "US", "US"], k=3, recall_k=(1,))
    >>> round(m["ndcg@3"], 3), round(m["map"], 3), m["recall@1"]
    (0.587, 0.583, 0.0)
    """
    frame = pd.DataFrame({"score": list(scores), "grade": list(grades), "group": list(groups)})
    ranked = [(g.sort_values("score", ascending=False, kind="stable")["grade"].to_numpy(dtype=float),
               g["grade"].to_numpy(dtype=float)) for _, g in frame.groupby("group", sort=False)]
    out, n = mean_metrics(ranked, k=k, recall_k=recall_k)
    out["groups"] = n
    return out


def mean_metrics(rankings: Iterable[tuple[np.ndarray, np.ndarray]], *, k: int = 10,
                 recall_k: Iterable[int] = (10, 50)) -> tuple[dict[str, float], int]:
    """Mean nDCG@k, MAP and Recall@k over groups, each given as (grades in ranked order, all its judged grades),
    and the number of groups counted: those with at least one relevant item (grade > 0)."""
    rows = []
    for ranked, grades_all in rankings:
        n_rel = int((grades_all > 0).sum())
        if n_rel == 0:
            continue
        row = {f"ndcg@{k}": ndcg_at_k(ranked, grades_all, k), "map": average_precision(ranked > 0, n_rel)}
        for r in recall_k:
            row[f"recall@{r}"] = float((ranked[:r] > 0).sum() / n_rel)
        rows.append(row)
    if not rows:
        return {f"ndcg@{k}": 0.0, "map": 0.0, **{f"recall@{r}": 0.0 for r in recall_k}}, 0
    return {key: float(v) for key, v in pd.DataFrame(rows).mean().to_dict().items()}, len(rows)


def ndcg_scorer(estimator, X: pd.DataFrame, y) -> float:
    """scikit-learn scorer: mean nDCG@10 over the markets in ``X["market"]`` (for GridSearchCV and friends)."""
    groups = X["market"] if "market" in X.columns else np.zeros(len(X))
    return ranking_metrics(estimator.predict(X), y, groups, k=10)["ndcg@10"]
