"""google_product_category for the Merchant Center feed: the nearest Google taxonomy category, by the encoder."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from ..models.encoders import Encoder


@lru_cache(maxsize=1)
def google_taxonomy() -> tuple[list[str], list[str]]:
    """(ids, paths) of the shipped Google product taxonomy (en-US)."""
    ids, paths = [], []
    path = resources.files("sellglobal") / "data" / "google_taxonomy" / "taxonomy-with-ids.en-US.txt"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or " - " not in line:
                continue
            gid, _, cat = line.rstrip("\n").partition(" - ")
            ids.append(gid.strip())
            paths.append(cat.strip())
    return ids, paths


class GoogleCategories:
    """Match product texts to Google taxonomy categories. Only leaf-ish paths are matched against their last two
    levels ("Kitchen Appliances > Deep Fryers"), which carry the product word; the id of the best one is returned."""

    def __init__(self, encoder: Encoder):
        self.encoder = encoder
        self.ids, self.paths = google_taxonomy()
        self._vectors: np.ndarray | None = None

    def _targets(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = self.encoder.encode([" > ".join(p.split(" > ")[-2:]) for p in self.paths])
        return self._vectors

    def match(self, texts: list[str]) -> list[tuple[str, str]]:
        """(id, path) of the best category for each text."""
        if not texts:
            return []
        sims = self.encoder.encode(texts) @ self._targets().T
        best = sims.argmax(axis=1)
        return [(self.ids[i], self.paths[i]) for i in best]
