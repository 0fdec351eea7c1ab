"""Voluntary cancellation (自愿注销) in the legacy registry: lowest serials first, one record with
per-range record dates, announced to the other registries in NCSC's daily batch just after 17:00 on
the days of the first period's daily-records window only; the first period's cancellation
deadline; who sees the records."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.legacy_ccer_registry.domain.holdings import Purpose
from services.legacy_ccer_registry.service_layer.commands import CancelUnits, GetCancellation, ListCancellations
from shared.errors import Conflict, NotFound
from shared.timeutil import CST
from tests.harness import uscc
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_legacy_support import (
    cancel,
    issue,
    legacy_at,
    ncsc,
    open_unit,
    record_project,
    to_registry,
)


async def test_a_cancellation_takes_the_lowest_serials_of_the_general_holding_account(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, unit, 100)
    await to_registry(legacy_registry, unit, 100)

    first = await cancel(legacy_registry, unit, 30)
    second = await cancel(legacy_registry, unit, 20, purpose=Purpose.voluntary)

    assert first.serial_ranges == [["VER-P1001-2015-1", "VER-P1001-2015-30"]]
    assert second.serial_ranges == [["VER-P1001-2015-31", "VER-P1001-2015-50"]]
    assert (second.quantity, second.purpose, second.synced, second.claimed) == (20, "voluntary", 0, 0)


async def test_the_daily_batch_after_17_00_announces_each_record_with_serials_and_the_record_date_of_each_range(
    backend: str,
) -> None:
    async with legacy_at(backend, now=datetime(2021, 11, 5, 10, 0, tzinfo=CST)) as svc:
        await daily_batch_announces_each_record(svc)


async def daily_batch_announces_each_record(legacy_registry: ServiceUnderTest[Any]) -> None:
    unit = await open_unit(legacy_registry, province="320000")
    await record_project(legacy_registry, recorded_at=date(2014, 11, 3))
    await issue(legacy_registry, unit, 10, recorded_at=date(2015, 6, 1))
    await issue(legacy_registry, unit, 10, recorded_at=date(2016, 12, 20))
    await to_registry(legacy_registry, unit, 20)
    await legacy_registry.sent()

    record = await cancel(legacy_registry, unit, 15, purpose=Purpose.offset_2019_2020)
    assert await legacy_registry.sent() == []  # not before NCSC's daily batch (seed 001 第六步)
    await legacy_registry.set_clock(datetime(2021, 11, 5, 17, 0, tzinfo=CST))
    assert await legacy_registry.sent() == []  # "于每日 17 点后": the day's records up to 17:00:00
    await legacy_registry.set_clock(datetime(2021, 11, 5, 17, 0, 1, tzinfo=CST))

    [event] = await legacy_registry.sent()
    assert event.event_type == "legacy_ccer_registry.cancellation.recorded"
    assert event.envelope.correlation_id == record.id
    payload = event.envelope.payload
    assert payload["cancellation_id"] == record.id and payload["legacy_account_id"] == unit.account_id
    assert payload["holder"] == {"name": unit.name, "uscc": unit.uscc}
    assert payload["project"]["number"] == "P1001" and payload["project"]["recorded_at"] == "2014-11-03"
    assert (payload["quantity"], payload["purpose"]) == (15, "offset_2019_2020")
    assert payload["serial_ranges"] == [["VER-P1001-2015-1", "VER-P1001-2015-15"]]
    assert payload["recorded_ranges"] == [
        {"first": "VER-P1001-2015-1", "last": "VER-P1001-2015-10", "units_recorded_at": "2015-06-01"},
        {"first": "VER-P1001-2015-11", "last": "VER-P1001-2015-15", "units_recorded_at": "2016-12-20"},
    ]
    assert payload["units_recorded_at"] == "2016-12-20"


async def test_cancelling_more_than_the_general_holding_account_holds_is_refused(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, unit, 100)
    await to_registry(legacy_registry, unit, 10)
    with pytest.raises(Conflict) as refused:
        await cancel(legacy_registry, unit, 11)
    assert refused.value.code == "INSUFFICIENT_UNITS"
    assert await legacy_registry.sent_types() == []


async def test_units_of_another_unit_are_not_found_for_cancellation(legacy_registry: ServiceUnderTest[Any]) -> None:
    unit, stranger = await open_unit(legacy_registry), await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, unit, 10)
    await to_registry(legacy_registry, unit, 10)
    command = CancelUnits(account_id=unit.account_id, project_number="P1001", quantity=1, purpose=Purpose.voluntary)
    with pytest.raises(NotFound):
        await legacy_registry.handle(command, stranger.me)


async def test_cancellation_records_are_seen_by_their_holder_its_province_and_ncsc_only(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    guangdong = await open_unit(legacy_registry, province="440000")
    jiangsu = await open_unit(legacy_registry, province="320000")
    await record_project(legacy_registry)
    for unit in (guangdong, jiangsu):
        await issue(legacy_registry, unit, 10)
        await to_registry(legacy_registry, unit, 10)
    mine = await cancel(legacy_registry, guangdong, 5)
    await cancel(legacy_registry, guangdong, 1, purpose=Purpose.voluntary)
    theirs = await cancel(legacy_registry, jiangsu, 5)

    async def listed(principal: Any, **filters: Any) -> set[str]:
        page = await legacy_registry.handle(ListCancellations(**filters), principal)
        return {c.id for c in page.cancellations}

    assert await listed(guangdong.me, purpose=Purpose.offset_2023) == {mine.id}
    assert await listed(as_("province_initiator", province="320000")) == {theirs.id}
    assert {mine.id, theirs.id} <= await listed(ncsc(), purpose=Purpose.offset_2023)
    assert await listed(ncsc(), account_id=jiangsu.account_id) == {theirs.id}
    assert await listed(as_("exchange_operator", exchange="TCX")) == set()
    with pytest.raises(NotFound):
        await legacy_registry.handle(GetCancellation(cancellation_id=theirs.id), guangdong.me)
    with pytest.raises(NotFound):
        await legacy_registry.handle(
            GetCancellation(cancellation_id=mine.id), as_("province_confirmer", province="320000")
        )
    assert (await legacy_registry.handle(GetCancellation(cancellation_id=mine.id), ncsc())).quantity == 5
    assert await listed(as_("enterprise", org=uscc())) == set()


async def prepared(svc: ServiceUnderTest[Any], quantity: int = 100) -> Any:
    unit = await open_unit(svc)
    await record_project(svc)
    await issue(svc, unit, quantity)
    await to_registry(svc, unit, quantity)
    await svc.sent()
    return unit


async def test_a_record_made_at_17_00_01_goes_out_with_the_next_days_batch_and_each_batch_runs_once(
    backend: str,
) -> None:
    async with legacy_at(backend, now=datetime(2021, 11, 2, 9, 0, tzinfo=CST)) as legacy_registry:
        unit = await prepared(legacy_registry)
        early = await cancel(legacy_registry, unit, 10)
        await legacy_registry.set_clock(datetime(2021, 11, 2, 17, 0, 0, tzinfo=CST))
        on_time = await cancel(legacy_registry, unit, 3)  # at 17:00:00: still that day's records
        await legacy_registry.set_clock(datetime(2021, 11, 2, 17, 0, 1, tzinfo=CST))
        late = await cancel(legacy_registry, unit, 5)  # at 17:00:01, as that day's batch runs
        sent = [e.envelope.payload["cancellation_id"] for e in await legacy_registry.sent()]
        assert sent == [early.id, on_time.id]

        # A jump over several days sends the late record once, in the next day's batch.
        await legacy_registry.set_clock(datetime(2021, 11, 6, 9, 0, tzinfo=CST))
        assert [e.envelope.payload["cancellation_id"] for e in await legacy_registry.sent()] == [late.id]
        await legacy_registry.set_clock(datetime(2021, 11, 9, 18, 0, tzinfo=CST))
        assert await legacy_registry.sent() == []


async def test_ncsc_sends_daily_records_only_from_2021_10_26_to_2021_12_15(backend: str) -> None:
    """Seed 001 第六步: "于 2021 年 10 月 26 日至 12 月 15 日，每日……发送". A record made before the
    window goes out with its first batch; no record is sent on 2021-12-16 or later."""
    async with legacy_at(backend, now=datetime(2021, 10, 20, 10, 0, tzinfo=CST)) as svc:
        unit = await prepared(svc)
        before = await cancel(svc, unit, 10, purpose=Purpose.offset_2019_2020)
        await svc.set_clock(datetime(2021, 10, 26, 17, 0, 0, tzinfo=CST))
        assert await svc.sent() == []  # not on 2021-10-20 … 2021-10-25, nor before 17:00 on the 26th
        await svc.set_clock(datetime(2021, 10, 26, 17, 0, 1, tzinfo=CST))
        assert [e.envelope.payload["cancellation_id"] for e in await svc.sent()] == [before.id]

        await svc.set_clock(datetime(2021, 12, 15, 17, 0, 0, tzinfo=CST))
        last = await cancel(svc, unit, 10, purpose=Purpose.offset_2019_2020)  # the last second to cancel
        await svc.set_clock(datetime(2021, 12, 15, 17, 0, 1, tzinfo=CST))
        assert [e.envelope.payload["cancellation_id"] for e in await svc.sent()] == [last.id]

        after = await cancel(svc, unit, 10, purpose=Purpose.voluntary)  # 2021-12-15 17:00:01
        await svc.set_clock(datetime(2021, 12, 16, 10, 0, tzinfo=CST))
        await cancel(svc, unit, 10, purpose=Purpose.voluntary)
        await svc.set_clock(datetime(2022, 3, 1, 18, 0, tzinfo=CST))
        assert await svc.sent() == [], f"record {after.id} made after the window was sent"


async def test_cancelling_for_the_2019_2020_offset_closes_after_2021_12_15_17_00_00_to_the_second(
    backend: str,
) -> None:
    deadline = datetime(2021, 12, 15, 17, 0, tzinfo=CST)  # "17 点前": 17:00:00 is the last second
    async with legacy_at(backend, now=deadline + timedelta(microseconds=999_999)) as svc:
        unit = await prepared(svc)
        accepted = await cancel(svc, unit, 10, purpose=Purpose.offset_2019_2020)
        assert accepted.purpose == "offset_2019_2020"

        await svc.set_clock(deadline + timedelta(seconds=1))
        with pytest.raises(Conflict) as refused:
            await cancel(svc, unit, 10, purpose=Purpose.offset_2019_2020)
        assert [f.code for f in refused.value.findings] == ["CANCELLATION_DEADLINE_PASSED"]
        # Other purposes are not bound by the first period's deadline.
        assert (await cancel(svc, unit, 10, purpose=Purpose.voluntary)).quantity == 10
