"""Voluntary cancellation (自愿注销) in the legacy registry: lowest serials first, one record with
per-range record dates, announced to the other registries in NCSC's daily batch at 17:00; the first
period's cancellation deadline; who sees the records."""

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


async def test_the_daily_batch_at_17_00_announces_each_record_with_serials_and_the_record_date_of_each_range(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry, province="320000")
    await record_project(legacy_registry, recorded_at=date(2014, 11, 3))
    await issue(legacy_registry, unit, 10, recorded_at=date(2015, 6, 1))
    await issue(legacy_registry, unit, 10, recorded_at=date(2016, 12, 20))
    await to_registry(legacy_registry, unit, 20)
    await legacy_registry.sent()

    record = await cancel(legacy_registry, unit, 15)
    assert await legacy_registry.sent() == []  # not before NCSC's daily batch (seed 001 第六步)
    await legacy_registry.set_clock(datetime(2025, 6, 2, 17, 0, tzinfo=CST))

    [event] = await legacy_registry.sent()
    assert event.event_type == "legacy_ccer_registry.cancellation.recorded"
    assert event.envelope.correlation_id == record.id
    payload = event.envelope.payload
    assert payload["cancellation_id"] == record.id and payload["legacy_account_id"] == unit.account_id
    assert payload["holder"] == {"name": unit.name, "uscc": unit.uscc}
    assert payload["project"]["number"] == "P1001" and payload["project"]["recorded_at"] == "2014-11-03"
    assert (payload["quantity"], payload["purpose"]) == (15, "offset_2023")
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


async def test_a_record_made_at_17_00_00_goes_out_with_the_next_days_batch_and_each_batch_runs_once(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await prepared(legacy_registry)
    early = await cancel(legacy_registry, unit, 10)
    await legacy_registry.set_clock(datetime(2025, 6, 2, 17, 0, tzinfo=CST))
    late = await cancel(legacy_registry, unit, 5)  # at 17:00:00, after that day's batch ran
    assert [e.envelope.payload["cancellation_id"] for e in await legacy_registry.sent()] == [early.id]

    # A jump over several days sends the late record once, in the next day's batch.
    await legacy_registry.set_clock(datetime(2025, 6, 6, 9, 0, tzinfo=CST))
    assert [e.envelope.payload["cancellation_id"] for e in await legacy_registry.sent()] == [late.id]
    await legacy_registry.set_clock(datetime(2025, 6, 9, 18, 0, tzinfo=CST))
    assert await legacy_registry.sent() == []


async def test_cancelling_for_the_2019_2020_offset_closes_at_2021_12_15_17_00_to_the_second(backend: str) -> None:
    deadline = datetime(2021, 12, 15, 17, 0, tzinfo=CST)
    async with legacy_at(backend, now=deadline - timedelta(seconds=1)) as svc:
        unit = await prepared(svc)
        accepted = await cancel(svc, unit, 10, purpose=Purpose.offset_2019_2020)
        assert accepted.purpose == "offset_2019_2020"

        await svc.set_clock(deadline)
        with pytest.raises(Conflict) as refused:
            await cancel(svc, unit, 10, purpose=Purpose.offset_2019_2020)
        assert [f.code for f in refused.value.findings] == ["CANCELLATION_DEADLINE_PASSED"]
        # Other purposes are not bound by the first period's deadline.
        assert (await cancel(svc, unit, 10, purpose=Purpose.voluntary)).quantity == 10
