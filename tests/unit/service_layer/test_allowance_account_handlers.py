"""Allowance accounts, the binding handshake, allocations, holdings and transfers, through the
allowance registry's handlers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from services.allowance_registry.service_layer.commands import (
    AllocateAllowances,
    GetAccount,
    GetHoldings,
    ListAccounts,
    TransferAllowances,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.events.contracts import Holder, OffsetFrozenV1, OffsetProject
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_allowance_support import (
    INSTRUMENT_2024,
    MAKER,
    active_period,
    allocate,
    binding_requested,
    bound_unit,
    envelope,
    holding,
    new_uscc,
    open_account,
)

Svc = ServiceUnderTest[Any]


async def test_a_registry_initiator_opens_an_active_account_the_holder_then_sees(allowance: Svc) -> None:
    org = new_uscc()
    account_id = await open_account(allowance, org=org, province="440000")

    account = await allowance.handle(GetAccount(account_id=account_id), as_("enterprise", org=org))

    assert (account.holder_uscc, account.province, account.status) == (org, "440000", "active")


async def test_an_account_outside_the_callers_scope_is_not_found(allowance: Svc) -> None:
    account_id = await open_account(allowance, province="440000")

    for stranger in (
        as_("enterprise", org=new_uscc()),
        as_("province_confirmer", province="110000"),
        as_("ncsc_operator"),
    ):
        with pytest.raises(NotFound):
            await allowance.handle(GetAccount(account_id=account_id), stranger)
    own_province = await allowance.handle(
        GetAccount(account_id=account_id), as_("province_initiator", province="440000")
    )
    assert own_province.id == account_id


async def test_accounts_are_listed_within_the_callers_scope(allowance: Svc) -> None:
    org = new_uscc()
    mine = await open_account(allowance, org=org, province="510000")
    theirs = await open_account(allowance, province="520000")

    def listed(rows: list[Any]) -> set[str]:
        return {a.id for a in rows} & {mine, theirs}

    assert listed(await allowance.handle(ListAccounts(), as_("enterprise", org=org))) == {mine}
    assert listed(await allowance.handle(ListAccounts(), as_("province_initiator", province="520000"))) == {theirs}
    assert listed(await allowance.handle(ListAccounts(), as_("registry_confirmer"))) == {mine, theirs}
    assert listed(await allowance.handle(ListAccounts(province="510000"), as_("registry_confirmer"))) == {mine}
    assert listed(await allowance.handle(ListAccounts(uscc=org), as_("registry_confirmer"))) == {mine}


async def test_a_matching_binding_request_is_confirmed_and_supersedes_the_older_binding(allowance: Svc) -> None:
    org = new_uscc()
    first, second = await open_account(allowance, org=org), await open_account(allowance, org=org)

    await allowance.deliver(binding_requested(org, first, "NCR-1"))
    await allowance.deliver(binding_requested(org, second, "NCR-1"))

    sent = await allowance.sent()
    assert [p.event_type for p in sent] == ["allowance_registry.binding.confirmed"] * 2
    # The older binding no longer stands: a lot frozen against it is refused.
    lot = {"allowance_account_id": first, "registry_account_id": "NCR-1"}
    await allowance.deliver(_frozen(org, **lot))
    assert await allowance.sent_types() == ["allowance_registry.offset.refused"]


def _frozen(org: str, **ids: str) -> OffsetFrozenV1:
    return OffsetFrozenV1(
        lot_id=f"LOT-{new_uscc()}",
        **ids,
        holder=Holder(name="火电测试企业", uscc=org),
        project=OffsetProject(
            number="CCER-1",
            name="风电",
            type="风力发电",
            region="内蒙古自治区",
            registered_or_recorded_at=date(2024, 3, 1),
        ),
        origin="new",
        vintage=2024,
        quantity=10,
        serial_ranges=[("A-1", "A-10")],
        frozen_at=datetime(2025, 6, 1, 10, 0, tzinfo=CST),
    )


async def test_a_binding_request_is_rejected_with_every_reason(allowance: Svc) -> None:
    account_id = await open_account(allowance, account_type="non_key_emitter")

    await allowance.deliver(binding_requested(new_uscc(), account_id, "NCR-2"))

    [rejection] = await allowance.sent()
    assert rejection.event_type == "allowance_registry.binding.rejected"
    codes = {r["code"] for r in rejection.envelope.payload["reasons"]}
    assert codes == {"HOLDER_USCC_MISMATCH", "NOT_NATIONAL_KEY_EMITTER"}


async def test_the_same_binding_request_delivered_twice_has_one_effect(allowance: Svc) -> None:
    org = new_uscc()
    account_id = await open_account(allowance, org=org)
    event = envelope(allowance, binding_requested(org, account_id, "NCR-3"))

    first = await allowance.deliver(envelope=event)
    second = await allowance.deliver(envelope=event)

    assert (first, second) == ("applied", "duplicate")
    assert await allowance.sent_types() == ["allowance_registry.binding.confirmed"]


async def test_allocated_allowances_show_in_the_holdings_with_their_instrument_name(allowance: Svc) -> None:
    await active_period(allowance)
    unit = await bound_unit(allowance)

    allocation = await allowance.handle(
        AllocateAllowances(account_id=unit.account_id, instrument=INSTRUMENT_2024, quantity=700, side="registry"),
        MAKER,
    )
    await allocate(allowance, unit, 300, side="trading")

    assert (allocation.quantity, allocation.allocated_by) == (700, MAKER.actor)
    view = await allowance.handle(GetHoldings(account_id=unit.account_id), unit.province_staff)
    [row] = view.allowances
    assert (row.registry_side, row.trading_side, row.frozen) == (700, 300, 0)
    assert view.names[INSTRUMENT_2024] == "2024年度配额"
    assert view.pending_offsets_total == 0


async def test_an_allocation_of_an_unknown_instrument_is_invalid(allowance: Svc) -> None:
    unit = await bound_unit(allowance)

    with pytest.raises(Invalid) as refused:
        await allowance.handle(
            AllocateAllowances(account_id=unit.account_id, instrument="PE2099000001", quantity=1, side="registry"),
            MAKER,
        )

    assert refused.value.code == "INSTRUMENT_UNKNOWN"
    assert refused.value.findings[0].field == "instrument"


async def test_a_transfer_moves_allowances_between_sides_and_answers_with_the_holdings(allowance: Svc) -> None:
    await active_period(allowance)
    unit = await bound_unit(allowance)
    await allocate(allowance, unit, 100, side="trading")

    view = await allowance.handle(
        TransferAllowances(
            account_id=unit.account_id, instrument=INSTRUMENT_2024, quantity=60, direction="to_registry"
        ),
        unit.principal,
    )

    [row] = view.allowances
    assert (row.registry_side, row.trading_side) == (60, 40)
    assert await holding(allowance, unit) == (60, 40, 0)


async def test_a_transfer_beyond_the_holding_is_refused_and_changes_nothing(allowance: Svc) -> None:
    await active_period(allowance)
    unit = await bound_unit(allowance)
    await allocate(allowance, unit, 100, side="trading")

    for quantity, direction in ((101, "to_registry"), (1, "to_trading")):
        with pytest.raises(Conflict) as refused:
            await allowance.handle(
                TransferAllowances(
                    account_id=unit.account_id, instrument=INSTRUMENT_2024, quantity=quantity, direction=direction
                ),
                unit.principal,
            )
        assert refused.value.code == "INSUFFICIENT_HOLDING"

    assert await holding(allowance, unit) == (0, 100, 0)


async def test_holdings_and_transfers_of_another_holder_are_not_found(allowance: Svc) -> None:
    await active_period(allowance)
    unit = await bound_unit(allowance)
    stranger = as_("enterprise", org=new_uscc())

    with pytest.raises(NotFound):
        await allowance.handle(GetHoldings(account_id=unit.account_id), stranger)
    with pytest.raises(NotFound):
        await allowance.handle(
            TransferAllowances(
                account_id=unit.account_id, instrument=INSTRUMENT_2024, quantity=1, direction="to_trading"
            ),
            stranger,
        )


async def test_allocations_to_either_side_add_up_in_one_holding(allowance: Svc) -> None:
    await active_period(allowance)
    unit = await bound_unit(allowance)

    await allocate(allowance, unit, 300, side="trading")
    await allocate(allowance, unit, 1_000)
    await allocate(allowance, unit, 250)
    await allocate(allowance, unit, 50, side="trading")

    assert await holding(allowance, unit) == (1_250, 350, 0)
