"""Provincial and enterprise compliance notices (履约通知书)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import ProvincialNotice
from services.allowance_registry.domain.notices import NoticeStatus
from services.allowance_registry.entrypoints.deps import (
    CSV,
    HolderOrProvince,
    Initiator,
    Page,
    ProvinceInitiator,
    RegistryOrProvince,
)
from services.allowance_registry.entrypoints.schemas import NoticeIn, NoticeOut, ProvincialNoticeIn, ProvincialNoticeOut
from services.allowance_registry.service_layer import notices as svc
from shared.listing import Page as PageOf
from shared.listing import respond_list
from shared.webapp import RuntimeDep, uow_for

router = APIRouter(tags=["notices"])


def provincial_out(n: ProvincialNotice) -> ProvincialNoticeOut:
    return ProvincialNoticeOut(
        id=n.id,
        period_code=n.period_code,
        province=n.province,
        total_obligation=n.total_obligation,
        issued_at=n.issued_at,
    )


def notice_out(view: svc.NoticeView) -> NoticeOut:
    n = view.notice
    return NoticeOut(
        id=n.id,
        period_code=n.period_code,
        account_id=n.account_id,
        account_name=view.account.holder_name,
        province=n.province,
        obligation=n.obligation,
        fulfilled=n.fulfilled,
        under_review=n.under_review,
        ccer_offsettable=view.ccer_offsettable,
        ccer_registered=n.ccer_registered,
        ccer_under_review=n.ccer_under_review,
        deadline=n.deadline,
        status=n.status,
        issued_at=n.issued_at,
        completed_at=n.completed_at,
    )


@router.post(
    "/provincial-notices",
    status_code=201,
    response_model=ProvincialNoticeOut,
    summary="Issue a provincial notice — 发放省级履约通知书",
)
async def issue_provincial_notice(
    body: ProvincialNoticeIn, runtime: RuntimeDep, principal: Initiator, request: Request
) -> ProvincialNoticeOut:
    async with uow_for(runtime, principal, request) as uow:
        notice = await svc.issue_provincial_notice(uow, body.period_code, body.province, body.total_obligation)
        await uow.commit()
    return provincial_out(notice)


@router.get(
    "/provincial-notices",
    response_model=PageOf[ProvincialNoticeOut],
    responses=CSV,
    summary="Provincial notices — 省级履约通知书列表",
)
async def list_provincial_notices(
    runtime: RuntimeDep,
    principal: RegistryOrProvince,
    page: Page,
    request: Request,
    period_code: str | None = None,
    province: str | None = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        rows = await svc.list_provincial_notices(uow, principal, period_code, province, page.limit + 1, page.offset)
        return respond_list(request, [provincial_out(n) for n in rows[: page.limit]], page, len(rows) > page.limit)


@router.post(
    "/notices", status_code=201, response_model=NoticeOut, summary="Issue an enterprise notice — 发放企业履约通知书"
)
async def issue_notice(
    body: NoticeIn, runtime: RuntimeDep, principal: ProvinceInitiator, request: Request
) -> NoticeOut:
    async with uow_for(runtime, principal, request) as uow:
        notice = await svc.issue_notice(uow, principal, body.period_code, body.account_id, body.obligation)
        await uow.commit()
    async with runtime.uow(actor=principal.sub) as uow:
        return notice_out(await svc.get_notice(uow, principal, notice.id))


@router.get("/notices", response_model=PageOf[NoticeOut], responses=CSV, summary="Compliance notices — 履约通知书列表")
async def list_notices(
    runtime: RuntimeDep,
    principal: HolderOrProvince,
    page: Page,
    request: Request,
    period_code: str | None = None,
    account_id: str | None = None,
    province: str | None = None,
    status: Annotated[NoticeStatus | None, Query(description="open — 未完成; complete — 已完成")] = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        rows = await svc.list_notices(
            uow,
            principal,
            period_code=period_code,
            account_id=account_id,
            province=province,
            status=status.value if status else None,
            limit=page.limit + 1,
            offset=page.offset,
        )
        return respond_list(request, [notice_out(v) for v in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/notices/{notice_id}", response_model=NoticeOut, summary="Compliance notice — 履约通知书")
async def get_notice(notice_id: str, runtime: RuntimeDep, principal: HolderOrProvince) -> NoticeOut:
    async with runtime.uow(actor=principal.sub) as uow:
        return notice_out(await svc.get_notice(uow, principal, notice_id))
