"""Monitoring the first period (seed 001 二) and the enterprise's home page (seed 002), through the
allowance registry's handlers: stats at the 95% date and at the deadline, the overdue marking run once
by the deadline's job, and the overview with seed 002's worked example."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from services.allowance_registry.adapters.orm import CcerHolding, Instrument
from services.allowance_registry.domain.applications import Item, ItemKind
from services.allowance_registry.domain.monitoring import OVERDUE_JOB
from services.allowance_registry.service_layer.commands import (
    AllocateAllowances,
    DraftApplication,
    GetAccountOverview,
    GetComplianceStats,
    GetNotice,
    IssueNotice,
    IssueProvincialNotice,
    ListNotices,
    SubmitApplication,
)
from services.allowance_registry.service_layer.views import ComplianceStatsView
from shared.errors import NotFound
from shared.principal import Principal
from shared.scheduler import schedule_job
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_, service_under_test
from tests.unit.service_layer.test_allowance_support import MAKER, active_period, approved, new_uscc, open_account

Svc = ServiceUnderTest[Any]

PERIOD = "2019-2020"
PE = "PE2021000097"
NOTICES_ISSUED = datetime(2021, 11, 3, 22, 8, 39, tzinfo=CST)  # seed 002's screenshot
TARGET = datetime(2021, 12, 15, 17, 0, tzinfo=CST)
DEADLINE = datetime(2021, 12, 31, 17, 0, tzinfo=CST)
HUBEI = "420000"
REGISTRY = as_("registry_confirmer")


@pytest.fixture
async def first_period(backend: str) -> AsyncIterator[Svc]:
    """The allowance registry on the evening seed 002's notices were issued, the 2019-2020 period active."""
    async with service_under_test("allowance_registry", backend, now=NOTICES_ISSUED - timedelta(hours=1)) as svc:
        await active_period(svc, builtin=PERIOD, code=PERIOD)
        for province in (HUBEI, "110000"):
            await svc.handle(
                IssueProvincialNotice(period_code=PERIOD, province=province, total_obligation=10**9), MAKER
            )
        await svc.set_clock(NOTICES_ISSUED)
        yield svc


@dataclass(frozen=True)
class Unit:
    org: str
    account_id: str
    notice_id: str
    province: str

    @property
    def principal(self) -> Principal:
        return as_("enterprise", org=self.org)


async def unit_with_notice(
    svc: Svc, name: str, obligation: int = 1_000, *, province: str = HUBEI, allowances: int | None = None
) -> Unit:
    org = new_uscc()
    account_id = await open_account(svc, org=org, province=province, name=name)
    await svc.handle(
        AllocateAllowances(account_id=account_id, instrument=PE, quantity=allowances or obligation, side="registry"),
        MAKER,
    )
    view = await svc.handle(
        IssueNotice(period_code=PERIOD, account_id=account_id, obligation=obligation),
        as_("province_initiator", province=province),
    )
    await svc.sent()
    return Unit(org, account_id, view.notice.id, province)


async def apply(svc: Svc, unit: Unit, *items: Item) -> str:
    draft = await svc.handle(DraftApplication(notice_id=unit.notice_id, items=items), unit.principal)
    submitted = await svc.handle(SubmitApplication(application_id=draft.id), unit.principal)
    await svc.sent()
    return submitted.id


async def comply(svc: Svc, unit: Unit, quantity: int) -> None:
    """Apply with allowances and have the province approve it now."""
    application_id = await apply(svc, unit, Item(kind=ItemKind.allowance, instrument=PE, quantity=quantity))
    await svc.deliver(approved(application_id))
    await svc.sent()


async def stats(svc: Svc, principal: Principal = REGISTRY, province: str | None = HUBEI) -> ComplianceStatsView:
    return await svc.handle(GetComplianceStats(period_code=PERIOD, province=province), principal)


async def three_units(svc: Svc) -> tuple[Unit, Unit, Unit]:
    """One complete before 12-15 17:00, one between 12-15 17:00 and 12-31 17:00, one never (400 of 1,000)."""
    early = await unit_with_notice(svc, "早完成企业")
    between = await unit_with_notice(svc, "后完成企业")
    never = await unit_with_notice(svc, "未完成企业")
    await svc.set_clock(datetime(2021, 12, 10, 10, 0, tzinfo=CST))
    await comply(svc, early, 1_000)
    await comply(svc, never, 400)
    await svc.set_clock(TARGET + timedelta(minutes=1))
    return early, between, never


