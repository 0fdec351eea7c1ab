"""The legacy registry's routers, one per resource (``prefix`` and ``tags`` each)."""

from __future__ import annotations

from fastapi import APIRouter

from services.legacy_ccer_registry.entrypoints.api.routers import (
    account_applications,
    accounts,
    cancellations,
    projects,
    reconciliation,
    serials,
    sync_applications,
    trades,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    accounts.router,
    account_applications.router,
    projects.router,
    trades.router,
    cancellations.router,
    sync_applications.router,
    serials.router,
    reconciliation.router,
]
