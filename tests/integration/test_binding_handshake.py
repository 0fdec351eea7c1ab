"""The account-binding handshake across the new CCER registry and the allowance registry,
over real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.harness import Stack, uscc

pytestmark = pytest.mark.integration


async def open_pair(
    stack: Stack, *, holder_uscc: str, allowance_uscc: str | None = None, allowance_type: str = "national_key_emitter"
) -> tuple[str, str]:
    allowance = await stack["allowance_registry"].client.post(
        "/api/v1/accounts",
        json={
            "holder": {"name": "华能测试电厂", "uscc": allowance_uscc or holder_uscc},
            "province": "110000",
            "account_type": allowance_type,
            "sector": "power",
        },
        headers=stack.token("registry_initiator"),
    )
    assert allowance.status_code == 201, allowance.text
    registry = await stack["new_ccer_registry"].client.post(
        "/api/v1/accounts",
        json={
            "holder": {"name": "华能测试电厂", "uscc": holder_uscc},
            "province": "110000",
            "account_type": "national_key_emitter",
        },
        headers=stack.token("ncsc_operator"),
    )
    assert registry.status_code == 201, registry.text
    return registry.json()["id"], allowance.json()["id"]


async def request_binding(stack: Stack, org: str, registry_id: str, allowance_id: str) -> dict:
    new = stack["new_ccer_registry"].client
    headers = stack.token("enterprise", org=org)
    answer = await new.post(
        f"/api/v1/accounts/{registry_id}/binding", json={"allowance_account_id": allowance_id}, headers=headers
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "requested"
    await stack.quiet()
    binding = await new.get(f"/api/v1/accounts/{registry_id}/binding", headers=headers)
    assert binding.status_code == 200
    return binding.json()


async def test_binding_to_own_national_key_emitter_account_becomes_active(stack: Stack) -> None:
    org = uscc()
    registry_id, allowance_id = await open_pair(stack, holder_uscc=org)

    binding = await request_binding(stack, org, registry_id, allowance_id)

    assert binding["status"] == "active"
    assert binding["allowance_account_id"] == allowance_id
    account = await stack["new_ccer_registry"].client.get(
        f"/api/v1/accounts/{registry_id}", headers=stack.token("enterprise", org=org)
    )
    assert account.json()["binding"]["status"] == "active"


async def test_binding_to_another_units_local_account_is_rejected_with_every_reason(stack: Stack) -> None:
    org = uscc()
    registry_id, allowance_id = await open_pair(
        stack, holder_uscc=org, allowance_uscc=uscc(), allowance_type="local_key_emitter"
    )

    binding = await request_binding(stack, org, registry_id, allowance_id)

    assert binding["status"] == "rejected"
    assert {r["code"] for r in binding["reasons"]} == {"HOLDER_USCC_MISMATCH", "NOT_NATIONAL_KEY_EMITTER"}
    assert all(r["message_zh"] for r in binding["reasons"])


async def test_binding_to_an_unknown_allowance_account_is_rejected(stack: Stack) -> None:
    org = uscc()
    registry_id, _ = await open_pair(stack, holder_uscc=org)

    binding = await request_binding(stack, org, registry_id, "ALA-doesnotexist")

    assert binding["status"] == "rejected"
    assert [r["code"] for r in binding["reasons"]] == ["ALLOWANCE_ACCOUNT_NOT_FOUND"]


async def test_a_second_binding_while_one_is_active_is_refused(stack: Stack) -> None:
    org = uscc()
    registry_id, allowance_id = await open_pair(stack, holder_uscc=org)
    assert (await request_binding(stack, org, registry_id, allowance_id))["status"] == "active"

    again = await stack["new_ccer_registry"].client.post(
        f"/api/v1/accounts/{registry_id}/binding",
        json={"allowance_account_id": allowance_id},
        headers=stack.token("enterprise", org=org),
    )

    assert again.status_code == 409
    assert again.json()["code"] == "BINDING_ALREADY_ACTIVE"


async def test_another_enterprise_cannot_see_or_bind_the_account(stack: Stack) -> None:
    org = uscc()
    registry_id, allowance_id = await open_pair(stack, holder_uscc=org)
    stranger = stack.token("enterprise", org=uscc())
    new = stack["new_ccer_registry"].client

    assert (await new.get(f"/api/v1/accounts/{registry_id}", headers=stranger)).status_code == 404
    answer = await new.post(
        f"/api/v1/accounts/{registry_id}/binding", json={"allowance_account_id": allowance_id}, headers=stranger
    )
    assert answer.status_code == 404
