"""select: rank a catalogue against overseas demand, per market."""
from __future__ import annotations

import math
import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..engine import is_distributed
from ..errors import ConfigError
from ..models.encoders import CachedEncoder, Encoder, encoder_for, get_encoder
from ..models.gloss import has_unspaced_script
from ..models.language import english_flags
from ..models.matching import (ApproximateIndex, ProductViews, embed_catalogue, embed_products, product_views,
                               top_matches)
from ..models.ranker import FEATURES, DefaultRanker
from .catalogue import read_catalogue
from .commerce import CommerceConfig
from .demand import read_all_signals
from .markets import market, parse_markets

SHORTLIST_COLUMNS = ["market", "rank", "sku", "title", "score", "demand_volume", "demand_share", "demand_rel",
                     "n_keywords",
                     "best_match", "growth", "competition", "margin", "landed_cost", "price", "currency",
                     "keywords", "why"]


@dataclass
class MatchSettings:
    """How keywords credit products.

    A keyword credits the products within ``credit_margin`` of its best product, so each search goes to the
    products it points at, not to every loosely similar one. The credit is the keyword's volume times a match
    confidence that rises linearly from 0 at ``min_similarity`` to 1 at ``strong_similarity``: across languages
    a Chinese title and a German keyword for the same product often meet at only 0.25 to 0.40 cosine, so a hard
    threshold would either drop them or let noise through at full weight.

    The match must also hold from the product's side: a keyword far below the product's own best keyword in the
    market (more than ``product_margin``, fading to nothing over ``product_band``) names a different product. This
    is what stops demand that nothing in the catalogue serves ("robot vacuum" against a car vacuum cleaner and
    vacuum storage bags) from crediting its nearest neighbour. A keyword whose words all appear in the product's
    best keyword is exempt: "swim goggles" is the head term of "anti fog swim goggles", not another product; so is
    the best keyword with a size added ("air fryer 5 quart").

    A keyword that credits several distinct products splits its searches between them (see ``_split``); variants
    of one product (vectors at least ``same_product_similarity`` alike) share in full.

    Every credit adds its share of volume; only credits of at least ``list_confidence`` are listed in the product's
    ``keywords`` (the listings are written from them), and the best one when none is.
    """

    min_similarity: float = 0.20
    strong_similarity: float = 0.45
    credit_margin: float = 0.06
    product_margin: float = 0.10
    product_band: float = 0.10
    same_product_similarity: float = 0.85
    split_temperature: float = 0.02
    list_confidence: float = 0.5
    k_per_keyword: int = 50
    max_keywords_per_product: int = 12


ProgressFactory = Callable[[str, int], object]


def _bar(progress: ProgressFactory | None, label: str, total: int):
    return progress(label, total) if progress else nullcontext(None)


