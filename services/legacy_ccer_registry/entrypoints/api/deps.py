"""Dependencies of the legacy registry's routes: the roles that act here, named for whose role they
are. What each then sees is the scope rule's business (``domain/access.py``, ``shared.scope``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from shared.api_deps import CSV, BusDep, Enterprise, ExchangeOperator, NcscOperator, Page, roles

__all__ = [
    "CSV",
    "AccountApplicationReader",
    "AccountApplicationReviewer",
    "BusDep",
    "Enterprise",
    "ExchangeOperator",
    "HolderOrNcsc",
    "IdPath",
    "NcscOperator",
    "NcscOrSimAdmin",
    "Page",
    "RecordReader",
    "SerialPath",
    "SerialReader",
]

# The holder of the account (its own only) or NCSC: accounts, holdings, serial history.
HolderOrNcsc = roles("enterprise", "ncsc_operator")
NcscOrSimAdmin = roles("ncsc_operator", "sim_admin")
SerialReader = roles("enterprise", "ncsc_operator", "registry_initiator", "registry_confirmer")
# The applicant, the exchange it applied through (initial review), NCSC (re-review).
AccountApplicationReader = roles("enterprise", "exchange_operator", "ncsc_operator")
AccountApplicationReviewer = roles("exchange_operator", "ncsc_operator")
# Cancellation records: the holder, its province's staff, NCSC.
RecordReader = roles("enterprise", "province_initiator", "province_confirmer", "ncsc_operator")

# Path parameters, bounded like every other input (a longer one names nothing: 422).
IdPath = Annotated[str, Path(min_length=1, max_length=40, description="identifier — 编号")]
SerialPath = Annotated[str, Path(min_length=1, max_length=140, description="serial number — 序列号")]
