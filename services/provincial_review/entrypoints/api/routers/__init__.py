"""The provincial review's routers, one per resource."""

from __future__ import annotations

from fastapi import APIRouter

from services.provincial_review.entrypoints.api.routers import dashboard, reviews

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [reviews.router, dashboard.router]
