"""Enterprise compliance notices (企业履约通知书), issued by the provinces."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.domain.monitoring import notice_name
from services.allowance_registry.domain.notices import NoticeStatus
from services.allowance_registry.entrypoints.api.deps import CSV, BusDep, EnterpriseOrProvince, Page, ProvinceInitiator
from services.allowance_registry.entrypoints.api.schemas import NoticeIn, NoticeOut
from services.allowance_registry.service_layer.commands import GetNotice, IssueNotice, ListNotices
from services.allowance_registry.service_layer.views import NoticeView
from shared.bounds import Id
from shared.listing import Page as PageOf
from shared.listing import respond_list
from shared.timeutil import local

__all__ = ["notice_out", "router"]

router = APIRouter(prefix="/notices", tags=["notices"])


def notice_out(view: NoticeView) -> NoticeOut:
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
        name=notice_name(view.account.holder_name, local(n.issued_at)),
        overdue=view.overdue_at is not None,
        overdue_at=view.overdue_at,
        completion_status=view.completion,
        completion_status_zh=view.completion.zh,
    )


@router.post("", status_code=201, response_model=NoticeOut, summary="Issue an enterprise notice — 发放企业履约通知书")
async def issue_notice(body: NoticeIn, bus: BusDep, principal: ProvinceInitiator) -> NoticeOut:
    command = IssueNotice(period_code=body.period_code, account_id=body.account_id, obligation=body.obligation)
    return notice_out(await bus.handle(command, principal))


@router.get("", response_model=PageOf[NoticeOut], responses=CSV, summary="Compliance notices — 履约通知书列表")
async def list_notices(
    bus: BusDep,
    principal: EnterpriseOrProvince,
    page: Page,
    request: Request,
    period_code: Id | None = None,
    account_id: Id | None = None,
    province: Annotated[str | None, Query(max_length=6, description="province code — 省份")] = None,
    status: Annotated[NoticeStatus | None, Query(description="open — 未完成; complete — 已完成")] = None,
) -> Any:
    command = ListNotices(
        period_code=period_code,
        account_id=account_id,
        province=province,
        status=status.value if status else None,
        limit=page.limit + 1,
        offset=page.offset,
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [notice_out(v) for v in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/{notice_id}", response_model=NoticeOut, summary="Compliance notice — 履约通知书")
async def get_notice(notice_id: Id, bus: BusDep, principal: EnterpriseOrProvince) -> NoticeOut:
    return notice_out(await bus.handle(GetNotice(notice_id=notice_id), principal))
