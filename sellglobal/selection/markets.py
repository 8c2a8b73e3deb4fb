"""Markets sellglobal knows: language, locale, currency and Amazon domain per ISO 3166-1 alpha-2 code."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..errors import ConfigError


@dataclass(frozen=True)
class Market:
    code: str
    language: str
    locale: str
    currency: str
    amazon_domain: str | None


MARKETS: dict[str, Market] = {m.code: m for m in [
    Market("US", "en", "en-US", "USD", "amazon.com"),
    Market("CA", "en", "en-CA", "CAD", "amazon.ca"),
    Market("MX", "es", "es-MX", "MXN", "amazon.com.mx"),
    Market("BR", "pt", "pt-BR", "BRL", "amazon.com.br"),
    Market("GB", "en", "en-GB", "GBP", "amazon.co.uk"),
    Market("IE", "en", "en-IE", "EUR", "amazon.ie"),
    Market("DE", "de", "de-DE", "EUR", "amazon.de"),
    Market("AT", "de", "de-AT", "EUR", None),
    Market("CH", "de", "de-CH", "CHF", None),
    Market("FR", "fr", "fr-FR", "EUR", "amazon.fr"),
    Market("BE", "fr", "fr-BE", "EUR", "amazon.com.be"),
    Market("ES", "es", "es-ES", "EUR", "amazon.es"),
    Market("IT", "it", "it-IT", "EUR", "amazon.it"),
    Market("NL", "nl", "nl-NL", "EUR", "amazon.nl"),
    Market("PL", "pl", "pl-PL", "PLN", "amazon.pl"),
    Market("SE", "sv", "sv-SE", "SEK", "amazon.se"),
    Market("TR", "tr", "tr-TR", "TRY", "amazon.com.tr"),
    Market("JP", "ja", "ja-JP", "JPY", "amazon.co.jp"),
    Market("KR", "ko", "ko-KR", "KRW", None),
    Market("AU", "en", "en-AU", "AUD", "amazon.com.au"),
    Market("SG", "en", "en-SG", "SGD", "amazon.sg"),
    Market("AE", "ar", "ar-AE", "AED", "amazon.ae"),
    Market("SA", "ar", "ar-SA", "SAR", "amazon.sa"),
    Market("IN", "en", "en-IN", "INR", "amazon.in"),
    Market("TH", "th", "th-TH", "THB", None),
    Market("RU", "ru", "ru-RU", "RUB", None),
]}
ALIASES = {"UK": "GB"}


def market(code: str, *, source: str = "market") -> Market:
    """Look up a market by ISO code (``uk`` is accepted for GB); ConfigError names the known codes."""
    key = str(code).strip().upper()
    key = ALIASES.get(key, key)
    if key not in MARKETS:
        raise ConfigError(f"{source}: unknown market {code!r}; use an ISO 3166-1 alpha-2 code, one of "
                          f"{', '.join(sorted(MARKETS))}")
    return MARKETS[key]


def parse_markets(text: str | list[str] | None) -> list[str] | None:
    """``"us,de, jp"`` -> ``["US", "DE", "JP"]``; None stays None."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    return [market(item, source="--markets").code for item in items if str(item).strip()]


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for lang in ("en", "de", "fr", "es", "ja", "zh"):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(name.lower(), code)
    names.update({"usa": "US", "uk": "GB", "united states of america": "US", "great britain": "GB",
                  "worldwide": "", "全球": ""})
    return names


def country_code(name: str) -> str | None:
    """ISO code for a country name in English, German, French, Spanish, Japanese or Chinese (babel's CLDR data)."""
    key = name.strip().lower()
    if len(key) == 2 and key.upper() in MARKETS:
        return key.upper()
    return _country_names().get(key) or None


def market_from_domain(text: str) -> str | None:
    """The market whose Amazon domain appears in ``text`` (``Amazon.de`` -> ``DE``), longest domain first."""
    low = text.lower()
    for m in sorted(MARKETS.values(), key=lambda m: -len(m.amazon_domain or "")):
        if m.amazon_domain and m.amazon_domain in low:
            return m.code
    return None
