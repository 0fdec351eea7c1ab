"""The cross-registry reconciliation (``ccer reconcile``, issue 11 A) and the nightly per-registry one
(issue 11 B) on a world of their own: a clean world reports nothing; one corrupted row per invariant
is named with its invariant and its objects, and the command exits 1.

These tests corrupt rows, so they run on a stack of their own (own databases, own vhost)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text

from ccer_tools.reconcile import Discrepancy, RegistryUnavailable, Report, reconcile
from shared.settings import SERVICES
from shared.timeutil import CST
from tests.harness import Stack, create_vhost, delete_vhost, drop_databases, running_stack, stack_settings, uscc
from tests.integration.allowance_support import (
    INSTRUMENT_2023,
    allocate,
    approved_period,
    bound_unit,
    issue_notice,
)
from tests.integration.new_registry_fixtures import issue, register_project

pytestmark = pytest.mark.integration

API = "/api/v1"
NEW, LEGACY, ALLOWANCE = "new_ccer_registry", "legacy_ccer_registry", "allowance_registry"
START = datetime(2024, 6, 3, 10, 0, tzinfo=CST)


@dataclass
class World:
    stack: Stack
    lot_id: str
    project: str
    notice_id: str
    allowance_account_id: str
    legacy_cancellation_id: str
    legacy_sync_id: str

    async def report(self) -> Report:
        clients = {name: s.client for name, s in self.stack.services.items()}
        return await reconcile({s: f"http://{s}" for s in SERVICES}, secret=self.stack.settings.secret, clients=clients)

    async def sql(self, service: str, *statements: str, **params: Any) -> None:
        async with self.stack[service].runtime.sessions() as session, session.begin():
            for statement in statements:
                await session.execute(text(statement), params)


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    vhost, prefix = create_vhost(), f"t{uuid.uuid4().hex[:8]}"
    try:
        async with running_stack(stack_settings(vhost=vhost, db_prefix=prefix)) as stack:
            yield await _build(stack)
    finally:
        delete_vhost(vhost)
        await drop_databases(prefix)


async def _build(stack: Stack) -> World:
    for service in (NEW, LEGACY, ALLOWANCE):
        answer = await stack[service].client.put(
            f"{API}/admin/clock", json={"now": START.isoformat()}, headers=stack.token("sim_admin")
        )
        assert answer.status_code == 200, answer.text
    period = await approved_period(stack, "2023")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2023, 100_000)
    notice = await issue_notice(stack, period["code"], unit, 100_000)

    project = await register_project(stack)
    await issue(stack, project, unit.registry_account_id, 1000)
    lot = await stack[NEW].client.post(
        f"{API}/offset-lots",
        headers=stack.token("enterprise", org=unit.org),
        json={"account_id": unit.registry_account_id, "project_number": project, "origin": "new", "quantity": 300},
    )
    assert lot.status_code == 201, lot.text

    cancellation_id, sync_id = await _legacy_sync(stack, unit.org, unit.name, unit.registry_account_id)
    await stack.quiet()
    return World(stack, lot.json()["lot_id"], project, notice["id"], unit.account_id, cancellation_id, sync_id)


async def _legacy_sync(stack: Stack, org: str, name: str, new_account_id: str) -> tuple[str, str]:
    """Legacy units cancelled for the 2023 offset and synced into the new registry (seed 000 appendix)."""
    client, ncsc, holder = stack[LEGACY].client, stack.token("ncsc_operator"), stack.token("enterprise", org=org)
    opened = await client.post(
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
    assert (await client.post(f"{API}/projects", json=project, headers=ncsc)).status_code == 201
    issuance = {
        "vintage": 2015,
        "quantity": 50,
        "account_id": account_id,
        "exchange": "TCX",
        "recorded_at": "2016-03-01",
    }
    assert (await client.post(f"{API}/projects/{number}/issuances", json=issuance, headers=ncsc)).status_code == 201
    transfer = {"direction": "to_registry", "exchange": "TCX", "project_number": number, "quantity": 50}
    moved = await client.post(f"{API}/accounts/{account_id}/transfers", json=transfer, headers=holder)
    assert moved.status_code == 201, moved.text
    cancelled = await client.post(
        f"{API}/cancellations",
        json={"account_id": account_id, "project_number": number, "quantity": 20, "purpose": "offset_2023"},
        headers=holder,
    )
    assert cancelled.status_code == 201, cancelled.text
    cancellation_id = cancelled.json()["id"]
    applied = await client.post(
        f"{API}/sync-applications",
        json={
            "unit_name": name,
            "uscc": org,
            "legacy_account_id": account_id,
            "new_account_id": new_account_id,
            "contact": {"name": "张三", "phone": "010-12345678", "email": "zhang@example.com"},
            "lines": [{"cancellation_id": cancellation_id, "project_number": number, "quantity": 20}],
        },
        headers=holder,
    )
    assert applied.status_code == 201, applied.text
    decided = await client.post(
        f"{API}/sync-applications/{applied.json()['id']}/decision", json={"decision": "approve"}, headers=ncsc
    )
    assert decided.status_code == 200, decided.text
    await stack.quiet()
    syncs = await stack[NEW].client.get(f"{API}/legacy-syncs", headers=stack.token("ncsc_operator"))
    [sync] = [s for s in syncs.json()["items"] if s["items"][0]["cancellation_id"] == cancellation_id]
    return cancellation_id, sync["id"]


def _named(report: Report, invariant: str) -> list[Discrepancy]:
    found = [d for d in report.discrepancies if d.invariant == invariant]
    assert found, f"no {invariant} discrepancy in {report.discrepancies}"
    return found


async def test_a_clean_world_has_no_discrepancy_and_every_part_was_checked(world: World) -> None:
    report = await world.report()

    assert report.ok, report.discrepancies
    assert report.checked["lots"] == 1 and report.checked["pending_offsets"] == 1
    assert report.checked["legacy_cancellations"] == 1 and report.checked["legacy_syncs"] == 1
    assert report.checked["allowance_registry.notices"] == 1
    assert report.checked["events_in_flight"] == 0


async def test_a_pending_offset_that_disagrees_with_its_lot_is_named_with_both_sides(world: World) -> None:
    await world.sql(ALLOWANCE, "UPDATE pending_offsets SET recalled = 40 WHERE lot_id = :lot", lot=world.lot_id)
    try:
        report = await world.report()
    finally:
        await world.sql(ALLOWANCE, "UPDATE pending_offsets SET recalled = 0 WHERE lot_id = :lot", lot=world.lot_id)

    [found] = _named(report, "lot_balance")
    assert found.objects["lot_id"] == world.lot_id
    assert found.objects["allowance_registry"]["recalled"] == 40 and found.objects["new_registry"]["frozen"] == 300
    assert "recalled = released: allowance registry 40 t, new registry 0 t" in found.message
    assert "available + reserved = frozen: allowance registry 260 t, new registry 300 t" in found.message


async def test_units_held_beyond_their_issuance_break_the_serial_ranges(world: World) -> None:
    grow = "UPDATE holding_blocks SET last_n = last_n + 5 WHERE project_number = :p AND state = 'available'"
    await world.sql(NEW, grow, p=world.project)
    try:
        report = await world.report()
    finally:
        await world.sql(NEW, grow.replace("+ 5", "- 5"), p=world.project)

    found = _named(report, "serial_ranges")
    assert {d.code for d in found} == {"SERIALS_NOT_ISSUED"}
    assert found[0].registry == NEW and found[0].objects["project_number"] == world.project
    assert found[0].objects["serial_ranges"] == [[f"CCER-{world.project}-2023-1001", f"CCER-{world.project}-2023-1005"]]


async def test_a_duplicated_cancellation_record_names_both_records_and_the_units(world: World) -> None:
    await world.sql(
        LEGACY,
        "CREATE TEMP TABLE dup ON COMMIT DROP AS SELECT * FROM cancellations WHERE id = :c",
        "UPDATE dup SET id = 'DUP-' || id",
        "INSERT INTO cancellations SELECT * FROM dup",
        c=world.legacy_cancellation_id,
    )
    try:
        report = await world.report()
    finally:
        await world.sql(LEGACY, "DELETE FROM cancellations WHERE id = :c", c=f"DUP-{world.legacy_cancellation_id}")

    twice = [d for d in _named(report, "cancelled_once") if d.code == "UNITS_CANCELLED_TWICE"]
    assert [sorted(d.objects["cancellation_ids"]) for d in twice] == [
        sorted([world.legacy_cancellation_id, f"DUP-{world.legacy_cancellation_id}"])
    ]
    assert twice[0].objects["serial_range"][0].endswith("-2015-1")


async def test_a_legacy_cancellation_synced_in_without_the_legacy_registry_counting_it(world: World) -> None:
    await world.sql(LEGACY, "UPDATE cancellations SET synced = 0 WHERE id = :c", c=world.legacy_cancellation_id)
    try:
        report = await world.report()
    finally:
        await world.sql(LEGACY, "UPDATE cancellations SET synced = 20 WHERE id = :c", c=world.legacy_cancellation_id)

    found = [d for d in _named(report, "synced_once") if d.code == "SYNC_QUANTITY_MISMATCH"]
    assert [d.objects["cancellation_id"] for d in found] == [world.legacy_cancellation_id]
    assert found[0].objects["legacy_sync_ids"] == [world.legacy_sync_id]
    assert (found[0].objects["synced"], found[0].objects["received"]) == (0, 20)


async def test_ccer_registered_above_the_notices_cap_is_named(world: World) -> None:
    await world.sql(ALLOWANCE, "UPDATE notices SET ccer_registered = 5001 WHERE id = :n", n=world.notice_id)
    try:
        report = await world.report()
    finally:
        await world.sql(ALLOWANCE, "UPDATE notices SET ccer_registered = 0 WHERE id = :n", n=world.notice_id)

    # Above the cap, and registered without the offset registrations behind it.
    found, unregistered = sorted(_named(report, "offset_cap"), key=lambda d: d.code)
    assert (unregistered.code, unregistered.objects["registrations"]) == ("NOTICE_REGISTRATIONS", 0)
    assert found.code == "NOTICE_OVER_CAP" and found.registry == ALLOWANCE
    assert (found.objects["notice_id"], found.objects["cap"], found.objects["ccer_registered"]) == (
        world.notice_id,
        5000,
        5001,
    )


async def test_a_negative_holding_is_named(world: World) -> None:
    await world.sql(
        ALLOWANCE,
        "ALTER TABLE allowance_holdings DROP CONSTRAINT ck_allowance_holdings_trading_not_negative",
        "UPDATE allowance_holdings SET trading_side = -7 WHERE account_id = :a",
        a=world.allowance_account_id,
    )
    try:
        report = await world.report()
    finally:
        await world.sql(
            ALLOWANCE,
            "UPDATE allowance_holdings SET trading_side = 0 WHERE account_id = :a",
            "ALTER TABLE allowance_holdings ADD CONSTRAINT ck_allowance_holdings_trading_not_negative "
            "CHECK (trading_side >= 0)",
            a=world.allowance_account_id,
        )

    [found] = _named(report, "no_negative_holdings")
    assert found.objects["account_id"] == world.allowance_account_id
    assert (found.objects["instrument"], found.objects["trading_side"]) == (INSTRUMENT_2023, -7)


# --- the command line: exit codes over real HTTP --------------------------------------------------------


@contextlib.asynccontextmanager
async def served(stack: Stack) -> AsyncIterator[dict[str, str]]:
    """The stack's running apps served over HTTP on free ports (their lifespans are already running)."""
    servers, tasks, urls = [], [], {}
    for name, service in stack.services.items():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(service.app, lifespan="off", log_level="warning"))
        servers.append(server)
        tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
        urls[name] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        for _ in range(200):  # started is a flag, not an event
            if all(s.started for s in servers):
                break
            await asyncio.sleep(0.05)
        yield urls
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)