async def test_stats_after_the_95_percent_date_count_one_of_three_and_so_far_one_complete(first_period: Svc) -> None:
    _, between, never = await three_units(first_period)

    view = await stats(first_period)

    s = view.stats
    assert (view.period_code, view.province, s.units) == (PERIOD, HUBEI, 3)
    assert (s.complete_by_target_date, str(s.share_complete_by_target_date)) == (1, "0.3333")
    assert (s.complete, s.final) == (1, False)  # complete so far
    assert (s.target_share, s.target_met) == (Decimal("0.95"), False)
    assert {u.account_id for u in s.units_short} == {between.account_id, never.account_id}


async def test_stats_after_the_deadline_count_two_of_three_and_list_the_third(first_period: Svc) -> None:
    _, between, never = await three_units(first_period)
    await comply(first_period, between, 1_000)

    assert await first_period.set_clock(DEADLINE + timedelta(minutes=1)) == 1  # the overdue marking
    view = await stats(first_period)

    s = view.stats
    assert (s.units, s.complete, str(s.share_complete)) == (3, 2, "0.6667")
    assert (s.complete_by_target_date, str(s.share_complete_by_target_date)) == (1, "0.3333")
    assert s.final is True and s.overdue == 1
    [short] = s.units_short
    assert (short.account_id, short.name, short.obligation, short.fulfilled) == (
        never.account_id,
        "未完成企业",
        1_000,
        400,
    )
    assert short.overdue_at == DEADLINE


async def test_the_deadline_marks_each_incomplete_notice_overdue_once_whatever_the_jump(first_period: Svc) -> None:
    early, between, never = await three_units(first_period)

    assert await first_period.set_clock(datetime(2023, 6, 1, tzinfo=CST)) == 1
    # A second job of the same kind (another replica, a repeated schedule) marks nothing new.
    async with first_period.runtime.sessions() as session, session.begin():
        assert await schedule_job(
            session, first_period.runtime.infra, OVERDUE_JOB, "again", DEADLINE, {"period_code": PERIOD}
        )
    assert await first_period.set_clock(datetime(2023, 6, 2, tzinfo=CST)) == 1
    assert await first_period.set_clock(datetime(2030, 1, 1, tzinfo=CST)) == 0

    jobs = first_period.runtime.infra.jobs
    async with first_period.runtime.sessions() as session:
        results = dict(
            (await session.execute(select(jobs.c.key, jobs.c.result).where(jobs.c.kind == OVERDUE_JOB))).all()
        )
    assert results == {
        PERIOD: f"2 notice(s) of period {PERIOD} marked overdue",
        "again": f"0 notice(s) of period {PERIOD} marked overdue",
    }
    notices = await first_period.handle(ListNotices(period_code=PERIOD, limit=500), REGISTRY)
    overdue = {v.notice.account_id: v.overdue_at for v in notices}
    assert overdue == {early.account_id: None, between.account_id: DEADLINE, never.account_id: DEADLINE}
    assert (await stats(first_period)).stats.overdue == 2


async def test_an_application_approved_after_the_deadline_completes_the_notice_late(first_period: Svc) -> None:
    late = await unit_with_notice(first_period, "逾期企业")
    await first_period.set_clock(DEADLINE - timedelta(hours=1))
    application_id = await apply(first_period, late, Item(kind=ItemKind.allowance, instrument=PE, quantity=1_000))
    await first_period.set_clock(DEADLINE + timedelta(seconds=1))  # 17:00:00 was the last second

    marked = await first_period.handle(GetNotice(notice_id=late.notice_id), late.principal)
    await first_period.deliver(approved(application_id))
    completed = await first_period.handle(GetNotice(notice_id=late.notice_id), late.principal)

    assert (marked.notice.status, marked.overdue_at, marked.completion.zh) == ("open", DEADLINE, "未按时足额清缴")
    assert (completed.notice.status, completed.completion) == ("complete", "complete_late")
    s = (await stats(first_period)).stats
    assert (s.complete, [u.account_id for u in s.units_short]) == (0, [late.account_id])


async def test_a_province_sees_its_own_stats_only_and_the_registry_any_or_all(first_period: Svc) -> None:
    await unit_with_notice(first_period, "湖北企业")
    await unit_with_notice(first_period, "北京企业", province="110000")
    hubei = as_("province_confirmer", province=HUBEI)

    own = await stats(first_period, hubei, province=None)
    named = await stats(first_period, hubei, province=HUBEI)
    everywhere = await stats(first_period, REGISTRY, province=None)
    beijing = await stats(first_period, as_("registry_initiator"), province="110000")

    assert (own.province, own.stats.units, named.stats.units) == (HUBEI, 1, 1)
    assert (everywhere.province, everywhere.stats.units) == (None, 2)
    assert [u.name for u in beijing.stats.units_short] == ["北京企业"]
    with pytest.raises(NotFound):
        await stats(first_period, hubei, province="110000")
    with pytest.raises(NotFound):
        await stats(first_period, as_("enterprise", org=new_uscc()), province=HUBEI)
    with pytest.raises(NotFound):
        await first_period.handle(GetComplianceStats(period_code="1999"), REGISTRY)


async def credit_offset_ccer(svc: Svc, account_id: str, code: str, quantity: int) -> None:
    """Stands in for an approved offset-CCER creation request (another handler's work): the holding."""
    async with svc.runtime.sessions() as session, session.begin():
        session.add(
            Instrument(
                code=code,
                name="火电测试企业配额抵消清缴CCER",
                kind="offset_ccer",
                vintage=None,
                created_at=svc.now,
                created_by="test",
            )
        )
        session.add(CcerHolding(account_id=account_id, instrument=code, quantity=quantity, frozen=0))


async def test_the_home_page_follows_seed_002_from_notice_to_surrender(first_period: Svc) -> None:
    unit = await unit_with_notice(first_period, "火电测试企业", 1_000_000)
    await credit_offset_ccer(first_period, unit.account_id, "CCER21000057", 50_000)

    before = await first_period.handle(GetAccountOverview(account_id=unit.account_id), unit.principal)

    assert (before.allowances.registry, before.allowances.trading) == (1_000_000, 0)
    assert (before.ccer.registry, before.ccer.trading) == (50_000, 0)
    [notice] = before.open_notices
    assert (notice.notice.obligation, notice.notice.fulfilled, notice.notice.under_review) == (1_000_000, 0, 0)
    assert (notice.ccer_offsettable, notice.notice.issued_at, notice.notice.deadline) == (
        50_000,
        NOTICES_ISSUED,
        DEADLINE,
    )
    assert notice.completion.zh == "未完成"
    assert (before.applications.to_do, before.applications.under_review) == (0, 0)

    draft = await first_period.handle(
        DraftApplication(
            notice_id=unit.notice_id,
            items=(
                Item(kind=ItemKind.offset_ccer, instrument="CCER21000057", quantity=50_000),
                Item(kind=ItemKind.allowance, instrument=PE, quantity=950_000),
            ),
        ),
        unit.principal,
    )
    drafted = await first_period.handle(GetAccountOverview(account_id=unit.account_id), unit.principal)
    await first_period.handle(SubmitApplication(application_id=draft.id), unit.principal)
    submitted = await first_period.handle(GetAccountOverview(account_id=unit.account_id), unit.principal)
    await first_period.deliver(approved(draft.id))
    after = await first_period.handle(GetAccountOverview(account_id=unit.account_id), unit.principal)

    assert (drafted.applications.to_do, drafted.applications.under_review) == (1, 0)
    assert (submitted.applications.to_do, submitted.applications.under_review) == (0, 1)
    [under_review] = submitted.open_notices
    assert (under_review.notice.under_review, under_review.ccer_offsettable) == (1_000_000, 0)
    assert (submitted.allowances.frozen, submitted.ccer.frozen) == (950_000, 50_000)
    assert (after.allowances.registry, after.ccer.registry, after.open_notices) == (50_000, 0, [])
    assert (after.applications.to_do, after.applications.under_review) == (0, 0)


async def test_the_overview_is_the_holders_its_provinces_and_the_registrys_only(first_period: Svc) -> None:
    unit = await unit_with_notice(first_period, "火电测试企业")

    for principal in (unit.principal, as_("province_initiator", province=HUBEI), REGISTRY):
        seen = await first_period.handle(GetAccountOverview(account_id=unit.account_id), principal)
        assert seen.holdings.account.id == unit.account_id
    for outsider in (as_("enterprise", org=new_uscc()), as_("province_initiator", province="110000")):
        with pytest.raises(NotFound):
            await first_period.handle(GetAccountOverview(account_id=unit.account_id), outsider)
