"""Compliance applications in the allowance registry: submission validates everything at once and
reserves; the province's decision (injected as provincial_review would send it) surrenders and
registers, or releases and returns."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from shared.events import make_envelope
from shared.events.contracts import ApplicationApprovedV1
from tests.harness import Stack, uscc
from tests.integration.allowance_support import (
    API,
    INSTRUMENT_2024,
    REG,
    START,
    allocate,
    application,
    approved_payload,
    approved_period,
    bound_unit,
    client,
    clock_within,
    decide,
    draft,
    freeze_lot,
    holding,
    issue_notice,
    notice,
    open_allowance_account,
    pending,
    produced,
    rejected_payload,
    set_clock,
    submit,
    submitted,
)

pytestmark = pytest.mark.integration


async def test_seed_002_worked_example_replays_exactly(stack: Stack) -> None:
    """Obligation 1,000,000; 1,000,000 allowances held; 950,000 allowances + 50,000 CCER (exactly 5%)."""
    await clock_within(stack, START)
    period = await approved_period(stack, "2024", allowance_instruments=["PE2021000097"])
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, "PE2021000097", 1_000_000)
    issued = await issue_notice(stack, period["code"], unit, 1_000_000)
    lot_id = await freeze_lot(stack, unit, 50_000)

    before = await notice(stack, unit, issued["id"])
    assert (before["obligation"], before["fulfilled"], before["under_review"], before["ccer_offsettable"]) == (
        1_000_000,
        0,
        0,
        50_000,
    )

    app = await submitted(
        stack,
        unit,
        issued["id"],
        [
            {"kind": "ccer", "lot_id": lot_id, "quantity": 50_000},
            {"kind": "allowance", "instrument": "PE2021000097", "quantity": 950_000},
        ],
    )
    assert (app["status"], app["revision"]) == ("submitted", 1)
    during = await notice(stack, unit, issued["id"])
    assert (during["under_review"], during["ccer_offsettable"]) == (1_000_000, 0)
    assert (await holding(stack, unit, "PE2021000097"))["frozen"] == 950_000
    assert (await pending(stack, unit, lot_id))["reserved"] == 50_000

    await decide(stack, "provincial_review.application.approved", approved_payload(app["id"], 1))

    after = await notice(stack, unit, issued["id"])
    assert (after["fulfilled"], after["under_review"], after["status"]) == (1_000_000, 0, "complete")
    allowances = await holding(stack, unit, "PE2021000097")
    assert (allowances["registry"], allowances["frozen"], allowances["available"]) == (50_000, 0, 50_000)
    lot = await pending(stack, unit, lot_id)
    assert (lot["registered"], lot["available"], lot["reserved"], lot["status"]) == (50_000, 0, 0, "offset")
    assert (await application(stack, unit, app["id"]))["status"] == "approved"
    registered = await produced(stack, lot_id, "allowance_registry.offset.registered")
    assert [(r["lot_id"], r["quantity"], r["application_id"]) for r in registered] == [(lot_id, 50_000, app["id"])]
    completed = await produced(stack, issued["id"], "allowance_registry.compliance.completed")
    assert len(completed) == 1 and completed[0]["account"]["id"] == unit.account_id


async def test_submission_reports_every_refusal_of_section_6_3_at_once(stack: Stack) -> None:
    now = await clock_within(stack, START)
    # The period's deadline passes before submission.
    period = await approved_period(stack, "2024", application_deadline=(now + timedelta(hours=1)).isoformat())
    unit = await bound_unit(stack)
    other = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 100)
    await allocate(stack, unit.account_id, "PE2021000097", 10_000)
    issued = await issue_notice(stack, period["code"], unit, 1_000)
    old_project = await freeze_lot(stack, unit, 500, registered_or_recorded_at="2023-06-01", within_national_ets=True)
    legacy = await freeze_lot(
        stack, unit, 10, origin="legacy", registered_or_recorded_at="2015-01-01", units_recorded_at="2016-01-01"
    )
    someone_elses = await freeze_lot(stack, other, 100)
    application_id = await draft(
        stack,
        unit,
        issued["id"],
        [
            {"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 600},  # 0: only 100 held
            {"kind": "allowance", "instrument": "PE2021000097", "quantity": 1},  # 1: not in scope
            {"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 1},  # 2: duplicate item
            {"kind": "ccer", "lot_id": old_project, "quantity": 600},  # 3: lot has 500; ineligible
            {"kind": "ccer", "lot_id": someone_elses, "quantity": 10},  # 4: not the applicant's
            {"kind": "ccer", "lot_id": legacy, "quantity": 0},  # 5: zero; legacy not in 2024
        ],
    )
    await set_clock(stack, now + timedelta(hours=2))

    answer = await submit(stack, unit, application_id)

    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "APPLICATION_INVALID"
    found = {(e["code"], e.get("item")) for e in body["errors"]}
    assert found >= {
        ("DEADLINE_PASSED", None),
        ("ALLOWANCE_NOT_HELD", 0),
        ("INSTRUMENT_NOT_IN_SCOPE", 1),
        ("DUPLICATE_ITEM", 2),
        ("LOT_QUANTITY_EXCEEDED", 3),
        ("NEW_REGISTERED_TOO_EARLY", 3),
        ("LOT_WITHIN_NATIONAL_ETS", 3),
        ("LOT_NOT_FOUND", 4),
        ("QUANTITY_NOT_POSITIVE", 5),
        ("LOT_ORIGIN_NOT_ELIGIBLE", 5),
        ("OBLIGATION_EXCEEDED", None),
        ("OFFSET_CAP_EXCEEDED", None),
    }, found
    assert all(e["message"] and e["message_zh"] for e in body["errors"])
    # Nothing was reserved and the application is still a draft.
    assert (await holding(stack, unit, INSTRUMENT_2024))["frozen"] == 0
    assert (await pending(stack, unit, old_project))["reserved"] == 0
    assert (await application(stack, unit, application_id))["status"] == "draft"
    assert (await notice(stack, unit, issued["id"]))["under_review"] == 0


async def test_a_complete_notice_and_an_inactive_period_are_refused_too(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 300)
    issued = await issue_notice(stack, period["code"], unit, 100)
    first = await submitted(
        stack, unit, issued["id"], [{"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 100}]
    )
    await decide(stack, "provincial_review.application.approved", approved_payload(first["id"], 1))
    again = await draft(
        stack, unit, issued["id"], [{"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 1}]
    )

    answer = await submit(stack, unit, again)

    assert answer.status_code == 422
    codes = {e["code"] for e in answer.json()["errors"]}
    assert {"NOTICE_COMPLETE", "OBLIGATION_EXCEEDED"} <= codes


async def test_rejection_releases_everything_and_the_resubmission_is_revision_2(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 10_000)
    issued = await issue_notice(stack, period["code"], unit, 10_000)
    lot_id = await freeze_lot(stack, unit, 800)
    app = await submitted(
        stack,
        unit,
        issued["id"],
        [
            {"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 9_000},
            {"kind": "ccer", "lot_id": lot_id, "quantity": 500},
        ],
    )
    findings: list[dict[str, Any]] = [
        {"code": "HOLDER_NAME_MISMATCH", "message": "name differs", "message_zh": "单位名称不一致", "item": None},
        {"code": "LOT_NOT_ELIGIBLE", "message": "lot 1 not eligible", "message_zh": "第 1 项不符合", "item": 1},
    ]

    await decide(stack, "provincial_review.application.rejected", rejected_payload(app["id"], 1, findings))

    returned = await application(stack, unit, app["id"])
    assert (returned["status"], returned["revision"]) == ("returned", 1)
    assert [f["code"] for f in returned["findings"]] == ["HOLDER_NAME_MISMATCH", "LOT_NOT_ELIGIBLE"]
    assert [h["action"] for h in returned["history"]] == ["created", "submitted", "returned"]
    assert (await holding(stack, unit, INSTRUMENT_2024))["frozen"] == 0
    lot = await pending(stack, unit, lot_id)
    assert (lot["reserved"], lot["available"], lot["status"]) == (0, 800, "pending")
    assert (await notice(stack, unit, issued["id"]))["under_review"] == 0

    amended = await client(stack).put(
        f"{API}/applications/{app['id']}",
        json={
            "items": [
                {"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 9_500},
                {"kind": "ccer", "lot_id": lot_id, "quantity": 500},
            ]
        },
        headers=unit.headers(stack),
    )
    assert amended.status_code == 200, amended.text
    again = await submit(stack, unit, app["id"])
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["revision"]) == ("submitted", 2)
    await stack.quiet()
    # A late decision about revision 1 changes nothing; revision 2's approval completes the notice.
    await decide(stack, "provincial_review.application.approved", approved_payload(app["id"], 1))
    assert (await application(stack, unit, app["id"]))["status"] == "submitted"
    await decide(stack, "provincial_review.application.approved", approved_payload(app["id"], 2))
    assert (await notice(stack, unit, issued["id"]))["status"] == "complete"


async def test_a_submitted_application_cannot_be_changed(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 10)
    issued = await issue_notice(stack, period["code"], unit, 10)
    app = await submitted(
        stack, unit, issued["id"], [{"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 10}]
    )

    put = await client(stack).put(f"{API}/applications/{app['id']}", json={"items": []}, headers=unit.headers(stack))
    again = await submit(stack, unit, app["id"])

    assert put.status_code == 409 and put.json()["code"] == "APPLICATION_NOT_EDITABLE"
    assert again.status_code == 409


async def test_a_duplicated_approval_event_surrenders_once(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 1_000)
    issued = await issue_notice(stack, period["code"], unit, 2_000)
    lot_id = await freeze_lot(stack, unit, 100)
    app = await submitted(
        stack,
        unit,
        issued["id"],
        [
            {"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 600},
            {"kind": "ccer", "lot_id": lot_id, "quantity": 100},
        ],
    )
    payload = approved_payload(app["id"], 1)

    # The same decision twice, as two distinct deliveries (different event ids), back to back.
    await stack.publish("provincial_review.application.approved", payload, correlation_id=app["id"])
    await stack.publish("provincial_review.application.approved", payload, correlation_id=app["id"])
    await stack.quiet()

    allowances = await holding(stack, unit, INSTRUMENT_2024)
    assert (allowances["registry"], allowances["frozen"]) == (400, 0)
    lot = await pending(stack, unit, lot_id)
    assert (lot["registered"], lot["reserved"]) == (100, 0)
    assert (await notice(stack, unit, issued["id"]))["fulfilled"] == 700
    assert len(await produced(stack, lot_id, "allowance_registry.offset.registered")) == 1
    registrations = await client(stack).get(
        f"{API}/offset-registrations", params={"application_id": app["id"]}, headers=unit.headers(stack)
    )
    assert len(registrations.json()["items"]) == 1


async def test_concurrent_approvals_never_double_surrender(stack: Stack) -> None:
    """Two replicas applying the same decision at once (bypassing the one-process consumer lock)."""
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 1_000)
    issued = await issue_notice(stack, period["code"], unit, 1_000)
    app = await submitted(
        stack, unit, issued["id"], [{"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 700}]
    )
    from services.allowance_registry.service_layer.applications import on_application_approved

    runtime = stack[REG].runtime
    payload = ApplicationApprovedV1.model_validate(approved_payload(app["id"], 1))

    async def replica() -> None:
        envelope = make_envelope(
            "provincial_review.application.approved", payload, occurred_at=runtime.clock.now(), correlation_id=app["id"]
        )
        async with runtime.uow(actor="test-replica", causation_id=envelope.event_id) as uow:
            await on_application_approved(uow, envelope, payload)
            await uow.commit()

    await asyncio.gather(replica(), replica(), replica())
    await stack.quiet()

    allowances = await holding(stack, unit, INSTRUMENT_2024)
    assert (allowances["registry"], allowances["frozen"]) == (300, 0)
    assert (await notice(stack, unit, issued["id"]))["fulfilled"] == 700


async def test_an_application_needs_the_applicants_own_notice(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    issued = await issue_notice(stack, period["code"], unit, 100)
    stranger = stack.token("enterprise", org=uscc())

    answer = await client(stack).post(
        f"{API}/applications", json={"notice_id": issued["id"], "items": []}, headers=stranger
    )
    assert answer.status_code == 404


async def test_applications_outside_the_callers_scope_answer_404(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack, province="420000")
    issued = await issue_notice(stack, period["code"], unit, 100)
    app_id = await draft(stack, unit, issued["id"], [])
    c = client(stack)

    for headers in (stack.token("enterprise", org=uscc()), stack.token("province_confirmer", province="110000")):
        assert (await c.get(f"{API}/applications/{app_id}", headers=headers)).status_code == 404
        assert (await c.get(f"{API}/notices/{issued['id']}", headers=headers)).status_code == 404
        listed = await c.get(f"{API}/applications", params={"account_id": unit.account_id}, headers=headers)
        assert listed.json()["items"] == []
    other = stack.token("enterprise", org=uscc())
    assert (await c.post(f"{API}/applications/{app_id}/submit", headers=other)).status_code == 404
    assert (await c.put(f"{API}/applications/{app_id}", json={"items": []}, headers=other)).status_code == 404
    own_province = stack.token("province_confirmer", province="420000")
    assert (await c.get(f"{API}/applications/{app_id}", headers=own_province)).status_code == 200
    listed = await c.get(f"{API}/applications", params={"province": "420000", "status": "draft"}, headers=own_province)
    assert app_id in {a["id"] for a in listed.json()["items"]}
    # A registry operator has no business with applications.
    assert (await c.get(f"{API}/applications/{app_id}", headers=stack.token("registry_initiator"))).status_code == 403


async def test_application_submitted_event_carries_account_period_notice_and_lot_facts(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 1_000)
    issued = await issue_notice(stack, period["code"], unit, 1_000)
    lot_id = await freeze_lot(stack, unit, 50)

    app = await submitted(
        stack,
        unit,
        issued["id"],
        [
            {"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 900},
            {"kind": "ccer", "lot_id": lot_id, "quantity": 50},
        ],
    )

    [event] = await produced(stack, app["id"], "allowance_registry.application.submitted")
    assert event["revision"] == 1
    assert event["account"] == {"id": unit.account_id, "name": unit.name, "uscc": unit.org, "province": "110000"}
    assert event["period"]["code"] == period["code"] and event["period"]["cap_bp"] == 500
    assert event["period"]["eligibility"]["origins"] == ["new"]
    assert event["notice"]["id"] == issued["id"] and event["notice"]["obligation"] == 1_000
    assert event["items"][1]["project"]["registered_or_recorded_at"] == "2024-03-01"
    assert event["items"][1]["origin"] == "new"


async def test_an_unknown_application_decision_is_ignored(stack: Stack) -> None:
    await clock_within(stack, START)
    await decide(stack, "provincial_review.application.approved", approved_payload(f"APP-{uuid.uuid4().hex}", 1))
    depths = await stack.queue_depths()
    assert depths["allowance_registry.events"] == 0


async def test_an_enterprise_cannot_transfer_more_than_it_holds_and_holdings_stay_non_negative(stack: Stack) -> None:
    await clock_within(stack, START)
    await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 100, side="trading")
    c = client(stack)

    moved = await c.post(
        f"{API}/accounts/{unit.account_id}/transfers",
        json={"instrument": INSTRUMENT_2024, "quantity": 60, "direction": "to_registry"},
        headers=unit.headers(stack),
    )
    too_much = await c.post(
        f"{API}/accounts/{unit.account_id}/transfers",
        json={"instrument": INSTRUMENT_2024, "quantity": 41, "direction": "to_registry"},
        headers=unit.headers(stack),
    )
    back_too_much = await c.post(
        f"{API}/accounts/{unit.account_id}/transfers",
        json={"instrument": INSTRUMENT_2024, "quantity": 61, "direction": "to_trading"},
        headers=unit.headers(stack),
    )

    assert moved.status_code == 200, moved.text
    assert too_much.status_code == 409 and too_much.json()["code"] == "INSUFFICIENT_HOLDING"
    assert back_too_much.status_code == 409
    h = await holding(stack, unit, INSTRUMENT_2024)
    assert (h["registry"], h["trading"], h["frozen"]) == (60, 40, 0)


async def test_holdings_and_transfers_are_the_holders_own(stack: Stack) -> None:
    await clock_within(stack, START)
    org = uscc()
    account_id = await open_allowance_account(stack, org, province="440000")
    c = client(stack)
    for headers in (stack.token("enterprise", org=uscc()), stack.token("province_initiator", province="110000")):
        assert (await c.get(f"{API}/accounts/{account_id}/holdings", headers=headers)).status_code == 404
        assert (await c.get(f"{API}/accounts/{account_id}", headers=headers)).status_code == 404
    transfer = await c.post(
        f"{API}/accounts/{account_id}/transfers",
        json={"instrument": INSTRUMENT_2024, "quantity": 1, "direction": "to_trading"},
        headers=stack.token("enterprise", org=uscc()),
    )
    assert transfer.status_code == 404
    assert (
        await c.get(
            f"{API}/accounts/{account_id}/holdings", headers=stack.token("province_initiator", province="440000")
        )
    ).status_code == 200
    listed = await c.get(
        f"{API}/accounts", params={"province": "440000"}, headers=stack.token("province_confirmer", province="110000")
    )
    assert listed.json()["items"] == []
    listed = await c.get(f"{API}/accounts", params={"province": "440000"}, headers=stack.token("registry_confirmer"))
    assert account_id in {a["id"] for a in listed.json()["items"]}
