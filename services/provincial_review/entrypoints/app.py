"""The provincial_review as a FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.provincial_review.adapters.orm import infra, metadata
from shared.clock import Clock
from shared.service import ServiceSpec, create_service_app, service_main
from shared.settings import Settings

NAME = "provincial_review"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="Provincial review — 省级生态环境主管部门审核",
        description="Review cases for compliance applications (first and second review), first-period offset forms, dashboards.",
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routers=[],
        event_handlers={},
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(spec(), settings, clock=clock)


if __name__ == "__main__":
    service_main(spec)
