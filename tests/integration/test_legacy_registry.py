"""The legacy CCER registry over HTTP on the real stack (PostgreSQL, RabbitMQ): every problem of a
bad body at once in English and Chinese, 404 outside one's scope, CSV lists, and a cancellation's
event published to the broker."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import datetime
from typing import Any

import pytest

from services.legacy_ccer_registry.domain.daily_records import daily_batch_after
from shared.reference import CompliancePeriods
from shared.timeutil import CST, local
from tests.harness import Stack, uscc

pytestmark = pytest.mark.integration

BASE = "/api/v1"


# Inside NCSC's daily-records window of the first period (2021-10-26 .. 2021-12-15).
IN_WINDOW = (datetime(2021, 11, 2, 9, 0, tzinfo=CST), datetime(2021, 12, 1, tzinfo=CST))


async def _inside_the_daily_records_window(stack: Stack) -> None:
    """Make the legacy registry's clock read inside the window (it never moves back: past it, the
    registry is reset first, the documented way to replay another year)."""
    service = stack["legacy_ccer_registry"]
    clock, admin = service.runtime.clock, stack.token("sim_admin")
    earliest, latest = IN_WINDOW
    if clock.is_set and local(clock.now()) > latest:
        await stack.quiet()
        answer = await service.client.post(f"{BASE}/admin/reset", headers=admin)
        assert answer.status_code == 200, answer.text
    if not clock.is_set or local(clock.now()) < earliest:
        answer = await service.client.put(f"{BASE}/admin/clock", json={"now": earliest.isoformat()}, headers=admin)
        assert answer.status_code == 200, answer.text


def _project_number() -> str:
    return f"L{uuid.uuid4().hex[:8].upper()}"


async def _unit_with_available_units(stack: Stack, quantity: int = 50) -> tuple[dict[str, Any], str, dict[str, str]]:
    """A unit opened by NCSC, a project, ``quantity`` units issued at TCX and transferred to the
    general holding account. Returns the account, the project number and the holder's headers."""
    client, ncsc = stack["legacy_ccer_registry"].client, stack.token("ncsc_operator")
    org = uscc()
    opened = await client.post(
        f"{BASE}/accounts",
        json={"holder": {"name": "某热电有限公司", "uscc": org}, "province": "440000", "exchanges": ["TCX"]},
        headers=ncsc,
    )
    assert opened.status_code == 201, opened.text
    account = opened.json()
    number = _project_number()
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
        "quantity": quantity,
        "account_id": account["id"],
        "exchange": "TCX",
        "recorded_at": "2016-03-01",
    }
    issued = await client.post(f"{BASE}/projects/{number}/issuances", json=issuance, headers=ncsc)
    assert issued.status_code == 201, issued.text
    assert issued.json()["serial_ranges"] == [[f"VER-{number}-2015-1", f"VER-{number}-2015-{quantity}"]]
    holder = stack.token("enterprise", org=org)
    transfer = {"direction": "to_registry", "exchange": "TCX", "project_number": number, "quantity": quantity}
    moved = await client.post(f"{BASE}/accounts/{account['id']}/transfers", json=transfer, headers=holder)
    assert moved.status_code == 201, moved.text
    return account, number, holder


async def test_a_bad_body_answers_422_listing_every_problem_in_english_and_chinese(stack: Stack) -> None:
    client = stack["legacy_ccer_registry"].client
    body = {
        "unit_name": "",
        "uscc": "NOT-A-USCC",
        "legacy_account_id": "x" * 41,
        "new_account_id": "NA-1",
        "contact": {"name": "张三", "phone": "abc", "email": "not-an-email"},
        "lines": [],
        "purpose": "voluntary",
    }
    answer = await client.post(f"{BASE}/sync-applications", json=body, headers=stack.token("enterprise", org=uscc()))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    fields = {e["field"] for e in problem["errors"]}
    assert {
        "unit_name",
        "uscc",
        "legacy_account_id",
        "contact.phone",
        "contact.email",
        "lines",
        "purpose",
    } <= fields
    assert all(e["message"] and e["message_zh"] for e in problem["errors"])
    assert problem["code"] == "VALIDATION_FAILED"


async def test_accounts_and_records_outside_ones_scope_answer_404(stack: Stack) -> None:
    client = stack["legacy_ccer_registry"].client
    account, number, holder = await _unit_with_available_units(stack)
    stranger = stack.token("enterprise", org=uscc())
    assert (await client.get(f"{BASE}/accounts/{account['id']}", headers=holder)).status_code == 200
    for path in (f"/accounts/{account['id']}", f"/accounts/{account['id']}/holdings", f"/serials/VER-{number}-2015-1"):
        answer = await client.get(f"{BASE}{path}", headers=stranger)
        assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND"), path
    cancelled = await client.post(
        f"{BASE}/cancellations",
        json={"account_id": account["id"], "project_number": number, "quantity": 5, "purpose": "voluntary"},
        headers=stranger,
    )
    assert cancelled.status_code == 404
    # A role that does not act here at all is refused outright.
    assert (
        await client.get(f"{BASE}/accounts/{account['id']}", headers=stack.token("registry_initiator"))
    ).status_code == 403


async def test_cancellation_records_list_as_csv_and_their_event_reaches_the_broker(stack: Stack) -> None:
    await _inside_the_daily_records_window(stack)
    client = stack["legacy_ccer_registry"].client
    account, number, holder = await _unit_with_available_units(stack)
    made = await client.post(
        f"{BASE}/cancellations",
        json={"account_id": account["id"], "project_number": number, "quantity": 20, "purpose": "offset_2023"},
        headers=holder,
    )
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["serial_ranges"] == [[f"VER-{number}-2015-1", f"VER-{number}-2015-20"]]
    assert record["recorded_ranges"][0]["units_recorded_at"] == "2016-03-01"

    listed = await client.get(
        f"{BASE}/cancellations", params={"account_id": account["id"]}, headers=holder | {"Accept": "text/csv"}
    )
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(listed.text)))
    assert [(r["id"], r["quantity"], r["purpose"]) for r in rows] == [(record["id"], "20", "offset_2023")]
    province = await client.get(f"{BASE}/cancellations", headers=stack.token("province_initiator", province="440000"))
    assert record["id"] in {c["id"] for c in province.json()["items"]}
    other = await client.get(f"{BASE}/cancellations", headers=stack.token("province_initiator", province="110000"))
    assert record["id"] not in {c["id"] for c in other.json()["items"]}

    # NCSC's daily batch just after 17:00 sends the day's records: move this registry's clock to it.
    batch = daily_batch_after(CompliancePeriods.from_file(), datetime.fromisoformat(record["cancelled_at"]))
    assert batch is not None
    moved = await client.put(f"{BASE}/admin/clock", json={"now": batch.isoformat()}, headers=stack.token("sim_admin"))
    assert moved.status_code == 200 and moved.json()["jobs_run"] >= 1, moved.text
    ncsc = stack.token("ncsc_operator")
    published = None
    for _ in range(100):
        events = await client.get(f"{BASE}/admin/events", params={"correlation_id": record["id"]}, headers=ncsc)
        produced = [e for e in events.json() if e["direction"] == "produced"]
        if produced and produced[0]["published_at"]:
            published = produced[0]
            break
        await asyncio.sleep(0.1)
    assert published is not None, "the cancellation's event was not confirmed by the broker"
    assert published["event_type"] == "legacy_ccer_registry.cancellation.recorded"
    assert published["envelope"]["payload"]["quantity"] == 20
