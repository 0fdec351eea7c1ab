"""Who operates the allowance registry: the roles that see every account (input to ``shared.scope``).
An enterprise sees its own accounts, a province those registered in its region, anyone else nothing."""

from __future__ import annotations

__all__ = ["OPERATORS", "SERIAL_READERS"]

OPERATORS = frozenset({"registry_initiator", "registry_confirmer"})

# Who reads any unit's history here (GET /serials/{serial}): the operators, and the NCSC, which
# runs the CCER registries the units come from.
SERIAL_READERS = OPERATORS | {"ncsc_operator"}