def market_features(catalogue: pd.DataFrame, product_vectors: np.ndarray, demand: pd.DataFrame,
                    keyword_vectors: np.ndarray, market_code: str, *, commerce: CommerceConfig,
                    settings: MatchSettings, progress: Callable[[int], None] | None = None,
                    matcher: ApproximateIndex | None = None) -> pd.DataFrame:
    """Feature rows for every product that at least one keyword of this market credits.

    ``demand_volume`` is the search volume credited to the product: each matching keyword's monthly volume times
    the match confidence (see :class:`MatchSettings`).
    """
    m = market(market_code)
    volumes = demand["volume"].to_numpy(dtype=float)
    total = float(volumes.sum()) or 1.0
    keywords = demand["keyword"].to_numpy()
    growth = demand["growth"].to_numpy(dtype=float)
    competition = demand["competition"].to_numpy(dtype=float)
    raw_prices = demand["avg_price"].to_numpy(dtype=float)
    price_cur = demand["currency"].fillna(m.currency).astype(str).to_numpy()
    prices = np.array([commerce.convert(p, c, m.currency) if not math.isnan(p) else math.nan
                       for p, c in zip(raw_prices, price_cur)], dtype=float)
    # each product's own best keyword is sought among the market's native-language keywords (see _native_keywords)
    native = _native_keywords(demand["keyword"], m.language)
    if matcher is None:
        matches = top_matches(product_vectors, keyword_vectors, k_per_keyword=settings.k_per_keyword,
                              margin=settings.credit_margin, floor=settings.min_similarity, product_keywords=native,
                              progress=progress)
    else:
        matches = matcher.top_matches(keyword_vectors, k_per_keyword=settings.k_per_keyword,
                                      margin=settings.credit_margin, floor=settings.min_similarity,
                                      product_keywords=native)
        if progress:
            progress(len(product_vectors))
    product_best, product_best_kw = matches.prod_sim, matches.prod_idx

    # Every (keyword, product) credit as flat arrays, keyword by keyword, best product first.
    S, I = matches.kw_sim, matches.kw_idx
    keep = (S > settings.min_similarity) & (S >= S[:, :1] - settings.credit_margin) & (I >= 0)
    J, col = np.nonzero(keep)
    P, sim = I[J, col], S[J, col].astype(float)
    share = _split(product_vectors, P, sim, keep.sum(axis=1), settings)

    span = settings.strong_similarity - settings.min_similarity
    side = np.clip(1 - (product_best[P] - sim - settings.product_margin) / settings.product_band, 0, 1)
    exempt: dict[tuple[int, int], bool] = {}
    for i in np.flatnonzero(side < 1):  # the word tests only where the product-side check would cut the credit
        key = (int(J[i]), int(product_best_kw[P[i]]))
        if key not in exempt:
            kw, best_kw = keywords[key[0]], keywords[key[1]]
            exempt[key] = _head_of(kw, best_kw) or _sized(kw, best_kw)
        if exempt[key]:
            side[i] = 1.0
    conf = np.clip((sim - settings.min_similarity) / span, 0, 1) * side * share
    live = conf > 0
    J, P, sim, conf = J[live], P[live], sim[live], conf[live]
    keyword_confidence = np.zeros(len(demand))
    np.maximum.at(keyword_confidence, J, conf)

    # Per product: credited volume, volume-weighted price, growth and competition, listed keywords.
    order = np.lexsort((-volumes[J], -sim, P))
    J, P, sim, conf = J[order], P[order], sim[order], conf[order]
    vol = volumes[J] * conf
    products, starts = np.unique(P, return_index=True)
    ends = np.append(starts[1:], len(P))
    weight = vol + 1e-12

    def weighted(values: np.ndarray) -> np.ndarray:
        x = values[J]
        ok = ~np.isnan(x)
        if not len(x):
            return np.zeros(0)
        num = np.add.reduceat(np.where(ok, x * weight, 0.0), starts)
        den = np.add.reduceat(np.where(ok, weight, 0.0), starts)
        return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)

    demand_volume = np.add.reduceat(vol, starts) if len(P) else np.zeros(0)
    price = weighted(prices)
    product_growth, product_competition = weighted(growth), weighted(competition)
    items = {c: catalogue[c].to_numpy()[products] for c in ("sku", "title", "cost", "currency", "weight_kg",
                                                             "length_cm", "width_cm", "height_cm")}
    landed, _ = commerce.landed_cost(m.code, cost=items["cost"], cost_currency=items["currency"],
                                     weight_kg=items["weight_kg"], length_cm=items["length_cm"],
                                     width_cm=items["width_cm"], height_cm=items["height_cm"], price=price)
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = np.where(price > 0, (price - landed) / price, np.nan)
    # Weak credits add their share of volume, but only confident matches are listed as the product's keywords
    # (the listings are written from them), and the best one when none is.
    confident = conf >= settings.list_confidence
    listed, n_listed = [], np.zeros(len(products), dtype=int)
    for n, (a, b) in enumerate(zip(starts, ends)):
        terms = [keywords[J[i]] for i in range(a, b) if confident[i]] or [keywords[J[a]]]
        n_listed[n] = len(terms)
        listed.append(" | ".join(terms[: settings.max_keywords_per_product]))
    rows = {
        "market": m.code, "sku": items["sku"], "title": items["title"],
        "demand_volume": demand_volume, "demand_share": demand_volume / total,
        "n_keywords": n_listed, "best_match": sim[starts] if len(P) else np.zeros(0),
        "growth": product_growth, "competition": product_competition,
        "margin": margin, "landed_cost": landed, "price": price, "currency": m.currency,
        "keywords": listed,
        "_weight_missing": np.isnan(items["weight_kg"].astype(float)) & np.isnan(items["length_cm"].astype(float)),
    }
    out = pd.DataFrame(rows)
    if len(out):
        out["demand_rel"] = out["demand_volume"] / (out["demand_volume"].max() or 1.0)
    # Demand nothing in the catalogue serves: keywords no product is a confident match for, with the nearest
    # product and its similarity, so that a seller sees what to source.
    gap = keyword_confidence < settings.list_confidence
    nearest = matches.kw_idx[:, 0]
    skus = catalogue["sku"].tolist()
    out.attrs["uncovered"] = pd.DataFrame({
        "keyword": keywords[gap], "volume": volumes[gap], "covered": keyword_confidence[gap],
        "nearest_sku": [skus[i] if i >= 0 else "" for i in nearest[gap]],
        "nearest_similarity": matches.kw_sim[gap, 0]}).sort_values("volume", ascending=False, kind="stable") \
        .reset_index(drop=True)
    return out


