"""The national allowance registry (配额注登系统) as a FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.allowance_registry.adapters.orm import infra, metadata
from services.allowance_registry.entrypoints.api import router
from services.allowance_registry.service_layer import accounts
from shared.clock import Clock
from shared.service import ServiceSpec, create_service_app, service_main
from shared.settings import Settings

NAME = "allowance_registry"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="National allowance registry — 全国碳排放权注册登记系统",
        description="Allowance accounts and holdings, compliance periods, notices, pending offsets (待抵销), "
        "compliance applications, offset registration and recall.",
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routers=[router],
        event_handlers={
            "new_ccer_registry.binding.requested": accounts.on_binding_requested,  # type: ignore[dict-item]
        },
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(spec(), settings, clock=clock)


if __name__ == "__main__":
    service_main(spec)
