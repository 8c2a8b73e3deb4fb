"""select: rank a catalogue against overseas demand, per market."""
from __future__ import annotations

import math
import os
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..models.encoders import CachedEncoder, Encoder, get_encoder
from ..models.language import reads_as_english
from ..models.matching import embed_products, top_matches
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
                    settings: MatchSettings) -> pd.DataFrame:
    """Feature rows for every product that at least one keyword of this market credits.

    ``demand_volume`` is the search volume credited to the product: each matching keyword's monthly volume times
    the match confidence (see :class:`MatchSettings`).
    """
    m = market(market_code)
    volumes = demand["volume"].to_numpy(dtype=float)
    total = float(volumes.sum()) or 1.0
    matches = top_matches(product_vectors, keyword_vectors, k_per_keyword=settings.k_per_keyword, m_per_product=1)
    credited: dict[int, list[tuple[int, float, float]]] = {}
    for j in range(len(demand)):
        sims, idx = matches.kw_sim[j], matches.kw_idx[j]
        keep = (sims > settings.min_similarity) & (sims >= sims[0] - settings.credit_margin) & (idx >= 0)
        share = _split(product_vectors, idx[keep], sims[keep], settings)
        for p, s, w in zip(idx[keep], sims[keep], share):
            if w > 0:
                credited.setdefault(int(p), []).append((j, float(s), w))
    span = settings.strong_similarity - settings.min_similarity
    product_best, product_best_kw = _native_best(product_vectors, keyword_vectors, demand["keyword"], m.language,
                                                 matches)
    prices = demand["avg_price"].to_numpy(dtype=float)
    price_cur = demand["currency"].fillna(m.currency).astype(str).to_numpy()
    growth = demand["growth"].to_numpy(dtype=float)
    competition = demand["competition"].to_numpy(dtype=float)
    keywords = demand["keyword"].to_numpy()
    rows = []
    wanted_rows = sorted(credited)
    records = dict(zip(wanted_rows, catalogue.iloc[wanted_rows].to_dict("records"))) if credited else {}
    keyword_confidence = np.zeros(len(demand))
    for p, hits in credited.items():
        hits.sort(key=lambda h: (-h[1], -volumes[h[0]]))
        j_all = np.array([h[0] for h in hits])
        sims = np.array([h[1] for h in hits])
        best_kw = keywords[product_best_kw[p]]
        same_side = np.array([1.0 if _head_of(keywords[h[0]], best_kw) or _sized(keywords[h[0]], best_kw) else 0.0
                              for h in hits])
        confidence = np.clip((sims - settings.min_similarity) / span, 0, 1) * np.maximum(same_side, np.clip(
            1 - (product_best[p] - sims - settings.product_margin) / settings.product_band, 0, 1)) * np.array(
            [h[2] for h in hits])
        if not confidence.any():
            continue
        hits = [h for h, c in zip(hits, confidence) if c > 0]
        j_all, confidence = j_all[confidence > 0], confidence[confidence > 0]
        np.maximum.at(keyword_confidence, j_all, confidence)
        vol = volumes[j_all] * confidence
        # Weak credits add their share of volume, but only confident matches are listed as the product's keywords
        # (the listings are written from them).
        listed = [h for h, c in zip(hits, confidence) if c >= settings.list_confidence] or hits[:1]
        item = records[p]
        price = _weighted([commerce.convert(prices[j], price_cur[j], m.currency) if not math.isnan(prices[j])
                           else math.nan for j in j_all], vol)
        landed, freight = commerce.landed_cost(m.code, cost=item["cost"], cost_currency=item["currency"],
                                               weight_kg=item["weight_kg"], length_cm=item["length_cm"],
                                               width_cm=item["width_cm"], height_cm=item["height_cm"], price=price)
        margin = (price - landed) / price if price and not math.isnan(price) and not math.isnan(landed) else math.nan
        rows.append({
            "market": m.code, "sku": item["sku"], "title": item["title"],
            "demand_volume": float(vol.sum()), "demand_share": float(vol.sum() / total),
            "n_keywords": len(listed), "best_match": hits[0][1],
            "growth": _weighted(growth[j_all], vol), "competition": _weighted(competition[j_all], vol),
            "margin": margin, "landed_cost": landed, "price": price, "currency": m.currency,
            "keywords": " | ".join(keywords[h[0]] for h in listed[: settings.max_keywords_per_product]),
            "_weight_missing": math.isnan(item["weight_kg"]) and math.isnan(item["length_cm"]),
            "_category": item["category"], "_weight": item["weight_kg"],
        })
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


_UNSPACED_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _native_best(product_vectors: np.ndarray, keyword_vectors: np.ndarray, keywords: pd.Series, language: str,
                 matches) -> tuple[np.ndarray, np.ndarray]:
    """Each product's best similarity to a keyword in the market's own language, and that keyword's index.

    English search terms in a French market ("air fryer") match an English-titled product far better than the
    French ones do; measured against them, "friteuse sans huile" would look like another product.
    """
    native = np.ones(len(keywords), dtype=bool)
    if language != "en":
        native = ~np.array([reads_as_english(k, language) for k in keywords], dtype=bool)
    if native.all() or not native.any():
        return matches.prod_sim[:, 0], matches.prod_idx[:, 0]
    own = top_matches(product_vectors, keyword_vectors[native], k_per_keyword=1, m_per_product=1)
    return own.prod_sim[:, 0], np.flatnonzero(native)[own.prod_idx[:, 0]]


