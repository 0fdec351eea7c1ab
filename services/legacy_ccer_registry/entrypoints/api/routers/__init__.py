"""One router per resource (``prefix`` and ``tags`` each). None yet: the legacy path adds accounts,
account applications, projects, holdings, cancellations, sync applications and serials."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = []
