"""The handling of units that did not surrender in time (seed 001 二: "对未按时足额清缴配额的重点排放单位
……处理，有关处理情况于 2022 年 1 月 15 日前报送我部"): which units are overdue follows from the notices
and completions the allowance registry sent; the province records the handling of each; the
report, due 2022-01-15 23:59:59 (period data), is read by the province and, for the ministry, by
the national registry's operators."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.provincial_review.domain.overdue_handling import HandlingKind
from services.provincial_review.entrypoints.api.schemas import OverdueHandlingIn
from services.provincial_review.service_layer.commands import GetHandlingReport, RecordOverdueHandling
from shared.errors import Conflict, Invalid, NotFound
from shared.events.contracts import AccountRef, ComplianceCompletedV1
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_review_forms_support import Unit, review_at

DEADLINE = datetime(2021, 12, 31, 17, 0, tzinfo=CST)  # "12 月 31 日 17 点前": the last second
REPORT_DUE = datetime(2022, 1, 15, 23, 59, 59, tzinfo=CST)  # "2022 年 1 月 15 日前"
AFTER = DEADLINE + timedelta(seconds=1)


async def completed(review: ServiceUnderTest[Any], unit: Unit, at: datetime) -> None:
    payload = ComplianceCompletedV1(
        notice_id=unit.notice_id,
        period_code="2019-2020",
        account=AccountRef(id=unit.account_id, name=unit.name, uscc=unit.uscc, province=unit.province),
        completed_at=at,
    )
    assert await review.deliver(payload) == "applied"


def handle(unit: Unit, kind: HandlingKind = HandlingKind.ordered_to_correct, text: str = "责令限期改正") -> Any:
    return RecordOverdueHandling(notice_id=unit.notice_id, kind=kind, description=text)


async def report(review: ServiceUnderTest[Any], principal: Any, province: str | None = None) -> Any:
    return await review.handle(GetHandlingReport(period_code="2019-2020", province=province), principal)


async def three_units(review: ServiceUnderTest[Any]) -> tuple[Unit, Unit, Unit]:
    on_time = await Unit(name="按时企业").issued(review)
    late = await Unit(name="逾期完成企业").issued(review)
    never = await Unit(name="未完成企业").issued(review)
    await completed(review, on_time, DEADLINE)  # during 17:00:00: on time
    await completed(review, late, AFTER)
    return on_time, late, never


async def test_the_report_lists_the_units_not_complete_by_the_deadline_and_is_due_2022_01_15(backend: str) -> None:
    async with review_at(backend, now=datetime(2021, 12, 20, 9, 0, tzinfo=CST)) as review:
        on_time, _, _ = await three_units(review)
        hubei = on_time.initiator()

        before = await report(review, hubei)
        assert (before.due, before.units) == (REPORT_DUE, ())  # nobody is overdue before the deadline

        await review.set_clock(AFTER)
        after = await report(review, hubei)
        assert after.due == REPORT_DUE and after.province == "420000"
        assert {u.name: u.completed_at for u in after.units} == {"逾期完成企业": AFTER, "未完成企业": None}
        assert (after.handled, after.not_handled) == (0, 2)


async def test_the_province_records_the_handling_of_each_overdue_unit_and_may_correct_it(backend: str) -> None:
    async with review_at(backend, now=AFTER) as review:
        _, late, never = await three_units(review)

        first = await review.handle(handle(never), never.initiator())
        assert (first.kind, first.description, first.revision) == ("ordered_to_correct", "责令限期改正", 1)
        corrected = await review.handle(
            handle(never, HandlingKind.allowances_deducted, "等量核减2021年度配额 50,000 吨"), never.confirmer()
        )
        assert (corrected.kind, corrected.revision) == ("allowances_deducted", 2)
        await review.handle(handle(late, HandlingKind.fined, "罚款二万元"), late.initiator())

        seen = await report(review, never.initiator())
        assert {u.name: (u.handling.kind, u.handling.revision) for u in seen.units} == {
            "未完成企业": ("allowances_deducted", 2),
            "逾期完成企业": ("fined", 1),
        }
        assert (seen.handled, seen.not_handled) == (2, 0)


async def test_handling_is_refused_for_a_unit_that_is_not_overdue(backend: str) -> None:
    async with review_at(backend, now=datetime(2021, 12, 20, 9, 0, tzinfo=CST)) as review:
        on_time, _, never = await three_units(review)
        with pytest.raises(Conflict) as too_early:
            await review.handle(handle(never), never.initiator())
        await review.set_clock(AFTER)
        with pytest.raises(Conflict) as complied:
            await review.handle(handle(on_time), on_time.initiator())

        assert [f.code for f in too_early.value.findings] == ["UNIT_NOT_OVERDUE"]
        assert [f.code for f in complied.value.findings] == ["UNIT_NOT_OVERDUE"]
        assert (await report(review, never.initiator())).handled == 0


async def test_a_period_without_a_handling_report_has_none(backend: str) -> None:
    async with review_at(backend, now=datetime(2025, 2, 1, tzinfo=CST)) as review:
        unit = Unit()
        await review.deliver(
            unit.notice_issued(period_code="2023", deadline=datetime(2024, 12, 31, 23, 59, 59, tzinfo=CST)),
        )
        with pytest.raises(Conflict) as refused:
            await review.handle(handle(unit), unit.initiator())
        assert [f.code for f in refused.value.findings] == ["HANDLING_REPORT_NOT_REQUIRED"]
        with pytest.raises(Conflict):
            await review.handle(GetHandlingReport(period_code="2023"), unit.initiator())


async def test_a_province_sees_its_own_report_and_the_ministrys_reader_any_named_one(backend: str) -> None:
    async with review_at(backend, now=AFTER) as review:
        hubei = await Unit(province="420000").issued(review)
        beijing = await Unit(province="110000", name="北京电厂").issued(review)
        await review.handle(handle(hubei), hubei.initiator())

        with pytest.raises(NotFound):
            await review.handle(handle(hubei), beijing.initiator())
        with pytest.raises(NotFound):
            await report(review, beijing.initiator(), province="420000")
        assert [u.name for u in (await report(review, beijing.initiator())).units] == ["北京电厂"]

        ministry = as_("registry_initiator")
        seen = await report(review, ministry, province="420000")
        assert [(u.notice_id, u.handling.kind) for u in seen.units] == [(hubei.notice_id, "ordered_to_correct")]
        with pytest.raises(Invalid) as unnamed:
            await report(review, ministry)
        assert unnamed.value.code == "PROVINCE_REQUIRED"


def test_the_description_is_bounded_and_not_blank() -> None:
    assert OverdueHandlingIn(kind=HandlingKind.other, description=" 已移交执法 ").description == "已移交执法"
    for text in ("", "   ", "长" * 1001):
        with pytest.raises(ValidationError):
            OverdueHandlingIn(kind=HandlingKind.other, description=text)