def _native_keywords(keywords: pd.Series, language: str) -> np.ndarray | None:
    """Which keywords a product's own best keyword is chosen from: those in the market's own language, or None
    for all of them.

    English search terms in a French market ("air fryer") match an English-titled product far better than the
    French ones do; measured against them, "friteuse sans huile" would look like another product.
    """
    if language == "en":
        return None
    native = ~np.array(english_flags(keywords.tolist(), language), dtype=bool)
    return None if native.all() or not native.any() else native


def _head_of(keyword: str, longer: str) -> bool:
    """True if every word of ``keyword`` is in ``longer`` ("swim goggles" in "anti fog swim goggles"): the head
    term of the product's best long-tail keyword is about the same product, however much lower its similarity."""
    words, other = keyword.casefold().split(), longer.casefold()
    # scripts written without spaces (Chinese, Japanese) are matched as substrings
    return bool(words) and all(w in other.split() or (has_unspaced_script(w) and w in other) for w in words)


def _sized(keyword: str, best: str) -> bool:
    """True if ``keyword`` is the product's best keyword plus a size ("air fryer 5 quart" next to "air fryer"): the
    same product in a size. Other additions ("air fryer liners", "yoga mat bag") name accessories, so only a number
    counts."""
    extra = [w for w in keyword.casefold().split() if w not in best.casefold().split()]
    return _head_of(best, keyword) and any(any(c.isdigit() for c in w) for w in extra)


def _split(product_vectors: np.ndarray, products: np.ndarray, sims: np.ndarray, counts: np.ndarray,
           settings: MatchSettings, batch: int = 256) -> np.ndarray:
    """Share of each keyword's searches that each credited product receives.

    ``products``/``sims`` hold every credit, keyword by keyword (``counts[j]`` entries for keyword j, best first).
    Products whose vectors are nearly the same (variants of one product: colours, sizes) form a group and each
    receive the group's whole share: a search for "air fryer" is worth as much to every air fryer variant. Distinct
    products split the search between them by a softmax of their similarity, so an ambiguous keyword no longer
    counts in full for several different products. Keywords are handled ``batch`` at a time as padded arrays.
    """
    share = np.ones(len(products))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    multi = np.flatnonzero(counts > 1)
    multi = multi[np.argsort(counts[multi], kind="stable")]  # batches of like widths: little padding
    for b0 in range(0, len(multi), batch):
        js = multi[b0:b0 + batch]
        width = int(counts[js].max())
        steps = np.arange(width)
        valid = steps < counts[js][:, None]
        pos = offsets[js][:, None] + np.where(valid, steps, 0)
        vectors = product_vectors[products[pos]]
        close = np.matmul(vectors, vectors.transpose(0, 2, 1)) >= settings.same_product_similarity
        close &= np.tril(np.ones((width, width), dtype=bool), k=-1) & valid[:, None, :]
        # each product joins the group of the first earlier product it is close to; following those pointers to
        # their end gives each product its group's head
        group = np.where(close.any(axis=2), close.argmax(axis=2), steps)
        while True:
            nxt = np.take_along_axis(group, group, axis=1)
            if np.array_equal(nxt, group):
                break
            group = nxt
        s = sims[pos]
        weight = np.where((group == steps) & valid, np.exp((s - s[:, :1]) / settings.split_temperature), 0.0)
        out = np.take_along_axis(weight, group, axis=1) / weight.sum(axis=1, keepdims=True)
        share[pos[valid]] = out[valid]
    return share


