from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

import sellglobal
from sellglobal import ConfigError, SchemaError, TemplateError
from sellglobal.listings import exporters, generate
from sellglobal.listings.glossary import LOCALES, load_glossary
from sellglobal.listings.render import Templates, build_item, quantities, write_listing
from sellglobal.listings.rules import facts, fit_title, pack_bytes, rule_set, validate
from sellglobal.models.language import detect

CATALOGUE = pd.DataFrame({
    "sku": ["FRY", "MAT", "CUP"],
    "title": ["家用大容量空气炸锅 5L 黑色", "加厚防滑瑜伽垫 6mm", "304不锈钢保温杯 500ml 双层"],
    "brand": ["Kitchio", "Sportek", "Homiva"],
    "weight_kg": [4.2, 1.1, 0.4], "length_cm": [35, 61, 8], "width_cm": [30, 15, 8], "height_cm": [33, 15, 26],
    "attributes": ["颜色:黑色", "颜色:紫色; 材质:TPE", "材质:不锈钢"],
    "image_url": ["https://img.example.com/fry-1.jpg|https://img.example.com/fry-2.jpg", "", ""],
})
KEYWORDS = {
    "US": {"FRY": "air fryer | air fryer 5 quart", "MAT": "yoga mat | thick yoga mat",
           "CUP": "insulated water bottle | stainless steel water bottle"},
    "DE": {"FRY": "Heißluftfritteuse | Airfryer groß", "MAT": "Yogamatte | Yogamatte rutschfest",
           "CUP": "Trinkflasche Edelstahl | Thermosflasche"},
    "FR": {"FRY": "friteuse sans huile | air fryer", "MAT": "tapis de yoga | tapis de yoga épais",
           "CUP": "gourde isotherme | bouteille isotherme inox"},
    "ES": {"FRY": "freidora de aire | freidora sin aceite", "MAT": "esterilla de yoga | esterilla yoga antideslizante",
           "CUP": "botella térmica | botella de agua acero inoxidable"},
    "IT": {"FRY": "friggitrice ad aria | friggitrice senza olio", "MAT": "tappetino yoga | tappetino yoga antiscivolo",
           "CUP": "borraccia termica | bottiglia termica acciaio"},
    "GB": {"FRY": "air fryer | large air fryer", "MAT": "yoga mat | non slip yoga mat",
           "CUP": "water bottle | metal water bottle"},
    "JP": {"FRY": "ノンフライヤー | エアフライヤー", "MAT": "ヨガマット | ヨガマット 厚手", "CUP": "水筒 | ステンレスボトル"},
}
PRICE = {"US": ("USD", 69.9), "DE": ("EUR", 64.0), "FR": ("EUR", 65.0), "ES": ("EUR", 62.0), "IT": ("EUR", 63.0),
         "GB": ("GBP", 55.0), "JP": ("JPY", 9800)}


def shortlist() -> pd.DataFrame:
    rows = []
    for m, by_sku in KEYWORDS.items():
        for rank, (sku, kws) in enumerate(by_sku.items(), start=1):
            rows.append({"market": m, "rank": rank, "sku": sku, "keywords": kws, "currency": PRICE[m][0],
                         "price": PRICE[m][1]})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def all_listings():
    return sellglobal.listings(shortlist(), CATALOGUE, channels=["amazon", "shopify", "ebay", "tiktok", "etsy"])


# --- rules ---------------------------------------------------------------------------------------------------------

