"""The new CCER registry (新CCER注登系统) as a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from services.new_ccer_registry.bootstrap import NAME, bootstrap
from services.new_ccer_registry.entrypoints.api import API
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from shared.clock import Clock
from shared.runtime import ServiceDefinition
from shared.settings import Settings
from shared.webapp import create_service_app, service_main


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    service: ServiceDefinition[NewRegistryUnitOfWork] | None = None,
) -> FastAPI:
    return create_service_app(lambda s: bootstrap(s, clock=clock, service=service), API, settings)


if __name__ == "__main__":
    service_main(NAME, create_app)
