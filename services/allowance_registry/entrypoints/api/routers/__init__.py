"""One router per resource of the allowance registry, each with its ``prefix`` and ``tags``."""

from __future__ import annotations

from fastapi import APIRouter

from services.allowance_registry.entrypoints.api.routers import (
    accounts,
    allocations,
    applications,
    compliance_stats,
    instruments,
    notices,
    offset_ccer_requests,
    pending_offsets,
    periods,
    provincial_notices,
    reconciliation,
    registrations,
    serials,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    accounts.router,
    allocations.router,
    instruments.router,
    periods.router,
    provincial_notices.router,
    notices.router,
    pending_offsets.router,
    registrations.router,
    serials.router,
    applications.router,
    compliance_stats.router,
    # first period: offset-CCER creation requests
    offset_ccer_requests.router,
    # reconciliation (账实核对), for operators
    reconciliation.router,
]