def test_search_terms_pack_to_exactly_249_bytes_with_multibyte_words():
    words = [f"wört{i:02d}" for i in range(60)]  # "wört00" is 6 characters but 7 bytes in UTF-8
    packed = pack_bytes([" ".join(words)], 249)
    assert len(packed.encode("utf-8")) <= 249
    # 31 words x 7 bytes + 30 spaces = 247; a 32nd would need 8 more bytes
    assert len(packed.split()) == 31
    exact = pack_bytes([" ".join(["wört00", "x" * 241])], 249)  # 7 + 1 + 241 = 249 bytes exactly
    assert len(exact.encode("utf-8")) == 249
    over = pack_bytes([" ".join(["wört00", "x" * 242])], 249)  # 250 bytes: the long word cannot fit
    assert over == "wört00"
    japanese = pack_bytes(["ヨガマット " * 40], 249)  # 15 bytes a word, and each word only once
    assert japanese == "ヨガマット"
    many = pack_bytes([f"ヨガ{i:02d}" for i in range(40)], 249)  # 8 bytes each: 27 words + 26 spaces = 242
    assert len(many.encode("utf-8")) == 242 and len(many.split()) == 27


def test_search_terms_skip_title_words_and_repeats():
    assert pack_bytes(["yoga mat", "thick yoga mat", "Mat for yoga"], 249, exclude="Sportek Yoga Mat") == "thick for"


def test_bytes_not_characters_are_counted():
    amazon = rule_set("amazon")
    ok = {"search_terms": "あ" * 83}  # 249 bytes
    too_long = {"search_terms": "あ" * 84}  # 252 bytes, only 84 characters
    assert validate(ok, amazon, language="ja") == []
    assert validate(too_long, amazon, language="ja") == ["search_terms has 252 bytes, at most 249 allowed"]


@pytest.mark.parametrize("title, expected", [
    ("Yoga Mat!", "title contains !"),
    ("Mat $ Mat_ {x}", "title contains $ _ { }"),
    ("Yoga Mat Yoga Mat Yoga", "title repeats yoga more than 2 times"),
    ("Best Seller Yoga Mat", "title makes promotional claims: best seller"),
    ("x" * 201, "title has 201 characters, at most 200 allowed"),
])
def test_amazon_title_rules(title, expected):
    assert expected in validate({"title": title}, rule_set("amazon"), language="en")


def test_every_promotional_claim_is_found_and_stripped_and_clean_text_is_left_alone():
    from sellglobal.listings.rules import _promo_hits, promo_words, strip_promo

    for word in promo_words():
        text = f"Yoga Mat {word.upper()} Non Slip"
        assert word in _promo_hits(text), word
        assert strip_promo(text) == "Yoga Mat Non Slip", word
    # a claim inside a longer word is not a claim; clean text comes back as it was
    assert _promo_hits("Wholesale pack, size #10") == []
    assert strip_promo("Wholesale pack, size #10") == "Wholesale pack, size #10"
    assert _promo_hits("Yoga Mat Non Slip 183 x 61 cm") == []
    assert strip_promo("Yoga Mat, Non Slip") == "Yoga Mat, Non Slip"


def test_a_batch_of_titles_detected_at_once_writes_what_one_at_a_time_writes():
    from sellglobal.listings.render import draft_title
    from sellglobal.models.language import detect, detect_many

    g = load_glossary("es-ES")
    templates = Templates()
    # "blackout" tips the Spanish title to English: the repair drops it, batched or not
    item, _ = build_item({"sku": "C1", "title": "加厚遮光窗帘 黑色", "brand": "Lunaby"},
                         ["cortinas blackout", "cortinas opacas"], glossary=g, channel="amazon")
    one = write_listing(item, market="ES", glossary=g, templates=templates, rules=rule_set("amazon"))
    assert "title: dropped 'blackout', which made it read as another language" in one.repairs
    draft = draft_title(item, glossary=g, templates=templates, rules=rule_set("amazon"))
    draft.language = detect_many([" ".join(draft.segments)])[0]
    assert draft.language == detect(" ".join(draft.segments))
    batched = write_listing(item, market="ES", glossary=g, templates=templates, rules=rule_set("amazon"), draft=draft)
    assert batched == one


