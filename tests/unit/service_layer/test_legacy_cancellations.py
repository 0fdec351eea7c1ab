"""Voluntary cancellation (自愿注销) in the legacy registry: lowest serials first, one record with
per-range record dates, announced to the other registries; who sees the records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.legacy_ccer_registry.domain.holdings import Purpose
from services.legacy_ccer_registry.service_layer.commands import CancelUnits, GetCancellation, ListCancellations
from shared.errors import Conflict, NotFound
from tests.harness import uscc
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_legacy_support import cancel, issue, ncsc, open_unit, record_project, to_registry


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


async def test_every_cancellation_announces_its_record_with_serials_and_the_record_date_of_each_range(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry, province="320000")
    await record_project(legacy_registry, recorded_at=date(2014, 11, 3))
    await issue(legacy_registry, unit, 10, recorded_at=date(2015, 6, 1))
    await issue(legacy_registry, unit, 10, recorded_at=date(2016, 12, 20))
    await to_registry(legacy_registry, unit, 20)
    await legacy_registry.sent()

    record = await cancel(legacy_registry, unit, 15)

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
