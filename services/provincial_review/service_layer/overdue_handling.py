"""The handling of units that did not surrender in time (seed 001 二): the province records how it
handled each overdue unit, and reports to the ministry by the period's ``handling_report_due``.
Overdue follows from what the allowance registry told the province: the notice (with its
deadline) and its completion, if any."""

from __future__ import annotations

from datetime import datetime

from services.provincial_review.adapters.orm import IssuedNotice, OverdueHandling
from services.provincial_review.domain.access import HANDLING_REPORT_READERS
from services.provincial_review.domain.overdue_handling import (
    HANDLING_CONFLICTS,
    HANDLING_NOT_REQUIRED,
    NoticeFacts,
    handling_findings,
    overdue_notices,
)
from services.provincial_review.service_layer.commands import GetHandlingReport, RecordOverdueHandling
from services.provincial_review.service_layer.queries import scope_of
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from services.provincial_review.service_layer.views import HandlingReport, OverdueUnit
from shared.errors import ConcurrentChange, Conflict, Invalid, NotFound, refuse
from shared.principal import Principal
from shared.scope import Scope

__all__ = ["get_handling_report", "record_overdue_handling"]


def _facts(notice: IssuedNotice, completed_at: datetime | None) -> NoticeFacts:
    return NoticeFacts(notice.notice_id, notice.period_code, notice.deadline, completed_at)


def _report_due(uow: ReviewUnitOfWork, period_code: str) -> datetime | None:
    period = uow.period_definitions.get(period_code)
    return period.handling_report_due if period is not None else None


async def record_overdue_handling(
    uow: ReviewUnitOfWork, cmd: RecordOverdueHandling, principal: Principal
) -> OverdueHandling:
    """Record how the province handled one of its overdue units; a second record corrects the first."""
    notice = await uow.notices.get(cmd.notice_id)
    if notice is None or not scope_of(principal).admits(province=notice.province):
        raise NotFound.of("compliance notice", "履约通知书", cmd.notice_id)
    completion = await uow.completions.get(notice.notice_id)
    facts = _facts(notice, completion.completed_at if completion else None)
    refuse(
        handling_findings(facts, _report_due(uow, notice.period_code), uow.now()),
        "the handling cannot be recorded",
        "处理情况无法登记",
        conflict_codes=HANDLING_CONFLICTS,
    )
    values = {
        "kind": cmd.kind.value,
        "description": cmd.description,
        "recorded_at": uow.now(),
        "recorded_by": principal.actor,
    }
    existing = await uow.handlings.get(notice.notice_id)
    if existing is None:
        row = OverdueHandling(
            notice_id=notice.notice_id, period_code=notice.period_code, province=notice.province, revision=1, **values
        )
        if not await uow.handlings.add(row):
            raise ConcurrentChange("handling of the overdue unit")
    elif not await uow.handlings.replace(notice.notice_id, existing.revision, **values):
        raise ConcurrentChange("handling of the overdue unit")
    handling = await uow.handlings.fresh(notice.notice_id)
    uow.audit("record_overdue_handling", "notice", notice.notice_id, kind=cmd.kind, revision=handling.revision)
    return handling


def _province(principal: Principal, asked: str | None) -> str:
    """The province whose report is read: a province its own, the ministry's reader the one it names."""
    scope = Scope.of(principal, operators=HANDLING_REPORT_READERS)
    if scope.everything:
        if asked is None:
            raise Invalid("PROVINCE_REQUIRED", "name the province of the report", "请指定省份", field="province")
        return asked
    if scope.province is None or (asked is not None and asked != scope.province):
        raise NotFound.of("handling report", "处理情况报告", asked)
    return scope.province


async def get_handling_report(uow: ReviewUnitOfWork, cmd: GetHandlingReport, principal: Principal) -> HandlingReport:
    """Every overdue unit of the province for the period, with its handling, and the report's due date."""
    province = _province(principal, cmd.province)
    due = _report_due(uow, cmd.period_code)
    if due is None:
        raise Conflict(
            HANDLING_NOT_REQUIRED,
            f"period {cmd.period_code} has no report on the handling of overdue units",
            f"履约期 {cmd.period_code} 无需报送未按时足额清缴单位的处理情况",
        )
    region = Scope(province=province)
    notices = {n.notice_id: n for n in await uow.notices.of_period(region, cmd.period_code)}
    done = await uow.completions.of_period(region, cmd.period_code)
    handled = await uow.handlings.of_period(province, cmd.period_code)
    overdue = overdue_notices(
        (_facts(n, None) for n in notices.values()), {k: c.completed_at for k, c in done.items()}, uow.now()
    )
    units = tuple(
        OverdueUnit(
            notice_id=o.notice_id,
            account_id=notices[o.notice_id].account_id,
            name=notices[o.notice_id].account_name,
            uscc=notices[o.notice_id].account_uscc,
            obligation=notices[o.notice_id].obligation,
            deadline=o.deadline,
            completed_at=o.completed_at,
            handling=handled.get(o.notice_id),
        )
        for o in overdue
    )
    return HandlingReport(cmd.period_code, province, due, units, uow.now())
