"""Helpers for the allowance registry's integration tests on the shared stack.

The allowance registry's clock is shared by every test of the session and never moves backwards, so
each test states the window it needs (:func:`clock_within`); only when the clock is already past that
window is the allowance registry reset (the documented way to replay another year)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from shared.timeutil import CST, local
from tests.harness import Stack, uscc

REG = "allowance_registry"
API = "/api/v1"
# After the new registry's launch (2024-01-22): 2023 and 2024 applications are open.
START = datetime(2024, 3, 1, 9, 0, tzinfo=CST)
INSTRUMENT_2023 = "PE2024000001"
INSTRUMENT_2024 = "PE2025000001"


def client(stack: Stack) -> Any:
    return stack[REG].client


async def clock_now(stack: Stack) -> datetime:
    return local(stack[REG].runtime.clock.now())


async def set_clock(stack: Stack, when: datetime) -> dict[str, Any]:
    answer = await client(stack).put(
        f"{API}/admin/clock", json={"now": when.isoformat()}, headers=stack.token("sim_admin")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def clock_within(stack: Stack, earliest: datetime = START, latest: datetime | None = None) -> datetime:
    """Make the clock read at least ``earliest`` and at most ``latest``; returns it."""
    clock = stack[REG].runtime.clock
    latest = latest or earliest + timedelta(days=300)
    if clock.is_set and local(clock.now()) > latest:
        await stack.quiet()
        answer = await client(stack).post(f"{API}/admin/reset", headers=stack.token("sim_admin"))
        assert answer.status_code == 200, answer.text
    if not clock.is_set or local(clock.now()) < earliest:
        await set_clock(stack, earliest)
    return await clock_now(stack)


def code(prefix: str) -> str:
    return f"{prefix}-t{uuid.uuid4().hex[:8]}"


async def approved_period(stack: Stack, builtin: str | None = "2024", **overrides: Any) -> dict[str, Any]:
    """Propose (one person) and approve (another) a period; a unique code unless one is given."""
    body: dict[str, Any] = {"code": code(builtin or "P"), **overrides}
    if builtin:
        body["builtin"] = builtin
    proposed = await client(stack).post(
        f"{API}/compliance-periods", json=body, headers=stack.token("registry_initiator", sub="maker-1")
    )
    assert proposed.status_code == 201, proposed.text
    approved = await client(stack).post(
        f"{API}/compliance-periods/{body['code']}/approve", headers=stack.token("registry_confirmer", sub="checker-1")
    )
    assert approved.status_code == 200, approved.text
    return approved.json()


@dataclass
class Unit:
    """A key emitting unit with an allowance account bound to its new-registry account."""

    org: str
    account_id: str
    registry_account_id: str
    province: str
    name: str

    def headers(self, stack: Stack) -> dict[str, str]:
        return stack.token("enterprise", org=self.org)


async def open_allowance_account(
    stack: Stack,
    org: str,
    *,
    province: str = "110000",
    name: str = "华能测试电厂",
    account_type: str = "national_key_emitter",
) -> str:
    answer = await client(stack).post(
        f"{API}/accounts",
        json={
            "holder": {"name": name, "uscc": org},
            "province": province,
            "account_type": account_type,
            "sector": "power",
        },
        headers=stack.token("registry_initiator"),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def bound_unit(stack: Stack, *, province: str = "110000", name: str = "火电测试企业") -> Unit:
    """Open both accounts and bind them through the real handshake (new registry ↔ allowance registry)."""
    org = uscc()
    account_id = await open_allowance_account(stack, org, province=province, name=name)
    new = stack["new_ccer_registry"].client
    registry = await new.post(
        f"{API}/accounts",
        json={"holder": {"name": name, "uscc": org}, "province": province, "account_type": "national_key_emitter"},
        headers=stack.token("ncsc_operator"),
    )
    assert registry.status_code == 201, registry.text
    registry_id = registry.json()["id"]
    binding = await new.post(
        f"{API}/accounts/{registry_id}/binding",
        json={"allowance_account_id": account_id},
        headers=stack.token("enterprise", org=org),
    )
    assert binding.status_code == 202, binding.text
    await stack.quiet()
    return Unit(org, account_id, registry_id, province, name)


async def allocate(stack: Stack, account_id: str, instrument: str, quantity: int, side: str = "registry") -> None:
    answer = await client(stack).post(
        f"{API}/allocations",
        json={"account_id": account_id, "instrument": instrument, "quantity": quantity, "side": side},
        headers=stack.token("registry_initiator"),
    )
    assert answer.status_code == 201, answer.text


async def issue_notice(stack: Stack, period_code: str, unit: Unit, obligation: int) -> dict[str, Any]:
    """The registry's provincial notice (once per province and period), then the province's notice."""
    provincial = await client(stack).post(
        f"{API}/provincial-notices",
        json={"period_code": period_code, "province": unit.province, "total_obligation": 10**12},
        headers=stack.token("registry_initiator"),
    )
    assert provincial.status_code in (201, 409), provincial.text
    answer = await client(stack).post(
        f"{API}/notices",
        json={"period_code": period_code, "account_id": unit.account_id, "obligation": obligation},
        headers=stack.token("province_initiator", province=unit.province),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def frozen_payload(
    unit: Unit,
    quantity: int,
    *,
    lot_id: str | None = None,
    origin: str = "new",
    registered_or_recorded_at: str = "2024-03-01",
    within_national_ets: bool = False,
    units_recorded_at: str | None = None,
    allowance_account_id: str | None = None,
    registry_account_id: str | None = None,
    holder_uscc: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """``extra``: further fields, e.g. ``serial_ranges``, ``recorded_ranges``, ``vintage``."""
    lot_id = lot_id or f"LOT-t{uuid.uuid4().hex[:10]}"
    number = f"CCER-{uuid.uuid4().hex[:6].upper()}"
    return {
        "lot_id": lot_id,
        "registry_account_id": registry_account_id or unit.registry_account_id,
        "allowance_account_id": allowance_account_id or unit.account_id,
        "holder": {"name": unit.name, "uscc": holder_uscc or unit.org},
        "project": {
            "number": number,
            "name": "内蒙古某风电项目",
            "type": "风力发电",
            "region": "内蒙古自治区",
            "methodology": "CCER-01-001-V01",
            "registered_or_recorded_at": registered_or_recorded_at,
            "within_national_ets": within_national_ets,
        },
        "origin": origin,
        "vintage": 2024,
        "units_recorded_at": units_recorded_at,
        "quantity": quantity,
        "serial_ranges": [[f"CCER-{number}-2024-1", f"CCER-{number}-2024-{quantity}"]],
        "frozen_at": "2024-03-01T10:00:00+08:00",
        **extra,
    }


async def freeze_lot(stack: Stack, unit: Unit, quantity: int, **facts: Any) -> str:
    """Inject ``new_ccer_registry.offset.frozen`` as the new registry would send it."""
    payload = frozen_payload(unit, quantity, **facts)
    await stack.publish("new_ccer_registry.offset.frozen", payload, correlation_id=payload["lot_id"])
    await stack.quiet()
    return payload["lot_id"]


async def pending(stack: Stack, unit: Unit, lot_id: str) -> dict[str, Any]:
    answer = await client(stack).get(
        f"{API}/pending-offsets", params={"account_id": unit.account_id, "limit": 500}, headers=unit.headers(stack)
    )
    assert answer.status_code == 200, answer.text
    lots = {p["lot_id"]: p for p in answer.json()["items"]}
    assert lot_id in lots, f"lot {lot_id} not pending in {unit.account_id}"
    return lots[lot_id]


async def holding(stack: Stack, unit: Unit, instrument: str) -> dict[str, Any]:
    answer = await client(stack).get(f"{API}/accounts/{unit.account_id}/holdings", headers=unit.headers(stack))
    assert answer.status_code == 200, answer.text
    rows = {h["instrument"]: h for h in answer.json()["allowances"]}
    return rows.get(instrument, {"instrument": instrument, "registry": 0, "trading": 0, "frozen": 0, "available": 0})


async def notice(stack: Stack, unit: Unit, notice_id: str) -> dict[str, Any]:
    answer = await client(stack).get(f"{API}/notices/{notice_id}", headers=unit.headers(stack))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def draft(stack: Stack, unit: Unit, notice_id: str, items: list[dict[str, Any]]) -> str:
    answer = await client(stack).post(
        f"{API}/applications", json={"notice_id": notice_id, "items": items}, headers=unit.headers(stack)
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "draft"
    return answer.json()["id"]


async def submit(stack: Stack, unit: Unit, application_id: str) -> Any:
    return await client(stack).post(f"{API}/applications/{application_id}/submit", headers=unit.headers(stack))


async def submitted(stack: Stack, unit: Unit, notice_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    application_id = await draft(stack, unit, notice_id, items)
    answer = await submit(stack, unit, application_id)
    assert answer.status_code == 200, answer.text
    await stack.quiet()
    return answer.json()


async def application(stack: Stack, unit: Unit, application_id: str) -> dict[str, Any]:
    answer = await client(stack).get(f"{API}/applications/{application_id}", headers=unit.headers(stack))
    assert answer.status_code == 200, answer.text
    return answer.json()


def approved_payload(application_id: str, revision: int) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "revision": revision,
        "case_id": f"CASE-{uuid.uuid4().hex[:8]}",
        "first_reviewer": "prov-maker",
        "second_reviewer": "prov-checker",
        "decided_at": "2024-03-05T10:00:00+08:00",
    }


def rejected_payload(application_id: str, revision: int, findings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "revision": revision,
        "case_id": f"CASE-{uuid.uuid4().hex[:8]}",
        "findings": findings,
        "decided_at": "2024-03-05T10:00:00+08:00",
    }


async def decide(stack: Stack, event_type: str, payload: dict[str, Any]) -> None:
    await stack.publish(event_type, payload, correlation_id=payload["application_id"])
    await stack.quiet()


async def produced(stack: Stack, correlation_id: str, event_type: str) -> list[dict[str, Any]]:
    """Payloads of the events the allowance registry produced in one thread."""
    answer = await client(stack).get(
        f"{API}/admin/events", params={"correlation_id": correlation_id}, headers=stack.token("registry_initiator")
    )
    assert answer.status_code == 200, answer.text
    return [
        e["envelope"]["payload"]
        for e in answer.json()
        if e["direction"] == "produced" and e["event_type"] == event_type
    ]


def day(iso: str) -> date:
    return date.fromisoformat(iso)
