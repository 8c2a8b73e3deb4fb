"""sellglobal: decide which products of a Chinese catalogue to sell in which overseas market."""
from __future__ import annotations

from importlib import import_module

from .errors import ConfigError, EncoderError, InputFormatError, SchemaError, SellglobalError, TemplateError

# Bound last: the function sellglobal.listings() stands in front of the subpackage of the same name (its modules
# stay importable as ``from sellglobal.listings.render import ...``).
from .listings.generate import listings  # noqa: E402

__version__ = "0.1.0"

# Imported on first use: scikit-learn alone takes a second to import, which every command, and every worker process
# that writes listings, would otherwise pay whether it ranks or not.
_LAZY = {"select": ".selection.select", "MatchSettings": ".selection.select", "read_catalogue": ".selection.catalogue",
         "read_signals": ".selection.demand", "CommerceConfig": ".selection.commerce",
         "get_encoder": ".models.encoders", "CachedEncoder": ".models.encoders", "DefaultRanker": ".models.ranker"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "select", "listings", "read_catalogue", "read_signals", "get_encoder", "CachedEncoder", "CommerceConfig", "MatchSettings",
    "DefaultRanker", "SellglobalError", "SchemaError", "InputFormatError", "ConfigError", "EncoderError", "TemplateError",
    "__version__",
]
