"""Marketplace rules as data (sellglobal/data/rules.toml): validate each listing, make the safe repairs."""
from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import ConfigError
from ..models.gloss import has_cjk

_FACT_RE = re.compile(r"\d+(?:[.,]\d+)*\s*(?:%|[A-Za-z\"']{0,4})|\b[A-Z]{1,4}-?\d{2,}[A-Z0-9-]*\b")


@dataclass(frozen=True)
class Rule:
    field: str
    kind: str
    value: object = None
    severity: str = "error"


@dataclass(frozen=True)
class RuleSet:
    name: str
    source: str
    checked: str
    rules: tuple[Rule, ...]

    def value(self, field: str, kind: str, default=None):
        for r in reversed(self.rules):  # later rules (an extending set) win
            if r.field == field and r.kind == kind and r.severity == "error":
                return r.value
        return default


@lru_cache(maxsize=1)
def _registry() -> dict:
    with (resources.files("sellglobal") / "data" / "rules.toml").open("rb") as fh:
        return tomllib.load(fh)


def rules_version() -> str:
    return _registry()["version"]


def promo_words() -> list[str]:
    return _registry()["promo"]["words"]


def rule_set(name: str) -> RuleSet:
    """The named rule set (amazon, amazon-2026, ebay, google, tiktok, etsy, shopify), with what it extends."""
    sets = _registry()["sets"]
    if name not in sets:
        raise ConfigError(f"unknown rule set {name!r}; use one of {', '.join(sorted(sets))}")
    spec = sets[name]
    base = rule_set(spec["extends"]).rules if "extends" in spec else ()
    return RuleSet(name=name, source=spec["source"], checked=spec["checked"],
                   rules=base + tuple(Rule(**r) for r in spec["rules"]))


def facts(text: str) -> set[str]:
    """Numbers with their units and model numbers: what a repair must never remove."""
    return {re.sub(r"\s+", " ", m.group(0)).strip() for m in _FACT_RE.finditer(text or "")}


def pack_bytes(terms: list[str], limit: int, *, exclude: str = "") -> str:
    """Greedily pack search terms, best first, into at most ``limit`` UTF-8 bytes, space-separated.

    Words already in ``exclude`` (the title) and repeated words are left out: Amazon indexes each word once.
    """
    seen = {w.casefold() for w in exclude.split()}
    out: list[str] = []
    size = 0
    for term in terms:
        for w in term.split():
            if w.casefold() in seen:
                continue
            extra = len(w.encode("utf-8")) + (1 if out else 0)
            if size + extra <= limit:
                out.append(w)
                seen.add(w.casefold())
                size += extra
    return " ".join(out)


@lru_cache(maxsize=1)
def _promo_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    return tuple((w, re.compile(r"(?<!\w)" + re.escape(w) + r"(?!\w)", re.IGNORECASE)) for w in promo_words())


@lru_cache(maxsize=1)
def _any_promo() -> re.Pattern:
    """Does a text hold any promotional claim? One pass instead of one per claim (most texts hold none)."""
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in promo_words()) + r")(?!\w)", re.IGNORECASE)


def _promo_hits(text: str) -> list[str]:
    low = (text or "").casefold()
    if not _any_promo().search(low):
        return []
    return [w for w, pattern in _promo_patterns() if pattern.search(low)]


def strip_promo(text: str) -> str:
    """``text`` without the promotional claims of the registry (the safe repair for ``no_promo``)."""
    if _any_promo().search(text):
        for _, pattern in _promo_patterns():
            text = pattern.sub("", text)
    return re.sub(r"\s{2,}", " ", text).strip(" ,-|")


def validate(listing: dict, rules: RuleSet, *, language: str, severity: str = "error") -> list[str]:
    """Every rule of ``severity`` the listing breaks, one readable line each (empty when it passes)."""
    problems = []
    for r in rules.rules:
        value = listing.get(r.field)
        if r.severity != severity:
            continue
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        text = " ".join(items)
        if r.kind == "max_chars" and len(text) > r.value:
            problems.append(f"{r.field} has {len(text)} characters, at most {r.value} allowed")
        elif r.kind == "max_bytes" and len(text.encode("utf-8")) > r.value:
            problems.append(f"{r.field} has {len(text.encode('utf-8'))} bytes, at most {r.value} allowed")
        elif r.kind == "forbidden_chars" and (bad := sorted({c for c in text if c in r.value})):
            problems.append(f"{r.field} contains {' '.join(bad)}")
        elif r.kind == "max_word_repeats":
            counts = Counter(w.casefold() for w in re.findall(r"\w+", text) if len(w) > 2 and not w.isdigit())
            over = sorted(w for w, n in counts.items() if n > r.value)
            if over:
                problems.append(f"{r.field} repeats {', '.join(over)} more than {r.value} times")
        elif r.kind == "count" and len(items) != r.value:
            problems.append(f"{r.field} has {len(items)} items, {r.value} expected")
        elif r.kind == "max_items" and len(items) > r.value:
            problems.append(f"{r.field} has {len(items)} items, at most {r.value} allowed")
        elif r.kind == "item_max_chars" and (long := [i for i in items if len(i) > r.value]):
            problems.append(f"{r.field}: {len(long)} item(s) longer than {r.value} characters")
        elif r.kind == "no_cjk" and language not in ("ja", "zh", "ko") and has_cjk(text):
            problems.append(f"{r.field} contains Chinese characters")
        elif r.kind == "no_promo" and (hits := _promo_hits(text)):
            problems.append(f"{r.field} makes promotional claims: {', '.join(hits)}")
    return problems


def fit_title(segments: list[str], limit: int | None, *, separator: str = " ") -> str:
    """Join title segments, dropping the weakest (last) ones that do not fit; a segment holding a fact is dropped
    only if nothing else helps, and the first segment is cut at a word boundary only when it alone is too long."""
    parts = [s.strip() for s in segments if s and s.strip()]
    if limit is None:
        return separator.join(parts)
    while len(separator.join(parts)) > limit and len(parts) > 1:
        droppable = [i for i in range(len(parts) - 1, 0, -1) if not facts(parts[i])] or \
            list(range(len(parts) - 1, 0, -1))
        parts.pop(droppable[0])
    title = separator.join(parts)
    if len(title) > limit:
        cut = title[:limit]
        title = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return title


def remove_repeats(text: str, max_repeats: int) -> str:
    """Drop later occurrences of a word that appears more than ``max_repeats`` times."""
    counts: Counter = Counter()
    out = []
    for token in text.split(" "):
        key = re.sub(r"\W", "", token).casefold()
        counts[key] += 1
        if key and len(key) > 2 and not key.isdigit() and counts[key] > max_repeats:
            continue
        out.append(token)
    return re.sub(r" {2,}", " ", " ".join(out)).strip(" ,-|")
