"""The legacy_ccer_registry as a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from services.legacy_ccer_registry.bootstrap import NAME, bootstrap
from shared.clock import Clock
from shared.runtime import ServiceDefinition
from shared.settings import Settings
from shared.uow import UnitOfWork
from shared.webapp import ApiSpec, create_service_app, service_main

API = ApiSpec(
    title="Legacy CCER registry — 旧有自愿减排注册登记系统",
    description="Legacy accounts, projects recorded before 2017-03-14, voluntary cancellations and sync applications.",
    routers=[],
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
