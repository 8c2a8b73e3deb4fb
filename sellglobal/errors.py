"""Every public exception of sellglobal, in one place."""
from __future__ import annotations

from dataclasses import dataclass


class SellglobalError(Exception):
    """Base class of every error sellglobal raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is and how to fix it."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f" column {self.column!r}"
        return f"{where}: {self.message}"


class SchemaError(SellglobalError, ValueError):
    """An input table breaks its schema. Holds every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputFormatError(SellglobalError, ValueError):
    """A file cannot be read at all (unknown extension, undecodable bytes, unknown export format)."""


class ConfigError(SellglobalError, ValueError):
    """A setting (market, currency, rate table, model name) is not valid."""


class EncoderError(SellglobalError, RuntimeError):
    """An encoder cannot be loaded or used."""


class TemplateError(SellglobalError, ValueError):
    """A listing template cannot be loaded or rendered; the message names the template file and line."""


class ModelError(SellglobalError, ValueError):
    """A saved model cannot be trusted or read: unknown format version, a modified file, an untrusted type."""
