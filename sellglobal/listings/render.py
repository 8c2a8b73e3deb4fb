"""Write one listing: facts from the catalogue, words from the market's matched keywords and the glossary, text from
Jinja templates, then the marketplace's rules with safe repairs."""
from __future__ import annotations

import math
import re
import traceback
from dataclasses import dataclass, field, fields
from enum import Enum
from functools import lru_cache
from pathlib import Path

import jinja2
from babel import Locale
from babel.numbers import format_currency, format_decimal
from babel.units import format_unit
from jinja2.sandbox import SandboxedEnvironment

from ..errors import TemplateError
from .glossary import Glossary
from ..models.gloss import has_cjk, has_unspaced_script
from ..models.language import confidence, detect, reads_as_english
from .rules import RuleSet, facts, fit_title, pack_bytes, remove_repeats, rule_set, strip_promo, validate


class Channel(str, Enum):
    AMAZON = "amazon"
    SHOPIFY = "shopify"
    EBAY = "ebay"
    TIKTOK = "tiktok"
    GOOGLE = "google"
    ETSY = "etsy"


KINDS = ("title", "bullets", "description", "video")
_KANA_RE = re.compile(r"[\u3040-\u30ff]")
# A quantity with its unit in a Chinese or English title: 5L, 500ml, 6mm, 20寸, 1200W, 10000mAh
_QTY_RE = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s*(毫升|ml|mL|ML|升|L|毫米|mm|厘米|cm|英寸|寸|inch|W|瓦|V|伏|mAh|毫安)"
                     r"(?![A-Za-z])")
_COUNT_RE = re.compile(r"(\d+)\s*(?:件套|件装|个装|只装|片装|支装|pcs|PCS|件|个|只|片|支)")
_ATTR_SPLIT_RE = re.compile(r"[;；,，|\n]+")
_ATTR_KEYS = {"colour": ("颜色", "颜色分类", "color", "colour"), "material": ("材质", "材料", "面料", "material"),
              "model": ("型号", "model", "model number")}


@dataclass
class Item:
    """What a template sees of one product in one locale and channel. Every string is plain data: a catalogue title
    such as ``{{ 7*7 }}`` is printed as written, never evaluated."""

    sku: str
    brand: str
    product: str
    keywords: list[str]
    secondary: str
    colour: str | None
    material: str | None
    features: list[str]
    model: str | None
    size: str | None
    weight: str | None
    facts: list[str]
    count: int
    price: str | None
    locale: str
    language: str
    channel: str


@dataclass
class Listing:
    """One listing as written to listings.jsonl."""

    sku: str
    market: str
    locale: str
    channel: str
    title: str
    bullets: list[str]
    description: str
    search_terms: str
    tags: list[str]
    video_script: dict
    violations: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    product: str = ""
    brand: str = ""
    price: float | None = None
    currency: str | None = None
    image_url: str = ""
    weight_kg: float | None = None
    colour: str | None = None

    def to_dict(self) -> dict:
        # shallow: dataclasses.asdict deep-copies every list and dict, a tenth of a run's time
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --- facts ------------------------------------------------------------------------------------------------------

# Babel parses the locale and the pattern at every call, and formats through Decimal: a few hundred microseconds a
# number. A catalogue repeats its sizes, weights and prices, so each distinct (value, locale) is formatted once.
@lru_cache(maxsize=None)
def _babel(locale: str) -> Locale:
    return Locale.parse(locale.replace("-", "_"))


@lru_cache(maxsize=1 << 16)
def _num(value: float, locale: str, digits: int = 1) -> str:
    return _plain(format_decimal(round(value, digits), format="#,##0." + "#" * digits, locale=_babel(locale)))


@lru_cache(maxsize=1 << 16)
def _money(price: float, currency: str, locale: str) -> str:
    return format_currency(price, currency, locale=_babel(locale))


def _plain(text: str) -> str:
    # CLDR puts no-break spaces between number and unit (and in French thousands); marketplaces count and search
    # plain text, so listings use ordinary spaces
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@lru_cache(maxsize=1 << 16)
def _unit(value: float, unit: str, locale: str) -> str:
    return _plain(format_unit(value, unit, "short", locale=_babel(locale)))