async def ccer_reconcile(urls: dict[str, str], secret: str, *extra: str) -> tuple[int, str]:
    args = ["--new-ccer", urls[NEW], "--legacy-ccer", urls[LEGACY], "--allowance", urls[ALLOWANCE]]
    args += ["--review", urls["provincial_review"], "--secret", secret, *extra]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from ccer_tools.cli import main; main()",
        "reconcile",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


async def test_the_command_exits_0_when_clean_1_on_a_discrepancy_and_2_when_a_registry_errs(world: World) -> None:
    secret = world.stack.settings.secret
    async with served(world.stack) as urls:
        clean = await ccer_reconcile(urls, secret)
        assert clean[0] == 0, clean[1]
        assert "✓ every invariant holds" in clean[1]

        await world.sql(ALLOWANCE, "UPDATE pending_offsets SET quantity = 299 WHERE lot_id = :l", l=world.lot_id)
        try:
            code, out = await ccer_reconcile(urls, secret, "--json")
        finally:
            await world.sql(ALLOWANCE, "UPDATE pending_offsets SET quantity = 300 WHERE lot_id = :l", l=world.lot_id)
        assert code == 1, out
        assert '"invariant": "lot_balance"' in out and world.lot_id in out

        wrong_secret = await ccer_reconcile(urls, "not-the-secret")
        assert wrong_secret[0] == 2 and "answered 401" in wrong_secret[1]
    gone = await ccer_reconcile(urls, secret)
    assert gone[0] == 2 and "unavailable" in gone[1]


