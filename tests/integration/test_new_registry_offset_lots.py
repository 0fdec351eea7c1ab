"""National compliance offset (全国履约抵销) in the new CCER registry: freezing units into lots, and
the allowance registry's registration, recall and refusal, over real PostgreSQL and RabbitMQ. The
serial ranges are reconciled after every step."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import pytest

from tests.harness import Stack, uscc
from tests.integration.new_registry_fixtures import (
    BASE,
    Unit,
    assert_reconciled,
    funded_unit,
    issue,
    produced,
    recalled,
    refused,
    register_project,
    registered,
    s,
)

pytestmark = pytest.mark.integration


async def lot(unit: Unit, lot_id: str) -> dict[str, Any]:
    answer = await unit.client.get(f"{BASE}/offset-lots/{lot_id}", headers=unit.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def frozen_lot(stack: Stack, quantity: int = 300, holding: int = 1000) -> tuple[Unit, str, dict[str, Any]]:
    unit, project = await funded_unit(stack, holding)
    answer = await unit.freeze(project, quantity)
    assert answer.status_code == 201, answer.text
    await stack.quiet()
    return unit, project, answer.json()


async def test_freezing_takes_the_lowest_available_serials_into_a_lot_and_tells_the_allowance_registry(
    stack: Stack,
) -> None:
    unit, project = await funded_unit(stack, 1000)
    assert (await unit.transfer("to_trading", project, 100)).status_code == 201  # serials 1-100 trade

    answer = await unit.freeze(project, 300)

    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert (created["status"], created["quantity"]) == ("frozen", 300)
    assert created["serial_ranges"] == [[s(project, 2023, 101), s(project, 2023, 400)]]
    holding = await unit.holding(project, 2023)
    assert (holding["trading"], holding["available"], holding["frozen"]) == (100, 600, 300)
    assert holding["serial_ranges"]["frozen"] == [[s(project, 2023, 101), s(project, 2023, 400)]]
    await assert_reconciled(stack, project)

    await stack.quiet()
    [event] = await produced(stack, created["lot_id"], "new_ccer_registry.offset.frozen")
    assert event["lot_id"] == created["lot_id"]
    assert event["registry_account_id"] == unit.account_id
    assert event["allowance_account_id"] == unit.allowance_account_id
    assert event["holder"] == {"name": unit.name, "uscc": unit.uscc}
    assert event["project"]["number"] == project and event["project"]["type"] == "wind"
    assert event["project"]["registered_or_recorded_at"] == "2024-06-01"
    assert (event["origin"], event["vintage"], event["quantity"]) == ("new", 2023, 300)
    assert event["serial_ranges"] == created["serial_ranges"]


async def test_every_refusal_of_a_freeze_is_explained_and_changes_nothing(stack: Stack) -> None:
    bound, project = await funded_unit(stack, 1000)
    unbound = await Unit(stack).open()
    await issue(stack, project, unbound.account_id, 100)
    post = bound.client.post

    not_bound = await unbound.freeze(project, 10)
    too_much = await bound.freeze(project, 1001)
    both = await unbound.freeze(project, 101)
    unknown_project = await bound.freeze("NOPE-404", 10)
    no_legacy = await bound.freeze(project, 10, origin="legacy")
    someone_elses = await post(
        f"{BASE}/offset-lots",
        headers=stack.token("enterprise", org=uscc()),
        json={"account_id": bound.account_id, "project_number": project, "origin": "new", "quantity": 10},
    )
    missing = await post(
        f"{BASE}/offset-lots",
        headers=bound.headers,
        json={"account_id": "NCR-missing", "project_number": project, "origin": "new", "quantity": 10},
    )
    by_ncsc = await post(
        f"{BASE}/offset-lots",
        headers=stack.token("ncsc_operator"),
        json={"account_id": bound.account_id, "project_number": project, "origin": "new", "quantity": 10},
    )
    invalid = [await bound.freeze(project, q) for q in (0, -5, 1.5, "10")]
    bad_origin = await bound.freeze(project, 10, origin="old")

    assert (not_bound.status_code, not_bound.json()["code"]) == (409, "ACCOUNT_NOT_BOUND")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "INSUFFICIENT_AVAILABLE")
    assert "1000" in too_much.json()["errors"][0]["message"] and too_much.json()["errors"][0]["message_zh"]
    assert both.status_code == 409
    assert [e["code"] for e in both.json()["errors"]] == ["ACCOUNT_NOT_BOUND", "INSUFFICIENT_AVAILABLE"]
    assert (unknown_project.status_code, unknown_project.json()["code"]) == (422, "PROJECT_NOT_FOUND")
    assert (no_legacy.status_code, no_legacy.json()["code"]) == (409, "INSUFFICIENT_AVAILABLE")
    assert someone_elses.status_code == 404 and missing.status_code == 404
    assert by_ncsc.status_code == 403
    assert [r.status_code for r in invalid] == [422, 422, 422, 422]
    assert bad_origin.status_code == 422
    for answer in (not_bound, too_much, both, unknown_project, someone_elses, by_ncsc, invalid[0]):
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert all(e["code"].isupper() and e["message"] and e["message_zh"] for e in answer.json()["errors"])

    assert (await bound.holding(project, 2023))["available"] == 1000
    assert (await unbound.holding(project, 2023))["available"] == 100
    listed = await bound.client.get(
        f"{BASE}/offset-lots", params={"account_id": bound.account_id}, headers=bound.headers
    )
    assert listed.json()["items"] == []
    await assert_reconciled(stack, project)


async def test_units_already_frozen_cannot_be_frozen_again(stack: Stack) -> None:
    unit, project, _ = await frozen_lot(stack, 600, holding=1000)

    second = await unit.freeze(project, 500)
    rest = await unit.freeze(project, 400)

    assert (second.status_code, second.json()["code"]) == (409, "INSUFFICIENT_AVAILABLE")
    assert rest.status_code == 201
    assert rest.json()["serial_ranges"] == [[s(project, 2023, 601), s(project, 2023, 1000)]]
    assert (await unit.holding(project, 2023))["frozen"] == 1000
    await assert_reconciled(stack, project)


async def test_parallel_freezes_of_one_holding_never_overdraw_it(stack: Stack) -> None:
    unit, project = await funded_unit(stack, 1000)

    answers = await asyncio.gather(*(unit.freeze(project, 150) for _ in range(10)))

    created = [a.json() for a in answers if a.status_code == 201]
    refused_ = [a.json() for a in answers if a.status_code != 201]
    assert len(created) == 6
    assert {r["code"] for r in refused_} == {"INSUFFICIENT_AVAILABLE"}
    frozen_serials = [
        n
        for c in created
        for first, last in c["serial_ranges"]
        for n in range(int(first.rsplit("-", 1)[1]), int(last.rsplit("-", 1)[1]) + 1)
    ]
    assert sorted(frozen_serials) == list(range(1, 901))  # disjoint lots, lowest serials first
    holding = await unit.holding(project, 2023)
    assert (holding["available"], holding["frozen"]) == (100, 900)
    await assert_reconciled(stack, project)


async def test_parallel_freezes_and_transfers_of_one_holding_never_overdraw_it(stack: Stack) -> None:
    unit, project = await funded_unit(stack, 500)

    answers = await asyncio.gather(
        *(unit.freeze(project, 100) if i % 2 else unit.transfer("to_trading", project, 100) for i in range(8))
    )

    assert sum(a.status_code == 201 for a in answers) == 5
    holding = await unit.holding(project, 2023)
    assert holding["available"] == 0 and holding["frozen"] + holding["trading"] == 500
    await assert_reconciled(stack, project)


async def test_a_freeze_repeated_with_its_idempotency_key_freezes_once(stack: Stack) -> None:
    unit, project = await funded_unit(stack, 100)
    body = {"account_id": unit.account_id, "project_number": project, "origin": "new", "quantity": 60}
    headers = {**unit.headers, "Idempotency-Key": "freeze-once"}

    first = await unit.client.post(f"{BASE}/offset-lots", json=body, headers=headers)
    again = await unit.client.post(f"{BASE}/offset-lots", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json()["lot_id"] == again.json()["lot_id"]
    assert (await unit.holding(project, 2023))["frozen"] == 60


async def test_registration_cancels_that_quantity_lowest_first_and_the_rest_stays_frozen(stack: Stack) -> None:
    unit, project, created = await frozen_lot(stack, 300)
    lot_id = created["lot_id"]
    registration = registered(lot_id, 120)

    await stack.publish("allowance_registry.offset.registered", registration, correlation_id=lot_id)
    await stack.quiet()

    shown = await lot(unit, lot_id)
    assert (shown["quantity"], shown["cancelled"], shown["released"], shown["frozen"], shown["status"]) == (
        300,
        120,
        0,
        180,
        "frozen",
    )
    assert shown["serial_ranges_by_state"]["cancelled"] == [[s(project, 2023, 1), s(project, 2023, 120)]]
    assert shown["serial_ranges_by_state"]["frozen"] == [[s(project, 2023, 121), s(project, 2023, 300)]]
    holding = await unit.holding(project, 2023)
    assert (holding["available"], holding["frozen"], holding["cancelled"]) == (700, 180, 120)
    listed = await unit.client.get(f"{BASE}/cancellations", params={"lot_id": lot_id}, headers=unit.headers)
    [record] = listed.json()["items"]
    assert record["registration_id"] == registration["registration_id"]
    assert record["application_id"] == registration["application_id"]
    assert (record["period_code"], record["purpose"], record["quantity"]) == ("2023", "offset_2023", 120)
    assert record["serial_ranges"] == [[s(project, 2023, 1), s(project, 2023, 120)]]
    [event] = await produced(stack, lot_id, "new_ccer_registry.offset.cancelled")
    assert (event["registration_id"], event["quantity"]) == (registration["registration_id"], 120)
    assert event["serial_ranges"] == record["serial_ranges"]
    await assert_reconciled(stack, project)

    await stack.publish("allowance_registry.offset.registered", registered(lot_id, 180), correlation_id=lot_id)
    await stack.quiet()

    settled = await lot(unit, lot_id)
    assert (settled["cancelled"], settled["frozen"], settled["status"]) == (300, 0, "settled")
    assert settled["settled_at"] is not None
    await assert_reconciled(stack, project)


async def test_a_duplicated_registration_cancels_once(stack: Stack) -> None:
    unit, project, created = await frozen_lot(stack, 300)
    lot_id = created["lot_id"]
    registration = registered(lot_id, 100)

    # The same registration in three envelopes (three event ids), as a re-publishing producer would send.
    for _ in range(3):
        await stack.publish("allowance_registry.offset.registered", registration, correlation_id=lot_id)
    await stack.quiet()

    shown = await lot(unit, lot_id)
    assert (shown["cancelled"], shown["frozen"]) == (100, 200)
    listed = await unit.client.get(f"{BASE}/cancellations", params={"lot_id": lot_id}, headers=unit.headers)
    assert len(listed.json()["items"]) == 1
    assert len(await produced(stack, lot_id, "new_ccer_registry.offset.cancelled")) == 1
    assert (await unit.holding(project, 2023))["cancelled"] == 100
    await assert_reconciled(stack, project)


async def test_a_registration_of_more_than_is_frozen_is_not_applied(stack: Stack) -> None:
    unit, project, created = await frozen_lot(stack, 300)
    lot_id = created["lot_id"]
    before = await stack.queue_depths()

    await stack.publish("allowance_registry.offset.registered", registered(lot_id, 301), correlation_id=lot_id)
    await stack.quiet()

    assert (await lot(unit, lot_id))["cancelled"] == 0
    assert (await unit.holding(project, 2023))["frozen"] == 300
    after = await stack.queue_depths()
    assert after["new_ccer_registry.events.dlq"] == before["new_ccer_registry.events.dlq"] + 1
    await assert_reconciled(stack, project)


async def test_a_recall_releases_that_quantity_back_to_the_general_holding_account(stack: Stack) -> None:
    unit, project, created = await frozen_lot(stack, 300)
    lot_id = created["lot_id"]
    await stack.publish("allowance_registry.offset.registered", registered(lot_id, 100), correlation_id=lot_id)
    await stack.quiet()

    await stack.publish("allowance_registry.offset.recalled", recalled(lot_id, 50), correlation_id=lot_id)
    await stack.quiet()

    shown = await lot(unit, lot_id)
    assert (shown["cancelled"], shown["released"], shown["frozen"], shown["status"]) == (100, 50, 150, "frozen")
    assert shown["serial_ranges_by_state"]["released"] == [[s(project, 2023, 101), s(project, 2023, 150)]]
    holding = await unit.holding(project, 2023)
    assert (holding["available"], holding["frozen"], holding["cancelled"]) == (750, 150, 100)
    [event] = await produced(stack, lot_id, "new_ccer_registry.offset.released")
    assert (event["quantity"], event["serial_ranges"]) == (50, [[s(project, 2023, 101), s(project, 2023, 150)]])
    await assert_reconciled(stack, project)

    await stack.publish("allowance_registry.offset.recalled", recalled(lot_id, 150), correlation_id=lot_id)
    await stack.quiet()

    shown = await lot(unit, lot_id)
    assert (shown["released"], shown["frozen"], shown["status"]) == (200, 0, "settled")
    assert (await unit.holding(project, 2023))["available"] == 900
    await assert_reconciled(stack, project)


async def test_the_same_recall_sent_three_times_releases_once(stack: Stack) -> None:
    unit, project, created = await frozen_lot(stack, 300)
    lot_id = created["lot_id"]
    recall = {**recalled(lot_id, 120), "recall_id": f"RCL-{lot_id[-12:]}"}

    # Three envelopes (three event ids) of one recall: the inbox cannot tell them apart, the recall id can.
    for _ in range(3):
        await stack.publish("allowance_registry.offset.recalled", recall, correlation_id=lot_id)
    await stack.quiet()

    shown = await lot(unit, lot_id)
    assert (shown["released"], shown["frozen"]) == (120, 180)
    assert len(await produced(stack, lot_id, "new_ccer_registry.offset.released")) == 1
    assert (await unit.holding(project, 2023))["available"] == 820
    await assert_reconciled(stack, project)


async def test_a_refused_lot_is_released_whole_and_its_units_can_be_frozen_again(stack: Stack) -> None:
    unit, project, created = await frozen_lot(stack, 300)
    lot_id = created["lot_id"]

    await stack.publish("allowance_registry.offset.refused", refused(lot_id), correlation_id=lot_id)
    await stack.quiet()

    shown = await lot(unit, lot_id)
    assert (shown["released"], shown["frozen"], shown["status"]) == (300, 0, "settled")
    holding = await unit.holding(project, 2023)
    assert (holding["available"], holding["frozen"]) == (1000, 0)
    assert holding["serial_ranges"] == {"available": [[s(project, 2023, 1), s(project, 2023, 1000)]]}
    [event] = await produced(stack, lot_id, "new_ccer_registry.offset.released")
    assert event["quantity"] == 300
    await assert_reconciled(stack, project)

    again = await unit.freeze(project, 300)
    assert again.status_code == 201
    assert again.json()["serial_ranges"] == created["serial_ranges"]
    await assert_reconciled(stack, project)


async def test_a_refusal_after_partial_settlement_releases_only_what_is_still_frozen(stack: Stack) -> None:
    unit, project, created = await frozen_lot(stack, 300)
    lot_id = created["lot_id"]
    await stack.publish("allowance_registry.offset.recalled", recalled(lot_id, 100), correlation_id=lot_id)
    await stack.quiet()

    await stack.publish("allowance_registry.offset.refused", refused(lot_id), correlation_id=lot_id)
    await stack.publish("allowance_registry.offset.refused", refused(lot_id), correlation_id=lot_id)
    await stack.quiet()

    shown = await lot(unit, lot_id)
    assert (shown["released"], shown["status"]) == (300, "settled")
    assert [e["quantity"] for e in await produced(stack, lot_id, "new_ccer_registry.offset.released")] == [100, 200]
    await assert_reconciled(stack, project)


async def test_lots_and_cancellations_are_visible_to_the_holder_its_province_and_ncsc_only(stack: Stack) -> None:
    unit, _, created = await frozen_lot(stack, 300)
    lot_id = created["lot_id"]
    await stack.publish("allowance_registry.offset.registered", registered(lot_id, 10), correlation_id=lot_id)
    await stack.quiet()
    get = unit.client.get
    viewers = {
        "holder": (unit.headers, True),
        "own province": (stack.token("province_initiator", province="110000"), True),
        "own province confirmer": (stack.token("province_confirmer", province="110000"), True),
        "ncsc": (stack.token("ncsc_operator"), True),
        "another enterprise": (stack.token("enterprise", org=uscc()), False),
        "another province": (stack.token("province_initiator", province="310000"), False),
    }

    for who, (headers, sees) in viewers.items():
        one = await get(f"{BASE}/offset-lots/{lot_id}", headers=headers)
        lots = await get(f"{BASE}/offset-lots", params={"account_id": unit.account_id}, headers=headers)
        cancellations = await get(f"{BASE}/cancellations", params={"lot_id": lot_id}, headers=headers)
        assert one.status_code == (200 if sees else 404), who
        assert [x["lot_id"] for x in lots.json()["items"]] == ([lot_id] if sees else []), who
        assert len(cancellations.json()["items"]) == (1 if sees else 0), who
    for role, claims in (("exchange_operator", {"exchange": "CBGEX"}), ("registry_initiator", {})):
        assert (await get(f"{BASE}/offset-lots/{lot_id}", headers=stack.token(role, **claims))).status_code == 403
        assert (await get(f"{BASE}/cancellations", headers=stack.token(role, **claims))).status_code == 403


async def test_lot_lists_filter_by_status_page_and_export_csv(stack: Stack) -> None:
    unit, project, first = await frozen_lot(stack, 100)
    second = (await unit.freeze(project, 100)).json()
    await stack.publish("allowance_registry.offset.refused", refused(first["lot_id"]), correlation_id=first["lot_id"])
    await stack.quiet()
    url, params = f"{BASE}/offset-lots", {"account_id": unit.account_id}

    settled = (await unit.client.get(url, params={**params, "status": "settled"}, headers=unit.headers)).json()
    frozen = (await unit.client.get(url, params={**params, "status": "frozen"}, headers=unit.headers)).json()
    page1 = (await unit.client.get(url, params={**params, "limit": 1}, headers=unit.headers)).json()
    page2 = (
        await unit.client.get(url, params={**params, "limit": 1, "cursor": page1["next_cursor"]}, headers=unit.headers)
    ).json()
    exported = await unit.client.get(url, params=params, headers={**unit.headers, "Accept": "text/csv"})
    bad_status = await unit.client.get(url, params={"status": "gone"}, headers=unit.headers)

    assert [x["lot_id"] for x in settled["items"]] == [first["lot_id"]]
    assert [x["lot_id"] for x in frozen["items"]] == [second["lot_id"]]
    assert {page1["items"][0]["lot_id"], page2["items"][0]["lot_id"]} == {first["lot_id"], second["lot_id"]}
    assert page2["next_cursor"] is None
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["lot_id"] for r in rows} == {first["lot_id"], second["lot_id"]}
    assert {"quantity", "cancelled", "released", "status", "serial_ranges"} <= set(rows[0])
    assert bad_status.status_code == 422


async def test_reconciliation_is_for_operators(stack: Stack) -> None:
    unit, project = await funded_unit(stack, 10, bound=False)
    url = f"{BASE}/admin/reconciliation"

    assert (await unit.client.get(url, headers=stack.token("sim_admin"))).status_code == 200
    assert (await unit.client.get(url, headers=unit.headers)).status_code == 403
    report = await assert_reconciled(stack, project)
    assert report["projects_checked"] == 1


async def test_lots_of_another_vintage_or_project_are_left_alone(stack: Stack) -> None:
    unit, project = await funded_unit(stack, 100, vintage=2023)
    await issue(stack, project, unit.account_id, 100, 2024)
    other = await register_project(stack)
    await issue(stack, other, unit.account_id, 100)

    across = await unit.freeze(project, 150)
    only_2024 = await unit.freeze(project, 30, vintage=2024)

    assert across.json()["serial_ranges"] == [
        [s(project, 2023, 1), s(project, 2023, 100)],
        [s(project, 2024, 1), s(project, 2024, 50)],
    ]
    assert across.json()["vintage"] == 2023
    assert only_2024.json()["serial_ranges"] == [[s(project, 2024, 51), s(project, 2024, 80)]]
    assert (await unit.holding(other, 2023))["available"] == 100
    await assert_reconciled(stack, project)
    await assert_reconciled(stack, other)