def quantities(title: str, glossary: Glossary) -> list[str]:
    """Quantities in a title (5L, 500ml, 6mm, 20寸, 1200W), written for the locale; US units for imperial markets."""
    loc, imperial, out = glossary.locale, glossary.units == "imperial", []
    for value, unit in _QTY_RE.findall(title or ""):
        v = float(value)
        if unit in ("毫升", "ml", "mL", "ML"):
            out.append(f"{_num(v / 29.5735, loc)} fl oz" if imperial else _unit(v, "volume-milliliter", loc))
        elif unit in ("升", "L"):
            out.append(f"{_num(v * 1.05669, loc)} qt" if imperial else _unit(v, "volume-liter", loc))
        elif unit in ("毫米", "mm"):
            out.append(f"{_num(v / 25.4, loc, 2)} in" if imperial else f"{_num(v, loc)} mm")
        elif unit in ("厘米", "cm"):
            out.append(f"{_num(v / 2.54, loc)} in" if imperial else f"{_num(v, loc)} cm")
        elif unit in ("英寸", "寸", "inch"):
            out.append(f"{_num(v, loc)} {glossary.label('inch')}")
        elif unit in ("W", "瓦"):
            out.append(f"{_num(v, loc)} W")
        elif unit in ("V", "伏"):
            out.append(f"{_num(v, loc)} V")
        else:
            out.append(f"{_num(v, loc, 0)} mAh")
    return list(dict.fromkeys(out))


def dimensions(length: float, width: float, height: float, glossary: Glossary) -> str | None:
    dims = [d for d in (length, width, height) if d is not None and not math.isnan(d)]
    if not dims:
        return None
    if glossary.units == "imperial":
        return " × ".join(_num(d / 2.54, glossary.locale) for d in dims) + " in"
    return " × ".join(_num(d, glossary.locale) for d in dims) + " cm"


def weight(kg: float | None, glossary: Glossary) -> str | None:
    if kg is None or math.isnan(kg):
        return None
    if glossary.units == "imperial":
        lb = kg * 2.20462
        return _unit(round(lb * 16, 1), "mass-ounce", glossary.locale) if lb < 1 else \
            _unit(round(lb, 1), "mass-pound", glossary.locale)
    if kg < 1:
        return _unit(round(kg * 1000), "mass-gram", glossary.locale)
    return _unit(round(kg, 2), "mass-kilogram", glossary.locale)


def attributes(text: str) -> dict[str, str]:
    """``颜色:黑色; 材质:不锈钢`` -> {"colour": "黑色", "material": "不锈钢"} (Chinese or English keys)."""
    out = {}
    for part in _ATTR_SPLIT_RE.split(text or ""):
        key, sep, value = part.replace("：", ":").replace("=", ":").partition(":")
        if not sep:
            continue
        key = key.strip().casefold()
        for name, aliases in _ATTR_KEYS.items():
            if key in aliases:
                out[name] = value.strip()
    return out


def _foreign(text: str, language: str) -> bool:
    """Text that may not appear in a listing of ``language``: Chinese characters (outside Japanese), or English."""
    if language != "ja" and has_cjk(text):
        return True
    if language == "ja" and has_cjk(text) and not _KANA_RE.search(text) and len(text) > 6:
        return True  # a long all-kanji string is more likely Chinese than Japanese
    return reads_as_english(text, language)


def market_keywords(keywords: list[str], language: str) -> list[str]:
    """The matched keywords that are usable in a listing of ``language``, best first, without duplicates."""
    seen, out = set(), []
    for k in keywords:
        k = k.strip()
        if k and k.casefold() not in seen and not _foreign(k, language):
            seen.add(k.casefold())
            out.append(k)
    return out


def headline(text: str) -> str:
    """Capitalise the first letter of each word, leaving the rest alone ("TPE", "iPhone" survive)."""
    return " ".join(w[:1].upper() + w[1:] for w in str(text or "").split(" "))


def product_name(keyword: str, language: str) -> str:
    """A search term written as a product name: Title Case in English, first letter capital elsewhere."""
    if language == "en":
        small = {"a", "an", "and", "for", "of", "the", "with", "in", "on", "to"}
        words = keyword.split()
        return " ".join(w if (w.isupper() or any(c.isdigit() for c in w)) else
                        (w if i and w in small else w[:1].upper() + w[1:]) for i, w in enumerate(words))
    return keyword[:1].upper() + keyword[1:]


