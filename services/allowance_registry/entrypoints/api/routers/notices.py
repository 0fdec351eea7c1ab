"""Enterprise compliance notices (企业履约通知书), issued by the provinces."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.domain.monitoring import Completion, notice_name
from services.allowance_registry.domain.notices import NoticeStatus
from services.allowance_registry.entrypoints.api.deps import CSV, BusDep, EnterpriseOrProvince, Page, ProvinceInitiator
from services.allowance_registry.entrypoints.api.schemas import NoticeIn, NoticeOut, NoticeScopeOut, ScopeInstrumentOut
from services.allowance_registry.service_layer.commands import GetNotice, IssueNotice, ListNotices
from services.allowance_registry.service_layer.views import NoticeScope, NoticeView
from shared.bounds import FIRST_DAY, LAST_DAY, Day, Id
from shared.listing import Page as PageOf
from shared.listing import respond_list
from shared.offset_rules import Eligibility
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
        year=view.year,
        scope=_scope_out(view.scope),
        overdue=view.overdue_at is not None,
        overdue_at=view.overdue_at,
        completion_status=view.completion,
        completion_status_zh=view.completion.zh,
    )


def _scope_out(scope: NoticeScope | None) -> NoticeScopeOut | None:
    if scope is None:
        return None
    return NoticeScopeOut(
        period_code=scope.period_code,
        period_name=scope.period_name,
        allowance_instruments=[ScopeInstrumentOut(code=c, name=name) for c, name in scope.allowance_instruments],
        cap_bp=scope.cap_bp,
        eligibility=Eligibility.model_validate(scope.eligibility),
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
    issued_from: Annotated[Day | None, Query(description="issued on or after this day (Beijing) — 发放时间起")] = None,
    issued_to: Annotated[Day | None, Query(description="issued on or before this day (Beijing) — 发放时间止")] = None,
    completion_status: Annotated[Completion | None, Query(description=f"完成状态: {Completion.__doc__}")] = None,
    year: Annotated[
        int | None, Query(ge=FIRST_DAY.year, le=LAST_DAY.year, description="年份: the year the notice was issued")
    ] = None,
) -> Any:
    command = ListNotices(
        period_code=period_code,
        account_id=account_id,
        province=province,
        status=status.value if status else None,
        issued_from=issued_from,
        issued_to=issued_to,
        completion=completion_status.value if completion_status else None,
        year=year,
        limit=page.limit + 1,
        offset=page.offset,
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [notice_out(v) for v in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/{notice_id}", response_model=NoticeOut, summary="Compliance notice — 履约通知书")
async def get_notice(notice_id: Id, bus: BusDep, principal: EnterpriseOrProvince) -> NoticeOut:
    return notice_out(await bus.handle(GetNotice(notice_id=notice_id), principal))