def test_rule_sets_extend_and_carry_their_source():
    r2026 = rule_set("amazon-2026")
    assert r2026.value("title", "max_chars") == 75
    assert r2026.value("title", "forbidden_chars") == rule_set("amazon").value("title", "forbidden_chars")
    assert "Amazon" in r2026.source and r2026.checked
    assert rule_set("ebay").value("title", "max_chars") == 80
    assert rule_set("google").value("description", "max_chars") == 5000
    etsy = rule_set("etsy")
    problems = validate({"tags": [f"tag{i}" for i in range(14)] + ["a" * 21]}, etsy, language="en")
    assert problems == ["tags has 15 items, at most 13 allowed", "tags: 1 item(s) longer than 20 characters"]
    tiktok = rule_set("tiktok")
    assert validate({"title": "Yoga Mat 瑜伽垫"}, tiktok, language="en") == ["title contains Chinese characters"]
    assert validate({"title": "ヨガマット 厚手"}, tiktok, language="ja") == []
    with pytest.raises(ConfigError, match="unknown rule set 'walmart'; use one of"):
        rule_set("walmart")


def test_fit_title_drops_weakest_segments_and_keeps_facts():
    segments = ["Kitchio", "Air Fryer", "5.3 qt", "Stainless Steel", "Black"]
    assert fit_title(segments, 30) == "Kitchio Air Fryer 5.3 qt"
    assert facts("Kitchio Air Fryer 5.3 qt") == {"5.3 qt"}
    assert fit_title(["A very long product name that goes on"], 20) == "A very long product"
    assert fit_title(segments, None) == "Kitchio Air Fryer 5.3 qt Stainless Steel Black"


def test_quantities_convert_for_imperial_markets():
    assert quantities("空气炸锅 5L 1500W", load_glossary("en-US")) == ["5.3 qt", "1,500 W"]
    de = quantities("空气炸锅 5L 保温杯 500ml 瑜伽垫 6mm 行李箱 20寸", load_glossary("de-DE"))
    assert de == ["5 l", "500 ml", "6 mm", "20 Zoll"]
    assert quantities("瑜伽垫 6mm", load_glossary("en-US")) == ["0.24 in"]


# --- content -------------------------------------------------------------------------------------------------------

def test_every_channel_and_locale_passes_its_rules(all_listings):
    assert len(all_listings) == 7 * 3 * 5
    assert set(all_listings["locale"]) == set(LOCALES)
    failing = all_listings[all_listings["violations"].map(len) > 0]
    assert failing.empty, failing[["sku", "locale", "channel", "violations"]].to_string()
    for _, row in all_listings.iterrows():
        limit = rule_set(row["channel"]).value("title", "max_chars")
        assert len(row["title"]) <= limit
        script = row["video_script"]
        assert 3 <= len(script["shots"]) <= 5 and 15 <= script["seconds"] <= 30
        assert script["hook"] and script["cta"] and all(s["on_screen"] and s["voice_over"] for s in script["shots"])


def test_texts_are_in_the_target_language(all_listings):
    wrong = []
    for _, row in all_listings.iterrows():
        lang = row["locale"][:2]
        for name, text in [("title", row["title"]), ("bullets", "\n".join(row["bullets"])),
                           ("description", row["description"]),
                           ("video", " ".join(s["voice_over"] for s in row["video_script"]["shots"]))]:
            if detect(text) != lang:
                wrong.append((row["locale"], row["channel"], name, text[:60]))
            assert not any("\u4e00" <= c <= "\u9fff" for c in text) or lang == "ja", (row["locale"], text)
    assert not wrong, wrong