def secondary_words(product: str, keyword: str) -> str:
    """The words of a second search term that the product name lacks: "Sportleggings" from "Sportleggings Damen"
    next to "Leggings Damen" (for scripts without spaces, the whole term unless the name contains it)."""
    if not keyword:
        return ""
    if has_unspaced_script(keyword):
        return "" if keyword in product else keyword
    have = {w.casefold() for w in product.split()}
    # short function words ("de", "für", "à") make no sense on their own
    return " ".join(w for w in keyword.split() if w.casefold() not in have and (len(w) > 3 or any(c.isdigit() for c in w)))


def _said(phrase: str, said: str) -> bool:
    """True if the name or keywords already say a word of ``phrase`` ("Vollautomatisch" next to "Taschenschirm
    automatisch", "Extra thick" next to "thick yoga mat"): words compared by their first five letters."""
    if phrase.casefold() in said.split():
        return True
    stems = {w[:5] for w in re.findall(r"\w{4,}", said.casefold())}
    words = re.findall(r"\w{4,}", phrase.casefold())
    return any(any(st in w or w[:5] in st for st in stems) for w in words)


def build_item(product: dict, keywords: list[str], *, glossary: Glossary, channel: str, price: float | None = None,
               currency: str | None = None) -> tuple[Item | None, str | None]:
    """The template context of one product, or (None, reason) when no product name exists in the locale's language."""
    lang = glossary.language
    kws = market_keywords(keywords, lang)
    title = str(product.get("title") or "")
    name = None
    if kws:
        # lead with the best term that reads as the locale's language ("cortinas opacas" before "cortinas blackout")
        lead = next((k for k in kws if detect(k) == lang), kws[0])
        kws = [lead] + [k for k in kws if k != lead]
        name = product_name(lead, lang)
    elif lang == "en" and (english := next((str(t).strip() for t in (product.get("title_en"), title)
                                            if t and not has_cjk(str(t)) and detect(str(t)) == "en"), None)):
        name = english  # an English title from the catalogue itself
        kws = [name.lower()]
    elif (hit := glossary.find("products", title)) is not None:
        name = hit
        kws = [hit]
    elif keywords:
        # Last resort: a matched term made of words both languages use ("blender portable" in France), if the
        # detector is not sure it is English. The listing's own language check still reports a leak.
        best = min(keywords, key=lambda k: confidence(k, "en"))
        if not has_cjk(best) and confidence(best, "en") < 0.4:
            name, kws = product_name(best, lang), [best]
    if not name:
        return None, (f"no product name in {glossary.locale}: none of its matched keywords is in "
                      f"{lang}; add demand for this market or a [{glossary.locale}.products] entry to your glossary")
    attrs = attributes(str(product.get("attributes") or ""))
    colour = glossary.colours.get(attrs.get("colour", ""), None) or glossary.find("colours", title)
    material = glossary.materials.get(attrs.get("material", ""), None) or glossary.find("materials", title)
    model = attrs.get("model")
    if model and has_cjk(model):
        model = None
    brand = str(product.get("brand") or "").strip()
    if has_cjk(brand):
        brand = ""  # a Chinese brand name cannot go into a foreign listing as is
    count_match = _COUNT_RE.search(title)
    said = " ".join(kws[:2] + [material or ""]).casefold()
    money = None
    if price is not None and not math.isnan(price) and currency:
        money = _money(price, currency, glossary.locale)
    return Item(sku=str(product["sku"]), brand=brand, product=name, keywords=kws,
                secondary=secondary_words(name, kws[1] if len(kws) > 1 else ""), colour=colour, material=material,
                features=[f for f in glossary.find_all("features", title) if not _said(f, said)],
                model=model, size=dimensions(product.get("length_cm"), product.get("width_cm"),
                                             product.get("height_cm"), glossary),
                weight=weight(product.get("weight_kg"), glossary), facts=quantities(title, glossary),
                count=int(count_match.group(1)) if count_match else 1, price=money, locale=glossary.locale,
                language=lang, channel=channel), None


# --- templates ----------------------------------------------------------------------------------------------------

