"""The national allowance registry (配额注登系统) as a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from services.allowance_registry.bootstrap import NAME, bootstrap
from services.allowance_registry.entrypoints.api import API
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from shared.clock import Clock
from shared.runtime import ServiceDefinition
from shared.settings import Settings
from shared.webapp import create_service_app, service_main


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    service: ServiceDefinition[AllowanceUnitOfWork] | None = None,
) -> FastAPI:
    return create_service_app(lambda s: bootstrap(s, clock=clock, service=service), API, settings)


if __name__ == "__main__":
    service_main(NAME, create_app)
