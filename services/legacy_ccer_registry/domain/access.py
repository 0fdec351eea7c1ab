"""Who operates the legacy registry: the roles that see every account (input to ``shared.scope``).
Exchange operators see what was opened or traded through their own exchange."""

from __future__ import annotations

__all__ = ["OPERATORS", "SERIAL_READERS"]

OPERATORS = frozenset({"ncsc_operator"})
# api.md "serials": a unit's history is readable by its holder, NCSC and the allowance registry's
# operators (who trace offsets across registries).
SERIAL_READERS = OPERATORS | {"registry_initiator", "registry_confirmer"}