def test_strongest_keyword_leads_the_title_and_the_rest_go_to_search_terms(all_listings):
    row = all_listings[(all_listings["sku"] == "MAT") & (all_listings["locale"] == "en-US")
                       & (all_listings["channel"] == "amazon")].iloc[0]
    assert row["title"].startswith("Sportek Yoga Mat")
    assert "Purple" in row["title"] and "TPE" in row["title"]
    assert "0.24 in" in row["title"]  # 6mm in the US
    assert "Thick" in row["title"]  # the second search term's own word
    assert not set(row["search_terms"].lower().split()) & set(row["title"].lower().split())
    de = all_listings[(all_listings["sku"] == "FRY") & (all_listings["locale"] == "de-DE")
                      & (all_listings["channel"] == "amazon")].iloc[0]
    assert de["title"].startswith("Kitchio Heißluftfritteuse") and "5 l" in de["title"] and "Schwarz" in de["title"]
    assert any("4,2 kg" in b for b in de["bullets"])  # German decimal comma
    us = all_listings[(all_listings["sku"] == "FRY") & (all_listings["locale"] == "en-US")
                      & (all_listings["channel"] == "amazon")].iloc[0]
    assert any("9.3 lb" in b for b in us["bullets"]) and any("13.8 × 11.8 × 13 in" in b for b in us["bullets"])


def test_english_search_terms_do_not_leak_into_french_listings(all_listings):
    fr = all_listings[(all_listings["sku"] == "FRY") & (all_listings["locale"] == "fr-FR")]
    assert fr["title"].str.contains("Friteuse sans huile").all()
    assert not fr["title"].str.contains("air fryer", case=False).any()


def test_no_name_in_the_locale_language_is_reported_not_invented():
    short = pd.DataFrame({"market": ["FR"], "sku": ["FRY"], "keywords": ["air fryer"]})
    out = sellglobal.listings(short, CATALOGUE, channels=["ebay"])
    assert out.loc[0, "title"] == ""
    assert out.loc[0, "violations"][0].startswith("no product name in fr-FR")


