"""The province's weekly summary of its offset forms for NCSC (seed 001 第四步 "每周汇总申请表信息"), made
by a due job every Friday at 17:00 (+08:00): per province, every form received or decided since the
previous Friday 17:00, with its status at the week's end (not only the confirmed ones); once per
Friday whatever the clock jump; an empty summary for a province with forms but none received or
decided that week; a province reads its own summaries, NCSC all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.provincial_review.service_layer.commands import GetOffsetForm, ListFormSummaries
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_review_forms_support import Unit, confirm, review_at, send_back


def friday(month: int, day: int, hour: int = 17, minute: int = 0, second: int = 0) -> datetime:
    moment = datetime(2021, month, day, hour, minute, second, tzinfo=CST)
    assert moment.weekday() == 4
    return moment


@pytest.fixture
async def review(backend: str) -> AsyncIterator[ServiceUnderTest[Any]]:
    """The provincial review on Tuesday 2021-11-02, inside the form window."""
    async with review_at(backend) as service:
        yield service


async def summaries(review: ServiceUnderTest[Any], reader: Any = None, **kw: Any) -> list[Any]:
    page = await review.handle(ListFormSummaries(**kw), reader or as_("ncsc_operator"))
    return list(page.summaries)


async def test_on_friday_at_17_00_each_province_summarises_every_form_received_that_week_with_its_status(
    review: ServiceUnderTest[Any],
) -> None:
    first = await Unit(name="火电测试企业").issued(review)
    second = await Unit(name="第二电厂", obligation=600_000).issued(review)
    beijing = await Unit(province="110000", name="北京电厂").issued(review)
    form_ids = [(await u.submit(review)).form.id for u in (first, second, beijing)]
    await confirm(review, first, form_ids[0])
    await confirm(review, second, form_ids[1])

    await review.set_clock(friday(11, 5, 16, 59, 59))
    assert await summaries(review) == []

    assert await review.set_clock(friday(11, 5)) == 1  # one job for every province

    hubei, peking = sorted(await summaries(review), key=lambda s: s.province, reverse=True)
    assert (hubei.province, hubei.week_ending, hubei.forms) == ("420000", date(2021, 11, 5), 2)
    assert (hubei.requested_total, hubei.confirmed_total) == (80_000, 80_000)
    assert (hubei.covers_from, hubei.covers_until) == (friday(10, 29), friday(11, 5))
    assert sorted(
        (i["unit"]["name"], i["status"], i["obligation"], i["requested_quantity"], i["confirmed_quantity"])
        for i in hubei.items
    ) == [
        ("火电测试企业", "confirmed", 1_000_000, 50_000, 50_000),
        ("第二电厂", "confirmed", 600_000, 30_000, 30_000),
    ]
    # Beijing's form was received, not yet confirmed: it is in the summary, as submitted.
    assert (peking.province, peking.forms, peking.requested_total, peking.confirmed_total) == ("110000", 1, 50_000, 0)
    [item] = peking.items
    assert (item["form_id"], item["status"], item["confirmed_quantity"], item["confirmed_at"]) == (
        form_ids[2],
        "submitted",
        0,
        None,
    )
    reported = await review.handle(GetOffsetForm(form_id=form_ids[0]), first.initiator())
    assert reported.form.summary_id == hubei.id


async def test_a_form_confirmed_at_17_00_00_on_friday_goes_into_the_next_weeks_summary(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    await review.set_clock(friday(11, 5))
    await confirm(review, unit, form_id)  # after that Friday's job ran

    await review.set_clock(friday(11, 12))

    by_week = {s.week_ending: [i["status"] for i in s.items] for s in await summaries(review)}
    assert by_week == {date(2021, 11, 5): ["submitted"], date(2021, 11, 12): ["confirmed"]}


async def test_a_jump_over_three_fridays_makes_three_summaries_each_once(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    await confirm(review, unit, form_id)

    ran = await review.set_clock(friday(11, 19, 18))  # over 11-05, 11-12 and 11-19

    assert ran == 3
    weeks = [(s.week_ending, s.forms) for s in await summaries(review)]
    assert weeks == [(date(2021, 11, 5), 1), (date(2021, 11, 12), 0), (date(2021, 11, 19), 0)]
    # Running the clock on inside the same week makes none again.
    assert await review.set_clock(friday(11, 19, 23, 59, 59)) == 0
    assert len(await summaries(review)) == 3


async def test_summaries_run_every_friday_of_the_window_and_stop_after_the_first_friday_after_it(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    await unit.submit(review)

    await review.set_clock(datetime(2022, 3, 1, 9, 0, tzinfo=CST))

    weeks = [s.week_ending for s in await summaries(review)]
    # 2021-11-05 … 2021-12-10 (the window's last day is a Friday), then 12-17 for what was
    # confirmed after 12-10 17:00; none afterwards.
    assert weeks == [date(2021, 11, 5) + timedelta(weeks=n) for n in range(7)]
    assert weeks[-1] == date(2021, 12, 17)


async def test_a_confirmation_after_the_window_is_still_reported_on_the_friday_after_it(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    await review.set_clock(datetime(2021, 12, 28, 10, 0, tzinfo=CST))  # the regular Fridays are over
    await confirm(review, unit, form_id)

    await review.set_clock(datetime(2022, 1, 31, 9, 0, tzinfo=CST))

    reported = [s for s in await summaries(review) if s.forms]
    assert [(s.week_ending, s.items[0]["status"]) for s in reported] == [
        (date(2021, 11, 5), "submitted"),
        (date(2021, 12, 31), "confirmed"),
    ]


async def test_no_summary_before_any_form_and_none_for_a_province_without_forms(backend: str) -> None:
    async with review_at(backend, now=datetime(2021, 10, 25, 9, 0, tzinfo=CST)) as review:
        await Unit(province="110000").issued(review)
        assert await review.set_clock(friday(11, 5)) == 0
        assert await summaries(review) == []

        hubei = await Unit(province="420000").issued(review)
        await hubei.submit(review)
        await review.set_clock(friday(11, 12))

        assert [(s.province, s.week_ending) for s in await summaries(review)] == [("420000", date(2021, 11, 12))]


async def test_a_province_reads_its_own_summaries_and_ncsc_reads_all_of_them(review: ServiceUnderTest[Any]) -> None:
    hubei = await Unit(province="420000").issued(review)
    beijing = await Unit(province="110000", name="北京电厂").issued(review)
    for unit in (hubei, beijing):
        await confirm(review, unit, (await unit.submit(review)).form.id)
    await review.set_clock(friday(11, 5))

    assert [s.province for s in await summaries(review, hubei.initiator())] == ["420000"]
    assert [s.province for s in await summaries(review, beijing.confirmer())] == ["110000"]
    assert sorted(s.province for s in await summaries(review)) == ["110000", "420000"]
    assert [s.province for s in await summaries(review, province="110000")] == ["110000"]
    assert await summaries(review, hubei.initiator(), province="110000") == []
    assert await summaries(review, hubei.enterprise()) == []
    assert [s.week_ending for s in await summaries(review, week_ending=date(2021, 11, 5), limit=1)] == [
        date(2021, 11, 5)
    ]


async def test_a_returned_form_and_its_correction_are_in_the_summaries_of_their_weeks(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    await send_back(review, unit, form_id, "申请抵销量有误")
    await review.set_clock(datetime(2021, 11, 9, 10, 0, tzinfo=CST))
    await unit.resubmit(review, form_id, requested_quantity=40_000)

    await review.set_clock(friday(11, 19, 18))  # both Fridays' summaries made after the correction

    weeks = {s.week_ending: s for s in await summaries(review)}
    [returned] = weeks[date(2021, 11, 5)].items
    assert (returned["status"], returned["reasons"], returned["requested_quantity"], returned["revision"]) == (
        "returned",
        ["申请抵销量有误"],
        50_000,
        1,
    )
    [corrected] = weeks[date(2021, 11, 12)].items
    assert (corrected["status"], corrected["requested_quantity"], corrected["revision"]) == ("submitted", 40_000, 2)
    assert weeks[date(2021, 11, 12)].confirmed_total == 0
    assert weeks[date(2021, 11, 19)].forms == 0
