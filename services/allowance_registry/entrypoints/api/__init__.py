"""The allowance registry's REST face: title, description, OpenAPI tags and routers."""

from __future__ import annotations

from services.allowance_registry.entrypoints.api.routers import ROUTERS
from shared.webapp import ApiSpec

__all__ = ["API", "TAGS"]

TAGS = [
    {"name": "accounts", "description": "Allowance accounts, holdings and transfers — 配额账户、持仓与划转"},
    {"name": "holdings", "description": "Allocation of allowances — 配额发放"},
    {"name": "compliance periods", "description": "Instruments and compliance periods — 标的与履约范围（抵销规则）"},
    {"name": "notices", "description": "Provincial and enterprise compliance notices — 省级与企业履约通知书"},
    {"name": "pending offsets", "description": "Pending offsets and offset registrations — 待抵销与抵销登记"},
    {"name": "applications", "description": "Compliance applications — 履约申请"},
    {"name": "serials", "description": "A unit's history by serial number — 序列号追溯"},
    {
        "name": "offset ccer requests",
        "description": "First period: offset CCER generated from NCSC's cancellation records — 生成履约抵销 CCER",
    },
]

API = ApiSpec(
    title="National allowance registry — 全国碳排放权注册登记系统",
    description="Allowance accounts and holdings, compliance periods, notices, pending offsets (待抵销), "
    "compliance applications, offset registration and recall.",
    routers=ROUTERS,
    openapi_tags=TAGS,
)
