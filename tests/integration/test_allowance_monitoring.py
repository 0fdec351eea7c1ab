"""The first period's monitoring over HTTP (seed 001 二): GET /compliance-stats (JSON and CSV) at the 95%
date and after the deadline, the overdue mark on the notices, and GET /accounts/{id}/overview."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.timeutil import CST
from tests.harness import Stack, uscc
from tests.integration.allowance_support import (
    API,
    Unit,
    allocate,
    approved_payload,
    client,
    clock_within,
    decide,
    issue_notice,
    open_allowance_account,
    set_clock,
    submitted,
)

pytestmark = pytest.mark.integration

PE = "PE2021000097"
ISSUED = datetime(2021, 11, 3, 22, 8, 39, tzinfo=CST)
TARGET = datetime(2021, 12, 15, 17, 0, tzinfo=CST)
DEADLINE = datetime(2021, 12, 31, 17, 0, tzinfo=CST)


async def first_period(stack: Stack) -> str:
    code = f"2019-2020-t{uuid.uuid4().hex[:6]}"
    c = client(stack)
    proposed = await c.post(
        f"{API}/compliance-periods",
        json={"builtin": "2019-2020", "code": code},
        headers=stack.token("registry_initiator", sub="maker"),
    )
    assert proposed.status_code == 201, proposed.text
    approved = await c.post(
        f"{API}/compliance-periods/{code}/approve", headers=stack.token("registry_confirmer", sub="checker")
    )
    assert approved.status_code == 200, approved.text
    return code


async def unit_with_notice(stack: Stack, period: str, name: str, province: str) -> tuple[Unit, dict[str, Any]]:
    org = uscc()
    account_id = await open_allowance_account(stack, org, province=province, name=name)
    unit = Unit(org, account_id, "", province, name)
    await allocate(stack, account_id, PE, 1_000)
    return unit, await issue_notice(stack, period, unit, 1_000)


async def comply(stack: Stack, unit: Unit, notice_id: str) -> None:
    application = await submitted(stack, unit, notice_id, [{"kind": "allowance", "instrument": PE, "quantity": 1_000}])
    await decide(stack, "provincial_review.application.approved", approved_payload(application["id"], 1))


async def stats(stack: Stack, period: str, province: str, **headers: str) -> Any:
    return await client(stack).get(
        f"{API}/compliance-stats",
        params={"period_code": period, "province": province},
        headers={**stack.token("province_confirmer", province=province), **headers},
    )


async def test_stats_at_the_95_percent_date_and_after_the_deadline_with_the_overdue_unit_listed(stack: Stack) -> None:
    await clock_within(stack, ISSUED, ISSUED + timedelta(hours=1))
    period = await first_period(stack)
    province = "420000"
    early, early_notice = await unit_with_notice(stack, period, "早完成企业", province)
    between, between_notice = await unit_with_notice(stack, period, "后完成企业", province)
    never, never_notice = await unit_with_notice(stack, period, "未完成企业", province)
    await set_clock(stack, datetime(2021, 12, 10, 10, 0, tzinfo=CST))
    await comply(stack, early, early_notice["id"])
    await set_clock(stack, TARGET + timedelta(minutes=1))

    at_target = (await stats(stack, period, province)).json()
    await comply(stack, between, between_notice["id"])
    moved = await set_clock(stack, DEADLINE + timedelta(minutes=1))
    final = await stats(stack, period, province)
    as_csv = await stats(stack, period, province, Accept="text/csv")
    never_seen = await client(stack).get(f"{API}/notices/{never_notice['id']}", headers=never.headers(stack))

    assert (at_target["units"], at_target["complete_by_target_date"], at_target["complete"]) == (3, 1, 1)
    assert (at_target["share_complete_by_target_date"], at_target["target_share"]) == (0.3333, 0.95)
    assert (at_target["final"], at_target["target_met"]) == (False, False)
    assert moved["jobs_run"] >= 1
    body = final.json()
    assert (body["units"], body["complete"], body["share_complete"]) == (3, 2, 0.6667)
    assert (body["complete_by_target_date"], body["share_complete_by_target_date"]) == (1, 0.3333)
    assert (body["deadline"], body["target_date"]) == ("2021-12-31T17:00:00+08:00", "2021-12-15T17:00:00+08:00")
    assert [
        (u["account_id"], u["name"], u["obligation"], u["fulfilled"], u["overdue"]) for u in body["units_short"]
    ] == [(never.account_id, "未完成企业", 1_000, 0, True)]
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert (row["account_id"], row["obligation"], row["fulfilled"], row["overdue"]) == (
        never.account_id,
        "1000",
        "0",
        "true",
    )
    assert as_csv.headers["x-compliance-complete"] == "2"
    notice = never_seen.json()
    assert (notice["overdue"], notice["overdue_at"], notice["completion_status"]) == (
        True,
        "2021-12-31T17:00:00+08:00",
        "overdue",
    )
    assert notice["completion_status_zh"] == "未按时足额清缴"


async def test_stats_answer_a_province_for_its_own_units_only(stack: Stack) -> None:
    await clock_within(stack, ISSUED, DEADLINE)
    period = await first_period(stack)
    c = client(stack)
    await unit_with_notice(stack, period, "浙江企业", "330000")

    other = await c.get(
        f"{API}/compliance-stats",
        params={"period_code": period, "province": "330000"},
        headers=stack.token("province_initiator", province="110000"),
    )
    enterprise = await c.get(
        f"{API}/compliance-stats", params={"period_code": period}, headers=stack.token("enterprise", org=uscc())
    )
    registry = await c.get(
        f"{API}/compliance-stats", params={"period_code": period}, headers=stack.token("registry_initiator")
    )
    malformed = await c.get(
        f"{API}/compliance-stats",
        params={"period_code": "x" * 80, "province": "999999"},
        headers=stack.token("registry_initiator"),
    )

    assert other.status_code == 404
    assert enterprise.status_code == 403
    assert registry.status_code == 200 and registry.json()["province"] is None
    assert registry.json()["units"] == 1
    assert malformed.status_code == 422
    assert {e["field"].split(".")[-1] for e in malformed.json()["errors"]} >= {"period_code", "province"}


async def test_the_overview_shows_holdings_open_notices_and_applications(stack: Stack) -> None:
    await clock_within(stack, ISSUED, DEADLINE - timedelta(days=1))
    period = await first_period(stack)
    unit, notice = await unit_with_notice(stack, period, "火电测试企业", "420000")
    c = client(stack)

    seen = await c.get(f"{API}/accounts/{unit.account_id}/overview", headers=unit.headers(stack))
    outsider = await c.get(
        f"{API}/accounts/{unit.account_id}/overview", headers=stack.token("province_initiator", province="110000")
    )

    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["account"]["id"] == unit.account_id
    assert body["holdings"]["allowances"] == {"registry": 1_000, "trading": 0, "frozen": 0, "available": 1_000}
    assert body["holdings"]["ccer"] == {"registry": 0, "trading": 0, "frozen": 0, "available": 0}
    [open_notice] = body["open_notices"]
    assert (open_notice["id"], open_notice["ccer_offsettable"], open_notice["completion_status_zh"]) == (
        notice["id"],
        50,
        "未完成",
    )
    assert body["applications"] == {"to_do": 0, "under_review": 0}
    assert outsider.status_code == 404
