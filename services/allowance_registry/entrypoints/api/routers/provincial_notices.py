"""Provincial compliance notices (省级履约通知书), issued by the registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import ProvincialNotice
from services.allowance_registry.entrypoints.api.deps import CSV, BusDep, Page, ProvinceOrRegistry, RegistryInitiator
from services.allowance_registry.entrypoints.api.schemas import ProvincialNoticeIn, ProvincialNoticeOut
from services.allowance_registry.service_layer.commands import IssueProvincialNotice, ListProvincialNotices
from shared.bounds import Id
from shared.listing import Page as PageOf
from shared.listing import respond_list

__all__ = ["router"]

router = APIRouter(prefix="/provincial-notices", tags=["notices"])


def provincial_out(n: ProvincialNotice) -> ProvincialNoticeOut:
    return ProvincialNoticeOut(
        id=n.id,
        period_code=n.period_code,
        province=n.province,
        total_obligation=n.total_obligation,
        issued_at=n.issued_at,
    )


@router.post(
    "", status_code=201, response_model=ProvincialNoticeOut, summary="Issue a provincial notice — 发放省级履约通知书"
)
async def issue_provincial_notice(
    body: ProvincialNoticeIn, bus: BusDep, principal: RegistryInitiator
) -> ProvincialNoticeOut:
    command = IssueProvincialNotice(
        period_code=body.period_code, province=body.province, total_obligation=body.total_obligation
    )
    return provincial_out(await bus.handle(command, principal))


@router.get(
    "", response_model=PageOf[ProvincialNoticeOut], responses=CSV, summary="Provincial notices — 省级履约通知书列表"
)
async def list_provincial_notices(
    bus: BusDep,
    principal: ProvinceOrRegistry,
    page: Page,
    request: Request,
    period_code: Id | None = None,
    province: Annotated[str | None, Query(max_length=6, description="province code — 省份")] = None,
) -> Any:
    command = ListProvincialNotices(
        period_code=period_code, province=province, limit=page.limit + 1, offset=page.offset
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [provincial_out(n) for n in rows[: page.limit]], page, len(rows) > page.limit)