def _head_of(keyword: str, longer: str) -> bool:
    """True if every word of ``keyword`` is in ``longer`` ("swim goggles" in "anti fog swim goggles"): the head
    term of the product's best long-tail keyword is about the same product, however much lower its similarity."""
    words, other = keyword.casefold().split(), longer.casefold()
    # scripts written without spaces (Chinese, Japanese) are matched as substrings
    return bool(words) and all(w in other.split() or (_UNSPACED_RE.search(w) and w in other) for w in words)


def _sized(keyword: str, best: str) -> bool:
    """True if ``keyword`` is the product's best keyword plus a size ("air fryer 5 quart" next to "air fryer"): the
    same product in a size. Other additions ("air fryer liners", "yoga mat bag") name accessories, so only a number
    counts."""
    extra = [w for w in keyword.casefold().split() if w not in best.casefold().split()]
    return _head_of(best, keyword) and any(any(c.isdigit() for c in w) for w in extra)


def _split(product_vectors: np.ndarray, idx: np.ndarray, sims: np.ndarray, settings: MatchSettings) -> np.ndarray:
    """Share of a keyword's searches that each credited product receives.

    Products whose vectors are nearly the same (variants of one product: colours, sizes) form a group and each
    receive the group's whole share: a search for "air fryer" is worth as much to every air fryer variant. Distinct
    products split the search between them by a softmax of their similarity, so an ambiguous keyword no longer
    counts in full for several different products.
    """
    n = len(idx)
    if n <= 1:
        return np.ones(n)
    same = product_vectors[idx] @ product_vectors[idx].T >= settings.same_product_similarity
    group = np.arange(n)
    for a in range(n):  # sims are sorted best first: each product joins the first group it is close to
        close = np.flatnonzero(same[a, :a])
        if len(close):
            group[a] = group[close[0]]
    heads = np.unique(group)
    weight = np.exp((sims[heads] - sims[0]) / settings.split_temperature)
    share = dict(zip(heads, weight / weight.sum()))
    return np.array([share[g] for g in group])


def _weighted(values: Iterable[float], weights: np.ndarray) -> float:
    values = np.asarray(list(values), dtype=float)
    ok = ~np.isnan(values)
    if not ok.any():
        return math.nan
    return float(np.average(values[ok], weights=np.asarray(weights, dtype=float)[ok] + 1e-12))


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
                  progress: ProgressFactory | None = None) -> FeatureTable:
    """Read, filter, encode and match: the per-market feature rows that a ranker scores (see :func:`select`)."""
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
    encoder = model if isinstance(model, Encoder) else get_encoder(model)
    if use_cache and not isinstance(encoder, CachedEncoder):
        encoder = CachedEncoder(encoder, cache_dir)

    keep = np.ones(len(items), dtype=bool)
    if max_weight_kg is not None:
        keep &= ~(items["weight_kg"] > max_weight_kg).to_numpy()
    for cat in exclude_category:
        keep &= ~items["category"].str.contains(cat, case=False, regex=False).to_numpy()
    items = items[keep].reset_index(drop=True)

    demand = demand[demand["market"].isin(wanted)].reset_index(drop=True)
    with _bar(progress, "Encoding products", len(items)) as bar:
        titles_en = items["title_en"].tolist() if items["title_en"].astype(bool).any() else None
        product_vectors = embed_products(items["title"].tolist(), titles_en, encoder) if len(items) else \
            np.zeros((0, encoder.dim), dtype=np.float32)
        if bar is not None:
            bar.update(len(items))
    with _bar(progress, "Encoding keywords", len(demand)) as bar:
        keyword_vectors = encoder.encode(demand["keyword"].tolist())
        if bar is not None:
            bar.update(len(demand))
    features, uncovered = {}, {}
    with _bar(progress, "Scoring markets", len(wanted)) as bar:
        for code in wanted:
            mask = (demand["market"] == code).to_numpy()
            sub = demand[mask].reset_index(drop=True)
            feats = market_features(items, product_vectors, sub, keyword_vectors[mask], code,
                                    commerce=commerce, settings=settings) if len(items) else pd.DataFrame()
            uncovered[code] = feats.attrs.pop("uncovered", sub[["keyword", "volume"]])
            features[code] = feats
            if bar is not None:
                bar.update(1)
    return FeatureTable(markets=wanted, demand=demand, catalogue=items, features=features, uncovered=uncovered)


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
           progress: ProgressFactory | None = None) -> pd.DataFrame:
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
    if isinstance(ranker, (str, os.PathLike)):
        from ..models.persist import load_model

        loaded = load_model(ranker)
        ranker = loaded.estimator
        if model is None and loaded.encoder_path is not None:
            model = str(loaded.encoder_path)  # the model's fine-tuned encoder, unless --model says otherwise
    table = feature_table(catalogue, signals, markets=markets, market_code=market_code, max_weight_kg=max_weight_kg,
                          exclude_category=exclude_category, model=model, cache_dir=cache_dir, use_cache=use_cache,
                          commerce=commerce, settings=settings, progress=progress)
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
