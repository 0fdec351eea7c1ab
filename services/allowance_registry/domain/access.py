"""Who operates the allowance registry: the roles that see every account (input to ``shared.scope``).
An enterprise sees its own accounts, a province those registered in its region, anyone else nothing."""

from __future__ import annotations

__all__ = ["OPERATORS"]

OPERATORS = frozenset({"registry_initiator", "registry_confirmer"})
