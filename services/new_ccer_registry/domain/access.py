"""Who operates the new registry: the roles that see every account (input to ``shared.scope``).
Enterprises see the accounts they hold, provinces those registered in their region."""

from __future__ import annotations

__all__ = ["OPERATORS", "SERIAL_READERS"]

OPERATORS = frozenset({"ncsc_operator"})
# Who reads any unit's history (GET /serials/{serial}): NCSC, and the allowance registry's operators
# tracing a unit across the system. A holder reads the history of the units it holds.
SERIAL_READERS = OPERATORS | {"registry_initiator", "registry_confirmer"}
