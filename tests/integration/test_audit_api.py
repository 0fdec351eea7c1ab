"""The audit log, read by operators on every service: who, when (service clock and wall clock), what,
and the request or event that caused it (issue 11 C)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.settings import SERVICES
from tests.harness import Stack, uscc
from tests.integration.new_registry_fixtures import Unit

pytestmark = pytest.mark.integration

AUDIT = "/api/v1/admin/audit"


async def _audit(stack: Stack, service: str, **params: Any) -> list[dict[str, Any]]:
    answer = await stack[service].client.get(AUDIT, params=params, headers=stack.token("ncsc_operator"))
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_an_account_opening_is_listed_with_who_when_what_and_the_request_that_caused_it(stack: Stack) -> None:
    unit = Unit(stack)
    opened = await unit.client.post(
        "/api/v1/accounts",
        headers={**stack.token("ncsc_operator", sub="clerk-7"), "X-Request-Id": "req-audit-0001"},
        json={"holder": {"name": unit.name, "uscc": unit.uscc}, "province": "110000", "account_type": "other"},
    )
    assert opened.status_code == 201, opened.text
    assert opened.headers["x-request-id"] == "req-audit-0001"
    account_id = opened.json()["id"]

    [entry] = await _audit(stack, "new_ccer_registry", entity="account", entity_id=account_id)

    assert entry["actor"] == "ncsc_operator:clerk-7"
    assert entry["action"] == "open_account" and entry["entity_id"] == account_id
    assert entry["detail"]["holder"]["uscc"] == unit.uscc
    assert entry["cause"] == "POST /api/v1/accounts #req-audit-0001"
    assert entry["request_id"] == "req-audit-0001" and entry["event_id"] is None
    assert entry["at"].endswith("+08:00") and entry["at_wall"]


async def test_an_effect_of_an_event_names_the_event_that_caused_it(stack: Stack) -> None:
    unit = await (await Unit(stack).open()).bind()
    binding = await unit.client.get(f"/api/v1/accounts/{unit.account_id}/binding", headers=unit.headers)
    binding_id = binding.json()["binding_id"]

    [decided] = await _audit(stack, "allowance_registry", entity="binding", entity_id=binding_id)
    assert decided["action"].startswith("binding_") and decided["event_id"]
    assert decided["cause"] == f"event:new_ccer_registry.binding.requested:{decided['event_id']}"
    assert decided["request_id"] is None
    requested = await _audit(stack, "new_ccer_registry", entity="binding", entity_id=binding_id)
    assert [e["action"] for e in requested][-1] == "request_binding"
    assert requested[-1]["actor"].startswith("enterprise:")


async def test_a_request_without_an_id_gets_one_and_a_malformed_one_is_replaced(stack: Stack) -> None:
    client = stack["legacy_ccer_registry"].client
    plain = await client.get("/api/v1/admin/clock", headers=stack.token("ncsc_operator"))
    odd = await client.get(
        "/api/v1/admin/clock", headers={**stack.token("ncsc_operator"), "X-Request-Id": "bad id with spaces"}
    )
    assert len(plain.headers["x-request-id"]) == 32
    assert odd.headers["x-request-id"] != "bad id with spaces" and len(odd.headers["x-request-id"]) == 32


@pytest.mark.parametrize("service", SERVICES)
async def test_only_operators_read_the_audit_log(stack: Stack, service: str) -> None:
    client = stack[service].client
    for role, claims in (
        ("enterprise", {"org": uscc()}),
        ("province_initiator", {"province": "110000"}),
        ("exchange_operator", {"exchange": "CBGEX"}),
    ):
        answer = await client.get(AUDIT, headers=stack.token(role, **claims))
        assert answer.status_code == 403, (role, answer.text)
    assert (await client.get(AUDIT)).status_code == 401
    for role in ("sim_admin", "ncsc_operator", "registry_initiator", "registry_confirmer"):
        assert (await client.get(AUDIT, headers=stack.token(role))).status_code == 200


async def test_bad_filters_answer_one_422_problem_listing_each(stack: Stack) -> None:
    answer = await stack["allowance_registry"].client.get(
        AUDIT,
        params={"entity": "x" * 61, "entity_id": "y" * 101, "action": "DROP TABLE", "limit": 0},
        headers=stack.token("registry_initiator"),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"entity", "entity_id", "action", "limit"} <= fields, answer.json()


async def test_the_audit_log_pages_newest_first(stack: Stack) -> None:
    for _ in range(3):
        await Unit(stack).open()
    first = await stack["new_ccer_registry"].client.get(
        AUDIT, params={"entity": "account", "limit": 2}, headers=stack.token("sim_admin")
    )
    body = first.json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    assert body["items"][0]["id"] > body["items"][1]["id"]
    second = await stack["new_ccer_registry"].client.get(
        AUDIT, params={"entity": "account", "limit": 2, "cursor": body["next_cursor"]}, headers=stack.token("sim_admin")
    )
    assert second.json()["items"][0]["id"] < body["items"][1]["id"]
