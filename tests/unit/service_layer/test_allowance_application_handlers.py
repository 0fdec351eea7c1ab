"""Compliance applications (履约申请): drafted, amended and submitted by the enterprise, validated all
at once, reserved, and settled by the province's decision."""

from __future__ import annotations

from typing import Any

import pytest

from services.allowance_registry.domain.applications import Item, ItemKind
from services.allowance_registry.service_layer.commands import (
    DraftApplication,
    GetApplication,
    ListApplications,
    ListOffsetRegistrations,
    ReplaceApplicationItems,
    SubmitApplication,
)
from shared.errors import Conflict, InconsistentEvent, Invalid, NotFound
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_allowance_support import (
    INSTRUMENT_2024,
    active_period,
    allocate,
    allowances,
    approved,
    bound_unit,
    envelope,
    freeze_lot,
    from_lot,
    holding,
    issue_notice,
    lot,
    new_uscc,
    notice_now,
    rejected,
    submitted,
)

Svc = ServiceUnderTest[Any]


async def _unit_with_notice(allowance: Svc, obligation: int = 1_000, held: int = 1_000) -> tuple[Any, str]:
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    await allocate(allowance, unit, held)
    issued = await issue_notice(allowance, period.code, unit, obligation)
    return unit, issued.notice.id


