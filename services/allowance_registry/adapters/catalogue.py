"""The built-in compliance periods and their instruments: the allowance registry's part of the
period definitions every service reads (``shared.reference.CompliancePeriods``)."""

from __future__ import annotations

from typing import Any

from shared.reference import PERIODS_FILE, CompliancePeriods

__all__ = ["BUILTIN_FILE", "Catalogue", "builtin_instruments", "builtin_periods"]

BUILTIN_FILE = PERIODS_FILE


def builtin_periods() -> dict[str, dict[str, Any]]:
    """Built-in key → definition (without ``code``; the key is the default code)."""
    return CompliancePeriods.from_file().definitions()


def builtin_instruments() -> dict[str, dict[str, Any]]:
    """Instrument code → ``{name, vintage}`` for the instruments the built-in periods name."""
    return CompliancePeriods.from_file().instruments()


class Catalogue:
    """The built-in data as the unit of work offers it (``uow.catalogue``), from the period
    definitions the service was started with; tests may pass another."""

    def __init__(self, periods: CompliancePeriods | None = None) -> None:
        self._periods = periods or CompliancePeriods.from_file()

    def periods(self) -> dict[str, dict[str, Any]]:
        return self._periods.definitions()

    def instruments(self) -> dict[str, dict[str, Any]]:
        return self._periods.instruments()
