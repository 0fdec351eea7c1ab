"""The national allowance registry (配额注登系统) as a FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from services.allowance_registry.bootstrap import NAME, bootstrap
from services.allowance_registry.entrypoints.api import routers
from shared.clock import Clock
from shared.runtime import ServiceDefinition
from shared.settings import Settings
from shared.uow import UnitOfWork
from shared.webapp import ApiSpec, create_service_app, service_main

TAGS = [
    {"name": "accounts", "description": "Allowance accounts, holdings and transfers — 配额账户、持仓与划转"},
    {"name": "holdings", "description": "Allocation of allowances — 配额发放"},
    {"name": "compliance periods", "description": "Instruments and compliance periods — 标的与履约范围（抵销规则）"},
    {"name": "notices", "description": "Provincial and enterprise compliance notices — 省级与企业履约通知书"},
    {"name": "pending offsets", "description": "Pending offsets and offset registrations — 待抵销与抵销登记"},
    {"name": "applications", "description": "Compliance applications — 履约申请"},
]

API = ApiSpec(
    title="National allowance registry — 全国碳排放权注册登记系统",
    description="Allowance accounts and holdings, compliance periods, notices, pending offsets (待抵销), "
    "compliance applications, offset registration and recall.",
    routers=routers,
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