async def test_reconcile_raises_when_a_registry_is_missing(world: World) -> None:
    with pytest.raises(RegistryUnavailable):
        await reconcile({NEW: "http://127.0.0.1:1"}, secret="s")


# --- the nightly reconciliation on the simulated clock -----------------------------------------------


async def _nightly(world: World, service: str) -> list[dict[str, Any]]:
    answer = await world.stack[service].client.get(
        f"{API}/admin/audit", params={"entity": "reconciliation"}, headers=world.stack.token("sim_admin")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def _move_clocks(world: World, when: datetime) -> None:
    for service in (NEW, ALLOWANCE):
        moved = await world.stack[service].client.put(
            f"{API}/admin/clock", json={"now": when.isoformat()}, headers=world.stack.token("sim_admin")
        )
        assert moved.status_code == 200, moved.text


GROW = "UPDATE holding_blocks SET last_n = last_n + 2 WHERE project_number = :p AND state = 'available'"


async def test_the_nightly_reconciliation_reports_a_corrupted_row_once_the_clock_passes_midnight(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    day = START.date()
    await world.sql(ALLOWANCE, "UPDATE notices SET ccer_registered = 6000 WHERE id = :n", n=world.notice_id)
    await world.sql(NEW, GROW, p=world.project)
    try:
        await _move_clocks(world, datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CST))
        assert await _nightly(world, ALLOWANCE) == [] and await _nightly(world, NEW) == []

        with caplog.at_level("WARNING", logger="shared.reconciliation"):
            await _move_clocks(world, datetime(day.year, day.month, day.day + 1, 0, 0, 1, tzinfo=CST))
    finally:
        await world.sql(ALLOWANCE, "UPDATE notices SET ccer_registered = 0 WHERE id = :n", n=world.notice_id)
        await world.sql(NEW, GROW.replace("+ 2", "- 2"), p=world.project)

    [allowance] = await _nightly(world, ALLOWANCE)
    assert allowance["action"] == "nightly_reconciliation" and allowance["actor"] == "scheduler"
    assert allowance["entity_id"] == f"{day.replace(day=day.day + 1).isoformat()}"
    assert allowance["at"].startswith(f"{day.replace(day=day.day + 1).isoformat()}T00:00:01")
    assert allowance["cause"].startswith("job:nightly_reconciliation:")
    detail = allowance["detail"]
    assert detail["consistent"] is False and detail["discrepancy_count"] == 2
    assert {d["code"] for d in detail["discrepancies"]} == {"NOTICE_OVER_CAP", "NOTICE_REGISTRATIONS"}
    assert {d["objects"]["notice_id"] for d in detail["discrepancies"]} == {world.notice_id}
    [new] = await _nightly(world, NEW)
    assert [d["code"] for d in new["detail"]["discrepancies"]] == ["SERIALS_NOT_ISSUED"]
    assert new["detail"]["discrepancies"][0]["project_number"] == world.project
    assert any("NOTICE_OVER_CAP" in r.getMessage() for r in caplog.records)

    # The next night, with the rows put right, it finds nothing; a jump over several nights runs it once.
    await _move_clocks(world, datetime(day.year, day.month, day.day + 4, 1, 0, tzinfo=CST))
    latest, previous = await _nightly(world, ALLOWANCE)
    assert latest["detail"]["consistent"] is True and previous["id"] == allowance["id"]
