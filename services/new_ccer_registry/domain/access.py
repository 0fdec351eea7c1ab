"""Who operates the new registry: the roles that see every account (input to ``shared.scope``).
Enterprises see the accounts they hold, provinces those registered in their region."""

from __future__ import annotations

__all__ = ["OPERATORS"]

OPERATORS = frozenset({"ncsc_operator"})
