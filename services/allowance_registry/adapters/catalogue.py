"""The built-in compliance periods and their instruments, read from ``data/builtin_periods.yaml``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["BUILTIN_FILE", "Catalogue", "builtin_instruments", "builtin_periods"]

BUILTIN_FILE = Path(__file__).resolve().parent.parent / "data" / "builtin_periods.yaml"


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    raw = yaml.safe_load(BUILTIN_FILE.read_text(encoding="utf-8"))
    return {"instruments": dict(raw.get("instruments") or {}), "periods": dict(raw.get("periods") or {})}


def builtin_periods() -> dict[str, dict[str, Any]]:
    """Built-in key → definition (without ``code``; the key is the default code)."""
    return {str(k): dict(v) for k, v in _load()["periods"].items()}


def builtin_instruments() -> dict[str, dict[str, Any]]:
    """Instrument code → ``{name, vintage}`` for the instruments the built-in periods name."""
    return {str(k): dict(v) for k, v in _load()["instruments"].items()}


class Catalogue:
    """The built-in data as the unit of work offers it (``uow.catalogue``); tests may pass another."""

    def periods(self) -> dict[str, dict[str, Any]]:
        return builtin_periods()

    def instruments(self) -> dict[str, dict[str, Any]]:
        return builtin_instruments()
