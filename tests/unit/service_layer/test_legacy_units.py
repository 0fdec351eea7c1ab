"""Legacy units: issuance serials, trades at a legacy exchange, transfers (划转), holdings and the
history of a serial, through the service's own handlers."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from services.legacy_ccer_registry.domain.holdings import TransferDirection
from services.legacy_ccer_registry.service_layer.commands import (
    GetHoldings,
    GetSerialHistory,
    IssueUnits,
    RecordProject,
    SettleTrade,
    TransferUnits,
)
from shared.errors import Conflict, Invalid, NotFound
from tests.harness import uscc
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_legacy_support import cancel, issue, ncsc, open_unit, record_project, to_registry

TCX = as_("exchange_operator", exchange="TCX")


async def holdings(svc: ServiceUnderTest[Any], account_id: str) -> dict[str, Any]:
    found = await svc.handle(GetHoldings(account_id=account_id), ncsc())
    return {row.project_number: row for row in found.rows}


async def test_issuances_of_one_vintage_get_contiguous_ver_serials_and_another_vintage_starts_at_one(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry)
    await record_project(legacy_registry)
    first = await issue(legacy_registry, unit, 100)
    second = await issue(legacy_registry, unit, 50)
    other = await issue(legacy_registry, unit, 10, vintage=2016)

    assert (first.serial_prefix, first.first_n, first.last_n) == ("VER-P1001-2015", 1, 100)
    assert (second.serial_prefix, second.first_n, second.last_n) == ("VER-P1001-2015", 101, 150)
    assert (other.serial_prefix, other.first_n, other.last_n) == ("VER-P1001-2016", 1, 10)
    row = (await holdings(legacy_registry, unit.account_id))["P1001"]
    assert row.by_exchange == {"TCX": 160}
    assert row.serial_ranges["trading:TCX"] == [
        ["VER-P1001-2015-1", "VER-P1001-2015-150"],
        ["VER-P1001-2016-1", "VER-P1001-2016-10"],
    ]


async def test_issuance_needs_a_recorded_project_and_a_trading_account_at_the_exchange(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry, exchanges=("TCX",))
    with pytest.raises(NotFound):
        await issue(legacy_registry, unit, 10, project="P-UNKNOWN")
    await record_project(legacy_registry)
    with pytest.raises(Conflict) as refused:
        await issue(legacy_registry, unit, 10, exchange="SEEE")
    assert refused.value.code == "NOT_TRADING_AT_EXCHANGE"
    with pytest.raises(Conflict) as twice:
        await record_project(legacy_registry)
    assert twice.value.code == "PROJECT_EXISTS"


async def test_a_trade_moves_the_sellers_lowest_serials_at_the_operators_exchange_to_the_buyer(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    seller, buyer = await open_unit(legacy_registry), await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, seller, 100)

    trade = await legacy_registry.handle(
        SettleTrade(
            seller_account_id=seller.account_id,
            buyer_account_id=buyer.account_id,
            project_number="P1001",
            quantity=30,
        ),
        TCX,
    )
    assert (trade.exchange, trade.quantity) == ("TCX", 30)
    assert trade.serial_ranges == [["VER-P1001-2015-1", "VER-P1001-2015-30"]]
    assert (await holdings(legacy_registry, seller.account_id))["P1001"].by_exchange == {"TCX": 70}
    assert (await holdings(legacy_registry, buyer.account_id))["P1001"].serial_ranges == {
        "trading:TCX": [["VER-P1001-2015-1", "VER-P1001-2015-30"]]
    }


async def test_an_operator_of_another_exchange_does_not_find_a_seller_that_does_not_trade_there(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    seller = await open_unit(legacy_registry, exchanges=("TCX",))
    buyer = await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, seller, 100)
    trade = SettleTrade(
        seller_account_id=seller.account_id, buyer_account_id=buyer.account_id, project_number="P1001", quantity=1
    )
    with pytest.raises(NotFound):
        await legacy_registry.handle(trade, as_("exchange_operator", exchange="SEEE"))


async def test_a_trade_to_a_buyer_not_trading_there_and_beyond_the_sellers_units_is_refused_with_every_finding(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    seller = await open_unit(legacy_registry)
    buyer = await open_unit(legacy_registry, exchanges=("SEEE",))
    await record_project(legacy_registry)
    await issue(legacy_registry, seller, 10)
    trade = SettleTrade(
        seller_account_id=seller.account_id, buyer_account_id=buyer.account_id, project_number="P1001", quantity=11
    )
    with pytest.raises(Conflict) as refused:
        await legacy_registry.handle(trade, TCX)
    assert {f.code for f in refused.value.findings} == {"NOT_TRADING_AT_EXCHANGE", "INSUFFICIENT_UNITS"}
    assert (await holdings(legacy_registry, seller.account_id))["P1001"].by_exchange == {"TCX": 10}


async def test_transfers_move_units_between_an_exchange_and_the_general_holding_account_both_ways(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, unit, 100)

    moved = await to_registry(legacy_registry, unit, 60)
    assert moved.serial_ranges == [["VER-P1001-2015-1", "VER-P1001-2015-60"]]
    back = await legacy_registry.handle(
        TransferUnits(
            account_id=unit.account_id,
            direction=TransferDirection.to_exchange,
            exchange="SEEE",
            project_number="P1001",
            quantity=20,
        ),
        unit.me,
    )
    assert back.serial_ranges == [["VER-P1001-2015-1", "VER-P1001-2015-20"]]
    row = (await holdings(legacy_registry, unit.account_id))["P1001"]
    assert (row.by_exchange, row.available, row.cancelled) == ({"SEEE": 20, "TCX": 40}, 40, 0)
    assert row.serial_ranges["available"] == [["VER-P1001-2015-21", "VER-P1001-2015-60"]]


async def test_a_transfer_beyond_the_trading_holding_or_from_another_unit_is_refused(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, unit, 10)
    with pytest.raises(Conflict) as refused:
        await to_registry(legacy_registry, unit, 11)
    assert refused.value.code == "INSUFFICIENT_UNITS"
    with pytest.raises(Conflict):
        await to_registry(legacy_registry, unit, 1, exchange="SEEE")
    stranger = await open_unit(legacy_registry)
    command = TransferUnits(
        account_id=unit.account_id,
        direction=TransferDirection.to_registry,
        exchange="TCX",
        project_number="P1001",
        quantity=1,
    )
    with pytest.raises(NotFound):
        await legacy_registry.handle(command, stranger.me)


async def test_parallel_transfers_never_overdraw_the_trading_holding(legacy_registry: ServiceUnderTest[Any]) -> None:
    unit = await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, unit, 10)
    # Either fits alone, not both: one moves, the other is refused; never 12 moved out of 10.
    results = await asyncio.gather(*(to_registry(legacy_registry, unit, 6) for _ in range(2)), return_exceptions=True)
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert [type(r).__name__ for r in results if isinstance(r, BaseException)] in (["Conflict"], ["Invalid"])
    row = (await holdings(legacy_registry, unit.account_id))["P1001"]
    assert (row.by_exchange, row.available) == ({"TCX": 4}, 6)


async def test_holdings_show_each_project_per_exchange_available_and_cancelled(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await record_project(legacy_registry, "P2002")
    await issue(legacy_registry, unit, 100)
    await issue(legacy_registry, unit, 5, project="P2002", exchange="HBEX")
    await to_registry(legacy_registry, unit, 30)
    await cancel(legacy_registry, unit, 10)

    rows = await holdings(legacy_registry, unit.account_id)
    assert list(rows) == ["P1001", "P2002"]
    assert (rows["P1001"].by_exchange, rows["P1001"].available, rows["P1001"].cancelled) == ({"TCX": 70}, 20, 10)
    assert rows["P1001"].serial_ranges["cancelled"] == [["VER-P1001-2015-1", "VER-P1001-2015-10"]]
    assert (rows["P2002"].by_exchange, rows["P2002"].available) == ({"HBEX": 5}, 0)
    with pytest.raises(NotFound):
        await legacy_registry.handle(GetHoldings(account_id=unit.account_id), as_("enterprise", org=uscc()))


async def test_a_serials_history_shows_its_issuance_trade_transfer_and_cancellation(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    seller, buyer = await open_unit(legacy_registry), await open_unit(legacy_registry)
    await record_project(legacy_registry)
    await issue(legacy_registry, seller, 50, recorded_at=date(2016, 1, 4))
    await legacy_registry.handle(
        SettleTrade(
            seller_account_id=seller.account_id, buyer_account_id=buyer.account_id, project_number="P1001", quantity=20
        ),
        TCX,
    )
    await to_registry(legacy_registry, buyer, 20)
    record = await cancel(legacy_registry, buyer, 5)

    history = await legacy_registry.handle(GetSerialHistory(serial="VER-P1001-2015-3"), buyer.me)
    assert [m.kind for m in history.movements] == ["issuance", "trade", "transfer", "cancellation"]
    assert (history.block.state, history.block.cancellation_id, history.account.id) == (
        "cancelled",
        record.id,
        buyer.account_id,
    )
    assert history.block.units_recorded_at == date(2016, 1, 4)
    assert history.movements[0].exchange == "TCX" and history.movements[3].detail["purpose"] == "offset_2023"
    # A serial the buyer never held: only its holder, NCSC and the allowance registry's operators see it.
    with pytest.raises(NotFound):
        await legacy_registry.handle(GetSerialHistory(serial="VER-P1001-2015-40"), buyer.me)
    assert len((await legacy_registry.handle(GetSerialHistory(serial="VER-P1001-2015-40"), ncsc())).movements) == 1
    registry_operator = as_("registry_initiator")
    assert (
        len((await legacy_registry.handle(GetSerialHistory(serial="VER-P1001-2015-40"), registry_operator)).movements)
        == 1
    )
    with pytest.raises(NotFound):
        await legacy_registry.handle(
            GetSerialHistory(serial="VER-P1001-2015-40"), as_("province_initiator", province="110000")
        )
    with pytest.raises(NotFound):
        await legacy_registry.handle(GetSerialHistory(serial="VER-P1001-2015-999"), ncsc())
    with pytest.raises(Invalid):
        await legacy_registry.handle(GetSerialHistory(serial="not a serial"), ncsc())


async def test_a_project_number_with_hyphens_still_gives_parseable_serials(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry)
    await legacy_registry.handle(
        RecordProject(
            number="CCER-1-2014",
            name="某水电项目",
            owner_uscc=uscc(),
            type="hydro",
            region="530000",
            recorded_at=date(2014, 7, 1),
        ),
        ncsc(),
    )
    await legacy_registry.handle(
        IssueUnits(
            project_number="CCER-1-2014",
            vintage=2014,
            quantity=3,
            account_id=unit.account_id,
            exchange="TCX",
            recorded_at=date(2015, 1, 5),
        ),
        ncsc(),
    )
    history = await legacy_registry.handle(GetSerialHistory(serial="VER-CCER-1-2014-2014-2"), unit.me)
    assert history.block.project_number == "CCER-1-2014"
