"""Helpers for the new-registry integration tests: accounts, binding, projects, issuance, events
the allowance registry would publish, and the reconciliation check run after every step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from shared.timeutil import CST, local
from tests.harness import Stack, uscc

BASE = "/api/v1"
# While the 2023 period still takes legacy units (its applications close after 2024-12-31 23:59:59).
LEGACY_YEAR = (datetime(2024, 9, 2, 9, 0, tzinfo=CST), datetime(2024, 12, 1, tzinfo=CST))


async def while_legacy_units_are_accepted(stack: Stack) -> None:
    """Make the new registry's clock read inside 2024 (it never moves back: past that, the new
    registry is reset first, the documented way to replay another year)."""
    service = stack["new_ccer_registry"]
    clock, admin = service.runtime.clock, stack.token("sim_admin")
    earliest, latest = LEGACY_YEAR
    if clock.is_set and local(clock.now()) > latest:
        await stack.quiet()
        answer = await service.client.post(f"{BASE}/admin/reset", headers=admin)
        assert answer.status_code == 200, answer.text
    if not clock.is_set or local(clock.now()) < earliest:
        answer = await service.client.put(f"{BASE}/admin/clock", json={"now": earliest.isoformat()}, headers=admin)
        assert answer.status_code == 200, answer.text


def project_number() -> str:
    return f"CCER-14-{uuid.uuid4().hex[:8].upper()}"


@dataclass
class Unit:
    """An organisation with a new-registry account (and, once bound, an allowance-registry account)."""

    stack: Stack
    uscc: str = field(default_factory=uscc)
    province: str = "110000"
    account_type: str = "national_key_emitter"
    name: str = "华能测试电厂"
    account_id: str = ""
    allowance_account_id: str | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        return self.stack["new_ccer_registry"].client

    @property
    def headers(self) -> dict[str, str]:
        return self.stack.token("enterprise", org=self.uscc)

    async def open(self) -> Unit:
        answer = await self.client.post(
            f"{BASE}/accounts",
            headers=self.stack.token("ncsc_operator"),
            json={
                "holder": {"name": self.name, "uscc": self.uscc},
                "province": self.province,
                "account_type": self.account_type,
            },
        )
        assert answer.status_code == 201, answer.text
        self.account_id = answer.json()["id"]
        return self

    async def bind(self) -> Unit:
        """Open the allowance account and run the real binding handshake until it is active."""
        allowance = await self.stack["allowance_registry"].client.post(
            f"{BASE}/accounts",
            headers=self.stack.token("registry_initiator"),
            json={
                "holder": {"name": self.name, "uscc": self.uscc},
                "province": self.province,
                "account_type": "national_key_emitter",
                "sector": "power",
            },
        )
        assert allowance.status_code == 201, allowance.text
        self.allowance_account_id = allowance.json()["id"]
        answer = await self.client.post(
            f"{BASE}/accounts/{self.account_id}/binding",
            headers=self.headers,
            json={"allowance_account_id": self.allowance_account_id},
        )
        assert answer.status_code == 202, answer.text
        await self.stack.quiet()
        binding = await self.client.get(f"{BASE}/accounts/{self.account_id}/binding", headers=self.headers)
        assert binding.json()["status"] == "active", binding.text
        return self

    async def holdings(self) -> dict[tuple[str, str, int], dict[str, Any]]:
        answer = await self.client.get(f"{BASE}/accounts/{self.account_id}/holdings", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return {(r["project_number"], r["origin"], r["vintage"]): r for r in answer.json()["items"]}

    async def holding(self, project: str, vintage: int, origin: str = "new") -> dict[str, Any]:
        return (await self.holdings())[(project, origin, vintage)]

    async def freeze(self, project: str, quantity: Any, **extra: Any) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/offset-lots",
            headers=self.headers,
            json={
                "account_id": self.account_id,
                "project_number": project,
                "origin": "new",
                "quantity": quantity,
                **extra,
            },
        )

    async def transfer(self, direction: str, project: str, quantity: int) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/accounts/{self.account_id}/transfers",
            headers=self.headers,
            json={"direction": direction, "project_number": project, "quantity": quantity},
        )


async def register_project(stack: Stack, number: str | None = None, **overrides: Any) -> str:
    number = number or project_number()
    body = {
        "number": number,
        "name": "河北风电项目",
        "owner_uscc": uscc(),
        "type": "wind",
        "methodology": "CCMCC-01",
        "region": "130000",
        "registered_at": "2024-06-01",
        "within_national_ets": False,
        **overrides,
    }
    answer = await stack["new_ccer_registry"].client.post(
        f"{BASE}/projects", json=body, headers=stack.token("ncsc_operator")
    )
    assert answer.status_code == 201, answer.text
    return number


async def issue(stack: Stack, project: str, account_id: str, quantity: int, vintage: int = 2023) -> dict[str, Any]:
    answer = await stack["new_ccer_registry"].client.post(
        f"{BASE}/projects/{project}/issuances",
        headers=stack.token("ncsc_operator"),
        json={"vintage": vintage, "quantity": quantity, "account_id": account_id},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def funded_unit(
    stack: Stack, quantity: int = 1000, *, bound: bool = True, vintage: int = 2023
) -> tuple[Unit, str]:
    """A (bound) unit holding ``quantity`` available units of a fresh project."""
    unit = await Unit(stack).open()
    if bound:
        await unit.bind()
    project = await register_project(stack)
    await issue(stack, project, unit.account_id, quantity, vintage)
    return unit, project


async def assert_reconciled(stack: Stack, project: str) -> dict[str, Any]:
    """Invariant 1 of domain.md §3 and the lot bookkeeping hold for the project."""
    answer = await stack["new_ccer_registry"].client.get(
        f"{BASE}/admin/reconciliation", params={"project_number": project}, headers=stack.token("ncsc_operator")
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["discrepancies"] == [] and report["consistent"], report
    return report


def s(project: str, vintage: int, n: int) -> str:
    """Serial number of unit ``n`` of the project and vintage."""
    return f"CCER-{project}-{vintage}-{n}"


def registered(lot_id: str, quantity: int, registration_id: str | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "registration_id": registration_id or f"REG-{uuid.uuid4().hex[:12]}",
        "lot_id": lot_id,
        "application_id": f"APP-{uuid.uuid4().hex[:12]}",
        "period_code": "2023",
        "quantity": quantity,
        "registered_at": "2024-12-30T10:00:00+08:00",
        **kw,
    }


def recalled(lot_id: str, quantity: int) -> dict[str, Any]:
    return {
        "lot_id": lot_id,
        "quantity": quantity,
        "period_code": "2023",
        "reason": "unused after period end",
        "recalled_at": "2025-01-23T00:00:00+08:00",
    }


def refused(lot_id: str) -> dict[str, Any]:
    return {
        "lot_id": lot_id,
        "reasons": [
            {"code": "ALLOWANCE_ACCOUNT_NOT_FOUND", "message": "no such account", "message_zh": "配额账户不存在"}
        ],
    }


async def produced(stack: Stack, correlation_id: str, event_type: str) -> list[dict[str, Any]]:
    """Payloads of the events of ``event_type`` the new registry produced in that thread."""
    answer = await stack["new_ccer_registry"].client.get(
        f"{BASE}/admin/events", params={"correlation_id": correlation_id}, headers=stack.token("ncsc_operator")
    )
    assert answer.status_code == 200, answer.text
    return [
        e["envelope"]["payload"]
        for e in answer.json()
        if e["direction"] == "produced" and e["event_type"] == event_type
    ]
