"""The first period's offset forms over REST and AMQP (PostgreSQL + RabbitMQ): the request and answer
shapes of api.md, bad input as one 422 problem listing every error, roles (403) and scope (404), the
cancellation records arriving as events (a duplicate counted once), the Friday 17:00 summary read by
NCSC, CSV, and the window closed at 2021-12-11 00:00:00 as a 409."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.harness import Stack, create_vhost, delete_vhost, drop_databases, running_stack, stack_settings, uscc

pytestmark = pytest.mark.integration

BASE = "/api/v1"


@pytest.fixture
async def review_2021() -> AsyncIterator[Stack]:
    """The provincial review alone, on databases and a vhost of its own, so that its clock may start
    in 2021 whatever the session's shared stack did."""
    vhost, prefix = create_vhost(), f"f{uuid.uuid4().hex[:8]}"
    try:
        async with running_stack(stack_settings(vhost=vhost, db_prefix=prefix), "provincial_review") as stack:
            yield stack
    finally:
        await drop_databases(prefix)
        delete_vhost(vhost)


async def review_quiet(stack: Stack, timeout: float = 30.0) -> None:
    """Wait until the review's own queue is drained. Only the review runs here: events routed to
    other services as well (``cancellation.recorded`` also goes to the allowance registry) wait in
    their queues, so the whole stack is never quiet."""
    loop = asyncio.get_running_loop()
    deadline, calm = loop.time() + timeout, 0
    while calm < 2:
        depths = await stack.queue_depths()
        busy = depths["provincial_review.events"] or stack["provincial_review"].runtime.consumer.in_flight
        calm = 0 if busy else calm + 1
        assert loop.time() < deadline, "the provincial review's queue did not drain"
        await asyncio.sleep(0.05)


