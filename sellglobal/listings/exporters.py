"""Export listings in the formats the marketplaces import, streaming, each file written atomically.

* Shopify product CSV (the import headers of Shopify's help page "Using CSV files to import and export products";
  one row per product, plus one row per further image)
* Amazon JSON_LISTINGS_FEED (Selling Partner API feeds, version 2.0), at most 10,000 messages per file
* Google Merchant Center product feed, tab-separated, ``google_product_category`` from the Google taxonomy
* an HTML preview per locale, escaped
* validation.csv: one row per listing that was repaired or still breaks a rule
"""
from __future__ import annotations

import csv
import hashlib
import html
import json
import re
import unicodedata
from contextlib import ExitStack
from pathlib import Path
import jinja2

from ..selection.tables import atomic_write

AMAZON_MAX_MESSAGES = 10_000
# Amazon marketplace IDs (Selling Partner API "Marketplace IDs" table)
AMAZON_MARKETPLACE_IDS = {
    "US": "ATVPDKIKX0DER", "CA": "A2EUQ1WTGCTBG2", "MX": "A1AM78C64UM0Y8", "BR": "A2Q3Y263D00KWC",
    "GB": "A1F83G8C2ARO7P", "IE": "A28R8C7NBKEWEA", "DE": "A1PA6795UKMFR9", "FR": "A13V1IB3VIYZZH",
    "IT": "APJ6JRA9NG5V4", "ES": "A1RKKUPIHCS9HS", "NL": "A1805IZSGTT6HS", "SE": "A2NODRKZP88ZB9",
    "PL": "A1C3SOZRARQ6R3", "BE": "AMEN7PMS3EDWL", "TR": "A33AVAJ2PDY3EV", "JP": "A1VC38T7YXB528",
    "AU": "A39IBJ37TRP1C6", "SG": "A19VAU5U5O7RUS", "AE": "A2VIGQ35RCS4UG", "SA": "A17E79C6D8DWNP",
    "IN": "A21TJRUUN4KGV",
}
SHOPIFY_COLUMNS = ["Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
                   "Option1 Name", "Option1 Value", "Variant SKU", "Variant Grams", "Variant Inventory Policy",
                   "Variant Fulfillment Service", "Variant Price", "Variant Requires Shipping", "Variant Taxable",
                   "Image Src", "Image Position", "Image Alt Text", "SEO Title", "SEO Description", "Status"]
GOOGLE_COLUMNS = ["id", "title", "description", "link", "image_link", "availability", "price", "brand", "condition",
                  "identifier_exists", "google_product_category", "content_language", "target_country"]
