"""sellglobal: decide which products of a Chinese catalogue to sell in which overseas market."""
from __future__ import annotations

from .errors import ConfigError, EncoderError, InputFormatError, SchemaError, SellglobalError, TemplateError
from .models.encoders import CachedEncoder, get_encoder
from .models.ranker import DefaultRanker
from .selection.catalogue import read_catalogue
from .selection.commerce import CommerceConfig
from .selection.demand import read_signals
from .selection.select import MatchSettings, select

# Bound last: the function sellglobal.listings() stands in front of the subpackage of the same name (its modules
# stay importable as ``from sellglobal.listings.render import ...``).
from .listings.generate import listings  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "select", "listings", "read_catalogue", "read_signals", "get_encoder", "CachedEncoder", "CommerceConfig", "MatchSettings",
    "DefaultRanker", "SellglobalError", "SchemaError", "InputFormatError", "ConfigError", "EncoderError", "TemplateError",
    "__version__",
]
