"""Pending offsets (待抵销) from the new registry's frozen lots, and the loop's confirmations."""

from __future__ import annotations

import pytest

from tests.harness import Stack, uscc
from tests.integration.allowance_support import (
    API,
    INSTRUMENT_2024,
    START,
    allocate,
    approved_payload,
    approved_period,
    bound_unit,
    client,
    clock_within,
    decide,
    freeze_lot,
    frozen_payload,
    issue_notice,
    open_allowance_account,
    pending,
    produced,
    submitted,
)

pytestmark = pytest.mark.integration


async def test_a_lot_of_a_bound_account_is_recorded_as_pending(stack: Stack) -> None:
    await clock_within(stack, START)
    unit = await bound_unit(stack)

    lot_id = await freeze_lot(stack, unit, 1_000)

    lot = await pending(stack, unit, lot_id)
    assert (lot["status"], lot["quantity"], lot["available"], lot["reserved"]) == ("pending", 1_000, 1_000, 0)
    assert lot["origin"] == "new" and lot["project"]["name"] == "内蒙古某风电项目"
    assert await produced(stack, lot_id, "allowance_registry.offset.refused") == []
    holdings = await client(stack).get(f"{API}/accounts/{unit.account_id}/holdings", headers=unit.headers(stack))
    assert holdings.json()["pending_offsets_total"] == 1_000


async def test_a_lot_without_binding_or_account_is_refused_with_every_reason(stack: Stack) -> None:
    await clock_within(stack, START)
    unit = await bound_unit(stack)
    unbound_org = uscc()
    unbound = await open_allowance_account(stack, unbound_org)

    no_binding = frozen_payload(unit, 10, allowance_account_id=unbound, holder_uscc=unbound_org)
    no_account = frozen_payload(unit, 10, allowance_account_id="ALA-doesnotexist")
    wrong_holder = frozen_payload(unit, 10, holder_uscc=uscc())
    for payload in (no_binding, no_account, wrong_holder):
        await stack.publish("new_ccer_registry.offset.frozen", payload, correlation_id=payload["lot_id"])
    await stack.quiet()

    def reasons(events: list[dict]) -> set[str]:
        [event] = events
        return {r["code"] for r in event["reasons"]}

    assert reasons(await produced(stack, no_binding["lot_id"], "allowance_registry.offset.refused")) == {
        "NO_ACTIVE_BINDING"
    }
    assert reasons(await produced(stack, no_account["lot_id"], "allowance_registry.offset.refused")) == {
        "ALLOWANCE_ACCOUNT_NOT_FOUND",
        "NO_ACTIVE_BINDING",
    }
    assert reasons(await produced(stack, wrong_holder["lot_id"], "allowance_registry.offset.refused")) == {
        "HOLDER_USCC_MISMATCH",
        "BINDING_HOLDER_MISMATCH",
    }
    listed = await client(stack).get(
        f"{API}/pending-offsets", params={"account_id": unit.account_id}, headers=unit.headers(stack)
    )
    assert wrong_holder["lot_id"] not in {p["lot_id"] for p in listed.json()["items"]}


async def test_the_same_lot_delivered_twice_is_recorded_once(stack: Stack) -> None:
    await clock_within(stack, START)
    unit = await bound_unit(stack)
    payload = frozen_payload(unit, 70)

    await stack.publish("new_ccer_registry.offset.frozen", payload, correlation_id=payload["lot_id"])
    await stack.publish("new_ccer_registry.offset.frozen", payload, correlation_id=payload["lot_id"])
    await stack.quiet()

    listed = await client(stack).get(
        f"{API}/pending-offsets", params={"account_id": unit.account_id}, headers=unit.headers(stack)
    )
    assert [p["quantity"] for p in listed.json()["items"]] == [70]


async def test_cancellation_confirms_the_registration(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 1_000)
    issued = await issue_notice(stack, period["code"], unit, 1_000)
    lot_id = await freeze_lot(stack, unit, 100)
    app = await submitted(stack, unit, issued["id"], [{"kind": "ccer", "lot_id": lot_id, "quantity": 40}])
    await decide(stack, "provincial_review.application.approved", approved_payload(app["id"], 1))
    [registered] = await produced(stack, lot_id, "allowance_registry.offset.registered")

    cancelled = {
        "lot_id": lot_id,
        "registration_id": registered["registration_id"],
        "quantity": 40,
        "serial_ranges": [["CCER-X-2024-1", "CCER-X-2024-40"]],
        "cancelled_at": "2024-03-05T11:00:00+08:00",
    }
    await stack.publish("new_ccer_registry.offset.cancelled", cancelled, correlation_id=lot_id)
    await stack.publish("new_ccer_registry.offset.cancelled", cancelled, correlation_id=lot_id)
    await stack.quiet()

    lot = await pending(stack, unit, lot_id)
    assert (lot["registered"], lot["cancelled"], lot["available"], lot["status"]) == (40, 40, 60, "pending")
    registrations = await client(stack).get(
        f"{API}/offset-registrations", params={"lot_id": lot_id}, headers=unit.headers(stack)
    )
    [row] = registrations.json()["items"]
    assert row["cancellation"]["status"] == "confirmed" and row["cancellation"]["quantity"] == 40
    assert row["registration_id"] == registered["registration_id"]


async def test_pending_offsets_outside_the_callers_scope_are_invisible(stack: Stack) -> None:
    await clock_within(stack, START)
    unit = await bound_unit(stack, province="510000")
    lot_id = await freeze_lot(stack, unit, 5)
    c = client(stack)

    for headers in (stack.token("enterprise", org=uscc()), stack.token("province_initiator", province="110000")):
        listed = await c.get(f"{API}/pending-offsets", params={"account_id": unit.account_id}, headers=headers)
        assert listed.status_code == 200 and listed.json()["items"] == []
    own = await c.get(
        f"{API}/pending-offsets",
        params={"account_id": unit.account_id, "status": "pending"},
        headers=stack.token("province_initiator", province="510000"),
    )
    assert [p["lot_id"] for p in own.json()["items"]] == [lot_id]
    assert (await c.get(f"{API}/pending-offsets", headers=stack.token("registry_initiator"))).status_code == 403
    csv = await c.get(
        f"{API}/pending-offsets",
        params={"account_id": unit.account_id},
        headers={**unit.headers(stack), "Accept": "text/csv"},
    )
    assert csv.headers["content-type"].startswith("text/csv") and lot_id in csv.text
