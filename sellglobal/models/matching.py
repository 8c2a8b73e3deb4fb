"""Cross-lingual matching of catalogue products against demand keywords.

A product is seen through several *views*: its own title, its English title when the catalogue has one, and an
English gloss of a Chinese title (:mod:`.gloss`). Its vector is the mean of its view vectors. Keywords meet products in chunks, keeping only the top matches on
each side, so memory stays bounded whatever the catalogue and keyword counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .encoders import Encoder
from .gloss import Glosser, has_cjk, strip_noise

# Measured on bench/xling.py (zh set, held-apart vocabulary): the mean of the title and gloss vectors beats the
# raw title by 4 to 12 points of Recall@1, while the best-view maximum and a separate phrase view lose, because
# English-English cosines run higher than zh-English ones and a max lets the noisier view win.
VIEW_WEIGHTS = {"title": 1.0, "title_en": 1.0, "gloss": 1.0}


@dataclass
class ProductViews:
    """Texts to encode for each product: ``texts[i]`` is view ``kind[i]`` of product ``owner[i]``."""

    texts: list[str]
    owner: np.ndarray
    kind: list[str]
    n_products: int


def product_views(titles: Sequence[str], titles_en: Sequence[str] | None = None, *,
                  glosser: Glosser | None = None, use_gloss: bool = True) -> ProductViews:
    """Build the views of each product: its title, its English title if any, the English gloss of a Chinese title.

    Sales talk and colour words are stripped first (:func:`~.gloss.strip_noise`). Empty views and views identical
    to another view of the same product are dropped.
    """
    glosser = glosser if glosser is not None else (Glosser() if use_gloss else None)
    texts, owner, kind = [], [], []
    for i, title in enumerate(titles):
        title = strip_noise(str(title or ""))
        candidates = [("title", title)]
        if titles_en is not None:
            candidates.append(("title_en", strip_noise(str(titles_en[i] or ""))))
        if glosser is not None and has_cjk(title):
            candidates.append(("gloss", glosser.gloss(title)))
        seen = set()
        for k, text in candidates:
            if text and text not in seen:
                seen.add(text)
                texts.append(text)
                owner.append(i)
                kind.append(k)
    return ProductViews(texts=texts, owner=np.asarray(owner, dtype=np.int64), kind=kind, n_products=len(titles))


def combine_views(views: ProductViews, vectors: np.ndarray,
                  weights: dict[str, float] | None = None) -> np.ndarray:
    """One L2-normalised vector per product: the weighted mean of its view vectors."""
    weights = VIEW_WEIGHTS if weights is None else weights
    from scipy.sparse import csr_matrix

    w = np.array([weights.get(k, 0.0) for k in views.kind], dtype=np.float32)
    # products x views, each view's weight in its product's row: one sparse product sums every product's views
    # (np.add.at and np.add.reduceat along rows are ten times slower)
    owner_of = csr_matrix((w, (views.owner, np.arange(len(w)))), shape=(views.n_products, len(w)))
    out = np.asarray(owner_of @ vectors, dtype=np.float32).reshape(views.n_products, vectors.shape[1])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


# Bump when the views or their combination change: it keys the cache of finished product vectors.
VIEWS_VERSION = "views-2"


def embed_products(titles: Sequence[str], titles_en: Sequence[str] | None, encoder: Encoder, *,
                   glosser: Glosser | None = None, use_gloss: bool = True,
                   views_of: Callable[[list[str], list[str] | None], ProductViews] | None = None) -> np.ndarray:
    """Product vectors for matching (views encoded, then combined).

    With a :class:`~.encoders.CachedEncoder` the finished vector of each product is cached too, keyed by its
    title and English title: a rerun on an unchanged catalogue neither glosses nor encodes anything.
    ``views_of(titles, titles_en)``: where the views are made (the Dask engine glosses on its workers); default
    :func:`product_views` here.
    """
    if views_of is None:
        def views_of(t, e):
            return product_views(t, e, glosser=glosser, use_gloss=use_gloss)

    titles = [str(t or "") for t in titles]
    english = [str(t or "") for t in titles_en] if titles_en is not None else [""] * len(titles)
    cache = _product_cache(encoder, use_gloss)
    if cache is None:
        views = views_of(titles, titles_en)
        return combine_views(views, encoder.encode(views.texts))
    from .encoders import EmbeddingCache

    keys = [EmbeddingCache.key(f"{t}\x1f{e}") for t, e in zip(titles, english)]
    found = cache.get_many(list(dict.fromkeys(keys)))
    missing = [i for i, k in enumerate(keys) if k not in found]
    if missing:
        views = views_of([titles[i] for i in missing], [english[i] for i in missing] if titles_en is not None
                         else None)
        vectors = combine_views(views, encoder.encode(views.texts))
        cache.put_many([keys[i] for i in missing], vectors)
        found.update({keys[i]: v for i, v in zip(missing, vectors)})
    if not keys:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.vstack([found[k] for k in keys]).astype(np.float32, copy=False)


def embed_catalogue(catalogue, encoder: Encoder) -> np.ndarray:
    """:func:`embed_products` for a catalogue table (its ``title`` and, where any product has one, ``title_en``)."""
    titles_en = catalogue["title_en"].tolist() if catalogue["title_en"].astype(bool).any() else None
    return embed_products(catalogue["title"].tolist(), titles_en, encoder)


_PRODUCT_CACHES: dict[tuple, object] = {}


def _product_cache(encoder: Encoder, use_gloss: bool):
    from .encoders import CachedEncoder, EmbeddingCache

    if not isinstance(encoder, CachedEncoder):
        return None
    weights = ",".join(f"{k}={v}" for k, v in sorted(VIEW_WEIGHTS.items()))
    name = f"{encoder.name}|{VIEWS_VERSION}|{weights}|gloss={use_gloss}"
    key = (str(encoder.cache_dir), name)
    if key not in _PRODUCT_CACHES:
        _PRODUCT_CACHES[key] = EmbeddingCache(encoder.cache_dir / "products", name, encoder.dim)
    return _PRODUCT_CACHES[key]


@dataclass
class Matches:
    """Top matches on both sides.

    ``kw_idx``/``kw_sim`` (n_keywords x k): the best products for each keyword, best first.
    ``prod_idx``/``prod_sim`` (n_products,): each product's best keyword.
    Missing entries have index -1 and similarity -inf.
    """

    kw_idx: np.ndarray
    kw_sim: np.ndarray
    prod_idx: np.ndarray
    prod_sim: np.ndarray


def _merge_topk(idx_a, sim_a, idx_b, sim_b, k):
    idx = np.concatenate([idx_a, idx_b], axis=1)
    sim = np.concatenate([sim_a, sim_b], axis=1)
    take = min(k, sim.shape[1])
    part = np.argpartition(-sim, take - 1, axis=1)[:, :take]
    rows = np.arange(sim.shape[0])[:, None]
    sim, idx = sim[rows, part], idx[rows, part]
    order = np.argsort(-sim, axis=1, kind="stable")
    return idx[rows, order], sim[rows, order]


def column_argmax(a: np.ndarray, block: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``a.argmax(axis=0)`` and ``a.max(axis=0)`` of a C-ordered matrix, about ten times faster.

    NumPy's argmax down the columns copies the matrix into column order first; maxima of row blocks run along
    contiguous rows, and only each column's winning block is searched for the row.
    """
    n, m = a.shape
    if n <= block:
        arg = a.argmax(axis=0)
        return arg, a[arg, np.arange(m)]
    block_max = np.empty((-(-n // block), m), dtype=a.dtype)
    for b in range(block_max.shape[0]):
        np.max(a[b * block:(b + 1) * block], axis=0, out=block_max[b])
    win = block_max.argmax(axis=0)
    cols = np.arange(m)
    rows = np.minimum(win[:, None] * block + np.arange(block), n - 1)
    return rows[cols, a[rows, cols[:, None]].argmax(axis=1)], block_max[win, cols]


def _row_candidates(sims: np.ndarray, k: int, floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``k`` column indices (and values) of each row of ``sims`` at or above that row's ``floor``, padded with
    -1 and -inf. Rows with few such entries are read off a mask; only rows with more than ``k`` are partitioned."""
    mask = sims >= floor[:, None]
    counts = np.count_nonzero(mask, axis=1)
    width = max(1, min(k, int(counts.max(initial=0))))
    idx = np.full((sims.shape[0], width), -1, dtype=np.int64)
    val = np.full((sims.shape[0], width), -np.inf, dtype=np.float32)
    heavy = np.flatnonzero(counts > width)
    if len(heavy):
        part = np.argpartition(-sims[heavy], width - 1, axis=1)[:, :width]
        idx[heavy], val[heavy] = part, np.take_along_axis(sims[heavy], part, axis=1)
        mask[heavy], counts[heavy] = False, 0
    # the light rows' entries, read off the flat mask in one pass (no copy of the mask's rows)
    flat = np.flatnonzero(mask)
    rows, cols = np.divmod(flat, sims.shape[1])
    pos = np.arange(len(flat)) - (np.cumsum(counts) - counts)[rows]
    idx[rows, pos], val[rows, pos] = cols, sims.reshape(-1)[flat]
    return idx, val


def top_matches(product_vectors: np.ndarray, keyword_vectors: np.ndarray, *, k_per_keyword: int = 20,
                margin: float | None = None, floor: float = -np.inf, product_keywords: np.ndarray | None = None,
                chunk: int = 4096, progress: Callable[[int], None] | None = None) -> Matches:
    """The top products of each keyword and the best keyword of each product, in ``chunk`` x ``chunk`` blocks:
    memory stays bounded for any input size.

    Each keyword keeps up to ``k_per_keyword`` products, best first; with ``margin``, only those within ``margin``
    of its best product and above ``floor`` (the best product is always kept). Each block looks only at the
    products that beat the k-th kept so far (and are within the margin), so after the first blocks most keywords
    skip the partial sort.
    ``product_keywords`` (a boolean mask over the keywords) limits the keywords a product's best is chosen from.
    """
    n_products, n_kw = product_vectors.shape[0], keyword_vectors.shape[0]
    k = max(1, min(k_per_keyword, n_products))
    kw_idx = np.full((n_kw, k), -1, dtype=np.int64)
    kw_sim = np.full((n_kw, k), -np.inf, dtype=np.float32)
    prod_idx = np.full(n_products, -1, dtype=np.int64)
    prod_sim = np.full(n_products, -np.inf, dtype=np.float32)
    for p0 in range(0, n_products, chunk):
        p_vecs = product_vectors[p0:p0 + chunk]
        for c0 in range(0, n_kw, chunk):
            # keywords x products, rows contiguous: selecting along the last axis is several times faster
            sims_t = keyword_vectors[c0:c0 + chunk] @ p_vecs.T
            # a product can only enter a keyword's list by beating the k-th one kept so far, and with a margin
            # only by being within it of the best; rows with few such products skip the partial sort
            row_max = sims_t.max(axis=1)
            cut = kw_sim[c0:c0 + chunk, k - 1]
            if margin is not None:
                best = np.maximum(kw_sim[c0:c0 + chunk, 0], row_max)
                cut = np.maximum(cut, np.maximum(best - margin, floor))
            cut = np.minimum(row_max, cut)
            part, vals = _row_candidates(sims_t, k, cut)
            kw_idx[c0:c0 + chunk], kw_sim[c0:c0 + chunk] = _merge_topk(
                kw_idx[c0:c0 + chunk], kw_sim[c0:c0 + chunk], np.where(part >= 0, part + p0, -1), vals, k)
            if product_keywords is not None:
                sims_t[~product_keywords[c0:c0 + chunk]] = -np.inf
            best_kw, best_sim = column_argmax(sims_t)
            better = best_sim > prod_sim[p0:p0 + chunk]
            prod_sim[p0:p0 + chunk][better] = best_sim[better]
            prod_idx[p0:p0 + chunk][better] = best_kw[better] + c0
        if progress:
            progress(p_vecs.shape[0])
    if margin is not None:  # earlier blocks kept products that a later, better product put out of reach
        _keep_within(kw_idx, kw_sim, margin, floor)
    prod_idx[np.isneginf(prod_sim)] = -1
    return Matches(kw_idx=kw_idx, kw_sim=kw_sim, prod_idx=prod_idx, prod_sim=prod_sim)


def _keep_within(kw_idx: np.ndarray, kw_sim: np.ndarray, margin: float, floor: float) -> None:
    """Blank (-1, -inf), in place, each keyword's products below ``floor`` or more than ``margin`` under its best;
    the best itself always stays. Rows are sorted best first."""
    drop = kw_sim < np.maximum(kw_sim[:, :1] - margin, floor)
    drop[:, 0] = False
    kw_idx[drop], kw_sim[drop] = -1, -np.inf


class ApproximateIndex:
    """Approximate nearest-neighbour matching (usearch HNSW), for catalogues and keyword lists too large to compare
    every pair: the ``ann`` extra.

    The products are indexed once (half-precision vectors) and serve every market; each market's keywords get a
    small index of their own for the products' side. Similarities of the pairs found are recomputed exactly, so only
    which pairs are found is approximate: bench/ann.py measures that recall against :func:`top_matches`.
    """

    def __init__(self, product_vectors: np.ndarray, *, threads: int = 0, expansion: int = 128):
        try:
            from usearch.index import Index
        except ImportError:
            from ..errors import ConfigError

            raise ConfigError("--ann needs usearch: pip install 'sellglobal[ann]'") from None
        self._index_type = Index
        self.threads, self.expansion = threads, expansion
        self.product_vectors = product_vectors
        self.products = self._build(product_vectors)

    def _build(self, vectors: np.ndarray):
        index = self._index_type(ndim=vectors.shape[1], metric="ip", dtype="f16", expansion_search=self.expansion)
        if len(vectors):
            index.add(np.arange(len(vectors), dtype=np.uint64), vectors, threads=self.threads)
        return index

    def _search(self, index, queries: np.ndarray, count: int) -> np.ndarray:
        found = index.search(queries, count, threads=self.threads)
        keys = np.asarray(found.keys, dtype=np.int64).reshape(len(queries), -1)
        counts = np.asarray(found.counts).reshape(-1)
        keys[np.arange(keys.shape[1]) >= counts[:, None]] = -1
        return keys

    def top_matches(self, keyword_vectors: np.ndarray, *, k_per_keyword: int = 20, margin: float | None = None,
                    floor: float = -np.inf, product_keywords: np.ndarray | None = None) -> Matches:
        """:func:`top_matches` from the indexes: the same contract, approximately the same pairs."""
        n_products = len(self.product_vectors)
        k = max(1, min(k_per_keyword, n_products))
        kw_idx = self._search(self.products, keyword_vectors, k)
        kw_sim = _exact_sims(keyword_vectors, self.product_vectors, kw_idx)
        order = np.argsort(-kw_sim, axis=1, kind="stable")
        kw_idx, kw_sim = np.take_along_axis(kw_idx, order, axis=1), np.take_along_axis(kw_sim, order, axis=1)
        if margin is not None:
            _keep_within(kw_idx, kw_sim, margin, floor)
        allowed = np.flatnonzero(product_keywords) if product_keywords is not None else np.arange(len(keyword_vectors))
        prod_idx = np.full(n_products, -1, dtype=np.int64)
        prod_sim = np.full(n_products, -np.inf, dtype=np.float32)
        if len(allowed) and n_products:
            keywords = self._build(keyword_vectors[allowed])
            best = self._search(keywords, self.product_vectors, 1)[:, 0]
            ok = best >= 0
            prod_idx[ok] = allowed[best[ok]]
            prod_sim[ok] = np.einsum("ij,ij->i", self.product_vectors[ok], keyword_vectors[prod_idx[ok]])
        return Matches(kw_idx=kw_idx, kw_sim=kw_sim, prod_idx=prod_idx, prod_sim=prod_sim)


def _exact_sims(queries: np.ndarray, vectors: np.ndarray, idx: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """float32 similarity of each query to each of its found vectors (-inf where none was found), in chunks."""
    sims = np.empty(idx.shape, dtype=np.float32)
    for i in range(0, len(idx), chunk):
        sims[i:i + chunk] = np.einsum("id,ikd->ik", queries[i:i + chunk], vectors[np.maximum(idx[i:i + chunk], 0)])
    sims[idx < 0] = -np.inf
    return sims