async def test_a_draft_is_made_on_the_holders_own_notice_at_revision_0(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance)

    draft = await allowance.handle(DraftApplication(notice_id=notice_id, items=(allowances(10),)), unit.principal)

    assert (draft.status, draft.revision, draft.account_id) == ("draft", 0, unit.account_id)
    assert draft.items == [{"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 10}]
    assert [h["action"] for h in draft.history] == ["created"]
    seen = await allowance.handle(GetApplication(application_id=draft.id), unit.province_staff)
    assert seen.id == draft.id


async def test_a_draft_on_someone_elses_notice_is_not_found(allowance: Svc) -> None:
    _, notice_id = await _unit_with_notice(allowance)

    with pytest.raises(NotFound):
        await allowance.handle(DraftApplication(notice_id=notice_id), as_("enterprise", org=new_uscc()))


async def test_submission_reserves_everything_and_sends_the_application_for_review(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance)
    lot_id = await freeze_lot(allowance, unit, 100)

    application = await submitted(allowance, unit, notice_id, allowances(900), from_lot(lot_id, 50))

    assert (application.status, application.revision) == ("submitted", 1)
    assert application.items[1]["origin"] == "new"  # a lot item carries the lot's facts
    assert await holding(allowance, unit) == (1_000, 0, 900)
    assert ((await lot(allowance, unit, lot_id)).reserved) == 50
    notice = await notice_now(allowance, unit, notice_id)
    assert (notice.notice.under_review, notice.notice.ccer_under_review, notice.ccer_offsettable) == (950, 50, 0)


async def test_the_submitted_event_carries_the_notice_as_it_stood_before(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance)
    draft = await allowance.handle(DraftApplication(notice_id=notice_id, items=(allowances(100),)), unit.principal)
    await allowance.sent()

    await allowance.handle(SubmitApplication(application_id=draft.id), unit.principal)

    [event] = await allowance.sent()
    assert event.event_type == "allowance_registry.application.submitted"
    assert event.envelope.correlation_id == draft.id
    payload = event.envelope.payload
    assert (payload["revision"], payload["notice"]["under_review"], payload["period"]["cap_bp"]) == (1, 0, 500)
    assert payload["items"] == [{"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 100}]


async def test_a_submission_is_refused_with_every_finding_and_nothing_is_reserved(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance, obligation=1_000, held=100)
    items = (
        allowances(200),
        allowances(1),
        Item(kind=ItemKind.ccer, lot_id="LOT-none", quantity=5),
        Item(kind=ItemKind.allowance, instrument="PE2024000001", quantity=0),
    )
    draft = await allowance.handle(DraftApplication(notice_id=notice_id, items=items), unit.principal)

    with pytest.raises(Invalid) as refused:
        await allowance.handle(SubmitApplication(application_id=draft.id), unit.principal)

    assert refused.value.code == "APPLICATION_INVALID"
    codes = {f.code for f in refused.value.findings}
    assert {"ALLOWANCE_NOT_HELD", "DUPLICATE_ITEM", "LOT_NOT_FOUND", "INSTRUMENT_NOT_IN_SCOPE"} <= codes
    assert await holding(allowance, unit) == (100, 0, 0)
    assert (await allowance.handle(GetApplication(application_id=draft.id), unit.principal)).status == "draft"


async def test_a_submitted_application_can_no_longer_be_changed_or_submitted(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance)
    application = await submitted(allowance, unit, notice_id, allowances(10))

    with pytest.raises(Conflict) as edit:
        await allowance.handle(ReplaceApplicationItems(application_id=application.id, items=()), unit.principal)
    with pytest.raises(Conflict) as again:
        await allowance.handle(SubmitApplication(application_id=application.id), unit.principal)

    assert edit.value.code == again.value.code == "APPLICATION_NOT_EDITABLE"


async def test_approval_surrenders_registers_the_lot_and_completes_the_notice(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance)
    lot_id = await freeze_lot(allowance, unit, 100)
    application = await submitted(allowance, unit, notice_id, allowances(950), from_lot(lot_id, 50))

    await allowance.deliver(approved(application.id))

    assert await holding(allowance, unit) == (50, 0, 0)
    pending = await lot(allowance, unit, lot_id)
    assert (pending.reserved, pending.registered, pending.status) == (0, 50, "pending")
    notice = await notice_now(allowance, unit, notice_id)
    assert (notice.notice.fulfilled, notice.notice.under_review, notice.notice.status) == (1_000, 0, "complete")
    assert await allowance.sent_types() == [
        "allowance_registry.offset.registered",
        "allowance_registry.compliance.completed",
    ]
    decided = await allowance.handle(GetApplication(application_id=application.id), unit.principal)
    assert (decided.status, decided.history[-1]["second_reviewer"]) == ("approved", "prov-checker")


async def test_an_approval_delivered_twice_surrenders_once(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance)
    lot_id = await freeze_lot(allowance, unit, 100)
    application = await submitted(allowance, unit, notice_id, allowances(600), from_lot(lot_id, 40))
    decision = approved(application.id)
    event = envelope(allowance, decision)

    outcomes = [
        await allowance.deliver(envelope=event),
        await allowance.deliver(envelope=event),
        await allowance.deliver(decision),  # the same decision, another event id
    ]

    assert outcomes == ["applied", "duplicate", "applied"]
    assert await holding(allowance, unit) == (400, 0, 0)
    assert (await notice_now(allowance, unit, notice_id)).notice.fulfilled == 640
    assert await allowance.sent_types() == ["allowance_registry.offset.registered"]
    registrations = await allowance.handle(ListOffsetRegistrations(application_id=application.id), unit.principal)
    assert [r.quantity for r in registrations] == [40]


async def test_rejection_releases_everything_and_the_amended_resubmission_is_revision_2(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance)
    lot_id = await freeze_lot(allowance, unit, 100)
    application = await submitted(allowance, unit, notice_id, allowances(900), from_lot(lot_id, 50))

    await allowance.deliver(rejected(application.id))

    returned = await allowance.handle(GetApplication(application_id=application.id), unit.principal)
    assert (returned.status, returned.revision, [f["code"] for f in returned.findings]) == (
        "returned",
        1,
        ["LOT_NOT_ELIGIBLE"],
    )
    assert await holding(allowance, unit) == (1_000, 0, 0)
    assert (await lot(allowance, unit, lot_id)).reserved == 0
    assert (await notice_now(allowance, unit, notice_id)).notice.under_review == 0

    amended = await allowance.handle(
        ReplaceApplicationItems(application_id=application.id, items=(allowances(1_000),)), unit.principal
    )
    resubmitted = await allowance.handle(SubmitApplication(application_id=application.id), unit.principal)

    assert (amended.status, amended.revision) == ("returned", 1)
    assert (resubmitted.status, resubmitted.revision, resubmitted.findings) == ("submitted", 2, [])
    # The decision on revision 1 comes again: stale, it changes nothing.
    await allowance.deliver(approved(application.id, revision=1))
    assert await holding(allowance, unit) == (1_000, 0, 1_000)


async def test_a_decision_on_an_unknown_application_is_an_inconsistent_event(allowance: Svc) -> None:
    with pytest.raises(InconsistentEvent):
        await allowance.deliver(approved("APP-unknown"))
    with pytest.raises(InconsistentEvent):
        await allowance.deliver(rejected("APP-unknown"))

    assert await allowance.sent() == []


async def test_applications_outside_the_callers_scope_are_not_found(allowance: Svc) -> None:
    unit, notice_id = await _unit_with_notice(allowance)
    draft = await allowance.handle(DraftApplication(notice_id=notice_id), unit.principal)
    stranger = as_("enterprise", org=new_uscc())

    for step in (
        GetApplication(application_id=draft.id),
        SubmitApplication(application_id=draft.id),
        ReplaceApplicationItems(application_id=draft.id, items=()),
    ):
        with pytest.raises(NotFound):
            await allowance.handle(step, stranger)
    assert await allowance.handle(ListApplications(account_id=unit.account_id), stranger) == []
    other_province = as_("province_confirmer", province="440000")
    assert await allowance.handle(ListApplications(status="draft"), other_province) == []
    own = await allowance.handle(ListApplications(province="110000", notice_id=notice_id), unit.province_staff)
    assert [a.id for a in own] == [draft.id]
