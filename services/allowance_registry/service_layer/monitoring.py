"""Monitoring a compliance period (seed 001 二, domain.md §7.7): the compliance stats of a province (or
all), the deadline's overdue marks (未按时足额清缴: a due job, run once whatever the clock jump), and the
enterprise's home page (seed 002: holdings, open notices, applications to do and under review)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.allowance_registry.adapters.orm import CompliancePeriod
from services.allowance_registry.adapters.repositories import NoticeRow
from services.allowance_registry.domain.monitoring import (
    OVERDUE_JOB,
    application_counts,
    compliance_stats,
    overdue_units,
)
from services.allowance_registry.domain.notices import NoticeStatus
from services.allowance_registry.service_layer.commands import GetAccountOverview, GetComplianceStats, GetHoldings
from services.allowance_registry.service_layer.holdings import get_holdings
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from services.allowance_registry.service_layer.views import ComplianceStatsView, NoticeScope, NoticeView, OverviewView
from shared.principal import Principal
from shared.timeutil import first_second_after

__all__ = [
    "OVERDUE_JOB",
    "get_account_overview",
    "get_compliance_stats",
    "mark_overdue_notices",
    "notice_views",
    "schedule_overdue_marking",
]

log = logging.getLogger(__name__)

# The home page lists open notices; a unit has one per period, so this is far above any real count.
_OPEN_NOTICES_SHOWN = 500


async def schedule_overdue_marking(uow: AllowanceUnitOfWork, period: CompliancePeriod) -> None:
    """The period's overdue marking falls due once its application deadline has passed (the first
    second after it): one job per period, however often this is called (when the period is approved,
    and again with each notice issued)."""
    due = first_second_after(period.application_deadline)
    await uow.schedule(OVERDUE_JOB, period.code, due, {"period_code": period.code})


async def mark_overdue_notices(uow: AllowanceUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """The deadline passed: every notice of the period not completed before it is marked overdue, once."""
    period_code = str(payload["period_code"])
    period = await uow.periods.get(period_code)
    deadline = period.application_deadline
    marked = 0
    for unit in overdue_units(await uow.monitoring.units(period_code, None), deadline):
        if unit.overdue_at is not None:
            continue  # marked already
        await uow.monitoring.mark_overdue(unit, period_code, deadline, uow.now())
        uow.audit(
            "mark_overdue",
            "notice",
            unit.notice_id,
            period_code=period_code,
            account_id=unit.account_id,
            obligation=unit.obligation,
            fulfilled=unit.fulfilled,
            under_review=unit.under_review,
            deadline=deadline,
        )
        marked += 1
    log.info("period %s: %s notice(s) marked overdue at the deadline %s", period_code, marked, deadline.isoformat())
    return f"{marked} notice(s) of period {period_code} marked overdue"


async def get_compliance_stats(
    uow: AllowanceUnitOfWork, cmd: GetComplianceStats, principal: Principal
) -> ComplianceStatsView:
    province = uow.monitoring.region(principal, cmd.province)  # NotFound: another province's
    period = await uow.periods.get(cmd.period_code)
    now = uow.now()
    stats = compliance_stats(
        await uow.monitoring.units(period.code, province),
        deadline=period.application_deadline,
        target_date=period.target_date,
        now=now,
    )
    return ComplianceStatsView(period.code, province, now, stats)


async def notice_views(uow: AllowanceUnitOfWork, rows: Sequence[NoticeRow]) -> list[NoticeView]:
    """Notices as the registry shows them, with their overdue marks and their period's scope (履约范围)."""
    overdue = await uow.monitoring.overdue_at([notice.id for notice, _, _ in rows])
    periods = await uow.periods.of_codes(sorted({notice.period_code for notice, _, _ in rows}))
    codes = sorted({code for p in periods.values() for code in p.allowance_instruments})
    names = {code: i.name for code, i in (await uow.instruments.of_codes(codes)).items()}
    scopes = {
        code: NoticeScope(
            period_code=p.code,
            period_name=p.name,
            allowance_instruments=[(c, names.get(c)) for c in p.allowance_instruments],
            cap_bp=p.cap_bp,
            eligibility=dict(p.eligibility),
        )
        for code, p in periods.items()
    }
    return [
        NoticeView(notice, account, cap_bp, overdue.get(notice.id), scopes.get(notice.period_code))
        for notice, account, cap_bp in rows
    ]


async def get_account_overview(uow: AllowanceUnitOfWork, cmd: GetAccountOverview, principal: Principal) -> OverviewView:
    holdings = await get_holdings(uow, GetHoldings(account_id=cmd.account_id), principal)  # NotFound outside scope
    rows = await uow.notices.search(
        principal,
        period_code=None,
        account_id=holdings.account.id,
        province=None,
        status=NoticeStatus.open.value,
        limit=_OPEN_NOTICES_SHOWN,
        offset=0,
    )
    counts = application_counts(await uow.monitoring.application_statuses(holdings.account.id))
    return OverviewView(holdings, await notice_views(uow, rows), counts, uow.now())