async def set_clock(stack: Stack, now: str) -> dict[str, Any]:
    answer = await stack["provincial_review"].client.put(
        f"{BASE}/admin/clock", json={"now": now}, headers=stack.token("sim_admin")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def unit_facts(name: str = "火电测试企业", province: str = "420000") -> dict[str, Any]:
    return {"id": f"ALA-{uuid.uuid4().hex[:10]}", "name": name, "uscc": uscc(), "province": province}


async def issue_notice(stack: Stack, account: dict[str, Any], obligation: int = 1_000_000) -> None:
    notice = {
        "notice_id": f"NTC-{uuid.uuid4().hex[:10]}",
        "period_code": "2019-2020",
        "account": account,
        "obligation": obligation,
        "deadline": "2021-12-31T17:00:00+08:00",
    }
    await stack.publish("allowance_registry.notice.issued", notice, correlation_id=notice["notice_id"])
    await review_quiet(stack)


def form_body(account: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "period_code": "2019-2020",
        "unit": {"name": account["name"], "uscc": account["uscc"]},
        "province": account["province"],
        "obligation": 1_000_000,
        "requested_quantity": 50_000,
        **kw,
    }


def cancellation(account: dict[str, Any], quantity: int) -> dict[str, Any]:
    return {
        "cancellation_id": f"LC-{uuid.uuid4().hex[:10]}",
        "legacy_account_id": "LGA-0001",
        "holder": {"name": account["name"], "uscc": account["uscc"]},
        "project": {
            "number": "001",
            "name": "某风电项目",
            "type": "能源工业",
            "region": "湖北省",
            "recorded_at": "2015-06-01",
            "within_national_ets": False,
        },
        "units_recorded_at": "2016-03-01",
        "quantity": quantity,
        "serial_ranges": [["CCER-001-2015-1", f"CCER-001-2015-{quantity}"]],
        "purpose": "offset_2019_2020",
        "cancelled_at": "2021-11-03T10:00:00+08:00",
    }


async def test_a_form_from_submission_to_the_weekly_summary_over_rest_and_amqp(review_2021: Stack) -> None:
    stack = review_2021
    client = stack["provincial_review"].client
    await set_clock(stack, "2021-11-02T09:00:00+08:00")
    account = unit_facts()
    await issue_notice(stack, account)
    unit = stack.token("enterprise", org=account["uscc"])
    province = stack.token("province_initiator", province="420000")

    bad = await client.post(
        f"{BASE}/offset-forms",
        headers=unit,
        json={**form_body(account), "unit": {"name": "", "uscc": "bad"}, "province": "999999", "obligation": 1.5},
    )
    assert bad.status_code == 422
    assert len(bad.json()["errors"]) >= 4 and all(e["message_zh"] for e in bad.json()["errors"])

    wrong = await client.post(
        f"{BASE}/offset-forms", headers=unit, json=form_body(account, obligation=900_000, requested_quantity=50_001)
    )
    assert wrong.status_code == 422
    assert [e["code"] for e in wrong.json()["errors"]] == ["OBLIGATION_MISMATCH", "OFFSET_CAP_EXCEEDED"]

    created = await client.post(f"{BASE}/offset-forms", headers=unit, json=form_body(account))
    assert created.status_code == 201, created.text
    form = created.json()
    assert form["status"] == "submitted" and form["unit"] == {"name": "火电测试企业", "uscc": account["uscc"]}
    assert (form["confirmed_quantity"], form["cancelled_quantity"], form["cancellation_mismatch"]) == (0, 0, False)
    assert form["submitted_at"] == "2021-11-02T09:00:00+08:00"

    url = f"{BASE}/offset-forms/{form['id']}"
    elsewhere = stack.token("province_confirmer", province="110000")
    assert (await client.get(url, headers=elsewhere)).status_code == 404
    assert (await client.get(url, headers=stack.token("ncsc_operator"))).status_code == 403
    decision = {"decision": "confirm", "reasons": []}
    assert (await client.post(f"{url}/decision", headers=unit, json=decision)).status_code == 403
    assert (await client.post(f"{url}/decision", headers=elsewhere, json=decision)).status_code == 404
    confirmed = await client.post(f"{url}/decision", headers=province, json=decision)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    again = await client.post(f"{url}/decision", headers=province, json=decision)
    assert again.status_code == 409 and again.json()["code"] == "FORM_NOT_SUBMITTED"

    proof = {"file_name": "注销截图.pdf", "sha256": "0" * 63}
    assert (await client.post(f"{url}/cancellation-proof", headers=unit, json=proof)).status_code == 422
    proved = await client.post(f"{url}/cancellation-proof", headers=unit, json={**proof, "sha256": "ab" * 32})
    assert proved.status_code == 201 and [p["sha256"] for p in proved.json()["proofs"]] == ["ab" * 32]

    record = cancellation(account, 50_000)
    for _ in range(2):  # the same record in two events
        await stack.publish("legacy_ccer_registry.cancellation.recorded", record, correlation_id="c")
    await review_quiet(stack)
    seen = (await client.get(url, headers=unit)).json()
    assert [c["cancellation_id"] for c in seen["cancellations"]] == [record["cancellation_id"]]
    assert (seen["confirmed_quantity"], seen["cancelled_quantity"], seen["cancellation_mismatch"]) == (
        50_000,
        50_000,
        False,
    )

    assert (await set_clock(stack, "2021-11-05T17:00:00+08:00"))["jobs_run"] == 1
    summaries = await client.get(f"{BASE}/offset-form-summaries", headers=stack.token("ncsc_operator"))
    [summary] = summaries.json()["items"]
    assert (summary["province"], summary["week_ending"], summary["forms"], summary["confirmed_total"]) == (
        "420000",
        "2021-11-05",
        1,
        50_000,
    )
    assert summary["covers_from"] == "2021-10-29T17:00:00+08:00"
    assert [i["form_id"] for i in summary["items"]] == [form["id"]]
    as_csv = await client.get(
        f"{BASE}/offset-form-summaries", headers={**province, "Accept": "text/csv"}, params={"period_code": "2019-2020"}
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["week_ending"], r["confirmed_total"]) for r in rows] == [("2021-11-05", "50000")]
    listed = await client.get(
        f"{BASE}/offset-forms", headers={**province, "Accept": "text/csv"}, params={"week": "2021-11-05"}
    )
    assert [r["id"] for r in csv.DictReader(io.StringIO(listed.text))] == [form["id"]]
    not_friday = await client.get(f"{BASE}/offset-forms", headers=province, params={"week": "2021-11-04"})
    assert not_friday.status_code == 422 and not_friday.json()["code"] == "WEEK_NOT_FRIDAY"

    late = unit_facts(name="迟到企业")
    await issue_notice(stack, late)
    await set_clock(stack, "2021-12-11T00:00:00+08:00")
    closed = await client.post(
        f"{BASE}/offset-forms", headers=stack.token("enterprise", org=late["uscc"]), json=form_body(late)
    )
    assert closed.status_code == 409 and closed.json()["code"] == "FORM_WINDOW_CLOSED"
