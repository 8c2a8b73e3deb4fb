"""Landed cost and margin: exchange rates, freight by weight and marketplace fees, as editable tables.

Defaults (November 2026, rounded; replace them with your own through ``--costs FILE``):

* ``fx``: CNY per unit of each currency.
* ``freight_cny_per_kg``: consolidated air freight to the marketplace's warehouse, CNY per chargeable kg, where the
  chargeable weight is the larger of the real weight and the volumetric weight (L x W x H cm / 6000).
* ``fee_rate``: marketplace referral fee as a share of the price (Amazon's common 15%; 10% in JP).
* ``fixed_fee``: per-unit fulfilment fee in the market's currency (a small-standard FBA parcel).
"""
from __future__ import annotations

import json
import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .markets import market

DEFAULT_FX = {"CNY": 1.0, "USD": 7.10, "EUR": 7.70, "GBP": 9.00, "JPY": 0.047, "CAD": 5.10, "AUD": 4.60,
              "MXN": 0.39, "BRL": 1.30, "CHF": 8.10, "PLN": 1.80, "SEK": 0.68, "TRY": 0.18, "KRW": 0.0051,
              "SGD": 5.40, "AED": 1.93, "SAR": 1.89, "INR": 0.083, "THB": 0.21, "RUB": 0.085, "HKD": 0.91}
DEFAULT_FREIGHT = {"US": 45.0, "CA": 50.0, "MX": 55.0, "BR": 70.0, "GB": 42.0, "IE": 45.0, "DE": 40.0,
                   "AT": 42.0, "CH": 48.0, "FR": 42.0, "BE": 42.0, "ES": 42.0, "IT": 42.0, "NL": 42.0,
                   "PL": 40.0, "SE": 45.0, "TR": 45.0, "JP": 25.0, "KR": 22.0, "AU": 40.0, "SG": 25.0,
                   "AE": 35.0, "SA": 38.0, "IN": 35.0, "TH": 20.0, "RU": 40.0}
DEFAULT_FEE_RATE = {"JP": 0.10}
DEFAULT_FIXED_FEE = {"USD": 3.50, "EUR": 3.00, "GBP": 2.60, "JPY": 350.0, "CAD": 4.50, "AUD": 4.00,
                     "MXN": 60.0}


@dataclass
class CommerceConfig:
    """Exchange-rate, freight and fee tables used for landed cost and margin."""

    fx: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FX))
    freight_cny_per_kg: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FREIGHT))
    default_freight_cny_per_kg: float = 50.0
    fee_rate: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FEE_RATE))
    default_fee_rate: float = 0.15
    fixed_fee: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FIXED_FEE))
    volumetric_divisor: float = 6000.0

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "CommerceConfig":
        """Read overrides from TOML or JSON; tables are merged into the defaults key by key."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text("utf-8")) if path.suffix.lower() == ".toml" \
                else json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found") from None
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not valid {path.suffix[1:] or 'JSON'}: {exc}") from None
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, *, source: str = "costs") -> "CommerceConfig":
        """Overrides as a mapping (the ``[costs]`` table of a project file, say), merged into the defaults."""
        def fail(key_path: tuple[str, ...], detail: str):
            # the key path lets a caller point at the line that holds it (see sellglobal.project)
            error = ConfigError(f"{source}: {detail}")
            error.key_path, error.detail = key_path, detail
            raise error

        config = cls()
        known = {f.name for f in fields(cls)}
        for key, value in raw.items():
            if key not in known:
                fail((key,), f"unknown key {key!r}; use one of {', '.join(sorted(known))}")
            current = getattr(config, key)
            if isinstance(current, dict):
                if not isinstance(value, dict):
                    fail((key,), f"{key} must be a table of code = number")
                for code, number in value.items():
                    if not isinstance(number, (int, float)) or isinstance(number, bool) or number < 0:
                        fail((key, code), f"{key}.{code} = {number!r} must be a number, 0 or more")
                    current[code.upper()] = float(number)
            else:
                if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                    fail((key,), f"{key} = {value!r} must be a positive number")
                setattr(config, key, float(value))
        return config

    def rate(self, currency: str) -> float:
        """CNY per unit of ``currency``."""
        code = (currency or "CNY").upper()
        if code not in self.fx:
            raise ConfigError(f"no exchange rate for {code}; add it under [fx] in the --costs file "
                              f"(CNY per 1 {code})")
        return self.fx[code]

    def convert(self, amount: float, from_currency: str, to_currency: str) -> float:
        if from_currency.upper() == to_currency.upper():
            return amount
        return amount * self.rate(from_currency) / self.rate(to_currency)

    def chargeable_kg(self, weight_kg, length_cm, width_cm, height_cm):
        """The greater of actual and volumetric weight (numbers or arrays); NaN when neither is known."""
        volumetric = np.asarray(length_cm, dtype=float) * width_cm * height_cm / self.volumetric_divisor
        return np.fmax(np.asarray(weight_kg, dtype=float), volumetric)

    def landed_cost(self, market_code: str, *, cost, cost_currency, weight_kg, length_cm=math.nan,
                    width_cm=math.nan, height_cm=math.nan, price=math.nan) -> tuple[np.ndarray, np.ndarray]:
        """(landed cost, freight) in the market's currency, for one product or arrays of them; NaN when the cost
        is unknown.

        landed = cost + freight x chargeable kg + fixed fee + fee rate x price (the fee part needs a price).
        """
        m = market(market_code)
        to = m.currency
        cost = np.asarray(cost, dtype=float)
        currencies = np.broadcast_to(np.asarray(cost_currency, dtype=object), cost.shape)
        codes, where = np.unique(currencies.ravel().astype(str), return_inverse=True)
        rates = np.array([self.rate(c) for c in codes], dtype=float)[where].reshape(cost.shape)
        goods = cost * rates / self.rate(to)
        kg = self.chargeable_kg(weight_kg, length_cm, width_cm, height_cm)
        freight_cny = np.nan_to_num(kg * self.freight_cny_per_kg.get(m.code, self.default_freight_cny_per_kg))
        freight = np.where(np.isnan(cost), np.nan, self.convert(freight_cny, "CNY", to))
        fees = self.fixed_fee.get(to, self.convert(3.0, "USD", to)) \
            + np.nan_to_num(self.fee_rate.get(m.code, self.default_fee_rate) * np.asarray(price, dtype=float))
        return goods + freight + fees, freight
