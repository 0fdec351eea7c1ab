"""The new CCER registry's REST face: its title, routers and OpenAPI tags."""

from __future__ import annotations

from services.new_ccer_registry.entrypoints.api.routers import ROUTERS
from shared.webapp import ApiSpec

__all__ = ["API"]

API = ApiSpec(
    title="New CCER registry — 全国温室气体自愿减排注册登记系统",
    description="Joint account opening, fees, accounts, CCER units by serial range, binding to the allowance registry, offset lots, cancellations.",
    routers=ROUTERS,
    openapi_tags=[
        {"name": "account applications", "description": "joint account opening — 联合开户（注册登记账户和交易账户）"},
        {"name": "accounts", "description": "registry accounts — 登记账户"},
        {"name": "fees", "description": "trading account fees — 交易账户开户费、年费"},
        {"name": "binding", "description": "binding to an allowance-registry account — 与配额账户绑定"},
        {"name": "projects", "description": "projects and issuance — 项目登记与签发"},
        {"name": "trades", "description": "CCER exchange trade settlement — 交易结算"},
        {"name": "transfers", "description": "trading side ⇄ general holding account — 划转"},
        {"name": "holdings", "description": "holdings by serial range — 持仓"},
        {"name": "offset lots", "description": "national compliance offset — 全国履约抵销"},
        {"name": "cancellations", "description": "cancellation on offset registration — 注销登记"},
        {"name": "legacy syncs", "description": "legacy CCER synced in — 旧有CCER同步（待确认）"},
        {"name": "serials", "description": "a unit's history — 序列号追溯"},
        {"name": "admin", "description": "operators' tools — 运维"},
    ],
)
