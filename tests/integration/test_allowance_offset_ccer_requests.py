"""First period on the real stack (seed 002 Part 2): NCSC's cancellation record (published as the
legacy registry sends it) drafts a creation request; the registry's two people generate the offset
CCER over REST; the unit applies with it and the province's approval surrenders both."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from shared.timeutil import CST
from tests.harness import Stack, uscc
from tests.integration.allowance_support import (
    API,
    allocate,
    approved_payload,
    approved_period,
    client,
    clock_within,
    decide,
    open_allowance_account,
)

pytestmark = pytest.mark.integration

RECORDED = "legacy_ccer_registry.cancellation.recorded"
EVENING = datetime(2021, 11, 3, 22, 0, tzinfo=CST)
PROVINCE = "420000"


def record(org: str, quantity: int = 50_000) -> dict[str, Any]:
    number = f"{uuid.uuid4().int % 10_000:04d}"
    return {
        "cancellation_id": f"CXL-t{uuid.uuid4().hex[:10]}",
        "legacy_account_id": f"LGA-t{uuid.uuid4().hex[:8]}",
        "holder": {"name": "火电测试企业", "uscc": org},
        "project": {
            "number": number,
            "name": "湖北某风电项目",
            "type": "能源工业",
            "region": "湖北省",
            "recorded_at": "2015-06-30",
            "within_national_ets": False,
        },
        "units_recorded_at": "2016-03-01",
        "quantity": quantity,
        "serial_ranges": [[f"{number}-1", f"{number}-{quantity}"]],
        "purpose": "offset_2019_2020",
        "cancelled_at": "2021-11-01T10:00:00+08:00",
    }


async def published(stack: Stack, payload: dict[str, Any]) -> None:
    await stack.publish(RECORDED, payload, correlation_id=payload["cancellation_id"])
    await stack.quiet()


async def request_of(stack: Stack, cancellation_id: str) -> dict[str, Any]:
    answer = await client(stack).get(
        f"{API}/offset-ccer-requests", params={"limit": 500}, headers=stack.token("registry_initiator")
    )
    assert answer.status_code == 200, answer.text
    [found] = [r for r in answer.json()["items"] if r["cancellation_id"] == cancellation_id]
    return found


async def test_a_record_becomes_offset_ccer_the_unit_surrenders_with_its_allowances(stack: Stack) -> None:
    await clock_within(stack, EVENING, datetime(2021, 11, 20, tzinfo=CST))
    period = await approved_period(stack, "2019-2020")
    org = uscc()
    account_id = await open_allowance_account(stack, org, province=PROVINCE, name="火电测试企业")
    await allocate(stack, account_id, "PE2021000097", 1_000_000)
    provincial = await client(stack).post(
        f"{API}/provincial-notices",
        json={"period_code": period["code"], "province": PROVINCE, "total_obligation": 10**12},
        headers=stack.token("registry_initiator"),
    )
    assert provincial.status_code == 201, provincial.text
    issued = await client(stack).post(
        f"{API}/notices",
        json={"period_code": period["code"], "account_id": account_id, "obligation": 1_000_000},
        headers=stack.token("province_initiator", province=PROVINCE),
    )
    assert issued.status_code == 201, issued.text
    notice_id = issued.json()["id"]
    unit = stack.token("enterprise", org=org)

    payload = record(org)
    await published(stack, payload)
    await published(stack, payload)  # NCSC's batch re-sent: still one request
    request = await request_of(stack, payload["cancellation_id"])
    assert (request["status"], request["account_id"], request["quantity"]) == ("draft", account_id, 50_000)
    assert request["project"]["number"] == payload["project"]["number"]

    base = f"{API}/offset-ccer-requests/{request['id']}"
    submitted = await client(stack).post(f"{base}/submit", headers=stack.token("registry_initiator", sub="fei"))
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted", submitted.text
    same = await client(stack).post(f"{base}/approve", headers=stack.token("registry_confirmer", sub="fei"))
    assert (same.status_code, same.json()["code"]) == (403, "TWO_PERSON_RULE")
    approved = await client(stack).post(f"{base}/approve", headers=stack.token("registry_confirmer", sub="liu"))
    assert approved.status_code == 200, approved.text
    code = approved.json()["instrument"]
    assert code.startswith("CCER21") and len(code) == 12
    assert [h["action"] for h in approved.json()["history"]] == ["drafted", "submitted", "approved"]
    again = await client(stack).post(f"{base}/approve", headers=stack.token("registry_confirmer", sub="wang"))
    assert (again.status_code, again.json()["code"]) == (409, "OFFSET_CCER_REQUEST_NOT_SUBMITTED")

    instruments = await client(stack).get(f"{API}/instruments", headers=unit)
    [instrument] = [i for i in instruments.json() if i["code"] == code]
    assert (instrument["name"], instrument["kind"]) == ("火电测试企业配额抵消清缴CCER", "offset_ccer")
    assert instrument["project"]["number"] == payload["project"]["number"]
    before = (await client(stack).get(f"{API}/notices/{notice_id}", headers=unit)).json()
    assert before["ccer_offsettable"] == 50_000

    drafted = await client(stack).post(
        f"{API}/applications",
        json={
            "notice_id": notice_id,
            "items": [
                {"kind": "offset_ccer", "instrument": code, "quantity": 50_000},
                {"kind": "allowance", "instrument": "PE2021000097", "quantity": 950_000},
            ],
        },
        headers=unit,
    )
    assert drafted.status_code == 201, drafted.text
    application_id = drafted.json()["id"]
    answer = await client(stack).post(f"{API}/applications/{application_id}/submit", headers=unit)
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"][0]["project"]["number"] == payload["project"]["number"]
    await stack.quiet()
    under_review = (await client(stack).get(f"{API}/notices/{notice_id}", headers=unit)).json()
    assert (under_review["under_review"], under_review["ccer_offsettable"]) == (1_000_000, 0)

    await decide(stack, "provincial_review.application.approved", approved_payload(application_id, 1))
    after = (await client(stack).get(f"{API}/notices/{notice_id}", headers=unit)).json()
    assert (after["fulfilled"], after["status"]) == (1_000_000, "complete")
    holdings = (await client(stack).get(f"{API}/accounts/{account_id}/holdings", headers=unit)).json()
    assert [(h["instrument"], h["registry"]) for h in holdings["allowances"]] == [("PE2021000097", 50_000)]
    assert [(h["instrument"], h["quantity"], h["frozen"]) for h in holdings["ccer"]] == [(code, 0, 0)]
    [row] = holdings["ccer"]
    assert (row["project_number"], row["project_type"], row["project_region"]) == (
        payload["project"]["number"],
        "能源工业",
        "湖北省",
    )
    assert (row["registry_available"], row["registry_frozen"], row["trading"], row["total"]) == (0, 0, 0, 0)

    # 第七步 / 第八步: the CCER 抵销配额清缴登记, queried by the unit and by its province.
    for reader in (unit, stack.token("province_confirmer", province=PROVINCE)):
        listed = await client(stack).get(f"{API}/offset-registrations", params={"kind": "offset_ccer"}, headers=reader)
        assert listed.status_code == 200, listed.text
        [registration] = [r for r in listed.json()["items"] if r["application_id"] == application_id]
        assert (registration["instrument"], registration["quantity"], registration["lot_id"]) == (code, 50_000, None)
        assert (registration["account_id"], registration["province"]) == (account_id, PROVINCE)
        assert (registration["period_code"], registration["notice_id"]) == (period["code"], notice_id)
        assert registration["registered_at"].endswith("+08:00")
        assert registration["cancellation"]["status"] == "confirmed"
        assert registration["source"]["cancellation_id"] == payload["cancellation_id"]
        assert registration["source"]["serial_ranges"] == payload["serial_ranges"]
    elsewhere = await client(stack).get(
        f"{API}/offset-registrations", headers=stack.token("province_confirmer", province="110000")
    )
    assert application_id not in {r["application_id"] for r in elsewhere.json()["items"]}
    bad = await client(stack).get(f"{API}/offset-registrations", params={"kind": "allowance"}, headers=unit)
    assert bad.status_code == 422, bad.text
    journal = await client(stack).get(f"{API}/accounts/{account_id}/holdings/{code}/movements", headers=unit)
    assert journal.status_code == 200, journal.text
    assert [(m["kind"], m["direction"], m["quantity"], m["total_after"]) for m in journal.json()["items"]] == [
        ("generated", "in", 50_000, 50_000),
        ("frozen", "internal", 50_000, 50_000),
        ("surrendered", "out", 50_000, 0),
    ]
    assert all(m["at"].endswith("+08:00") for m in journal.json()["items"])
    reconciliation = await client(stack).get(f"{API}/admin/reconciliation", headers=stack.token("registry_initiator"))
    mine = [
        d
        for d in reconciliation.json()["discrepancies"]
        if d["objects"].get("instrument") == code or d["objects"].get("notice_id") == notice_id
    ]
    assert mine == [] and reconciliation.json()["offset_ccer_checked"] >= 1, reconciliation.text


async def test_requests_are_seen_by_the_registry_and_their_own_unit_and_listed_as_csv(stack: Stack) -> None:
    org = uscc()
    await open_allowance_account(stack, org, province=PROVINCE)
    payload = record(org, 1_000)
    await published(stack, payload)
    request = await request_of(stack, payload["cancellation_id"])
    path = f"{API}/offset-ccer-requests/{request['id']}"

    own = await client(stack).get(path, headers=stack.token("enterprise", org=org))
    other = await client(stack).get(path, headers=stack.token("enterprise", org=uscc()))
    province = await client(stack).get(path, headers=stack.token("province_initiator", province=PROVINCE))
    csv = await client(stack).get(
        f"{API}/offset-ccer-requests",
        params={"status": "draft"},
        headers={**stack.token("registry_confirmer"), "Accept": "text/csv"},
    )

    assert own.status_code == 200 and own.json()["id"] == request["id"]
    assert (other.status_code, province.status_code) == (404, 403)
    assert csv.status_code == 200 and payload["cancellation_id"] in csv.text


async def test_a_record_of_a_unit_without_an_account_is_listed_for_operators_only(stack: Stack) -> None:
    org = uscc()
    payload = record(org, 2_000)
    await published(stack, payload)

    listed = await client(stack).get(
        f"{API}/offset-ccer-requests/unmatched", params={"uscc": org}, headers=stack.token("registry_initiator")
    )
    unit = await client(stack).get(f"{API}/offset-ccer-requests/unmatched", headers=stack.token("enterprise", org=org))

    assert listed.status_code == 200, listed.text
    assert [(u["cancellation_id"], u["quantity"]) for u in listed.json()["items"]] == [
        (payload["cancellation_id"], 2_000)
    ]
    assert unit.status_code == 403


async def test_a_rejection_without_reasons_or_with_bad_ones_is_a_422(stack: Stack) -> None:
    org = uscc()
    await open_allowance_account(stack, org, province=PROVINCE)
    payload = record(org, 1_000)
    await published(stack, payload)
    request = await request_of(stack, payload["cancellation_id"])
    base = f"{API}/offset-ccer-requests/{request['id']}"
    await client(stack).post(f"{base}/submit", headers=stack.token("registry_initiator", sub="a"))
    checker = stack.token("registry_confirmer", sub="b")

    empty = await client(stack).post(f"{base}/reject", json={}, headers=checker)
    bad = await client(stack).post(f"{base}/reject", json={"reasons": [12, "x" * 501]}, headers=checker)
    ok = await client(stack).post(f"{base}/reject", json={"reasons": ["不在确认的申请表中"]}, headers=checker)

    assert (empty.status_code, empty.json()["code"]) == (422, "REASONS_REQUIRED")
    assert bad.status_code == 422 and len(bad.json()["errors"]) >= 2
    assert ok.status_code == 200 and ok.json()["status"] == "rejected", ok.text
    assert ok.json()["reasons"] == [{"code": "REJECTED", "message": "不在确认的申请表中"}]
