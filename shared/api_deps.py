"""``Annotated`` dependencies every service's ``entrypoints/api/deps.py`` builds on. Each role alias
says whose role it is; a route names the roles it admits, and the access-scope rule
(``shared.scope``) decides what they see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from shared.auth import ROLES, Principal, get_principal, require
from shared.listing import PageParams, page_params
from shared.webapp import BusDep, RuntimeDep

__all__ = [
    "ANY_ROLE",
    "COMMON_ACCESS",
    "CSV",
    "EXCHANGE",
    "HOLDER",
    "NCSC",
    "PROVINCE",
    "PUBLIC",
    "REGISTRY",
    "SIM_ADMIN",
    "AccessTable",
    "Allow",
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
    "allow",
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


# --- the declared access table (OWASP API1 and API5; quality.md "Security") ----------------------------
# Each service declares, in ``entrypoints/api/access.py``, who may call each of its routes and what a
# caller gets for someone else's object. ``tests/security`` walks every route of the FastAPI route table
# with every role against it: a route without a declaration fails there, and so does one whose
# dependencies admit other roles than declared.

HOLDER = frozenset({"enterprise"})  # scoped by its `org`
PROVINCE = frozenset({"province_initiator", "province_confirmer"})  # scoped by its `province`
EXCHANGE = frozenset({"exchange_operator"})  # scoped by its `exchange`
REGISTRY = frozenset({"registry_initiator", "registry_confirmer"})  # the allowance registry's operators
NCSC = frozenset({"ncsc_operator"})  # the CCER registries' operator
SIM_ADMIN = frozenset({"sim_admin"})
ANY_ROLE = frozenset(ROLES)


@dataclass(frozen=True)
class Allow:
    """Who may call one route (api.md's "who" column), and what a caller gets for someone else's object.

    ``own``: roles scoped by a claim (an enterprise's `org`, a province's `province`, an exchange's
    `exchange`): for an object outside their scope the route answers ``others`` (404 by default: the
    same as for a missing object); on a route that names no object they see only their own rows.
    ``every``: roles that reach every object (a registry's operators, or data that is nobody's).
    Any other role answers 403, no token 401; a ``public`` route needs no token at all.
    """

    own: frozenset[str] = frozenset()
    every: frozenset[str] = frozenset()
    others: int = 404
    public: bool = False

    @property
    def roles(self) -> frozenset[str]:
        return ANY_ROLE if self.public else self.own | self.every


def allow(*, own: Iterable[str] = (), every: Iterable[str] = (), others: int = 404) -> Allow:
    own, every = frozenset(own), frozenset(every)
    if own & every:
        raise ValueError(f"roles both scoped and unscoped: {sorted(own & every)}")
    if not own <= HOLDER | PROVINCE | EXCHANGE:
        raise ValueError(f"only claim-scoped roles can be scoped: {sorted(own - HOLDER - PROVINCE - EXCHANGE)}")
    return Allow(own=own, every=every, others=others)


PUBLIC = Allow(public=True)
AccessTable = dict[str, Allow]
"""``"METHOD /path"`` (the full path, as in the OpenAPI document) → who may call it."""

# The routes every service has (``shared.webapp``): ops, docs, and the admin endpoints (api.md
# "Conventions": every admin endpoint needs a token; the bus views are for sim_admin and operators).
_BUS_READERS = SIM_ADMIN | NCSC | REGISTRY
COMMON_ACCESS: AccessTable = {
    "GET /openapi.json": PUBLIC,
    "GET /asyncapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /api/v1/admin/clock": allow(every=ANY_ROLE),
    "PUT /api/v1/admin/clock": allow(every=SIM_ADMIN),
    "POST /api/v1/admin/reset": allow(every=SIM_ADMIN),
    "GET /api/v1/admin/outbox": allow(every=_BUS_READERS),
    "GET /api/v1/admin/events": allow(every=_BUS_READERS),
    "GET /api/v1/admin/audit": allow(every=_BUS_READERS),
}
