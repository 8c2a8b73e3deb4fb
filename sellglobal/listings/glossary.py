"""Per-locale listing glossaries: words and fixed phrases, shipped as TOML in sellglobal/data/glossary/.

A user glossary (``--glossary FILE``) has the same shape, with one table per locale
(``[de-DE.colours]``, ``[de-DE.products]`` ...) and overrides or adds entries.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import ConfigError

LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "it-IT", "ja-JP")
SECTIONS = ("labels", "phrases", "colours", "materials", "features", "products")


@dataclass
class Glossary:
    """Words and phrases of one locale. ``say(key, **facts)`` fills a fixed phrase."""

    locale: str
    language: str
    units: str
    labels: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=dict)
    materials: dict[str, str] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)

    def say(self, key: str, **values) -> str:
        if key not in self.phrases:
            raise ConfigError(f"glossary {self.locale}: no phrase {key!r}; known: {', '.join(sorted(self.phrases))}")
        return self.phrases[key].format(**values)

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    def find(self, section: str, text: str) -> str | None:
        """The entry of ``section`` whose key occurs in ``text`` (longest key first), e.g. a colour in a title."""
        table = getattr(self, section)
        for key in sorted(table, key=len, reverse=True):
            if key and key.casefold() in (text or "").casefold():
                return table[key]
        return None


    def find_all(self, section: str, text: str) -> list[str]:
        """Every entry of ``section`` found in ``text``, longest key first, each span used once (全自动 is not also
        自动), in the order they appear."""
        table, text, found = getattr(self, section), text or "", []
        for key in sorted(table, key=len, reverse=True):
            pos = text.find(key)
            if key and pos >= 0:
                found.append((pos, table[key]))
                text = text[:pos] + "\0" * len(key) + text[pos + len(key):]
        return list(dict.fromkeys(v for _, v in sorted(found)))


def _load_toml(path, name: str) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML ({exc}); fix the line it names") from None


@lru_cache(maxsize=None)
def _shipped(locale: str) -> dict:
    path = resources.files("sellglobal") / "data" / "glossary" / f"{locale}.toml"
    if not path.is_file():
        raise ConfigError(f"no glossary for locale {locale!r}; sellglobal ships {', '.join(LOCALES)}")
    return _load_toml(path, f"glossary {locale}")


def load_glossary(locale: str, user_file: str | Path | None = None) -> Glossary:
    """The shipped glossary of ``locale``, extended by the user's file if given."""
    data = _shipped(locale)
    gloss = Glossary(locale=locale, language=data["language"], units=data.get("units", "metric"),
                     **{s: dict(data.get(s, {})) for s in SECTIONS})
    if user_file:
        user = _load_toml(Path(user_file), str(user_file))
        unknown = [k for k in user if k not in LOCALES and not re.fullmatch(r"[a-z]{2}-[A-Z]{2}", k)]
        if unknown:
            raise ConfigError(f"{user_file}: top-level tables must be locales such as [de-DE.colours]; got "
                              f"{', '.join(unknown)}")
        for section, entries in user.get(locale, {}).items():
            if section not in SECTIONS:
                raise ConfigError(f"{user_file}: [{locale}.{section}] is not a glossary section; use one of "
                                  f"{', '.join(SECTIONS)}")
            getattr(gloss, section).update({str(k): str(v) for k, v in entries.items()})
    return gloss
