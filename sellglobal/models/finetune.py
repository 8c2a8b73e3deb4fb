"""Fine-tune a sentence-transformers encoder on (search term, product) pairs from the sales history.

Pairs: every keyword that select matched to a product which sold well (grade 2 or 3) in that market. The product
side is its English title, else the English gloss of its Chinese title, else the title: the packaged base model
(all-MiniLM-L6-v2) reads English only. MultipleNegativesRankingLoss uses the other pairs of a batch as negatives,
so no labelled negatives are needed; on 2 CPU cores a few thousand pairs take a few minutes an epoch.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import pandas as pd

from ..errors import EncoderError
from .encoders import MINILM
from .gloss import Glosser, has_cjk, strip_noise


def training_pairs(table: pd.DataFrame, catalogue: pd.DataFrame, *, min_grade: float = 2.0) -> list[tuple[str, str]]:
    """(keyword, product text) pairs from a training table (see :func:`~sellglobal.models.training.training_table`)."""
    glosser = Glosser()
    by_sku = catalogue.set_index("sku")
    pairs = []
    for _, row in table[table["grade"] >= min_grade].iterrows():
        item = by_sku.loc[row["sku"]]
        title = strip_noise(str(item["title"]))
        text = str(item.get("title_en") or "").strip() or (glosser.gloss(title) if has_cjk(title) else title)
        for kw in str(row.get("keywords") or "").split(" | "):
            if kw.strip():
                pairs.append((kw.strip(), text))
    return list(dict.fromkeys(pairs))


def fine_tune(pairs: list[tuple[str, str]], output: str | os.PathLike, *, base: str = MINILM, epochs: int = 1,
              batch_size: int = 32, seed: int = 0) -> Path:
    """Train ``base`` on ``pairs`` and save it as a sentence-transformers folder at ``output``."""
    if len(pairs) < 2:
        raise EncoderError(f"--fine-tune-encoder: only {len(pairs)} (keyword, product) pair(s) in the history's "
                           "well-selling products; at least 2 are needed")
    try:
        import torch
        from sentence_transformers import InputExample
        from torch.utils.data import DataLoader
        try:  # sentence-transformers 6 moved the losses; 3 to 5 have them here
            from sentence_transformers.sentence_transformer import losses
        except ImportError:
            from sentence_transformers import losses
    except ImportError:
        raise EncoderError("--fine-tune-encoder needs sentence-transformers: pip install 'sellglobal[st]' "
                           "-c constraints.txt") from None
    from .encoders import SentenceTransformerEncoder

    random.seed(seed)
    torch.manual_seed(seed)
    model = SentenceTransformerEncoder(base)._load()
    examples = [InputExample(texts=[q, p]) for q, p in pairs]
    loader = DataLoader(examples, shuffle=True, batch_size=min(batch_size, len(examples)))
    model.fit(train_objectives=[(loader, losses.MultipleNegativesRankingLoss(model))], epochs=epochs,
              warmup_steps=max(1, len(loader) // 10), show_progress_bar=False)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    return out
