"""REST routes of the allowance registry, one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from services.allowance_registry.entrypoints.routers import accounts, applications, notices, offsets, periods

__all__ = ["routers"]

routers: list[APIRouter] = [accounts.router, periods.router, notices.router, offsets.router, applications.router]