def test_user_glossary_supplies_product_names(tmp_path):
    path = tmp_path / "glossary.toml"
    path.write_text('[fr-FR.products]\n"空气炸锅" = "Friteuse sans huile"\n[fr-FR.colours]\n"黑色" = "Noir mat"\n',
                    encoding="utf-8")
    short = pd.DataFrame({"market": ["FR"], "sku": ["FRY"], "keywords": ["air fryer"]})
    out = sellglobal.listings(short, CATALOGUE, channels=["ebay"], glossary=path)
    assert out.loc[0, "violations"] == []
    assert out.loc[0, "title"].startswith("Friteuse sans huile") and "Noir mat" in out.loc[0, "title"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[fr-FR.flavours]\n"x" = "y"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[fr-FR.flavours\] is not a glossary section"):
        sellglobal.listings(short, CATALOGUE, channels=["ebay"], glossary=bad)


def test_amazon_2026_rules_repair_long_titles_without_losing_facts():
    short = pd.DataFrame({"market": ["DE"], "sku": ["CUP"],
                          "keywords": ["Trinkflasche Edelstahl doppelwandig isoliert | Thermosflasche auslaufsicher"]})
    out = sellglobal.listings(short, CATALOGUE, channels=["amazon"], amazon_rules="amazon-2026")
    row = out.iloc[0]
    assert len(row["title"]) <= 75 and row["violations"] == []
    assert "500 ml" in row["title"]
    assert any(r.startswith("title:") for r in row["repairs"])


# --- templates, sandbox and injection --------------------------------------------------------------------------------

def _one_listing(templates: Templates, title="家用空气炸锅 5L", brand="Kitchio", keywords=("air fryer",),
                 channel="amazon"):
    g = load_glossary("en-US")
    product = {"sku": "A1", "title": title, "brand": brand, "weight_kg": 4.2, "length_cm": 35.0, "width_cm": 30.0,
               "height_cm": 33.0, "attributes": ""}
    item, _ = build_item(product, list(keywords), glossary=g, channel=channel)
    return write_listing(item, market="US", glossary=g, templates=templates, rules=rule_set(channel))


def test_catalogue_text_is_data_not_template_code():
    listing = _one_listing(Templates(), brand="{{ 7*7 }}", keywords=("air fryer {{ 7*7 }}", "{% raw %}"),
                           channel="ebay")
    assert "{{ 7*7 }}" in listing.title and "49" not in listing.title
    assert "{% raw %}" in " ".join(listing.bullets)
    amazon = _one_listing(Templates(), brand="{{ 7*7 }}", keywords=("air fryer",))
    assert "{" not in amazon.title and "49" not in amazon.title  # Amazon forbids braces: removed, not evaluated


def test_user_templates_override_by_name_and_fall_back(tmp_path):
    (tmp_path / "amazon").mkdir()
    (tmp_path / "amazon" / "title.j2").write_text("{{ item.product }}\nby {{ item.brand }}\n", encoding="utf-8")
    listing = _one_listing(Templates(tmp_path))
    assert listing.title == "Air Fryer by Kitchio"
    assert listing.bullets[0] == "Ideal as Air Fryer"  # shipped default/bullets.j2


@pytest.mark.parametrize("body, message", [
    ("{{ item.product }\n", r"amazon/title.j2 line 1: unexpected '}'"),
    ("{{ item.product }}\n{{ item.nonsense }}\n", r"amazon/title.j2 line 2: UndefinedError: .*nonsense"),
    ("ok\n\n{{ item.__class__.__mro__ }}\n", r"amazon/title.j2 line 3: SecurityError"),
    ("{{ ''.__class__.__subclasses__() }}\n", r"amazon/title.j2 line 1: SecurityError"),
])
def test_template_errors_name_file_and_line(tmp_path, body, message):
    (tmp_path / "amazon").mkdir()
    (tmp_path / "amazon" / "title.j2").write_text(body, encoding="utf-8")
    with pytest.raises(TemplateError, match=message):
        _one_listing(Templates(tmp_path))


# --- exporters, resume ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("listings")
    short = shortlist()
    short = pd.concat([short, pd.DataFrame([{"market": "US", "rank": 4, "sku": "CUP", "keywords": "=HYPERLINK(\"x\")",
                                            "currency": "USD", "price": 19.9}])], ignore_index=True)
    catalogue = CATALOGUE.copy()
    catalogue.loc[2, "brand"] = "<script>alert(1)</script>"
    frame = sellglobal.listings(short, catalogue, channels=["amazon", "shopify", "google"], locales=["en-US", "de-DE"],
                                output_dir=out, base_url="https://shop.example.com", seller_id="A2SELLER")
    return out, frame


def test_jsonl_has_one_object_per_listing_with_the_documented_keys(exported):
    out, frame = exported
    lines = (out / "listings.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(frame) == 3 * 2 * 3
    for line in lines:
        d = json.loads(line)
        assert {"sku", "market", "locale", "channel", "title", "bullets", "description", "search_terms",
                "video_script", "violations"} <= set(d)
        assert isinstance(d["bullets"], list) and isinstance(d["violations"], list)
    assert not (out / ".parts").exists()


def test_shopify_csv_headers_handles_images_and_formula_cells(exported):
    out, _ = exported
    with open(out / "shopify" / "products_en-US.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == exporters.SHOPIFY_COLUMNS
    products = [r for r in rows if r["Title"]]
    assert len(products) == 3
    assert all(pd.Series([r["Handle"] for r in products]).str.fullmatch(r"[a-z0-9-]+"))
    assert len({r["Handle"] for r in products}) == 3
    fry = [r for r in rows if r["Handle"] == products[0]["Handle"]]
    assert [r["Image Position"] for r in fry] == ["1", "2"]  # a second row for the second image
    cup = next(r for r in products if r["Variant SKU"] == "CUP")
    assert "&lt;script&gt;" in cup["Body (HTML)"] or "<script>" not in cup["Body (HTML)"]
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_amazon_feed_is_valid_json_per_market(exported):
    out, _ = exported
    feed = json.loads((out / "amazon" / "listings_US_001.json").read_text(encoding="utf-8"))
    assert feed["header"] == {"sellerId": "A2SELLER", "version": "2.0", "issueLocale": "en_US"}
    msg = feed["messages"][0]
    assert msg["operationType"] == "UPDATE" and msg["attributes"]["item_name"][0]["marketplace_id"] == "ATVPDKIKX0DER"
    assert [m["messageId"] for m in feed["messages"]] == [1, 2, 3]
    de = json.loads((out / "amazon" / "listings_DE_001.json").read_text(encoding="utf-8"))
    assert de["messages"][0]["attributes"]["item_name"][0]["language_tag"] == "de_DE"


def test_amazon_feed_splits_at_the_message_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(exporters, "AMAZON_MAX_MESSAGES", 2)
    short = shortlist()[lambda f: f["market"] == "US"]
    sellglobal.listings(short, CATALOGUE, channels=["amazon"], output_dir=tmp_path)
    files = sorted((tmp_path / "amazon").glob("listings_US_*.json"))
    assert [len(json.loads(f.read_text(encoding="utf-8"))["messages"]) for f in files] == [2, 1]


def test_google_feed_has_taxonomy_ids_and_links(exported):
    out, _ = exported
    with open(out / "google" / "products_US.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert list(rows[0]) == exporters.GOOGLE_COLUMNS
    fry = next(r for r in rows if r["id"] == "FRY")
    assert fry["google_product_category"].isdigit()
    assert fry["link"].startswith("https://shop.example.com/products/") and fry["price"] == "69.90 USD"
    assert fry["image_link"] == "https://img.example.com/fry-1.jpg"
    paths = dict(zip(*__import__("sellglobal.listings.taxonomy", fromlist=["x"]).google_taxonomy()))
    assert "Fryer" in paths[fry["google_product_category"]]


def test_html_preview_is_escaped(exported):
    out, _ = exported
    page = (out / "preview" / "en-US.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.rstrip().endswith("</html>")


def test_validation_report_lists_failures(exported):
    out, frame = exported
    report = pd.read_csv(out / "validation.csv")
    failing = frame[frame["violations"].map(len) > 0]
    assert len(report[report["status"] == "failed"]) == len(failing)
    # the CUP listings have no image: Google rejects them, and the report says so
    assert report["violations"].fillna("").str.contains("image_link: Google requires an image").any()


def test_resume_after_an_interruption_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    short = shortlist()
    monkeypatch.setattr(generate, "CHUNK", 4)
    real = generate.write_listing
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 11:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "write_listing", flaky)
    with pytest.raises(KeyboardInterrupt):  # in this process, where the interruption is planted
        sellglobal.listings(short, CATALOGUE, channels=["amazon"], output_dir=tmp_path, workers=1)
    assert not (tmp_path / "listings.jsonl").exists()  # nothing half-written
    assert len(list((tmp_path / ".parts").glob("part-*.jsonl"))) == 2  # 8 listings finished
    monkeypatch.setattr(generate, "write_listing", real)
    calls["n"] = 0
    with pytest.raises(ConfigError, match="--resume: .* other inputs or options"):
        sellglobal.listings(short, CATALOGUE, channels=["ebay"], output_dir=tmp_path, resume=True)
    sellglobal.listings(short, CATALOGUE, channels=["amazon"], output_dir=tmp_path, resume=True)
    keys = [tuple(json.loads(line)[k] for k in ("sku", "market", "locale"))
            for line in (tmp_path / "listings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(keys) == len(set(keys)) == len(short)
    # the earlier run's parts are exported first, then the rest as it is written: the files of one whole run
    whole = tmp_path.parent / "whole"
    sellglobal.listings(short, CATALOGUE, channels=["amazon"], output_dir=whole)
    files = sorted(p.relative_to(whole) for p in whole.rglob("*") if p.is_file())
    assert len(files) >= 5  # listings.jsonl, validation.csv, a preview, two Amazon feeds
    for name in files:
        assert (tmp_path / name).read_bytes() == (whole / name).read_bytes(), name


def test_worker_processes_write_the_same_files(tmp_path, monkeypatch):
    from sellglobal import engine

    monkeypatch.setattr(generate, "CHUNK", 4)  # 21 listings: six parts over two workers
    started = []
    real = engine.ProcessEngine.stream
    monkeypatch.setattr(engine.ProcessEngine, "stream",
                        lambda self, f, items: started.append(self.workers) or real(self, f, items))
    channels = ["amazon", "shopify", "etsy"]
    sellglobal.listings(shortlist(), CATALOGUE, channels=channels, output_dir=tmp_path / "one", workers=1)
    sellglobal.listings(shortlist(), CATALOGUE, channels=channels, output_dir=tmp_path / "two", workers=2)
    assert started and set(started) == {2}  # the second run really went to two worker processes
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert len(files) >= 10
    for f in files:
        assert (tmp_path / "two" / f).read_bytes() == (tmp_path / "one" / f).read_bytes(), f


def test_bad_shortlist_is_reported_with_row_and_column(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("market,sku,keywords\nUS,FRY,air fryer\nXX,MAT,yoga mat\nDE,NOPE,Yogamatte\n", encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        sellglobal.listings(path, CATALOGUE)
    assert str(err.value).splitlines() == [
        f"{path} row 3 column 'market': unknown market 'XX'; use an ISO code such as US, DE",
        f"{path} row 4 column 'sku': sku 'NOPE' is not in the catalogue; pass the catalogue that select ranked",
    ]
    missing = tmp_path / "missing.csv"
    missing.write_text("market,sku\nUS,FRY\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="missing column 'keywords'"):
        sellglobal.listings(missing, CATALOGUE)
    with pytest.raises(ConfigError, match="unknown channel 'walmart'"):
        sellglobal.listings(shortlist(), CATALOGUE, channels=["walmart"])
    with pytest.raises(ConfigError, match="--locale pt-BR: no glossary"):
        sellglobal.listings(shortlist(), CATALOGUE, locales=["pt-BR"])


def test_english_catalogue_title_names_the_product_in_english_locales():
    catalogue = pd.DataFrame({"sku": ["B1"], "title": ["Insulated Water Bottle 500ml"], "weight_kg": [0.4]})
    short = pd.DataFrame({"market": ["US", "DE"], "sku": ["B1", "B1"], "keywords": ["", ""]})
    out = sellglobal.listings(short, catalogue, channels=["ebay"]).set_index("market")
    assert out.loc["US", "title"].startswith("Insulated Water Bottle") and "16.9 fl oz" in out.loc["US", "title"]
    assert out.loc["US", "violations"] == []
    assert out.loc["DE", "violations"][0].startswith("no product name in de-DE")  # no German words to use


def test_shopify_handle_is_stable_for_skus_without_ascii():
    import os
    import subprocess
    import sys

    code = "from sellglobal.listings.exporters import handle; print(handle('ヨガマット', '瑜伽垫'))"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(runs) == 1 and runs.pop().strip().startswith("item-")


def _die(_item):
    import os

    os._exit(3)  # what a worker does when it cannot start (a script without a main guard, say)


def test_workers_that_die_give_one_clear_error():
    from sellglobal.engine import ProcessEngine

    pool = ProcessEngine(2)
    try:
        with pytest.raises(ConfigError, match=r"worker processes stopped .* if __name__ == \"__main__\""):
            list(pool.stream(_die, [1, 2, 3]))
    finally:
        pool.close()


def _mark_start(folder: str) -> None:
    import os
    from pathlib import Path

    (Path(folder) / str(os.getpid())).write_text("started")


def test_worker_processes_start_and_warm_up_before_any_work_arrives(tmp_path):
    import time

    from sellglobal.engine import ProcessEngine

    pool = ProcessEngine(2, initializer=_mark_start, initargs=(str(tmp_path),))
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(tmp_path.iterdir())) == 2  # both workers up, each ran its start-up, and no task was sent
        assert list(pool.stream(abs, [-1, -2, -3])) == [1, 2, 3]
    finally:
        pool.close()
