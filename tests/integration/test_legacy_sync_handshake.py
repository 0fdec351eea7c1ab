"""The sync form (the appendix of seed 000) across both CCER registries on real PostgreSQL and
RabbitMQ: NCSC's approval is a request the new registry accepts or refuses by event. A form naming
another unit's new-registry account is refused with its finding (nothing dead-lettered), its units
stay cancelled but unsynced and traceable by serial, and a corrected form syncs them into the right
account; quantities add up in both registries and the cross-registry reconciliation is clean.

Sync forms are accepted until 2024-12-23 17:00, so this runs on a stack of its own whose clocks
start in the autumn of 2024 (the session's shared stack runs on real time)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from ccer_tools.reconcile import reconcile
from shared.settings import SERVICES
from shared.timeutil import CST
from tests.harness import Stack, create_vhost, delete_vhost, drop_databases, running_stack, stack_settings, uscc
from tests.integration.new_registry_fixtures import BASE, Unit

pytestmark = pytest.mark.integration

NEW, LEGACY = "new_ccer_registry", "legacy_ccer_registry"
START = datetime(2024, 9, 2, 10, 0, tzinfo=CST)


@pytest.fixture(scope="module")
async def autumn_2024() -> AsyncIterator[Stack]:
    vhost, prefix = create_vhost(), f"t{uuid.uuid4().hex[:8]}"
    try:
        async with running_stack(stack_settings(vhost=vhost, db_prefix=prefix)) as stack:
            for service in SERVICES:
                moved = await stack[service].client.put(
                    f"{BASE}/admin/clock", json={"now": START.isoformat()}, headers=stack.token("sim_admin")
                )
                assert moved.status_code == 200, moved.text
            yield stack
    finally:
        delete_vhost(vhost)
        await drop_databases(prefix)


async def legacy_cancelled(stack: Stack, unit: Unit, *, issued: int, cancelled: int) -> tuple[str, str, str]:
    """The unit's legacy account (same holder as its new-registry account), ``issued`` units of a
    fresh project moved to its general holding account and ``cancelled`` of them cancelled for the
    2023 offset. Returns the legacy account id, the project number and the cancellation id."""
    client, ncsc, holder = stack[LEGACY].client, stack.token("ncsc_operator"), unit.headers
    opened = await client.post(
        f"{BASE}/accounts",
        json={"holder": {"name": unit.name, "uscc": unit.uscc}, "province": "110000", "exchanges": ["TCX"]},
        headers=ncsc,
    )
    assert opened.status_code == 201, opened.text
    account_id = opened.json()["id"]
    number = f"L{uuid.uuid4().hex[:8].upper()}"
    project = {
        "number": number,
        "name": "某风电项目",
        "owner_uscc": uscc(),
        "type": "wind",
        "region": "440000",
        "recorded_at": "2015-04-01",
        "within_national_ets": False,
    }
    assert (await client.post(f"{BASE}/projects", json=project, headers=ncsc)).status_code == 201
    issuance = {
        "vintage": 2015,
        "quantity": issued,
        "account_id": account_id,
        "exchange": "TCX",
        "recorded_at": "2016-03-01",
    }
    assert (await client.post(f"{BASE}/projects/{number}/issuances", json=issuance, headers=ncsc)).status_code == 201
    transfer = {"direction": "to_registry", "exchange": "TCX", "project_number": number, "quantity": issued}
    moved = await client.post(f"{BASE}/accounts/{account_id}/transfers", json=transfer, headers=holder)
    assert moved.status_code == 201, moved.text
    made = await client.post(
        f"{BASE}/cancellations",
        json={"account_id": account_id, "project_number": number, "quantity": cancelled, "purpose": "offset_2023"},
        headers=holder,
    )
    assert made.status_code == 201, made.text
    return account_id, number, str(made.json()["id"])


async def send_and_approve(
    stack: Stack, unit: Unit, legacy_account_id: str, new_account_id: str, line: dict[str, Any]
) -> dict[str, Any]:
    """The unit sends the form, NCSC approves it; returns the form once the system is quiet, after
    checking that nothing was dead-lettered on the way."""
    client = stack[LEGACY].client
    sent = await client.post(
        f"{BASE}/sync-applications",
        json={
            "unit_name": unit.name,
            "uscc": unit.uscc,
            "legacy_account_id": legacy_account_id,
            "new_account_id": new_account_id,
            "contact": {"name": "张三", "phone": "010-12345678", "email": "zhang@example.com"},
            "lines": [line],
        },
        headers=unit.headers,
    )
    assert sent.status_code == 201 and sent.json()["status"] == "submitted", sent.text
    form_id = sent.json()["id"]
    approved = await client.post(
        f"{BASE}/sync-applications/{form_id}/decision",
        json={"decision": "approve"},
        headers=stack.token("ncsc_operator"),
    )
    assert approved.status_code == 200, approved.text
    # NCSC's approval is a request: the units are synced only once the new registry accepts.
    decided = approved.json()["status"]
    await stack.quiet()
    await assert_no_dead_letters(stack)
    assert decided == "awaiting_new_registry"
    answer = await client.get(f"{BASE}/sync-applications/{form_id}", headers=unit.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def assert_no_dead_letters(stack: Stack) -> None:
    depths = await stack.queue_depths()
    assert {q: n for q, n in depths.items() if q.endswith(".dlq") and n} == {}


async def test_a_form_naming_another_units_account_is_refused_traceably_and_a_corrected_one_syncs(
    autumn_2024: Stack,
) -> None:
    stack = autumn_2024
    unit = await Unit(stack, name="甲热电有限公司").open()
    other = await Unit(stack, name="乙热电有限公司").open()
    legacy_account_id, number, record_id = await legacy_cancelled(stack, unit, issued=50, cancelled=20)
    line = {"cancellation_id": record_id, "project_number": number, "quantity": 20}
    legacy = stack[LEGACY].client

    refused = await send_and_approve(stack, unit, legacy_account_id, other.account_id, line)

    await assert_no_dead_letters(stack)
    assert refused["status"] == "refused_by_new_registry", refused
    assert [r["code"] for r in refused["reasons"]] == ["SYNC_ACCOUNT_MISMATCH"]
    assert all(r["message"] and r["message_zh"] for r in refused["reasons"])
    record = (await legacy.get(f"{BASE}/cancellations/{record_id}", headers=unit.headers)).json()
    assert (record["synced"], record["claimed"], record["in_transit"], record["unsynced"]) == (0, 0, 0, 20)
    traced = await legacy.get(f"{BASE}/serials/VER-{number}-2015-7", headers=unit.headers)
    assert traced.status_code == 200, traced.text
    assert traced.json()["state"] == "cancelled"
    assert [(m["kind"], m["reference_id"]) for m in traced.json()["history"][-2:]] == [
        ("sync_sent", refused["id"]),
        ("sync_refused", refused["id"]),
    ]
    listed = await legacy.get(
        f"{BASE}/sync-applications", params={"status": "refused_by_new_registry"}, headers=unit.headers
    )
    assert [f["id"] for f in listed.json()["items"]] == [refused["id"]]
    ncsc = stack.token("ncsc_operator")
    for account in (unit, other):
        syncs = await stack[NEW].client.get(
            f"{BASE}/legacy-syncs", params={"account_id": account.account_id}, headers=ncsc
        )
        assert syncs.json()["items"] == []
        assert await account.holdings() == {}

    synced = await send_and_approve(stack, unit, legacy_account_id, unit.account_id, line)

    await assert_no_dead_letters(stack)
    assert synced["status"] == "synced" and synced["legacy_sync_id"], synced
    assert synced["lines"][0]["serial_ranges"] == [[f"VER-{number}-2015-1", f"VER-{number}-2015-20"]]
    confirmed = await stack[NEW].client.post(
        f"{BASE}/legacy-syncs/{synced['legacy_sync_id']}/confirm", headers=unit.headers
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed", confirmed.text
    await stack.quiet()

    # Quantities add up in both registries: 50 issued = 30 available + 20 cancelled, of which 20
    # synced; the new registry holds exactly those 20, in the right account, available.
    record = (await legacy.get(f"{BASE}/cancellations/{record_id}", headers=unit.headers)).json()
    assert (record["synced"], record["claimed"], record["in_transit"], record["unsynced"]) == (20, 0, 0, 0)
    [held] = (await legacy.get(f"{BASE}/accounts/{legacy_account_id}/holdings", headers=unit.headers)).json()["items"]
    assert (held["available"], held["cancelled"], held["trading"]) == (30, 20, 0)
    mine = await unit.holding(number, 2015, "legacy")
    assert (mine["available"], mine["awaiting_confirmation"]) == (20, 0)
    assert await other.holdings() == {}
    history = (await legacy.get(f"{BASE}/serials/VER-{number}-2015-7", headers=unit.headers)).json()["history"]
    assert [m["kind"] for m in history[-4:]] == ["sync_sent", "sync_refused", "sync_sent", "sync"]
    report = await reconcile(
        {s: f"http://{s}" for s in SERVICES},
        secret=stack.settings.secret,
        clients={name: s.client for name, s in stack.services.items()},
    )
    assert report.ok, report.discrepancies
    await assert_no_dead_letters(stack)


async def test_a_record_synced_in_two_parts_over_two_forms_ends_whole_in_the_new_registry(autumn_2024: Stack) -> None:
    stack = autumn_2024
    unit = await Unit(stack, name="丙热电有限公司").open()
    legacy_account_id, number, record_id = await legacy_cancelled(stack, unit, issued=60, cancelled=50)
    legacy = stack[LEGACY].client

    # 50 t cancelled: a form for 30 t now, another for the other 20 t later; both are accepted.
    first = await send_and_approve(
        stack,
        unit,
        legacy_account_id,
        unit.account_id,
        {"cancellation_id": record_id, "project_number": number, "quantity": 30},
    )
    second = await send_and_approve(
        stack,
        unit,
        legacy_account_id,
        unit.account_id,
        {"cancellation_id": record_id, "project_number": number, "quantity": 20},
    )

    await assert_no_dead_letters(stack)
    assert (first["status"], second["status"]) == ("synced", "synced"), (first, second)
    assert first["lines"][0]["serial_ranges"] == [[f"VER-{number}-2015-1", f"VER-{number}-2015-30"]]
    assert second["lines"][0]["serial_ranges"] == [[f"VER-{number}-2015-31", f"VER-{number}-2015-50"]]
    record = (await legacy.get(f"{BASE}/cancellations/{record_id}", headers=unit.headers)).json()
    assert (record["synced"], record["claimed"], record["in_transit"], record["unsynced"]) == (50, 0, 0, 0)
    for form in (first, second):
        confirmed = await stack[NEW].client.post(
            f"{BASE}/legacy-syncs/{form['legacy_sync_id']}/confirm", headers=unit.headers
        )
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed", confirmed.text
    await stack.quiet()

    mine = await unit.holding(number, 2015, "legacy")
    assert (mine["available"], mine["awaiting_confirmation"]) == (50, 0)
    assert mine["serial_ranges"]["available"] == [[f"VER-{number}-2015-1", f"VER-{number}-2015-50"]]
    report = await reconcile(
        {s: f"http://{s}" for s in SERVICES},
        secret=stack.settings.secret,
        clients={name: s.client for name, s in stack.services.items()},
    )
    assert report.ok, report.discrepancies
    await assert_no_dead_letters(stack)
