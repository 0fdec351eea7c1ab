"""The new CCER registry (新CCER注登系统) as a FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.new_ccer_registry.adapters.orm import infra, metadata
from services.new_ccer_registry.entrypoints.api import router
from services.new_ccer_registry.entrypoints.lots_api import admin_router
from services.new_ccer_registry.entrypoints.lots_api import router as lots_router
from services.new_ccer_registry.entrypoints.units_api import router as units_router
from services.new_ccer_registry.service_layer import accounts, lots
from shared.clock import Clock
from shared.service import ServiceSpec, create_service_app, service_main
from shared.settings import Settings

NAME = "new_ccer_registry"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="New CCER registry — 全国温室气体自愿减排注册登记系统",
        description="Accounts, CCER units by serial range, binding to the allowance registry, "
        "offset lots, cancellations.",
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routers=[router, units_router, lots_router, admin_router],
        event_handlers={
            "allowance_registry.binding.confirmed": accounts.on_binding_confirmed,  # type: ignore[dict-item]
            "allowance_registry.binding.rejected": accounts.on_binding_rejected,  # type: ignore[dict-item]
            "allowance_registry.offset.registered": lots.on_offset_registered,  # type: ignore[dict-item]
            "allowance_registry.offset.recalled": lots.on_offset_recalled,  # type: ignore[dict-item]
            "allowance_registry.offset.refused": lots.on_offset_refused,  # type: ignore[dict-item]
        },
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(spec(), settings, clock=clock)


if __name__ == "__main__":
    service_main(spec)
