"""The new CCER registry (新CCER注登系统) as a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from services.new_ccer_registry.bootstrap import NAME, bootstrap
from services.new_ccer_registry.entrypoints.api import router
from services.new_ccer_registry.entrypoints.lots_api import admin_router
from services.new_ccer_registry.entrypoints.lots_api import router as lots_router
from services.new_ccer_registry.entrypoints.units_api import router as units_router
from shared.clock import Clock
from shared.runtime import ServiceDefinition
from shared.settings import Settings
from shared.uow import UnitOfWork
from shared.webapp import ApiSpec, create_service_app, service_main

API = ApiSpec(
    title="New CCER registry — 全国温室气体自愿减排注册登记系统",
    description="Accounts, CCER units by serial range, binding to the allowance registry, offset lots, cancellations.",
    routers=[router, units_router, lots_router, admin_router],
    openapi_tags=[],
)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    service: ServiceDefinition[UnitOfWork] | None = None,
) -> FastAPI:
    return create_service_app(lambda s: bootstrap(s, clock=clock, service=service), API, settings)


if __name__ == "__main__":
    service_main(NAME, create_app)
