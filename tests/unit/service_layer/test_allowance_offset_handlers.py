"""Pending offsets (待抵销): lots frozen in the new registry, their cancellation and release, and the
recall of what is still unused at a period's recall instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from services.allowance_registry.service_layer.commands import GetHoldings, ListOffsetRegistrations, ListPendingOffsets
from shared.errors import InconsistentEvent
from shared.events.contracts import OffsetCancelledV1, OffsetReleasedV1
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_, changed
from tests.unit.service_layer.test_allowance_support import (
    active_period,
    allocate,
    allowances,
    approved,
    bound_unit,
    envelope,
    freeze_lot,
    from_lot,
    frozen_payload,
    issue_notice,
    lot,
    new_uscc,
    rejected,
    submitted,
)

Svc = ServiceUnderTest[Any]
RECALL_2024 = datetime(2026, 1, 23, tzinfo=CST)


async def test_a_lot_frozen_for_a_bound_account_is_recorded_as_pending(allowance: Svc) -> None:
    unit = await bound_unit(allowance)

    lot_id = await freeze_lot(allowance, unit, 70)

    pending = await lot(allowance, unit, lot_id)
    assert (pending.quantity, pending.reserved, pending.status) == (70, 0, "pending")
    assert pending.project["registered_or_recorded_at"] == "2024-03-01"
    view = await allowance.handle(GetHoldings(account_id=unit.account_id), unit.principal)
    assert view.pending_offsets_total == 70
    assert await allowance.sent() == []


async def test_a_lot_without_account_or_binding_is_refused_with_every_reason(allowance: Svc) -> None:
    unit = await bound_unit(allowance)

    await freeze_lot(allowance, unit, 5, allowance_account_id="ALA-none", registry_account_id="NCR-none")
    await freeze_lot(allowance, unit, 5, holder={"name": "别人", "uscc": new_uscc()})

    refusals = await allowance.sent()
    assert [p.event_type for p in refusals] == ["allowance_registry.offset.refused"] * 2
    reasons = [{r["code"] for r in p.envelope.payload["reasons"]} for p in refusals]
    assert reasons == [
        {"ALLOWANCE_ACCOUNT_NOT_FOUND", "NO_ACTIVE_BINDING"},
        {"HOLDER_USCC_MISMATCH", "BINDING_HOLDER_MISMATCH"},
    ]
    assert await allowance.handle(ListPendingOffsets(account_id=unit.account_id), unit.principal) == []


async def test_the_same_lot_delivered_twice_is_recorded_once(allowance: Svc) -> None:
    unit = await bound_unit(allowance)
    payload = frozen_payload(unit, 70)
    event = envelope(allowance, payload)

    outcomes = [
        await allowance.deliver(envelope=event),
        await allowance.deliver(envelope=event),
        await allowance.deliver(payload),  # the same lot, another event id
    ]

    assert outcomes == ["applied", "duplicate", "applied"]
    listed = await allowance.handle(ListPendingOffsets(account_id=unit.account_id), unit.principal)
    assert [p.quantity for p in listed] == [70]


async def test_a_refused_lot_delivered_again_under_another_event_id_is_refused_once(allowance: Svc) -> None:
    unit = await bound_unit(allowance)
    payload = frozen_payload(unit, 5, allowance_account_id="ALA-none")

    outcomes = [
        await allowance.deliver(payload),
        await allowance.deliver(payload),
    ]

    assert outcomes == ["applied", "applied"]
    assert [p.event_type for p in await allowance.sent()] == ["allowance_registry.offset.refused"]


async def test_pending_offsets_outside_the_callers_scope_are_not_listed(allowance: Svc) -> None:
    unit = await bound_unit(allowance, province="510000")
    lot_id = await freeze_lot(allowance, unit, 5)

    for stranger in (as_("enterprise", org=new_uscc()), as_("province_initiator", province="110000")):
        assert await allowance.handle(ListPendingOffsets(account_id=unit.account_id), stranger) == []
    own = await allowance.handle(ListPendingOffsets(status="pending"), as_("province_confirmer", province="510000"))
    assert [p.lot_id for p in own] == [lot_id]


async def _registered(allowance: Svc) -> tuple[Any, str, dict[str, Any]]:
    """A lot of which 40 were registered by an approved application; the registration event."""
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    issued = await issue_notice(allowance, period.code, unit, 1_000)
    lot_id = await freeze_lot(allowance, unit, 100)
    application = await submitted(allowance, unit, issued.notice.id, from_lot(lot_id, 40))
    await allowance.deliver(approved(application.id))
    [registered] = [p for p in await allowance.sent() if p.event_type == "allowance_registry.offset.registered"]
    return unit, lot_id, registered.envelope.payload


async def test_the_new_registrys_cancellation_confirms_the_registration_once(allowance: Svc) -> None:
    unit, lot_id, registered = await _registered(allowance)
    cancelled = OffsetCancelledV1(
        lot_id=lot_id,
        registration_id=registered["registration_id"],
        quantity=40,
        serial_ranges=[("CCER-X-2024-1", "CCER-X-2024-40")],
        cancelled_at=datetime(2025, 6, 3, 11, 0, tzinfo=CST),
    )

    await allowance.deliver(cancelled)
    await allowance.deliver(cancelled)  # re-sent: already confirmed

    pending = await lot(allowance, unit, lot_id)
    assert (pending.registered, pending.cancelled, pending.status) == (40, 40, "pending")
    [row] = await allowance.handle(ListOffsetRegistrations(lot_id=lot_id), unit.principal)
    assert (row.id, row.cancelled_quantity) == (registered["registration_id"], 40)
    assert row.cancel_serial_ranges == [["CCER-X-2024-1", "CCER-X-2024-40"]]


async def test_a_cancellation_that_disagrees_with_the_registration_is_inconsistent(allowance: Svc) -> None:
    unit, lot_id, registered = await _registered(allowance)
    base = OffsetCancelledV1(
        lot_id=lot_id,
        registration_id="REG-unknown",
        quantity=40,
        serial_ranges=[],
        cancelled_at=datetime(2025, 6, 3, 11, 0, tzinfo=CST),
    )

    with pytest.raises(InconsistentEvent):
        await allowance.deliver(base)
    with pytest.raises(InconsistentEvent):
        await allowance.deliver(changed(base, registration_id=registered["registration_id"], quantity=41))

    [row] = await allowance.handle(ListOffsetRegistrations(lot_id=lot_id), unit.principal)
    assert row.cancelled_at is None


async def test_the_recall_takes_only_the_unreserved_remainder_at_its_instant(allowance: Svc) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    await allocate(allowance, unit, 1_000)
    issued = await issue_notice(allowance, period.code, unit, 1_000)
    partly_reserved = await freeze_lot(allowance, unit, 100)
    unused = await freeze_lot(allowance, unit, 20)
    await submitted(allowance, unit, issued.notice.id, allowances(900), from_lot(partly_reserved, 30))

    # Only the overdue marking at the application deadline (2026-01-01) runs before the recall instant.
    assert await allowance.set_clock(RECALL_2024 - timedelta(seconds=1)) == 1
    ran = await allowance.set_clock(RECALL_2024)

    assert ran == 1
    reserved = await lot(allowance, unit, partly_reserved)
    assert (reserved.recalled, reserved.reserved, reserved.status) == (70, 30, "pending")
    assert reserved.recall_due_at == RECALL_2024
    whole = await lot(allowance, unit, unused)
    assert (whole.recalled, whole.status) == (20, "recalled")
    recalls = {p.envelope.payload["lot_id"]: p.envelope.payload["quantity"] for p in await allowance.sent()}
    assert recalls == {partly_reserved: 70, unused: 20}


async def test_the_recall_goes_chunk_by_chunk_each_lot_once_with_a_held_back_one_in_the_middle(
    allowance: Svc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("services.allowance_registry.service_layer.offsets.RECALL_CHUNK", 2)
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    await allocate(allowance, unit, 1_000)
    issued = await issue_notice(allowance, period.code, unit, 1_000)
    lots = [await freeze_lot(allowance, unit, 10 + n) for n in range(5)]
    await submitted(allowance, unit, issued.notice.id, allowances(950), from_lot(lots[2], 4))
    assert await allowance.set_clock(RECALL_2024 - timedelta(seconds=1)) == 1

    # Five lots, two per job: the period's job and two more, due at the same instant, run in turn.
    assert await allowance.set_clock(RECALL_2024) == 3

    recalls = [p.envelope.payload for p in await allowance.sent()]
    assert [(r["lot_id"], r["quantity"]) for r in recalls] == [
        (lot_id, 10 + n - (4 if lot_id == lots[2] else 0)) for n, lot_id in sorted(enumerate(lots), key=lambda x: x[1])
    ]
    assert len({r["recall_id"] for r in recalls}) == 5
    held = await lot(allowance, unit, lots[2])
    assert (held.recalled, held.reserved, held.status, held.recall_due_at) == (8, 4, "pending", RECALL_2024)
    # Nothing is left to a later jump.
    assert await allowance.set_clock(RECALL_2024 + timedelta(days=1)) == 0
    assert await allowance.sent() == []


async def test_a_rejection_after_the_recall_instant_recalls_the_released_part_at_once(allowance: Svc) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    issued = await issue_notice(allowance, period.code, unit, 1_000)
    lot_id = await freeze_lot(allowance, unit, 100)
    application = await submitted(allowance, unit, issued.notice.id, from_lot(lot_id, 40))
    await allowance.set_clock(RECALL_2024)
    await allowance.sent()

    await allowance.deliver(rejected(application.id))

    pending = await lot(allowance, unit, lot_id)
    assert (pending.recalled, pending.reserved, pending.status) == (100, 0, "recalled")
    [recall] = await allowance.sent()
    assert recall.event_type == "allowance_registry.offset.recalled"
    assert recall.envelope.payload["quantity"] == 40


async def test_a_release_confirms_a_recall_and_one_beyond_it_is_inconsistent(allowance: Svc) -> None:
    await active_period(allowance)
    unit = await bound_unit(allowance)
    lot_id = await freeze_lot(allowance, unit, 20)
    await allowance.set_clock(RECALL_2024)
    released = OffsetReleasedV1(
        lot_id=lot_id, quantity=20, serial_ranges=[], released_at=datetime(2026, 1, 23, 0, 0, 5, tzinfo=CST)
    )

    await allowance.deliver(released)
    with pytest.raises(InconsistentEvent):
        await allowance.deliver(released)

    assert (await lot(allowance, unit, lot_id)).released == 20


async def test_the_release_of_a_refused_lot_changes_nothing(allowance: Svc) -> None:
    unit = await bound_unit(allowance)
    lot_id = await freeze_lot(allowance, unit, 5, registry_account_id="NCR-unbound")
    released = OffsetReleasedV1(
        lot_id=lot_id, quantity=5, serial_ranges=[], released_at=datetime(2025, 6, 2, 10, 0, tzinfo=CST)
    )

    assert await allowance.deliver(released) == "applied"

    assert await allowance.handle(ListPendingOffsets(account_id=unit.account_id), unit.principal) == []