def _why(row: pd.Series) -> str:
    first = row["keywords"].split(" | ")[0]
    parts = [f"{row['n_keywords']} matching search term{'s' if row['n_keywords'] != 1 else ''}, "
             f"{row['demand_volume']:,.0f}/month ({row['demand_share']:.1%} of {row['market']} demand); "
             f"best match '{first}' ({row['best_match']:.2f})"]
    if not math.isnan(row["growth"]):
        parts.append(f"growth {row['growth']:+.0%}")
    if not math.isnan(row["margin"]):
        parts.append(f"margin {row['margin']:.0%} at {row['price']:,.2f} {row['currency']}")
    elif math.isnan(row["price"]):
        parts.append("no price in the demand data: margin unknown")
    else:
        parts.append("no cost in the catalogue: margin unknown")
    if row["_weight_missing"]:
        parts.append("no weight: freight not counted")
    return "; ".join(parts)


@dataclass
class FeatureTable:
    """Everything select knows before ranking: per market, the feature rows of every credited product."""

    markets: list[str]
    demand: pd.DataFrame
    catalogue: pd.DataFrame
    features: dict[str, pd.DataFrame]
    uncovered: dict[str, pd.DataFrame] = field(default_factory=dict)


def feature_table(catalogue, signals, *, markets=None, market_code: str | None = None,
                  max_weight_kg: float | None = None, exclude_category: Sequence[str] = (),
                  model: str | Encoder | None = None, cache_dir=None, use_cache: bool = True,
                  commerce: CommerceConfig | None = None, settings: MatchSettings | None = None,
                  progress: ProgressFactory | None = None, engine=None, ann: bool = False) -> FeatureTable:
    """Read, filter, encode and match: the per-market feature rows that a ranker scores (see :func:`select`).

    ``engine`` (see :mod:`sellglobal.engine`) runs glossing, encoding and each market's matching in partitions;
    the result is the same as in this process.
    """
    commerce = commerce or CommerceConfig()
    settings = settings or MatchSettings()
    items = read_catalogue(catalogue)
    sources = signals if isinstance(signals, (list, tuple)) else [signals]
    demand = read_all_signals(sources, market_code=market_code)
    wanted = parse_markets(markets) or sorted(demand["market"].unique())
    missing = [mk for mk in wanted if mk not in set(demand["market"])]
    if missing:
        raise ConfigError(f"--markets: no demand data for {', '.join(missing)}; the signals cover "
                          f"{', '.join(sorted(demand['market'].unique()))}")
    encoder = encoder_for(model, cache_dir, use_cache=use_cache)

    keep = np.ones(len(items), dtype=bool)
    if max_weight_kg is not None:
        keep &= ~(items["weight_kg"] > max_weight_kg).to_numpy()
    for cat in exclude_category:
        keep &= ~items["category"].str.contains(cat, case=False, regex=False).to_numpy()
    items = items[keep].reset_index(drop=True)

    demand = demand[demand["market"].isin(wanted)].reset_index(drop=True)
    distributed = is_distributed(engine)
    if distributed and isinstance(model, Encoder):
        raise ConfigError("a distributed engine loads the encoder on each worker: pass the model by name or folder")
    if distributed:
        # the cluster encodes; the embedding caches stay here, so it gets only what they lack, all in one call
        # that it splits into partitions for its workers
        cluster = _ClusterEncoder(engine, model, name=encoder.name, dim=encoder.dim)
        if isinstance(encoder, CachedEncoder):
            cluster = CachedEncoder(cluster, encoder.cache_dir, chunk_size=1 << 62)
    with _bar(progress, "Encoding products", len(items)) as bar:
        if not len(items):
            product_vectors = np.zeros((0, encoder.dim), dtype=np.float32)
        elif distributed:
            titles_en = items["title_en"].tolist() if items["title_en"].astype(bool).any() else None
            product_vectors = embed_products(items["title"].tolist(), titles_en, cluster,
                                             views_of=lambda t, e: _views_distributed(engine, t, e))
        else:
            # in blocks: the bar moves, and the views and texts of only one block are held at a time
            product_vectors = np.empty((len(items), encoder.dim), dtype=np.float32)
            for start in range(0, len(items), PRODUCTS_PER_BLOCK):
                product_vectors[start:start + PRODUCTS_PER_BLOCK] = embed_catalogue(
                    items.iloc[start:start + PRODUCTS_PER_BLOCK], encoder)
                if bar is not None:
                    bar.update(min(PRODUCTS_PER_BLOCK, len(items) - start))
    with _bar(progress, "Encoding keywords", len(demand)) as bar:
        texts = demand["keyword"].tolist()
        if distributed:
            keyword_vectors = cluster.encode(texts)
        else:
            keyword_vectors = np.empty((len(texts), encoder.dim), dtype=np.float32)
            for start in range(0, len(texts), TEXTS_PER_BLOCK):
                keyword_vectors[start:start + TEXTS_PER_BLOCK] = encoder.encode(texts[start:start + TEXTS_PER_BLOCK])
                if bar is not None:
                    bar.update(min(TEXTS_PER_BLOCK, len(texts) - start))
    matcher = None
    if ann and len(items):
        if distributed:
            raise ConfigError("--ann runs on the local engine; leave out --engine dask")
        with _bar(progress, "Indexing products", len(items)) as bar:
            matcher = ApproximateIndex(product_vectors)
            if bar is not None:
                bar.update(len(items))
    features, uncovered = {}, {}
    with _bar(progress, "Scoring markets", len(wanted) * len(items)) as bar:
        tasks = []
        for code in wanted:
            mask = (demand["market"] == code).to_numpy()
            tasks.append((items, product_vectors, demand[mask].reset_index(drop=True), keyword_vectors[mask], code,
                          commerce, settings, matcher))
        step = bar.update if bar is not None else None
        results = (engine.map(_market_task, tasks) if distributed else [_market_task(t, step) for t in tasks]) \
            if len(items) else [pd.DataFrame() for _ in tasks]
        for code, feats, task in zip(wanted, results, tasks):
            uncovered[code] = feats.attrs.pop("uncovered", task[2][["keyword", "volume"]])
            features[code] = feats
            if bar is not None and distributed:
                bar.update(len(items))
    return FeatureTable(markets=wanted, demand=demand, catalogue=items, features=features, uncovered=uncovered)


