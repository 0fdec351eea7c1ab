"""The provincial review's routers, one per resource."""

from __future__ import annotations

from fastapi import APIRouter

from services.provincial_review.entrypoints.api.routers import (
    dashboard,
    offset_form_summaries,
    offset_forms,
    overdue_handling,
    reviews,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    reviews.router,
    dashboard.router,
    offset_forms.router,
    offset_form_summaries.router,
    overdue_handling.router,
]
