"""The 2023 legacy path in the new CCER registry, on real PostgreSQL and RabbitMQ: an approved sync
from the legacy registry, confirmed or disputed over the REST API, a legacy lot with each range's
record date, an exact-range registration, a unit's history; reconciled after every step."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.harness import Stack, uscc
from tests.integration.new_registry_fixtures import (
    BASE,
    Unit,
    assert_reconciled,
    produced,
    registered,
    while_legacy_units_are_accepted,
)

pytestmark = pytest.mark.integration

SYNC = "legacy_ccer_registry.sync.approved"


def ver(project: str, n: int) -> str:
    return f"VER-{project}-2015-{n}"


def approved(unit: Unit, project: str, first: int, last: int, recorded: list[tuple[int, int, str]]) -> dict[str, Any]:
    return {
        "sync_application_id": f"SYA-{uuid.uuid4().hex[:12]}",
        "holder": {"name": unit.name, "uscc": unit.uscc},
        "legacy_account_id": f"LEG-{uuid.uuid4().hex[:8]}",
        "new_account_id": unit.account_id,
        "purpose": "offset_2023",
        "items": [
            {
                "cancellation_id": f"LCN-{uuid.uuid4().hex[:12]}",
                "project": {
                    "number": project,
                    "name": "旧风电项目",
                    "type": "wind",
                    "region": "内蒙古",
                    "recorded_at": "2015-06-01",
                },
                "quantity": last - first + 1,
                "serial_ranges": [[ver(project, first), ver(project, last)]],
                "units_recorded_at": max(d for _, _, d in recorded),
                "recorded_ranges": [
                    {"first": ver(project, a), "last": ver(project, b), "units_recorded_at": d} for a, b, d in recorded
                ],
            }
        ],
    }


async def synced(stack: Stack, unit: Unit, project: str, first: int, last: int, *recorded: tuple[int, int, str]) -> str:
    payload = approved(unit, project, first, last, list(recorded) or [(first, last, "2016-05-10")])
    await stack.publish(SYNC, payload, correlation_id=payload["sync_application_id"])
    await stack.quiet()
    listed = await unit.client.get(f"{BASE}/legacy-syncs", headers=unit.headers)
    assert listed.status_code == 200, listed.text
    return str(
        next(s["id"] for s in listed.json()["items"] if s["sync_application_id"] == payload["sync_application_id"])
    )


async def test_a_synced_legacy_sync_is_confirmed_or_disputed_by_its_holder_only(stack: Stack) -> None:
    unit = await Unit(stack).open()
    project = f"L{uuid.uuid4().hex[:8].upper()}"
    client = unit.client
    first = await synced(stack, unit, project, 1, 100)
    second = await synced(stack, unit, project, 101, 150)
    assert (await unit.holding(project, 2015, "legacy"))["awaiting_confirmation"] == 150
    await assert_reconciled(stack, project)

    confirmed = await client.post(f"{BASE}/legacy-syncs/{first}/confirm", headers=unit.headers)
    again = await client.post(f"{BASE}/legacy-syncs/{first}/confirm", headers=unit.headers)
    no_reason = await client.post(f"{BASE}/legacy-syncs/{second}/dispute", headers=unit.headers, json={})
    disputed = await client.post(
        f"{BASE}/legacy-syncs/{second}/dispute", headers=unit.headers, json={"reason": "数量不符"}
    )
    stranger = stack.token("enterprise", org=uscc())
    not_theirs = await client.get(f"{BASE}/legacy-syncs/{first}", headers=stranger)
    ncsc_cannot_confirm = await client.post(
        f"{BASE}/legacy-syncs/{second}/confirm", headers=stack.token("ncsc_operator")
    )

    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed", confirmed.text
    assert again.status_code == 409 and again.json()["code"] == "SYNC_NOT_AWAITING_CONFIRMATION", again.text
    assert no_reason.status_code == 422, no_reason.text
    assert disputed.status_code == 200 and disputed.json()["dispute_reason"] == "数量不符", disputed.text
    assert not_theirs.status_code == 404
    assert ncsc_cannot_confirm.status_code == 403
    disputes = await client.get(
        f"{BASE}/legacy-syncs",
        params={"status": "disputed"},
        headers=stack.token("ncsc_operator") | {"Accept": "text/csv"},
    )
    assert disputes.status_code == 200 and second in disputes.text and first not in disputes.text
    holding = await unit.holding(project, 2015, "legacy")
    assert (holding["available"], holding["awaiting_confirmation"]) == (100, 50)
    await assert_reconciled(stack, project)


async def test_a_legacy_lot_carries_its_record_dates_and_a_registration_cancels_exactly_its_ranges(
    stack: Stack,
) -> None:
    await while_legacy_units_are_accepted(stack)
    unit = await Unit(stack).open()
    await unit.bind()
    project = f"L{uuid.uuid4().hex[:8].upper()}"
    sync_id = await synced(stack, unit, project, 1, 100, (1, 60, "2016-05-10"), (61, 100, "2016-11-20"))
    await unit.client.post(f"{BASE}/legacy-syncs/{sync_id}/confirm", headers=unit.headers)

    frozen = await unit.freeze(project, 80, origin="legacy")
    assert frozen.status_code == 201, frozen.text
    lot_id = frozen.json()["lot_id"]
    await stack.quiet()
    (sent,) = await produced(stack, lot_id, "new_ccer_registry.offset.frozen")
    assert sent["units_recorded_at"] == "2016-11-20"
    assert [r["units_recorded_at"] for r in sent["recorded_ranges"]] == ["2016-05-10", "2016-11-20"]

    registration = registered(lot_id, 10, serial_ranges=[[ver(project, 71), ver(project, 80)]])
    await stack.publish("allowance_registry.offset.registered", registration, correlation_id=lot_id)
    await stack.quiet()

    history = await unit.client.get(f"{BASE}/serials/{ver(project, 75)}", headers=unit.headers)
    assert history.status_code == 200, history.text
    assert [e["kind"] for e in history.json()["events"]] == ["sync_in", "confirmation", "frozen", "cancellation"]
    assert history.json()["events"][-1]["registration_id"] == registration["registration_id"]
    for headers, status in (
        (stack.token("registry_confirmer"), 200),
        (stack.token("enterprise", org=uscc()), 404),
        (stack.token("province_initiator", province="110000"), 403),
    ):
        assert (await unit.client.get(f"{BASE}/serials/{ver(project, 75)}", headers=headers)).status_code == status
    unknown = await unit.client.get(f"{BASE}/serials/{ver(project, 500)}", headers=stack.token("ncsc_operator"))
    assert unknown.status_code == 404
    await assert_reconciled(stack, project)
