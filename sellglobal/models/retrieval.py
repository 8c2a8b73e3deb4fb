"""sellglobal evaluate: rank the catalogue for each query of a relevance file, with the encoder and with BM25."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..errors import Problem, SchemaError
from ..selection.catalogue import read_catalogue
from ..selection.tables import RawTable, read_table
from .encoders import Encoder, encoder_for
from .evaluation import mean_metrics
from .gloss import Glosser, has_cjk, strip_noise
from .matching import embed_catalogue


def read_relevance(source: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """``query``, ``sku``, ``grade`` (0 to 3) per judged pair; every problem reported with row and column."""
    raw = RawTable.from_frame(source, "relevance") if isinstance(source, pd.DataFrame) else read_table(source)
    cols = {str(c).strip().casefold(): c for c in raw.frame.columns}
    missing = [c for c in ("query", "sku", "grade") if c not in cols]
    if missing:
        raise SchemaError([Problem(raw.name, f"missing column {c!r}; a relevance file has query, sku, grade",
                                   column=c) for c in missing])
    rows, problems = [], []
    for i, rec in enumerate(raw.frame.rename(columns={v: k for k, v in cols.items()}).to_dict("records")):
        where = dict(file=raw.name, row=raw.rows[i])
        query, sku = str(rec["query"]).strip(), str(rec["sku"]).strip()
        try:
            grade = float(rec["grade"])
        except (TypeError, ValueError):
            problems.append(Problem(message=f"grade {rec['grade']!r} is not a number from 0 to 3", column="grade",
                                    **where))
            continue
        if not query or not sku:
            problems.append(Problem(message="empty query or sku", column="query" if not query else "sku", **where))
        elif not 0 <= grade <= 3:
            problems.append(Problem(message=f"grade {rec['grade']!r} is outside 0 to 3", column="grade", **where))
        else:
            rows.append({"query": query, "sku": sku, "grade": grade})
    if problems:
        raise SchemaError(problems)
    return pd.DataFrame(rows, columns=["query", "sku", "grade"])


def metrics_from_rankings(rankings: dict[str, list[str]], judged: dict[str, dict[str, float]], *, k: int = 10,
                          recall_k=(10, 50)) -> dict[str, float]:
    """Mean nDCG@k, MAP and Recall@k over the queries with at least one relevant sku (grade > 0)."""
    out, n = mean_metrics(((np.array([grades.get(sku, 0.0) for sku in rankings.get(query, [])], dtype=float),
                            np.array(list(grades.values()), dtype=float)) for query, grades in judged.items()),
                          k=k, recall_k=recall_k)
    out["queries"] = n
    return out


def product_texts(catalogue: pd.DataFrame) -> list[str]:
    """Title, English title and English gloss of each product: the text BM25 indexes."""
    glosser = Glosser()
    return [" ".join(t for t in (str(r["title"]), str(r["title_en"] or ""),
                                 glosser.gloss(strip_noise(str(r["title"]))) if has_cjk(str(r["title"])) else "") if t)
            for _, r in catalogue.iterrows()]


def evaluate(relevance, catalogue, *, model: str | Encoder | None = None, cache_dir=None, use_cache: bool = True,
             depth: int = 100, k: int = 10, recall_k=(10, 50)) -> dict:
    """Rank the whole catalogue for every query with the encoder (sellglobal's product views) and with BM25 (bm25s,
    on title + English title + gloss), in the same run: ``{"model": {...}, "bm25": {...}}``."""
    import bm25s

    judgments = read_relevance(relevance)
    items = read_catalogue(catalogue)
    skus = items["sku"].tolist()
    judged: dict[str, dict[str, float]] = {}
    for q, sku, grade in judgments.itertuples(index=False):
        judged.setdefault(q, {})[sku] = max(grade, judged.get(q, {}).get(sku, 0.0))
    queries = list(judged)
    depth = min(depth, len(skus))

    encoder = encoder_for(model, cache_dir, use_cache=use_cache)
    product_vectors = embed_catalogue(items, encoder)
    query_vectors = encoder.encode(queries)
    dense = {}
    for start in range(0, len(queries), 256):
        sims = query_vectors[start:start + 256] @ product_vectors.T
        top = np.argsort(-sims, axis=1, kind="stable")[:, :depth]
        for q, row in zip(queries[start:start + 256], top):
            dense[q] = [skus[i] for i in row]

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(product_texts(items), stopwords=None, show_progress=False), show_progress=False)
    docs, _ = retriever.retrieve(bm25s.tokenize(queries, stopwords=None, show_progress=False), k=depth,
                                 show_progress=False)
    lexical = {q: [skus[i] for i in row] for q, row in zip(queries, docs)}
    return {"model": {"name": encoder.name, **metrics_from_rankings(dense, judged, k=k, recall_k=recall_k)},
            "bm25": {"name": "bm25s", **metrics_from_rankings(lexical, judged, k=k, recall_k=recall_k)}}
