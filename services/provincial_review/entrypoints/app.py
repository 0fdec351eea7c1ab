"""The provincial_review as a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from services.provincial_review.bootstrap import NAME, bootstrap
from services.provincial_review.entrypoints.api import router
from shared.clock import Clock
from shared.runtime import ServiceDefinition
from shared.settings import Settings
from shared.uow import UnitOfWork
from shared.webapp import ApiSpec, create_service_app, service_main

API = ApiSpec(
    title="Provincial review — 省级生态环境主管部门审核",
    description="Review cases for compliance applications (first and second review), first-period offset forms, dashboards.",
    routers=[router],
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
