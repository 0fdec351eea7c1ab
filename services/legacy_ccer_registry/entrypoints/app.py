"""The legacy_ccer_registry as a FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.legacy_ccer_registry.adapters.orm import infra, metadata
from shared.clock import Clock
from shared.service import ServiceSpec, create_service_app, service_main
from shared.settings import Settings

NAME = "legacy_ccer_registry"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="Legacy CCER registry — 旧有自愿减排注册登记系统",
        description="Legacy accounts, projects recorded before 2017-03-14, voluntary cancellations and sync applications.",
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
