"""Every instant in every response is rendered in +08:00, wherever it sits: a typed field, the free-form
detail of a movement or an audit entry, a history step, a stored event, or a sentence."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from shared.timeutil import CST
from tests.harness import Stack, create_vhost, delete_vhost, drop_databases, running_stack, stack_settings, uscc

pytestmark = pytest.mark.integration

API = "/api/v1"
# Before the legacy registry's sync deadline.
START = datetime(2024, 6, 3, 10, 0, tzinfo=CST)


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[Stack]:
    """A stack of its own, its clocks at START."""
    vhost, prefix = create_vhost(), f"t{uuid.uuid4().hex[:8]}"
    try:
        async with running_stack(stack_settings(vhost=vhost, db_prefix=prefix)) as stack:
            for service in stack.services.values():
                answer = await service.client.put(
                    f"{API}/admin/clock", json={"now": START.isoformat()}, headers=stack.token("sim_admin")
                )
                assert answer.status_code == 200, answer.text
            yield stack
    finally:
        delete_vhost(vhost)
        await drop_databases(prefix)


# An ISO 8601 instant with its offset, as JSON or a sentence may carry it.
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def instants(answer: httpx.Response) -> tuple[list[str], list[str]]:
    """The instants in an answer's body: all of them, and those not in +08:00."""
    assert answer.status_code == 200, answer.text
    found = [m.group(0) for m in INSTANT.finditer(answer.text)]
    return found, [i for i in found if not i.endswith("+08:00")]


async def synced_legacy_units(stack: Stack) -> tuple[str, str, str]:
    """Legacy units cancelled and synced into a new-registry account, approved by NCSC. Returns the
    first serial, the cancellation id and the sync application id."""
    legacy, ncsc = stack["legacy_ccer_registry"].client, stack.token("ncsc_operator")
    org, name = uscc(), "时区测试热电有限公司"
    holder = stack.token("enterprise", org=org)
    new_account = await stack["new_ccer_registry"].client.post(
        f"{API}/accounts",
        json={"holder": {"name": name, "uscc": org}, "province": "110000", "account_type": "national_key_emitter"},
        headers=ncsc,
    )
    assert new_account.status_code == 201, new_account.text
    opened = await legacy.post(
        f"{API}/accounts",
        json={"holder": {"name": name, "uscc": org}, "province": "110000", "exchanges": ["TCX"]},
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
    assert (await legacy.post(f"{API}/projects", json=project, headers=ncsc)).status_code == 201
    issuance = {
        "vintage": 2015,
        "quantity": 30,
        "account_id": account_id,
        "exchange": "TCX",
        "recorded_at": "2016-03-01",
    }
    assert (await legacy.post(f"{API}/projects/{number}/issuances", json=issuance, headers=ncsc)).status_code == 201
    transfer = {"direction": "to_registry", "exchange": "TCX", "project_number": number, "quantity": 30}
    assert (
        await legacy.post(f"{API}/accounts/{account_id}/transfers", json=transfer, headers=holder)
    ).status_code == 201
    cancelled = await legacy.post(
        f"{API}/cancellations",
        json={"account_id": account_id, "project_number": number, "quantity": 10, "purpose": "offset_2023"},
        headers=holder,
    )
    assert cancelled.status_code == 201, cancelled.text
    cancellation_id = cancelled.json()["id"]
    applied = await legacy.post(
        f"{API}/sync-applications",
        json={
            "unit_name": name,
            "uscc": org,
            "legacy_account_id": account_id,
            "new_account_id": new_account.json()["id"],
            "contact": {"name": "张三", "phone": "010-12345678", "email": "zhang@example.com"},
            "lines": [{"cancellation_id": cancellation_id, "project_number": number, "quantity": 10}],
        },
        headers=holder,
    )
    assert applied.status_code == 201, applied.text
    application_id = applied.json()["id"]
    decided = await legacy.post(
        f"{API}/sync-applications/{application_id}/decision", json={"decision": "approve"}, headers=ncsc
    )
    assert decided.status_code == 200, decided.text
    return f"VER-{number}-2015-1", cancellation_id, application_id


async def test_a_synced_units_history_its_events_and_its_audit_show_every_instant_in_08_00(stack: Stack) -> None:
    serial, _, application_id = await synced_legacy_units(stack)
    legacy, ncsc = stack["legacy_ccer_registry"].client, stack.token("ncsc_operator")
    await stack.quiet()

    history = await legacy.get(f"{API}/serials/{serial}", headers=ncsc)
    found, other = instants(history)
    sync = [m for m in history.json()["history"] if m["kind"] == "sync"]
    assert sync and sync[0]["detail"]["sent_at"].endswith("+08:00"), history.json()["history"]
    assert found and other == [], other

    for answer in (
        await legacy.get(f"{API}/admin/audit", params={"entity_id": application_id}, headers=ncsc),
        await legacy.get(f"{API}/admin/events", params={"correlation_id": application_id}, headers=ncsc),
        await stack["new_ccer_registry"].client.get(f"{API}/legacy-syncs", headers=ncsc),
    ):
        found, other = instants(answer)
        assert found and other == [], (answer.request.url, other)


async def test_instants_in_audit_details_are_shown_in_08_00_however_they_were_written(stack: Stack) -> None:
    runtime = stack["allowance_registry"].runtime
    entity_id = uuid.uuid4().hex
    due_at = datetime(2025, 1, 23, 0, 0, tzinfo=UTC)
    # As a handler writes it: an instant it read back from the database (UTC).
    async with runtime.uow(actor="scheduler") as uow:
        uow.audit("test_instants", "test_entity", entity_id, due_at=due_at, nested={"at": [due_at]})
        await uow.commit()
    # As rows written before this rule hold it: an ISO text in UTC.
    async with runtime.engine.begin() as conn:
        written: dict[str, Any] = {"recalled_at": "2025-01-23T00:00:00Z", "note": "recalled at 2025-01-23 (UTC)"}
        await conn.execute(
            insert(runtime.infra.audit).values(
                at=due_at,
                at_wall=due_at,
                actor="scheduler",
                action="test_instants",
                entity="test_entity",
                entity_id=entity_id,
                detail=written,
                cause=None,
            )
        )

    answer = await stack["allowance_registry"].client.get(
        f"{API}/admin/audit", params={"entity_id": entity_id}, headers=stack.token("sim_admin")
    )
    found, other = instants(answer)
    assert other == [], other
    old, new = answer.json()["items"][0], answer.json()["items"][1]
    assert new["detail"] == {"due_at": "2025-01-23T08:00:00+08:00", "nested": {"at": ["2025-01-23T08:00:00+08:00"]}}
    assert old["detail"] == {"recalled_at": "2025-01-23T08:00:00+08:00", "note": "recalled at 2025-01-23 (UTC)"}
    assert len(found) == 7  # at and at_wall of each entry, and three in the details
