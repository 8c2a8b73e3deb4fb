"""Which language is a text in? lingua-language-detector, restricted to the languages sellglobal writes."""
from __future__ import annotations

from functools import lru_cache

_CODES = {"en": "ENGLISH", "de": "GERMAN", "fr": "FRENCH", "es": "SPANISH", "it": "ITALIAN", "ja": "JAPANESE",
          "zh": "CHINESE", "pt": "PORTUGUESE", "nl": "DUTCH"}


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in _CODES.values())).build()


def detect(text: str) -> str | None:
    """ISO 639-1 code of the most likely language of ``text``, or None when it cannot tell."""
    found = _detector().detect_language_of(text or "")
    if found is None:
        return None
    return next(code for code, name in _CODES.items() if name == found.name)


def reads_as_english(text: str, language: str) -> bool:
    """True when ``text``, meant for ``language``, reads as English: the English search term "air fryer" in the
    French market. Short texts are often assigned to a neighbour language (Yogamatte -> Italian); only English
    matters here, because it is the language that leaks into listings."""
    return language != "en" and detect(text) == "en"
