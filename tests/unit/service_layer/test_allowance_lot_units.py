"""Serial-exact pending offsets (domain.md §6.1 step 6): a lot knows its units and their record dates;
an application takes the lowest available serials of a lot and is judged on exactly those; rejection,
approval and recall move exactly those ranges; a unit's history is readable by serial."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.allowance_registry.service_layer.commands import (
    DraftApplication,
    GetApplication,
    GetSerialHistory,
    ListApplications,
    ListOffsetRegistrations,
    SubmitApplication,
)
from shared.errors import Invalid, NotFound
from shared.events.contracts import OffsetProject, RecordedRange
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_, changed, service_under_test
from tests.unit.service_layer.test_allowance_support import (
    Unit,
    active_period,
    approved,
    bound_unit,
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
SUBMITTED = "allowance_registry.application.submitted"
REGISTERED = "allowance_registry.offset.registered"
RECALLED = "allowance_registry.offset.recalled"
RECALL_2024 = datetime(2026, 1, 23, tzinfo=CST)
EARLY, LATE = "2016-05-01", "2017-06-01"  # recorded before / after the cut-off 2017-03-14


@pytest.fixture
async def allowance_2023(backend: str) -> AsyncIterator[Svc]:
    """The allowance registry in June 2024, while 2023 applications (legacy CCER allowed) are open."""
    async with service_under_test("allowance_registry", backend, now=datetime(2024, 6, 3, 9, tzinfo=CST)) as svc:
        yield svc


def _legacy_project() -> tuple[str, OffsetProject]:
    number = f"L{uuid.uuid4().hex[:6].upper()}"
    project = OffsetProject(
        number=number,
        name="云南某水电项目",
        type="水电",
        region="云南省",
        methodology="CM-001-V01",
        registered_or_recorded_at=date(2014, 9, 1),
        within_national_ets=False,
    )
    return f"VER-{number}-2015", project


def s(prefix: str, n: int) -> str:
    return f"{prefix}-{n}"


async def legacy_lot(
    svc: Svc, unit: Unit, blocks: list[tuple[int, int, str]] | None = None, *, dated: bool = True
) -> tuple[str, str]:
    """A legacy lot of the given blocks ``(first, last, recorded)``, by default 1-50 recorded early and
    51-100 late, all in one serial range; ``dated=False``: without recorded_ranges. (lot_id, prefix)."""
    blocks = blocks or [(1, 50, EARLY), (51, 100, LATE)]
    prefix, project = _legacy_project()
    quantity = sum(last - first + 1 for first, last, _ in blocks)
    changes: dict[str, Any] = {
        "project": project,
        "origin": "legacy",
        "vintage": 2015,
        "units_recorded_at": max(r for _, _, r in blocks),
        "serial_ranges": [(s(prefix, first), s(prefix, last)) for first, last, _ in blocks],
        "frozen_at": datetime(2024, 6, 1, 10, 0, tzinfo=CST),
    }
    if dated:
        changes["recorded_ranges"] = [
            RecordedRange(first=s(prefix, first), last=s(prefix, last), units_recorded_at=r)
            for first, last, r in blocks
        ]
    return await freeze_lot(svc, unit, quantity, **changes), prefix


async def _unit_2023(svc: Svc, obligation: int = 10_000) -> tuple[Unit, str, str]:
    period = await active_period(svc, "2023")
    unit = await bound_unit(svc)
    issued = await issue_notice(svc, period.code, unit, obligation)
    return unit, issued.notice.id, period.code


async def _submit(svc: Svc, unit: Unit, notice_id: str, lot_id: str, quantity: int) -> Any:
    draft = await svc.handle(DraftApplication(notice_id=notice_id, items=(from_lot(lot_id, quantity),)), unit.principal)
    return await svc.handle(SubmitApplication(application_id=draft.id), unit.principal)


async def _submitted_item(svc: Svc) -> dict[str, Any]:
    [event] = [p for p in await svc.sent() if p.event_type == SUBMITTED]
    [item] = event.envelope.payload["items"]
    return dict(item)


async def _refused_codes(svc: Svc, unit: Unit, notice_id: str, lot_id: str, quantity: int) -> list[tuple[str, Any]]:
    with pytest.raises(Invalid) as refused:
        await _submit(svc, unit, notice_id, lot_id, quantity)
    assert refused.value.code == "APPLICATION_INVALID"
    return [(f.code, f.item) for f in refused.value.findings]


# --- submission: lowest serials first, judged per unit ---------------------------------------------
async def test_fifty_early_units_of_a_mixed_legacy_lot_are_accepted(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit)

    application = await _submit(svc, unit, notice_id, lot_id, 50)

    assert application.status == "submitted"
    item = await _submitted_item(svc)
    assert item["units_recorded_at"] == EARLY
    assert item["serial_ranges"] == [[s(prefix, 1), s(prefix, 50)]]
    assert item["recorded_ranges"] == [{"first": s(prefix, 1), "last": s(prefix, 50), "units_recorded_at": EARLY}]
    pending = await lot(svc, unit, lot_id)
    assert (pending.reserved, pending.quantity) == (50, 100)


async def test_sixty_units_of_a_mixed_legacy_lot_are_refused_for_the_late_ones(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, _ = await legacy_lot(svc, unit)

    codes = await _refused_codes(svc, unit, notice_id, lot_id, 60)

    assert codes == [("LEGACY_RECORDED_TOO_LATE", 0)]
    assert (await lot(svc, unit, lot_id)).reserved == 0
    assert await svc.sent() == []


async def test_the_eligibility_finding_is_reported_with_every_other(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc, obligation=1_000)  # cap: 50
    lot_id, _ = await legacy_lot(svc, unit)

    codes = {code for code, _ in await _refused_codes(svc, unit, notice_id, lot_id, 60)}

    assert codes == {"LEGACY_RECORDED_TOO_LATE", "OFFSET_CAP_EXCEEDED"}


async def test_a_second_application_takes_the_units_after_the_first_and_is_refused(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, _ = await legacy_lot(svc, unit)
    await _submit(svc, unit, notice_id, lot_id, 50)
    await svc.sent()

    codes = await _refused_codes(svc, unit, notice_id, lot_id, 10)  # units 51-60, recorded late

    assert codes == [("LEGACY_RECORDED_TOO_LATE", 0)]
    assert (await lot(svc, unit, lot_id)).reserved == 50


async def test_the_lowest_serials_are_taken_even_when_higher_ones_would_be_eligible(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, _ = await legacy_lot(svc, unit, [(1, 50, LATE), (51, 100, EARLY)])

    assert await _refused_codes(svc, unit, notice_id, lot_id, 1) == [("LEGACY_RECORDED_TOO_LATE", 0)]


async def test_a_legacy_lot_without_record_dates_per_range_takes_the_lots_date(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit, [(1, 40, EARLY), (61, 100, EARLY)], dated=False)

    await _submit(svc, unit, notice_id, lot_id, 50)

    item = await _submitted_item(svc)
    assert item["units_recorded_at"] == EARLY
    assert item["serial_ranges"] == [[s(prefix, 1), s(prefix, 40)], [s(prefix, 61), s(prefix, 70)]]
    assert [r["units_recorded_at"] for r in item["recorded_ranges"]] == [EARLY, EARLY]


async def test_a_lot_whose_record_dates_do_not_cover_its_serials_is_refused(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, _, _ = await _unit_2023(svc)
    prefix, project = _legacy_project()
    base = frozen_payload(
        unit,
        100,
        project=project,
        origin="legacy",
        vintage=2015,
        units_recorded_at=EARLY,
        serial_ranges=[(s(prefix, 1), s(prefix, 100))],
    )
    half = [RecordedRange(first=s(prefix, 1), last=s(prefix, 50), units_recorded_at=EARLY)]

    await svc.deliver(changed(base, recorded_ranges=half))
    await svc.deliver(changed(base, lot_id="LOT-short", quantity=90))

    refusals = await svc.sent()
    assert [p.event_type for p in refusals] == ["allowance_registry.offset.refused"] * 2
    assert [{r["code"] for r in p.envelope.payload["reasons"]} for p in refusals] == [
        {"LOT_SERIALS_INCONSISTENT"},
        {"LOT_SERIALS_INCONSISTENT"},
    ]


# --- new-origin lots -----------------------------------------------------------------------------
async def test_a_new_origin_lot_without_record_dates_still_works(allowance: Svc) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    issued = await issue_notice(allowance, period.code, unit, 1_000)
    payload = frozen_payload(unit, 100)
    await allowance.deliver(payload)
    first = payload.serial_ranges[0][0]
    prefix = first.rsplit("-", 1)[0]

    await submitted(allowance, unit, issued.notice.id, from_lot(payload.lot_id, 30))

    application_item = (await _draft_items(allowance, unit))[0]
    assert application_item["serial_ranges"] == [[s(prefix, 1), s(prefix, 30)]]
    assert application_item["units_recorded_at"] is None
    assert application_item["recorded_ranges"] is None


async def _draft_items(svc: Svc, unit: Unit) -> list[dict[str, Any]]:
    [application] = await svc.handle(ListApplications(account_id=unit.account_id), unit.principal)
    return list(application.items)


async def test_a_lot_of_several_ranges_is_taken_lowest_first_across_them(allowance: Svc) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    issued = await issue_notice(allowance, period.code, unit, 1_000)
    p = "CCER-MULTI7-2024"
    lot_id = await freeze_lot(allowance, unit, 40, serial_ranges=[[s(p, 41), s(p, 60)], [s(p, 1), s(p, 20)]])

    draft = await allowance.handle(
        DraftApplication(notice_id=issued.notice.id, items=(from_lot(lot_id, 30),)), unit.principal
    )
    await allowance.handle(SubmitApplication(application_id=draft.id), unit.principal)

    [event] = [e for e in await allowance.sent() if e.event_type == SUBMITTED]
    assert event.envelope.payload["items"][0]["serial_ranges"] == [[s(p, 1), s(p, 20)], [s(p, 41), s(p, 50)]]


# --- decisions and recall move exactly the reserved / available ranges ----------------------------
async def test_a_rejection_releases_exactly_the_reserved_ranges(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit)
    first = await _submit(svc, unit, notice_id, lot_id, 50)
    await svc.sent()

    await svc.deliver(rejected(first.id))

    assert (await lot(svc, unit, lot_id)).reserved == 0
    again = await _submit(svc, unit, notice_id, lot_id, 50)  # the same early units are free again
    assert again.status == "submitted"
    assert (await _submitted_item(svc))["serial_ranges"] == [[s(prefix, 1), s(prefix, 50)]]
    history = await svc.handle(GetSerialHistory(serial=s(prefix, 50)), unit.principal)
    assert [e.kind for e in history.events] == ["pending_offset", "reserved", "released", "reserved"]
    assert [e.detail.get("application_id") for e in history.events[1:]] == [first.id, first.id, again.id]
    assert history.state == "reserved"


async def test_an_approval_registers_exactly_the_reserved_ranges(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit)
    application = await _submit(svc, unit, notice_id, lot_id, 50)
    await svc.sent()

    await svc.deliver(approved(application.id))

    [registered] = [p.envelope.payload for p in await svc.sent() if p.event_type == REGISTERED]
    assert registered["serial_ranges"] == [[s(prefix, 1), s(prefix, 50)]]
    assert registered["quantity"] == 50
    [row] = await svc.handle(ListOffsetRegistrations(lot_id=lot_id), unit.principal)
    assert row.serial_ranges == registered["serial_ranges"]
    pending = await lot(svc, unit, lot_id)
    assert (pending.reserved, pending.registered) == (0, 50)


async def test_a_recall_names_exactly_the_available_ranges(allowance: Svc) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    issued = await issue_notice(allowance, period.code, unit, 1_000)
    payload = frozen_payload(unit, 100)
    prefix = payload.serial_ranges[0][0].rsplit("-", 1)[0]
    await allowance.deliver(payload)
    application = await submitted(allowance, unit, issued.notice.id, from_lot(payload.lot_id, 30))

    await allowance.set_clock(RECALL_2024)
    [recall] = [p.envelope.payload for p in await allowance.sent() if p.event_type == RECALLED]
    assert (recall["quantity"], recall["serial_ranges"]) == (70, [[s(prefix, 31), s(prefix, 100)]])

    await allowance.deliver(rejected(application.id))
    [late] = [p.envelope.payload for p in await allowance.sent() if p.event_type == RECALLED]
    assert (late["quantity"], late["serial_ranges"]) == (30, [[s(prefix, 1), s(prefix, 30)]])
    assert late["recall_id"] != recall["recall_id"]
    history = await allowance.handle(GetSerialHistory(serial=s(prefix, 5)), unit.principal)
    assert [e.kind for e in history.events] == ["pending_offset", "reserved", "released", "recalled"]
    assert (history.state, history.events[-1].detail["recall_id"]) == ("recalled", late["recall_id"])


async def test_a_delivered_decision_twice_moves_the_ranges_once(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit)
    application = await _submit(svc, unit, notice_id, lot_id, 50)
    await svc.sent()
    decision = approved(application.id)

    await svc.deliver(decision)
    await svc.deliver(decision)

    assert [t for t in await svc.sent_types() if t == REGISTERED] == [REGISTERED]
    history = await svc.handle(GetSerialHistory(serial=s(prefix, 1)), unit.principal)
    assert [e.kind for e in history.events] == ["pending_offset", "reserved", "registered"]


# --- a unit's history ----------------------------------------------------------------------------
async def test_a_units_history_shows_its_lot_application_and_registration(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, period_code = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit)
    application = await _submit(svc, unit, notice_id, lot_id, 50)
    await svc.deliver(approved(application.id))
    [registered] = [p.envelope.payload for p in await svc.sent() if p.event_type == REGISTERED]

    used = await svc.handle(GetSerialHistory(serial=s(prefix, 7)), unit.principal)
    unused = await svc.handle(GetSerialHistory(serial=s(prefix, 77)), unit.principal)

    assert (used.serial, used.lot_id, used.account_id, used.state) == (
        s(prefix, 7),
        lot_id,
        unit.account_id,
        "registered",
    )
    pending, reserved, registration = used.events
    assert (pending.kind, pending.detail["units_recorded_at"], pending.detail["frozen_at"]) == (
        "pending_offset",
        EARLY,
        "2024-06-01T10:00:00+08:00",
    )
    assert {k: reserved.detail[k] for k in ("application_id", "revision", "notice_id", "period_code")} == {
        "application_id": application.id,
        "revision": 1,
        "notice_id": notice_id,
        "period_code": period_code,
    }
    assert (registration.kind, registration.detail["registration_id"]) == ("registered", registered["registration_id"])
    assert (unused.state, [e.kind for e in unused.events]) == ("available", ["pending_offset"])
    assert unused.events[0].detail["units_recorded_at"] == LATE


async def test_a_units_history_is_only_for_its_holder_province_and_operators(allowance: Svc) -> None:
    unit = await bound_unit(allowance, province="510000")
    payload = frozen_payload(unit, 10)
    await allowance.deliver(payload)
    serial = payload.serial_ranges[0][0]

    for reader in (
        unit.principal,
        as_("province_confirmer", province="510000"),
        as_("registry_initiator"),
        as_("registry_confirmer"),
        as_("ncsc_operator"),
    ):
        assert (await allowance.handle(GetSerialHistory(serial=serial), reader)).lot_id == payload.lot_id
    for stranger in (
        as_("enterprise", org=new_uscc()),
        as_("province_initiator", province="110000"),
        as_("exchange_operator", exchange="CBEEX"),
    ):
        with pytest.raises(NotFound):
            await allowance.handle(GetSerialHistory(serial=serial), stranger)


async def test_an_unknown_or_malformed_serial(allowance: Svc) -> None:
    unit = await bound_unit(allowance)
    payload = frozen_payload(unit, 10)
    await allowance.deliver(payload)
    last = payload.serial_ranges[0][1]
    beyond = f"{last.rsplit('-', 1)[0]}-11"

    for unknown in (beyond, "CCER-NOPE-2024-1"):
        with pytest.raises(NotFound):
            await allowance.handle(GetSerialHistory(serial=unknown), as_("registry_initiator"))
    with pytest.raises(Invalid) as malformed:
        await allowance.handle(GetSerialHistory(serial="no-number-here"), as_("registry_initiator"))
    assert malformed.value.code == "SERIAL_MALFORMED"


async def test_the_application_shows_the_units_it_took(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit)

    application = await _submit(svc, unit, notice_id, lot_id, 20)

    shown = await svc.handle(GetApplication(application_id=application.id), unit.province_staff)
    [item] = shown.items
    assert (item["serial_ranges"], item["units_recorded_at"]) == ([[s(prefix, 1), s(prefix, 20)]], EARLY)


async def test_a_refused_submission_leaves_every_unit_available(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit)
    await _refused_codes(svc, unit, notice_id, lot_id, 60)

    history = await svc.handle(GetSerialHistory(serial=s(prefix, 1)), unit.principal)

    assert (history.state, [e.kind for e in history.events]) == ("available", ["pending_offset"])
    assert (await _submit(svc, unit, notice_id, lot_id, 50)).status == "submitted"


async def test_the_units_stay_available_until_the_recall_instant(allowance: Svc) -> None:
    await active_period(allowance)
    unit = await bound_unit(allowance)
    payload = frozen_payload(unit, 10)
    await allowance.deliver(payload)

    await allowance.set_clock(RECALL_2024 - timedelta(seconds=1))

    history = await allowance.handle(GetSerialHistory(serial=payload.serial_ranges[0][0]), unit.principal)
    assert history.state == "available"


async def test_a_returned_application_resubmitted_takes_its_units_afresh(allowance_2023: Svc) -> None:
    svc = allowance_2023
    unit, notice_id, _ = await _unit_2023(svc)
    lot_id, prefix = await legacy_lot(svc, unit)
    application = await _submit(svc, unit, notice_id, lot_id, 50)
    await svc.deliver(rejected(application.id))
    await svc.sent()

    again = await svc.handle(SubmitApplication(application_id=application.id), unit.principal)
    await svc.deliver(approved(application.id, revision=2))

    assert again.revision == 2
    [registered] = [p.envelope.payload for p in await svc.sent() if p.event_type == REGISTERED]
    assert registered["serial_ranges"] == [[s(prefix, 1), s(prefix, 50)]]
    history = await svc.handle(GetSerialHistory(serial=s(prefix, 1)), unit.principal)
    assert [(e.kind, e.detail.get("revision")) for e in history.events] == [
        ("pending_offset", None),
        ("reserved", 1),
        ("released", 1),
        ("reserved", 2),
        ("registered", 2),
    ]
