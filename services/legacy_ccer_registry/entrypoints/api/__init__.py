"""The legacy CCER registry's REST face."""

from __future__ import annotations

from services.legacy_ccer_registry.entrypoints.api.routers import ROUTERS
from shared.webapp import ApiSpec

__all__ = ["API"]

API = ApiSpec(
    title="Legacy CCER registry — 旧有自愿减排注册登记系统",
    description="Legacy accounts, projects recorded before 2017-03-14, voluntary cancellations and sync applications.",
    routers=ROUTERS,
)