class Templates:
    """Shipped templates, overridden by name by an agency's folder, rendered in a sandbox with StrictUndefined.

    Lookup for (channel, kind, locale), first found wins, each name tried in the user's folder first:
    ``{channel}/{kind}.{locale}.j2``, ``{channel}/{kind}.{language}.j2``, ``{channel}/{kind}.j2``, then the same
    under ``default/``.
    """

    def __init__(self, user_dir: str | Path | None = None):
        loaders: list[jinja2.BaseLoader] = []
        if user_dir:
            loaders.append(jinja2.FileSystemLoader(str(user_dir)))
        loaders.append(jinja2.PackageLoader("sellglobal", "templates"))
        self.env = SandboxedEnvironment(loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
                                        autoescape=False, trim_blocks=True, lstrip_blocks=True)
        self.env.filters["headline"] = headline
        self._cache: dict[tuple[str, str, str], jinja2.Template] = {}

    def names(self, channel: str, kind: str, locale: str) -> list[str]:
        lang = locale.split("-")[0]
        return [f"{d}/{kind}{suffix}.j2" for d in (channel, "default") for suffix in (f".{locale}", f".{lang}", "")]

    def get(self, channel: str, kind: str, locale: str) -> jinja2.Template:
        key = (channel, kind, locale)
        if key not in self._cache:
            try:
                self._cache[key] = self.env.select_template(self.names(channel, kind, locale))
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(f"{exc.filename or exc.name} line {exc.lineno}: {exc.message}") from None
            except jinja2.TemplatesNotFound as exc:
                raise TemplateError(f"no template for {channel} {kind} {locale}: tried {', '.join(exc.names)}") \
                    from None
        return self._cache[key]

    def render(self, channel: str, kind: str, item: Item, glossary: Glossary) -> str:
        template = self.get(channel, kind, item.locale)
        try:
            return template.render(item=item, g=glossary)
        except Exception as exc:  # noqa: BLE001 - every template failure becomes one clear line
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
            where = f"{frames[-1].filename} line {frames[-1].lineno}" if frames else (template.filename or
                                                                                      template.name)
            raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None


# --- one listing --------------------------------------------------------------------------------------------------

VIDEO_SECONDS = {"hook": 3, "shot": 4, "cta": 3}


def parse_video(text: str) -> dict:
    """Video template output -> script. Lines: ``hook: ...``, ``shot: ON-SCREEN // VOICE-OVER``, ``cta: ...``."""
    script: dict = {"hook": "", "shots": [], "cta": "", "seconds": 0}
    for line in text.splitlines():
        kind, sep, rest = line.strip().partition(":")
        if not sep or kind not in ("hook", "shot", "cta"):
            continue
        rest = rest.strip()
        if kind == "shot":
            on_screen, _, voice = rest.partition("//")
            script["shots"].append({"seconds": VIDEO_SECONDS["shot"], "on_screen": on_screen.strip(),
                                    "voice_over": voice.strip()})
        else:
            script[kind] = rest
    script["seconds"] = VIDEO_SECONDS["hook"] + VIDEO_SECONDS["cta"] + VIDEO_SECONDS["shot"] * len(script["shots"])
    return script


def _video_problems(script: dict) -> list[str]:
    problems = []
    if not script["hook"] or not script["cta"]:
        problems.append("video_script needs a hook and a call to action")
    if not 3 <= len(script["shots"]) <= 5:
        problems.append(f"video_script has {len(script['shots'])} shots, 3 to 5 expected")
    if not 15 <= script["seconds"] <= 30:
        problems.append(f"video_script runs {script['seconds']} s, 15 to 30 s expected")
    return problems


def _agree_language(segments: list[str], language: str, repairs: list[str], keep: set[str],
                    found: str | None) -> list[str]:
    """If the title as a whole reads as another language (``found``: a loanword such as "blackout" tipping a short
    Spanish title to English), drop the one segment whose removal fixes that: never the brand, the product name or a
    fact."""
    if found in (language, None):
        return segments
    for i in range(len(segments) - 1, -1, -1):
        if facts(segments[i]) or segments[i] in keep:
            continue
        trial = segments[:i] + segments[i + 1:]
        if detect(" ".join(trial)) == language:
            repairs.append(f"title: dropped {segments[i]!r}, which made it read as another language")
            return trial
    return segments


