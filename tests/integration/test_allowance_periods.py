"""Instruments and compliance periods: built-in definitions as data, overrides, the two-person rule."""

from __future__ import annotations

import pytest

from tests.harness import Stack, uscc
from tests.integration.allowance_support import API, START, approved_period, client, clock_within, code

pytestmark = pytest.mark.integration


async def test_a_builtin_period_is_proposed_pending_and_approved_by_another_person(stack: Stack) -> None:
    await clock_within(stack, START)
    c = client(stack)
    period_code = code("2023")

    proposed = await c.post(
        f"{API}/compliance-periods",
        json={"builtin": "2023", "code": period_code},
        headers=stack.token("registry_initiator", sub="alice"),
    )
    assert proposed.status_code == 201, proposed.text
    assert (proposed.json()["code"], proposed.json()["status"]) == (period_code, "pending_approval")

    approved = await c.post(
        f"{API}/compliance-periods/{period_code}/approve", headers=stack.token("registry_confirmer", sub="bob")
    )
    assert approved.status_code == 200, approved.text
    period = approved.json()
    assert period["status"] == "active"
    assert period["allowance_instruments"] == ["PE2024000001"]
    assert period["cap_bp"] == 500
    assert period["eligibility"] == {
        "origins": ["new", "legacy"],
        "legacy_recorded_before": "2017-03-14",
        "new_registered_on_or_after": "2024-01-22",
        "exclude_within_national_ets": True,
    }
    assert period["application_deadline"] == "2024-12-31T23:59:59+08:00"  # "2024年12月31日前": the last second
    assert (period["recall_after_working_days"], period["period_end"]) == (15, "2024-12-31")
    # Anyone authenticated reads the rules in force; the period's instruments now exist.
    read = await c.get(f"{API}/compliance-periods/{period_code}", headers=stack.token("enterprise", org=uscc()))
    assert read.status_code == 200 and read.json()["status"] == "active"
    instruments = await c.get(f"{API}/instruments", headers=stack.token("province_confirmer", province="110000"))
    listed = {i["code"]: i for i in instruments.json()}
    assert {k: listed["PE2024000001"][k] for k in ("code", "name", "kind", "vintage")} == {
        "code": "PE2024000001",
        "name": "2023年度配额",
        "kind": "allowance",
        "vintage": 2023,
    }
    assert listed["PE2024000001"]["project"] is None  # only generated offset CCER carry a project


async def test_one_user_holding_both_roles_cannot_approve_their_own_period(stack: Stack) -> None:
    await clock_within(stack, START)
    c = client(stack)
    period_code = code("2024")
    proposed = await c.post(
        f"{API}/compliance-periods",
        json={"builtin": "2024", "code": period_code},
        headers=stack.token("registry_initiator", sub="carol"),
    )
    assert proposed.status_code == 201

    same_person = await c.post(
        f"{API}/compliance-periods/{period_code}/approve", headers=stack.token("registry_confirmer", sub="carol")
    )

    assert same_person.status_code == 403
    assert same_person.json()["code"] == "TWO_PERSON_RULE"
    assert same_person.json()["errors"][0]["message_zh"]
    still = await c.get(f"{API}/compliance-periods/{period_code}", headers=stack.token("registry_confirmer"))
    assert still.json()["status"] == "pending_approval"
    # The initiator role cannot approve at all; a different confirmer can, once.
    assert (
        await c.post(
            f"{API}/compliance-periods/{period_code}/approve", headers=stack.token("registry_initiator", sub="dave")
        )
    ).status_code == 403
    ok = await c.post(
        f"{API}/compliance-periods/{period_code}/approve", headers=stack.token("registry_confirmer", sub="erin")
    )
    assert ok.status_code == 200
    twice = await c.post(
        f"{API}/compliance-periods/{period_code}/approve", headers=stack.token("registry_confirmer", sub="frank")
    )
    assert twice.status_code == 409 and twice.json()["code"] == "PERIOD_NOT_PENDING"


async def test_any_field_of_a_builtin_may_be_overridden(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(
        stack, "2024", allowance_instruments=["PE2021000097", "PE2025000001"], cap_bp=300, name="2024年度（测试）"
    )

    assert period["allowance_instruments"] == ["PE2021000097", "PE2025000001"]
    assert period["cap_bp"] == 300
    assert period["name"] == "2024年度（测试）"
    assert period["eligibility"]["origins"] == ["new"]
    assert period["builtin"] == "2024"


async def test_a_full_definition_needs_every_field_and_reports_all_missing_at_once(stack: Stack) -> None:
    await clock_within(stack, START)
    c = client(stack)

    answer = await c.post(
        f"{API}/compliance-periods",
        json={"code": code("2025"), "cap_bp": 500},
        headers=stack.token("registry_initiator"),
    )

    assert answer.status_code == 422
    missing = {e["field"] for e in answer.json()["errors"] if e["code"] == "PERIOD_FIELD_MISSING"}
    assert missing == {"name", "allowance_instruments", "eligibility", "application_deadline"}


async def test_a_later_period_is_one_more_definition_with_its_own_instrument(stack: Stack) -> None:
    await clock_within(stack, START)
    c = client(stack)
    instrument = await c.post(
        f"{API}/instruments",
        json={"code": "PE2026000001", "name": "2025年度配额", "kind": "allowance", "vintage": 2025},
        headers=stack.token("registry_initiator"),
    )
    assert instrument.status_code in (201, 409), instrument.text
    period = await approved_period(
        stack,
        None,
        name="2025年度配额清缴（钢铁、水泥、铝冶炼纳入）",
        allowance_instruments=["PE2026000001"],
        cap_bp=500,
        eligibility={"origins": ["new"], "new_registered_on_or_after": "2024-01-22"},
        application_deadline="2026-12-31T17:00:00+08:00",
    )
    assert period["status"] == "active"
    assert period["recall_at"] is None


async def test_unknown_builtins_instruments_and_duplicate_codes_are_refused(stack: Stack) -> None:
    await clock_within(stack, START)
    c = client(stack)
    maker = stack.token("registry_initiator")

    unknown = await c.post(f"{API}/compliance-periods", json={"builtin": "2030"}, headers=maker)
    assert unknown.status_code == 422 and unknown.json()["code"] == "UNKNOWN_BUILTIN_PERIOD"
    bad_instrument = await c.post(
        f"{API}/compliance-periods",
        json={"builtin": "2024", "code": code("x"), "allowance_instruments": ["PE2099999999"]},
        headers=maker,
    )
    assert bad_instrument.status_code == 422
    assert bad_instrument.json()["errors"][0]["code"] == "INSTRUMENT_UNKNOWN"
    period_code = code("dup")
    assert (
        await c.post(f"{API}/compliance-periods", json={"builtin": "2024", "code": period_code}, headers=maker)
    ).status_code == 201
    again = await c.post(f"{API}/compliance-periods", json={"builtin": "2023", "code": period_code}, headers=maker)
    assert again.status_code == 409 and again.json()["code"] == "PERIOD_EXISTS"
    # Only a registry initiator proposes.
    assert (
        await c.post(f"{API}/compliance-periods", json={"builtin": "2024"}, headers=stack.token("registry_confirmer"))
    ).status_code == 403
    assert (
        await c.post(
            f"{API}/instruments",
            json={"code": "PE2026000009", "name": "x", "kind": "allowance", "vintage": 2025},
            headers=stack.token("province_initiator", province="110000"),
        )
    ).status_code == 403
