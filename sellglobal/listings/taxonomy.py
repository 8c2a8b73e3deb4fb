"""google_product_category for the Merchant Center feed: the nearest Google taxonomy category, by the encoder.

The taxonomy ships in en-US, de-DE and ja-JP with shared IDs (sellglobal/data/google_taxonomy). A product is
scored against each category twice and the scores added: its English words (English search terms matched to it
in an English-speaking market, the category phrases of its Chinese title, its English title) against the English
names, weighted double, and its product name in the listing's language against the
names in that language where the taxonomy has them (English otherwise; the encoder is multilingual).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from ..models.encoders import Encoder

SHIPPED = ("en-US", "de-DE", "ja-JP")


@lru_cache(maxsize=None)
def google_taxonomy(locale: str = "en-US") -> tuple[list[str], list[str]]:
    """(ids, paths) of the shipped Google product taxonomy in ``locale``."""
    ids, paths = [], []
    path = resources.files("sellglobal") / "data" / "google_taxonomy" / f"taxonomy-with-ids.{locale}.txt"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or " - " not in line:
                continue
            gid, _, cat = line.rstrip("\n").partition(" - ")
            ids.append(gid.strip())
            paths.append(cat.strip())
    return ids, paths


def _leaf(path: str) -> str:
    # the last two levels carry the product word ("Kitchen Appliances > Deep Fryers")
    return " > ".join(path.split(" > ")[-2:])


class GoogleCategories:
    """Match products to Google taxonomy categories; returns (id, English path) of the best one."""

    def __init__(self, encoder: Encoder):
        self.encoder = encoder
        self.ids, self.paths = google_taxonomy("en-US")
        self._targets: dict[str, np.ndarray] = {}

    def targets(self, locale: str) -> np.ndarray:
        """Category vectors in ``locale``, aligned to the English ids (English names where a locale lacks one)."""
        locale = locale if locale in SHIPPED else "en-US"
        if locale not in self._targets:
            local = dict(zip(*google_taxonomy(locale)))
            names = [_leaf(local.get(gid, path)) for gid, path in zip(self.ids, self.paths)]
            self._targets[locale] = self.encoder.encode(names)
        return self._targets[locale]

    def match(self, products: list[tuple[str, list[str], str]]) -> list[tuple[str, str]]:
        """``products``: (name in the listing's language, English texts, locale) each."""
        out = []
        for name, english, locale in products:
            score = self.targets(locale) @ self.encoder.encode([name])[0] if name else 0.0
            if english:
                vec = self.encoder.encode(english).mean(axis=0)
                # English words are the more reliable evidence: the encoder's English is its strongest language
                score = score + 2.0 * (self.targets("en-US") @ (vec / (np.linalg.norm(vec) or 1.0)))
            best = int(np.argmax(score))
            out.append((self.ids[best], self.paths[best]))
        return out
