"""One router per resource of the new registry, each with its ``prefix`` and ``tags``."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.entrypoints.api.routers import (
    account_applications,
    accounts,
    binding,
    cancellations,
    fees,
    holdings,
    legacy_syncs,
    offset_lots,
    projects,
    reconciliation,
    serials,
    trades,
    transfers,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    account_applications.router,
    accounts.router,
    fees.router,
    binding.router,
    projects.router,
    trades.router,
    transfers.router,
    holdings.router,
    offset_lots.router,
    cancellations.router,
    legacy_syncs.router,
    serials.router,
    reconciliation.router,
]
