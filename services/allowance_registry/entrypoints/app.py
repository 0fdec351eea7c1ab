"""The national allowance registry (配额注登系统) as a FastAPI application."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from fastapi import FastAPI

from services.allowance_registry.adapters.orm import infra, metadata
from services.allowance_registry.entrypoints.api import routers
from services.allowance_registry.service_layer import accounts, applications, offsets
from shared.clock import Clock
from shared.messaging.consumer import EventHandler
from shared.service import ServiceSpec, create_service_app, service_main
from shared.settings import Settings

NAME = "allowance_registry"

TAGS = [
    {"name": "accounts", "description": "Allowance accounts, holdings and transfers — 配额账户、持仓与划转"},
    {"name": "holdings", "description": "Allocation of allowances — 配额发放"},
    {"name": "compliance periods", "description": "Instruments and compliance periods — 标的与履约范围（抵销规则）"},
    {"name": "notices", "description": "Provincial and enterprise compliance notices — 省级与企业履约通知书"},
    {"name": "pending offsets", "description": "Pending offsets and offset registrations — 待抵销与抵销登记"},
    {"name": "applications", "description": "Compliance applications — 履约申请"},
]


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="National allowance registry — 全国碳排放权注册登记系统",
        description="Allowance accounts and holdings, compliance periods, notices, pending offsets (待抵销), "
        "compliance applications, offset registration and recall.",
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routers=routers,
        event_handlers=cast(
            dict[str, EventHandler],
            {
                "new_ccer_registry.binding.requested": accounts.on_binding_requested,
                "new_ccer_registry.offset.frozen": offsets.on_offset_frozen,
                "new_ccer_registry.offset.cancelled": offsets.on_offset_cancelled,
                "new_ccer_registry.offset.released": offsets.on_offset_released,
                "provincial_review.application.approved": applications.on_application_approved,
                "provincial_review.application.rejected": applications.on_application_rejected,
            },
        ),
        job_handlers={offsets.RECALL_JOB: offsets.recall_unused},
        openapi_tags=TAGS,
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(spec(), settings, clock=clock)


if __name__ == "__main__":
    service_main(spec)
