"""The provincial_review as a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from services.provincial_review.bootstrap import NAME, bootstrap
from services.provincial_review.entrypoints.api import API
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from shared.clock import Clock
from shared.runtime import ServiceDefinition
from shared.settings import Settings
from shared.webapp import create_service_app, service_main


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    service: ServiceDefinition[ReviewUnitOfWork] | None = None,
) -> FastAPI:
    return create_service_app(lambda s: bootstrap(s, clock=clock, service=service), API, settings)


if __name__ == "__main__":
    service_main(NAME, create_app)
