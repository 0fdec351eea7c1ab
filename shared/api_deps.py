"""``Annotated`` dependencies every service's ``entrypoints/api/deps.py`` builds on. Each role alias
says whose role it is; a route names the roles it admits, and the access-scope rule
(``shared.scope``) decides what they see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from shared.auth import Principal, get_principal, require
from shared.listing import PageParams, page_params
from shared.webapp import BusDep, RuntimeDep

__all__ = [
    "CSV",
    "AnyPrincipal",
    "BusDep",
    "Enterprise",
    "ExchangeOperator",
    "NcscOperator",
    "Page",
    "ProvinceConfirmer",
    "ProvinceInitiator",
    "RegistryConfirmer",
    "RegistryInitiator",
    "RuntimeDep",
    "SimAdmin",
    "roles",
]


def roles(*names: str) -> Any:
    """``Annotated[Principal, …]`` admitting any of ``names`` (403 for any other role)."""
    return Annotated[Principal, Depends(require(*names))]


AnyPrincipal = Annotated[Principal, Depends(get_principal)]
Enterprise = Annotated[Principal, Depends(require("enterprise"))]  # 重点排放单位 / account holder
ProvinceInitiator = Annotated[Principal, Depends(require("province_initiator"))]  # 省级 经办
ProvinceConfirmer = Annotated[Principal, Depends(require("province_confirmer"))]  # 省级 复核
RegistryInitiator = Annotated[Principal, Depends(require("registry_initiator"))]  # 配额注登机构 经办
RegistryConfirmer = Annotated[Principal, Depends(require("registry_confirmer"))]  # 配额注登机构 复核
NcscOperator = Annotated[Principal, Depends(require("ncsc_operator"))]  # 国家气候战略中心 (CCER registries)
ExchangeOperator = Annotated[Principal, Depends(require("exchange_operator"))]  # 交易机构
SimAdmin = Annotated[Principal, Depends(require("sim_admin"))]

Page = Annotated[PageParams, Depends(page_params)]

CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "the rows (JSON, or CSV with Accept: text/csv) — 列表"}
}
