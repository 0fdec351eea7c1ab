"""Dependencies of the legacy registry's routes: the roles that act here, named for whose role they are."""

from __future__ import annotations

from shared.api_deps import CSV, AnyPrincipal, BusDep, Enterprise, ExchangeOperator, NcscOperator, Page, roles

__all__ = ["CSV", "AnyPrincipal", "BusDep", "Enterprise", "ExchangeOperator", "NcscOperator", "Page", "Readers"]

# The holder, its province, the exchange it went through, NCSC: the scope rule decides what each sees.
Readers = roles("enterprise", "province_initiator", "province_confirmer", "exchange_operator", "ncsc_operator")
