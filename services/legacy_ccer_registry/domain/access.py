"""Who operates the legacy registry: the roles that see every account (input to ``shared.scope``).
Exchange operators see what was opened or traded through their own exchange."""

from __future__ import annotations

__all__ = ["OPERATORS"]

OPERATORS = frozenset({"ncsc_operator"})