@dataclass
class TitleDraft:
    """A title as its template wrote it (``raw``) and its segments once the channel's forbidden characters and
    promotional claims are out; ``language``: what the segments read as (:func:`detect` of them joined)."""
    raw: str
    segments: list[str]
    language: str | None = None


def draft_title(item: Item, *, glossary: Glossary, templates: Templates, rules: RuleSet) -> TitleDraft:
    """The title template's segments, before the language check, fitting and repeats (see :func:`write_listing`)."""
    segments = [s.strip() for s in templates.render(item.channel, "title", item, glossary).splitlines()
                if s.strip()]
    raw_title = " ".join(segments)
    forbidden = rules.value("title", "forbidden_chars") or ""
    if forbidden:
        segments = [re.sub(r"\s{2,}", " ", "".join(" " if c in forbidden else c for c in s)).strip() for s in segments]
    if rules.value("title", "no_promo"):
        segments = [strip_promo(s) for s in segments]
    return TitleDraft(raw_title, segments)


def write_listing(item: Item, *, market: str, glossary: Glossary, templates: Templates, rules: RuleSet,
                  draft: TitleDraft | None = None) -> Listing:
    """Render every part of one listing, apply the safe repairs, and record what still breaks a rule.

    ``draft``: the title from :func:`draft_title` with its language detected (a batch of listings detects all its
    titles at once); drafted and detected here when not given."""
    channel, lang, repairs = item.channel, glossary.language, []
    if draft is None:
        draft = draft_title(item, glossary=glossary, templates=templates, rules=rules)
        draft.language = detect(" ".join(draft.segments))
    limit = rules.value("title", "max_chars")
    raw_title = draft.raw
    segments = _agree_language(draft.segments, lang, repairs, keep={item.product, item.brand}, found=draft.language)
    title = fit_title(segments, limit)
    repeats = rules.value("title", "max_word_repeats")
    if repeats:
        title = remove_repeats(title, repeats)
    if title != raw_title:
        repairs.append(f"title: {len(raw_title)} -> {len(title)} characters")
    lost = facts(raw_title) - facts(title)

    bullets = [b.strip() for b in templates.render(channel, "bullets", item, glossary).splitlines() if b.strip()]
    if rules.value("bullets", "no_promo"):
        bullets = [strip_promo(b) for b in bullets]
    want = rules.value("bullets", "max_items")
    if want and len(bullets) > want:
        repairs.append(f"bullets: kept the first {want} of {len(bullets)}")
        bullets = bullets[:want]
    description = templates.render(channel, "description", item, glossary).strip()
    desc_limit = rules.value("description", "max_chars")
    if desc_limit and len(description) > desc_limit:
        description = fit_title(description.split(" "), desc_limit)
        repairs.append(f"description: cut to {desc_limit} characters at a word boundary")
    search_bytes = rules.value("search_terms", "max_bytes")
    search_terms = pack_bytes(item.keywords[1:] + item.keywords[:1], search_bytes, exclude=title) \
        if search_bytes else ""
    tag_limit, tag_chars = rules.value("tags", "max_items"), rules.value("tags", "item_max_chars")
    tags = [k for k in item.keywords if not tag_chars or len(k) <= tag_chars][: tag_limit or 13]
    video = parse_video(templates.render(channel, "video", item, glossary))

    listing = Listing(sku=item.sku, market=market, locale=item.locale, channel=channel, title=title, bullets=bullets,
                      description=description, search_terms=search_terms, tags=tags, video_script=video,
                      repairs=repairs, product=item.product, brand=item.brand, colour=item.colour)
    fields = {"title": title, "bullets": bullets, "description": description, "search_terms": search_terms,
              "tags": tags}
    listing.violations = validate(fields, rules, language=lang) + _video_problems(video)
    listing.warnings = validate(fields, rules, language=lang, severity="warning")
    if lost:
        listing.violations.append(f"title: cannot fit {limit} characters without dropping {', '.join(sorted(lost))}")
    return listing


def channel_rules(channel: str, rules_override: str | None = None) -> RuleSet:
    """The rule set of a channel (``amazon`` may be replaced by ``amazon-2026``)."""
    return rule_set(rules_override if rules_override and rules_override.split("-")[0] == channel else channel)
