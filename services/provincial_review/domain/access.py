"""Who sees what in the provincial review: no operator sees every case. A province sees the cases,
notices and completions of its own region (``shared.scope``), and nobody else sees any."""

from __future__ import annotations

__all__ = ["OPERATORS"]

OPERATORS: frozenset[str] = frozenset()