# Blocks of the local engine's encoding: each moves the progress bar (about 8 s of work each on 2 cores).
PRODUCTS_PER_BLOCK = 10000
TEXTS_PER_BLOCK = 16384

# Partitions for a distributed engine. Texts go to the encoder in chunks of whole encoder batches, in order, so the
# workers' batches line up with the local engine's; vectors agree to about 1e-7 (where duplicates or blocks group
# texts differently), and tests/test_engine.py checks the shortlists are the same.
PRODUCTS_PER_PARTITION = 5000
TEXTS_PER_PARTITION = 64 * 64


def _market_task(task, progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    items, product_vectors, demand, keyword_vectors, code, commerce, settings, matcher = task
    return market_features(items, product_vectors, demand, keyword_vectors, code, commerce=commerce,
                           settings=settings, progress=progress, matcher=matcher)


def _views_task(task):
    titles, titles_en = task
    return product_views(titles, titles_en)


def _encode_task(task) -> np.ndarray:
    model, texts = task
    return get_encoder(model).encode(texts)


class _ClusterEncoder:
    """The encoder ``model`` run on a distributed engine's workers, in partitions of whole encoder batches."""

    def __init__(self, engine, model, *, name: str, dim: int):
        self.engine, self.model, self.name, self.dim = engine, model, name, dim

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        chunks = [(self.model, texts[i:i + TEXTS_PER_PARTITION]) for i in range(0, len(texts), TEXTS_PER_PARTITION)]
        parts = self.engine.map(_encode_task, chunks)
        return np.vstack(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)


def _views_distributed(engine, titles: list[str], titles_en) -> ProductViews:
    """The products' views, glossed on the workers in partitions."""
    tasks = [(titles[i:i + PRODUCTS_PER_PARTITION], titles_en[i:i + PRODUCTS_PER_PARTITION] if titles_en else None)
             for i in range(0, len(titles), PRODUCTS_PER_PARTITION)]
    texts, owner, kind = [], [np.zeros(0, dtype=np.int64)], []
    for n, views in enumerate(engine.map(_views_task, tasks)):
        texts += views.texts
        owner.append(views.owner + n * PRODUCTS_PER_PARTITION)
        kind += views.kind
    return ProductViews(texts=texts, owner=np.concatenate(owner), kind=kind, n_products=len(titles))


def resolve_ranker(ranker, model: str | Encoder | None = None):
    """(estimator, model) for a run: a model folder is loaded once, and its fine-tuned encoder becomes the model
    unless one is given."""
    if isinstance(ranker, (str, os.PathLike)):
        from ..models.persist import load_model

        loaded = load_model(ranker)
        if model is None and loaded.encoder_path is not None:
            model = str(loaded.encoder_path)
        return loaded.estimator, model
    return ranker, model


def load_ranker(ranker):
    """None -> the default ranker; a model folder -> the trained ranker saved there; an estimator as it is."""
    if ranker is None:
        return DefaultRanker().fit(pd.DataFrame(columns=FEATURES))
    if isinstance(ranker, (str, os.PathLike)):
        from ..models.persist import load_model

        return load_model(ranker).estimator
    if isinstance(ranker, DefaultRanker) and not hasattr(ranker, "weights_"):
        return ranker.fit(pd.DataFrame(columns=FEATURES))
    return ranker


def select(catalogue: str | os.PathLike | pd.DataFrame, signals: str | os.PathLike | pd.DataFrame
           | Sequence[str | os.PathLike | pd.DataFrame], *, markets: str | Sequence[str] | None = None,
           market_code: str | None = None, top: int = 20, min_margin: float | None = None,
           max_weight_kg: float | None = None, exclude_category: Sequence[str] = (),
           model: str | Encoder | None = None, cache_dir: str | os.PathLike | None = None, use_cache: bool = True,
           commerce: CommerceConfig | None = None, ranker=None, settings: MatchSettings | None = None,
           progress: ProgressFactory | None = None, engine=None, ann: bool = False) -> pd.DataFrame:
    """Rank the catalogue's products for each market by the demand they match.

    Parameters
    ----------
    catalogue : path or DataFrame
        Seller catalogue (see :func:`sellglobal.read_catalogue`).
    signals : path, DataFrame or a list of them
        Demand exports (see :func:`sellglobal.read_signals`).
    markets : "US,DE" or list, optional
        Markets to rank; default every market in the signals.
    market_code : str, optional
        Market for demand files that name none (``--market``).
    top : int
        Shortlist length per market.
    min_margin, max_weight_kg, exclude_category :
        Filters. A product whose margin is unknown is kept by ``min_margin`` and says so in ``why``.
    model : str or Encoder, optional
        Default: multilingual USE. Any sentence-transformers model name or folder.
    commerce : CommerceConfig, optional
        Exchange-rate, freight and fee tables.
    ranker : estimator with ``predict(features)``, or a model folder written by ``sellglobal train``, optional
        Default: :class:`~sellglobal.models.ranker.DefaultRanker`.
    engine : engine from :func:`sellglobal.engine.get_engine`, optional
        ``dask`` runs glossing, encoding and matching partitioned on a dask.distributed cluster.
    ann : bool
        Match through approximate nearest-neighbour indexes (usearch, the ``ann`` extra) instead of comparing every
        product with every keyword; for very large inputs. bench/ann.py measures its recall and speed.

    Returns
    -------
    DataFrame with columns ``SHORTLIST_COLUMNS``: one row per (market, product) in the shortlist, best first.
    ``keywords`` lists the matched search terms in the market's language, best match first, joined by " | ".
    ``.attrs["summary"]`` holds one dict per market (keywords, volume, matched products, covered share).

    Examples
    --------
    >>> import pandas as pd, sellglobal
    >>> cat = pd.DataFrame({"sku": ["A1", "B2"], "title": ["空气炸锅", "瑜伽垫"], "cost": [120, 20]})
    >>> sig = pd.DataFrame({"market": ["US"], "keyword": ["air fryer"], "volume": [50000], "avg_price": [69.9]})
    >>> sellglobal.select(cat, sig, use_cache=False)[["market", "rank", "sku"]]
      market  rank sku
    0     US     1  A1
    """
    if top < 1:
        raise ConfigError(f"top must be 1 or more, got {top}")
    ranker, model = resolve_ranker(ranker, model)
    table = feature_table(catalogue, signals, markets=markets, market_code=market_code, max_weight_kg=max_weight_kg,
                          exclude_category=exclude_category, model=model, cache_dir=cache_dir, use_cache=use_cache,
                          commerce=commerce, settings=settings, progress=progress, engine=engine, ann=ann)
    return rank(table, ranker=ranker, top=top, min_margin=min_margin)


def rank(table: FeatureTable, *, ranker=None, top: int = 20, min_margin: float | None = None) -> pd.DataFrame:
    """The shortlist: score every credited product of each market with ``ranker``, filter, keep the ``top``."""
    ranker = load_ranker(ranker)
    frames, summary = [], []
    for code in table.markets:
        sub = table.demand[table.demand["market"] == code]
        feats = table.features[code].copy()
        matched = len(feats)
        if matched:
            feats["score"] = ranker.predict(feats[FEATURES])
            if min_margin is not None:
                feats = feats[~(feats["margin"] < min_margin)]
            feats = feats.sort_values(["score", "demand_volume", "sku"], ascending=[False, False, True],
                                      kind="stable").head(top).reset_index(drop=True)
            feats["rank"] = np.arange(1, len(feats) + 1)
            feats["why"] = [_why(row) for _, row in feats.iterrows()]
            frames.append(feats)
        covered = _covered_volume(sub, feats) if matched else 0.0
        summary.append({"market": code, "keywords": len(sub), "volume": float(sub["volume"].sum()),
                        "matched_products": matched, "shortlisted": len(feats) if matched else 0,
                        "covered_share": covered})
    out = pd.concat(frames, ignore_index=True)[SHORTLIST_COLUMNS] if frames else \
        pd.DataFrame(columns=SHORTLIST_COLUMNS)
    out["rank"] = out["rank"].astype(int)
    out.attrs["summary"] = summary
    return out


def _covered_volume(demand: pd.DataFrame, shortlist: pd.DataFrame) -> float:
    """Share of the market's search volume that some shortlisted product matches."""
    if shortlist.empty:
        return 0.0
    terms = {k for ks in shortlist["keywords"] for k in ks.split(" | ")}
    total = demand["volume"].sum() or 1.0
    return float(demand.loc[demand["keyword"].isin(terms), "volume"].sum() / total)