VALIDATION_COLUMNS = ["sku", "market", "locale", "channel", "status", "violations", "repairs"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A spreadsheet cell that cannot run as a formula: text starting with = + - @ gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def handle(title: str, sku: str) -> str:
    """Shopify handle: lowercase ASCII letters, digits and hyphens, unique through the SKU."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    tail = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", sku).encode("ascii", "ignore").decode().lower())
    # a SKU with no ASCII at all (中01-1 has some) gets a digest: stable across runs, unlike hash()
    tail = tail.strip("-") or hashlib.blake2b(sku.encode("utf-8"), digest_size=4).hexdigest()
    return f"{base}-{tail}" if base else f"item-{tail}"


def _images(listing: dict) -> list[str]:
    return [u.strip() for u in re.split(r"[|;\s]+", listing.get("image_url") or "") if u.strip()]


def _body_html(listing: dict) -> str:
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in listing["description"].split("\n\n") if p.strip()]
    bullets = "".join(f"<li>{html.escape(b)}</li>" for b in listing["bullets"])
    return "".join(paragraphs) + (f"<ul>{bullets}</ul>" if bullets else "")


def shopify_rows(listing: dict) -> list[dict]:
    images = _images(listing)
    grams = round(listing["weight_kg"] * 1000) if listing.get("weight_kg") else ""
    first = {
        "Handle": handle(listing["title"], listing["sku"]), "Title": listing["title"], "Body (HTML)": _body_html(listing),
        "Vendor": listing.get("brand") or "", "Product Category": "", "Type": listing.get("product") or "",
        "Tags": ", ".join(listing.get("tags") or []), "Published": "TRUE",
        "Option1 Name": "Title", "Option1 Value": "Default Title", "Variant SKU": listing["sku"],
        "Variant Grams": grams, "Variant Inventory Policy": "deny", "Variant Fulfillment Service": "manual",
        "Variant Price": "" if listing.get("price") is None else f"{listing['price']:.2f}",
        "Variant Requires Shipping": "TRUE", "Variant Taxable": "TRUE",
        "Image Src": images[0] if images else "", "Image Position": 1 if images else "",
        "Image Alt Text": listing["title"] if images else "", "SEO Title": listing["title"][:70],
        "SEO Description": listing["description"].replace("\n", " ")[:320], "Status": "active",
    }
    rows = [first]
    for pos, url in enumerate(images[1:], start=2):
        rows.append({"Handle": first["Handle"], "Image Src": url, "Image Position": pos,
                     "Image Alt Text": listing["title"]})
    return rows


def amazon_message(listing: dict, message_id: int) -> dict:
    tag = listing["locale"].replace("-", "_")
    mp = AMAZON_MARKETPLACE_IDS.get(listing["market"], "")

    def values(items):
        return [{"value": v, "language_tag": tag, "marketplace_id": mp} for v in items if v]

    attributes = {"item_name": values([listing["title"]]), "bullet_point": values(listing["bullets"]),
                  "product_description": values([listing["description"]]),
                  "generic_keyword": values([listing["search_terms"]])}
    if listing.get("brand"):
        attributes["brand"] = values([listing["brand"]])
    return {"messageId": message_id, "sku": listing["sku"], "operationType": "UPDATE", "productType": "PRODUCT",
            "requirements": "LISTING_PRODUCT_ONLY", "attributes": attributes}


class Exporter:
    """Streams listings into every output file of a run; all files appear only if the whole export succeeds."""

    def __init__(self, out: Path, *, seller_id: str = "", base_url: str | None = None,
                 preview_env: jinja2.Environment):
        self.out, self.seller_id, self.base_url = out, seller_id, (base_url or "").rstrip("/")
        self.preview_env = preview_env
        self._preview_module = None
        self.stack = ExitStack()
        self.handles: dict[tuple, object] = {}
        self.amazon_counts: dict[str, int] = {}
        self.written: list[Path] = []

    def __enter__(self) -> "Exporter":
        self.stack.__enter__()
        self.jsonl = self._open(self.out / "listings.jsonl")
        self.validation = csv.DictWriter(self._open(self.out / "validation.csv", newline=""), VALIDATION_COLUMNS)
        self.validation.writeheader()
        return self

    def __exit__(self, *exc) -> bool:
        try:
            if exc[0] is None:
                self._close_amazon_all()
                for key, fh in list(self.handles.items()):
                    if key[0] == "preview":
                        fh.write(str(self._macro("foot")()))
            return self.stack.__exit__(*exc)
        finally:
            self.handles.clear()

    def _open(self, path: Path, newline: str | None = None):
        self.written.append(path)
        return self.stack.enter_context(atomic_write(path, "w", newline=newline))

    def _macro(self, name: str):
        if self._preview_module is None:  # once: get_template checks the file on disk at every call
            self._preview_module = self.preview_env.get_template("preview.html.j2").module
        return getattr(self._preview_module, name)

    def add(self, listings: list[dict], lines: list[str] | None = None) -> None:
        """Listings in order; ``lines``: each as JSON, if the caller has them already."""
        for i, listing in enumerate(listings):
            self.jsonl.write((lines[i] if lines else json.dumps(listing, ensure_ascii=False)) + "\n")
            if listing["violations"] or listing["repairs"]:
                self.validation.writerow({
                    "sku": neutralise(listing["sku"]), "market": listing["market"], "locale": listing["locale"],
                    "channel": listing["channel"], "status": "failed" if listing["violations"] else "repaired",
                    "violations": neutralise(" | ".join(listing["violations"])),
                    "repairs": neutralise(" | ".join(listing["repairs"]))})
            channel = listing["channel"]
            if channel == "shopify":
                self._shopify(listing)
            elif channel == "amazon":
                self._amazon(listing)
            elif channel == "google":
                self._google(listing)
        by_locale: dict[str, list[dict]] = {}
        for listing in listings:
            by_locale.setdefault(listing["locale"], []).append(listing)
        for locale, cards in by_locale.items():
            self._preview(locale, cards)

    def _preview(self, locale: str, listings: list[dict]) -> None:
        key = ("preview", locale)
        if key not in self.handles:
            fh = self._open(self.out / "preview" / f"{locale}.html")
            fh.write(str(self._macro("head")(locale=locale)))
            self.handles[key] = fh
        self.handles[key].write(str(self._macro("cards")(listings)))

    def _shopify(self, listing: dict) -> None:
        key = ("shopify", listing["locale"])
        if key not in self.handles:
            writer = csv.DictWriter(self._open(self.out / "shopify" / f"products_{listing['locale']}.csv", newline=""),
                                    SHOPIFY_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            self.handles[key] = writer
        for row in shopify_rows(listing):
            self.handles[key].writerow({k: neutralise(v) for k, v in row.items()})

    def _amazon(self, listing: dict) -> None:
        market = listing["market"]
        n = self.amazon_counts.get(market, 0)
        if n % AMAZON_MAX_MESSAGES == 0:
            if n:
                self._close_amazon(market)
            part = n // AMAZON_MAX_MESSAGES + 1
            fh = self._open(self.out / "amazon" / f"listings_{market}_{part:03d}.json")
            header = {"sellerId": self.seller_id, "version": "2.0", "issueLocale": listing["locale"].replace("-", "_")}
            fh.write('{"header": ' + json.dumps(header) + ', "messages": [\n')
            self.handles[("amazon", market)] = fh
        fh = self.handles[("amazon", market)]
        fh.write((",\n" if n % AMAZON_MAX_MESSAGES else "")
                 + json.dumps(amazon_message(listing, n % AMAZON_MAX_MESSAGES + 1), ensure_ascii=False))
        self.amazon_counts[market] = n + 1

    def _close_amazon(self, market: str) -> None:
        fh = self.handles.pop(("amazon", market), None)
        if fh is not None:
            fh.write("\n]}\n")

    def _close_amazon_all(self) -> None:
        for market in list(self.amazon_counts):
            self._close_amazon(market)

    def _google(self, listing: dict) -> None:
        key = ("google", listing["market"])
        if key not in self.handles:
            writer = csv.DictWriter(self._open(self.out / "google" / f"products_{listing['market']}.tsv", newline=""),
                                    GOOGLE_COLUMNS, delimiter="\t", extrasaction="ignore")
            writer.writeheader()
            self.handles[key] = writer
        h = handle(listing["title"], listing["sku"])
        images = _images(listing)
        row = {
            "id": listing["sku"], "title": listing["title"],
            "description": listing["description"].replace("\t", " ").replace("\n", " "),
            "link": f"{self.base_url}/products/{h}" if self.base_url else "",
            "image_link": images[0] if images else "", "availability": "in_stock",
            "price": "" if listing.get("price") is None else f"{listing['price']:.2f} {listing['currency']}",
            "brand": listing.get("brand") or "", "condition": "new", "identifier_exists": "no",
            "google_product_category": listing.get("google_product_category", ""),
            "content_language": listing["locale"].split("-")[0], "target_country": listing["market"],
        }
        self.handles[key].writerow({k: neutralise(v) for k, v in row.items()})
