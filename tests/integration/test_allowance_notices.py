"""Provincial and enterprise compliance notices."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from services.allowance_registry.adapters.orm import Notice, ProvincialNotice
from tests.harness import Stack, uscc
from tests.integration.allowance_support import (
    API,
    START,
    approved_period,
    bound_unit,
    client,
    clock_within,
    issue_notice,
    open_allowance_account,
    produced,
)

pytestmark = pytest.mark.integration


async def test_a_province_issues_one_notice_per_unit_and_period(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack, province="320000")

    issued = await issue_notice(stack, period["code"], unit, 1_000_000)

    assert issued["obligation"] == 1_000_000
    assert (issued["fulfilled"], issued["under_review"], issued["ccer_offsettable"]) == (0, 0, 50_000)
    assert (issued["status"], issued["deadline"]) == ("open", "2025-12-31T23:59:59+08:00")
    again = await client(stack).post(
        f"{API}/notices",
        json={"period_code": period["code"], "account_id": unit.account_id, "obligation": 5},
        headers=stack.token("province_initiator", province="320000"),
    )
    assert again.status_code == 409
    assert [e["code"] for e in again.json()["errors"]] == ["NOTICE_EXISTS"]
    [event] = await produced(stack, issued["id"], "allowance_registry.notice.issued")
    assert event["account"]["id"] == unit.account_id and event["obligation"] == 1_000_000
    listed = await client(stack).get(
        f"{API}/notices", params={"period_code": period["code"]}, headers=unit.headers(stack)
    )
    assert [n["id"] for n in listed.json()["items"]] == [issued["id"]]


async def test_a_province_cannot_issue_notices_outside_its_region_or_beyond_its_total(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    c = client(stack)
    account_id = await open_allowance_account(stack, uscc(), province="330000")
    local_unit = await open_allowance_account(stack, uscc(), province="330000", account_type="local_key_emitter")

    outside = await c.post(
        f"{API}/notices",
        json={"period_code": period["code"], "account_id": account_id, "obligation": 10},
        headers=stack.token("province_initiator", province="110000"),
    )
    assert outside.status_code == 404
    province = stack.token("province_initiator", province="330000")
    no_provincial = await c.post(
        f"{API}/notices",
        json={"period_code": period["code"], "account_id": account_id, "obligation": 10},
        headers=province,
    )
    assert no_provincial.status_code == 409
    assert [e["code"] for e in no_provincial.json()["errors"]] == ["PROVINCIAL_NOTICE_MISSING"]
    provincial = await c.post(
        f"{API}/provincial-notices",
        json={"period_code": period["code"], "province": "330000", "total_obligation": 100},
        headers=stack.token("registry_initiator"),
    )
    assert provincial.status_code == 201
    too_much = await c.post(
        f"{API}/notices",
        json={"period_code": period["code"], "account_id": local_unit, "obligation": 101},
        headers=province,
    )
    assert too_much.status_code == 409
    assert {e["code"] for e in too_much.json()["errors"]} == {"PROVINCIAL_TOTAL_EXCEEDED", "NOT_NATIONAL_KEY_EMITTER"}
    ok = await c.post(
        f"{API}/notices",
        json={"period_code": period["code"], "account_id": account_id, "obligation": 100},
        headers=province,
    )
    assert ok.status_code == 201, ok.text
    # The confirmer role does not issue notices; nor does the registry.
    assert (
        await c.post(
            f"{API}/notices",
            json={"period_code": period["code"], "account_id": account_id, "obligation": 1},
            headers=stack.token("province_confirmer", province="330000"),
        )
    ).status_code == 403


async def test_notices_outside_the_callers_scope_answer_404(stack: Stack) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack, province="370000")
    issued = await issue_notice(stack, period["code"], unit, 10)
    c = client(stack)

    assert (
        await c.get(f"{API}/notices/{issued['id']}", headers=stack.token("province_confirmer", province="110000"))
    ).status_code == 404
    assert (
        await c.get(f"{API}/notices/{issued['id']}", headers=stack.token("enterprise", org=uscc()))
    ).status_code == 404
    assert (
        await c.get(f"{API}/notices/{issued['id']}", headers=stack.token("province_confirmer", province="370000"))
    ).status_code == 200
    listed = await c.get(
        f"{API}/notices",
        params={"account_id": unit.account_id},
        headers=stack.token("province_initiator", province="110000"),
    )
    assert listed.json()["items"] == []


async def test_notices_issued_at_once_never_pass_the_provincial_total_and_the_running_total_is_their_sum(
    stack: Stack,
) -> None:
    await clock_within(stack, START)
    period = await approved_period(stack, "2024")
    accounts = [await open_allowance_account(stack, uscc(), province="350000") for _ in range(20)]
    provincial = await client(stack).post(
        f"{API}/provincial-notices",
        json={"period_code": period["code"], "province": "350000", "total_obligation": 200},
        headers=stack.token("registry_initiator"),
    )
    assert provincial.status_code == 201, provincial.text
    province = stack.token("province_initiator", province="350000")

    answers = await asyncio.gather(
        *(
            client(stack).post(
                f"{API}/notices",
                json={"period_code": period["code"], "account_id": account_id, "obligation": 15},
                headers=province,
            )
            for account_id in accounts
        )
    )

    assert sorted(a.status_code for a in answers) == [201] * 13 + [409] * 7  # 13 × 15 = 195 ≤ 200
    assert {e["code"] for a in answers if a.status_code == 409 for e in a.json()["errors"]} == {
        "PROVINCIAL_TOTAL_EXCEEDED"
    }
    async with stack["allowance_registry"].runtime.sessions() as session:
        issued = await session.scalar(
            select(ProvincialNotice.issued_total).where(ProvincialNotice.id == provincial.json()["id"])
        )
        summed = await session.scalar(
            select(func.sum(Notice.obligation)).where(Notice.period_code == period["code"], Notice.province == "350000")
        )
    assert issued == summed == 195
