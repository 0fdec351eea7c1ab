"""Serial-exact pending offsets over REST and RabbitMQ: a mixed legacy lot judged per unit, the
registration naming exactly the reserved units, and ``GET /serials/{serial}``."""

from __future__ import annotations

import uuid

import pytest

from tests.harness import Stack, uscc
from tests.integration.allowance_support import (
    API,
    START,
    approved_payload,
    approved_period,
    bound_unit,
    client,
    clock_within,
    decide,
    draft,
    freeze_lot,
    issue_notice,
    produced,
    submit,
)

pytestmark = pytest.mark.integration

EARLY, LATE = "2016-05-01", "2017-06-01"


async def test_a_mixed_legacy_lot_is_judged_per_unit_and_each_unit_has_a_history(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2023")
    unit = await bound_unit(stack)
    issued = await issue_notice(stack, period["code"], unit, 10_000)
    p = f"VER-L{uuid.uuid4().hex[:6].upper()}-2015"
    lot_id = await freeze_lot(
        stack,
        unit,
        100,
        origin="legacy",
        registered_or_recorded_at="2014-09-01",
        units_recorded_at=LATE,
        vintage=2015,
        serial_ranges=[[f"{p}-1", f"{p}-100"]],
        recorded_ranges=[
            {"first": f"{p}-1", "last": f"{p}-50", "units_recorded_at": EARLY},
            {"first": f"{p}-51", "last": f"{p}-100", "units_recorded_at": LATE},
        ],
    )

    too_many = await submit(
        stack, unit, await draft(stack, unit, issued["id"], [{"kind": "ccer", "lot_id": lot_id, "quantity": 60}])
    )
    assert too_many.status_code == 422, too_many.text
    assert [e["code"] for e in too_many.json()["errors"]] == ["LEGACY_RECORDED_TOO_LATE"]
    fifty = await submit(
        stack, unit, await draft(stack, unit, issued["id"], [{"kind": "ccer", "lot_id": lot_id, "quantity": 50}])
    )
    assert fifty.status_code == 200, fifty.text
    assert fifty.json()["items"][0]["serial_ranges"] == [[f"{p}-1", f"{p}-50"]]
    await stack.quiet()
    await decide(stack, "provincial_review.application.approved", approved_payload(fifty.json()["id"], 1))

    [registered] = await produced(stack, lot_id, "allowance_registry.offset.registered")
    assert registered["serial_ranges"] == [[f"{p}-1", f"{p}-50"]]
    used = await client(stack).get(f"{API}/serials/{p}-50", headers=unit.headers(stack))
    assert used.status_code == 200, used.text
    body = used.json()
    assert (body["registry"], body["lot_id"], body["state"]) == ("allowance_registry", lot_id, "registered")
    assert [e["kind"] for e in body["events"]] == ["pending_offset", "reserved", "registered"]
    assert body["events"][2]["registration_id"] == registered["registration_id"]
    unused = await client(stack).get(f"{API}/serials/{p}-51", headers=stack.token("ncsc_operator"))
    assert (unused.status_code, unused.json()["state"]) == (200, "available")
    assert unused.json()["events"][0]["units_recorded_at"] == LATE

    stranger = await client(stack).get(f"{API}/serials/{p}-1", headers=stack.token("enterprise", org=uscc()))
    assert stranger.status_code == 404
    unknown = await client(stack).get(f"{API}/serials/{p}-101", headers=stack.token("registry_initiator"))
    assert unknown.status_code == 404
    malformed = await client(stack).get(f"{API}/serials/not-a-serial", headers=stack.token("registry_initiator"))
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["code"] == "SERIAL_MALFORMED"
