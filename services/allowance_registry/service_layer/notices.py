"""Compliance notices: the registry's provincial notices and the provinces' enterprise notices."""

from __future__ import annotations

from services.allowance_registry.adapters.orm import Account, Notice, ProvincialNotice
from services.allowance_registry.domain.monitoring import Completion, completion_filter
from services.allowance_registry.domain.notices import ISSUANCE_CODES, NoticeStatus, issuance_findings, issued_window
from services.allowance_registry.domain.periods import PeriodStatus
from services.allowance_registry.service_layer.commands import (
    GetNotice,
    IssueNotice,
    IssueProvincialNotice,
    ListNotices,
    ListProvincialNotices,
)
from services.allowance_registry.service_layer.monitoring import notice_views, schedule_overdue_marking
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from services.allowance_registry.service_layer.views import NoticeView
from shared.errors import Conflict, refuse
from shared.events.contracts import AccountRef, NoticeIssuedV1
from shared.ids import new_id
from shared.principal import Principal

__all__ = [
    "account_ref",
    "get_notice",
    "issue_notice",
    "issue_provincial_notice",
    "list_notices",
    "list_provincial_notices",
]


def account_ref(account: Account) -> AccountRef:
    return AccountRef(id=account.id, name=account.holder_name, uscc=account.holder_uscc, province=account.province)


async def issue_provincial_notice(
    uow: AllowanceUnitOfWork, cmd: IssueProvincialNotice, principal: Principal
) -> ProvincialNotice:
    period = await uow.periods.get(cmd.period_code)
    if period.status != PeriodStatus.active:
        raise Conflict(
            "PERIOD_NOT_ACTIVE",
            f"compliance period {cmd.period_code} is not active",
            f"履约期 {cmd.period_code} 未生效",
        )
    exists = Conflict(
        "PROVINCIAL_NOTICE_EXISTS",
        f"province {cmd.province} already has its notice for period {cmd.period_code}",
        f"省份 {cmd.province} 已有履约期 {cmd.period_code} 的省级履约通知书",
    )
    if await uow.provincial_notices.exists(cmd.period_code, cmd.province):
        raise exists
    notice = ProvincialNotice(
        id=new_id("PN"),
        period_code=cmd.period_code,
        province=cmd.province,
        total_obligation=cmd.total_obligation,
        issued_total=0,
        issued_at=uow.now(),
        issued_by=uow.actor,
    )
    if not await uow.provincial_notices.add_new(notice):
        raise exists
    uow.audit(
        "issue_provincial_notice",
        "provincial_notice",
        notice.id,
        period_code=cmd.period_code,
        province=cmd.province,
        total_obligation=cmd.total_obligation,
    )
    return notice


async def list_provincial_notices(
    uow: AllowanceUnitOfWork, cmd: ListProvincialNotices, principal: Principal
) -> list[ProvincialNotice]:
    return await uow.provincial_notices.search(
        principal, period_code=cmd.period_code, province=cmd.province, limit=cmd.limit, offset=cmd.offset
    )


async def issue_notice(uow: AllowanceUnitOfWork, cmd: IssueNotice, principal: Principal) -> NoticeView:
    """A province issues an enterprise notice, within its provincial total (every refusal at once)."""
    account = await uow.accounts.get(cmd.account_id, principal)  # NotFound outside the province
    period = await uow.periods.get(cmd.period_code)
    provincial = await uow.provincial_notices.lock(cmd.period_code, account.province)
    findings = issuance_findings(
        period_code=cmd.period_code,
        period_active=period.status == PeriodStatus.active,
        account_type=account.account_type,
        account_status=account.status,
        provincial_total=provincial.total_obligation if provincial else None,
        already_issued_in_province=provincial.issued_total if provincial else 0,
        obligation=cmd.obligation,
        existing_notice=await uow.notices.exists_for(cmd.period_code, cmd.account_id),
    )
    refuse(
        findings,
        "the notice cannot be issued",
        "无法发放履约通知书",
        code="NOTICE_REFUSED",
        conflict_codes=ISSUANCE_CODES,
    )
    notice = Notice(
        id=new_id("NTC"),
        period_code=cmd.period_code,
        account_id=account.id,
        province=account.province,
        obligation=cmd.obligation,
        fulfilled=0,
        under_review=0,
        ccer_registered=0,
        ccer_under_review=0,
        deadline=period.application_deadline,
        status=NoticeStatus.open.value,
        issued_at=uow.now(),
        issued_by=uow.actor,
        completed_at=None,
    )
    if not await uow.notices.add_new(notice):
        raise Conflict(
            "NOTICE_EXISTS",
            f"the account already has a compliance notice for period {cmd.period_code}",
            f"该账户已有履约期 {cmd.period_code} 的履约通知书",
        )
    assert provincial is not None  # refused above otherwise
    provincial.issued_total += cmd.obligation
    uow.emit(
        NoticeIssuedV1(
            notice_id=notice.id,
            period_code=cmd.period_code,
            account=account_ref(account),
            obligation=cmd.obligation,
            deadline=notice.deadline,
        ),
        correlation_id=notice.id,
    )
    await schedule_overdue_marking(uow, period)  # once per period: the periods approved before it existed
    uow.audit(
        "issue_notice",
        "notice",
        notice.id,
        period_code=cmd.period_code,
        account_id=account.id,
        obligation=cmd.obligation,
    )
    [view] = await notice_views(uow, [(notice, account, period.cap_bp)])
    return view


async def get_notice(uow: AllowanceUnitOfWork, cmd: GetNotice, principal: Principal) -> NoticeView:
    [view] = await notice_views(uow, [await uow.notices.get(cmd.notice_id, principal)])
    return view


async def list_notices(uow: AllowanceUnitOfWork, cmd: ListNotices, principal: Principal) -> list[NoticeView]:
    """履约清缴任务搜索: every filter at once; a date range that ends before it starts is refused (422)."""
    window, findings = issued_window(cmd.issued_from, cmd.issued_to, cmd.year)
    refuse(findings, "the notice filters are invalid", "履约通知书查询条件无效", code="NOTICE_FILTER_INVALID")
    status, overdue = (cmd.status, None)
    if cmd.completion:
        wanted, overdue = completion_filter(Completion(cmd.completion))
        if cmd.status and cmd.status != wanted:
            return []  # open and complete at once: nothing is
        status = wanted.value
    rows = await uow.notices.search(
        principal,
        period_code=cmd.period_code,
        account_id=cmd.account_id,
        province=cmd.province,
        status=status,
        issued=window,
        overdue=overdue,
        limit=cmd.limit,
        offset=cmd.offset,
    )
    return await notice_views(uow, rows)
