"""Dependencies of the new registry's routes: the roles that act here, named for whose role they
are. The access-scope rule in the repositories decides what each of them sees."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from shared.api_deps import CSV, AnyPrincipal, BusDep, Enterprise, ExchangeOperator, NcscOperator, roles
from shared.api_deps import Page as Paging

__all__ = [
    "CSV",
    "AnyPrincipal",
    "ApplicationReaders",
    "ApplicationReviewers",
    "BusDep",
    "Enterprise",
    "EnterpriseOrNcsc",
    "ExchangeOperator",
    "IdPath",
    "LotReaders",
    "NcscOperator",
    "NcscOrSimAdmin",
    "Paging",
    "SerialReaders",
]

# The account holder, or NCSC on its behalf (the account, its holdings and fees).
EnterpriseOrNcsc = roles("enterprise", "ncsc_operator")
# Who reads offset lots and cancellations: the holder, its province (both of its officers), NCSC.
LotReaders = roles("enterprise", "province_initiator", "province_confirmer", "ncsc_operator")
# Who runs the reconciliation: NCSC, and the simulation's administrator.
NcscOrSimAdmin = roles("ncsc_operator", "sim_admin")
# Who reads a unit's history: its holder, NCSC, and the allowance registry's operators.
SerialReaders = roles("enterprise", "ncsc_operator", "registry_initiator", "registry_confirmer")
# Joint opening applications (api.md "applicant, reviewers"): the applicant, the CCER exchange they
# are routed to, NCSC. A province has no part in them (403).
ApplicationReaders = roles("enterprise", "exchange_operator", "ncsc_operator")
# The exchange's two reviews, NCSC's registry review (the stage says whose).
ApplicationReviewers = roles("exchange_operator", "ncsc_operator")

# A path identifier, bounded like every other input (a longer one names nothing: 422).
IdPath = Annotated[str, Path(min_length=1, max_length=40, description="identifier — 编号")]
