"""Who may see and act on review cases: province roles of the own province only (404 outside it),
every other role 403; lists, CSV and the dashboard."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.harness import Stack, uscc
from tests.integration.review_fixtures import (
    BASE,
    Unit,
    confirmer,
    first_review,
    initiator,
    issue_notice,
    second_review,
    submit,
    the_case,
)

pytestmark = pytest.mark.integration

OTHER_ROLES = [
    ("enterprise", {"org": None}),
    ("registry_initiator", {}),
    ("registry_confirmer", {}),
    ("ncsc_operator", {}),
    ("exchange_operator", {"exchange": "CBGEX"}),
    ("sim_admin", {}),
]


async def opened_case(stack: Stack, unit: Unit) -> dict:
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    return await the_case(stack, unit, payload["application_id"])


async def test_a_province_reaching_outside_its_scope_gets_404(stack: Stack) -> None:
    unit = Unit(province="320000")
    case = await opened_case(stack, unit)
    client = stack["provincial_review"].client
    outsider = stack.token("province_initiator", province="330000")

    assert (await client.get(f"{BASE}/reviews/{case['id']}", headers=outsider)).status_code == 404
    assert (await first_review(stack, case["id"], outsider, "approve")).status_code == 404
    other_confirmer = stack.token("province_confirmer", province="330000")
    assert (await second_review(stack, case["id"], other_confirmer, "confirm")).status_code == 404
    listed = await client.get(f"{BASE}/reviews", params={"application_id": case["application_id"]}, headers=outsider)
    assert listed.status_code == 200 and listed.json()["items"] == []
    missing = await client.get(f"{BASE}/reviews/RVW-doesnotexist", headers=initiator(stack, unit))
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(("role", "claims"), OTHER_ROLES)
async def test_roles_other_than_the_province_get_403(stack: Stack, role: str, claims: dict) -> None:
    case = await opened_case(stack, Unit())
    headers = stack.token(role, **{k: (v or uscc()) for k, v in claims.items()})
    client = stack["provincial_review"].client

    answers = [
        await client.get(f"{BASE}/reviews", headers=headers),
        await client.get(f"{BASE}/reviews/{case['id']}", headers=headers),
        await first_review(stack, case["id"], headers, "approve"),
        await second_review(stack, case["id"], headers, "confirm"),
        await client.get(f"{BASE}/dashboard", params={"period_code": "2023"}, headers=headers),
    ]

    assert [a.status_code for a in answers] == [403] * 5
    assert {a.json()["code"] for a in answers} == {"FORBIDDEN_ROLE"}


async def test_each_review_step_needs_its_own_province_role(stack: Stack) -> None:
    unit = Unit()
    case = await opened_case(stack, unit)

    by_confirmer = await first_review(stack, case["id"], confirmer(stack, unit), "approve")
    by_initiator = await second_review(stack, case["id"], initiator(stack, unit), "confirm")

    assert (by_confirmer.status_code, by_initiator.status_code) == (403, 403)


async def test_without_a_token_the_answer_is_401(stack: Stack) -> None:
    answer = await stack["provincial_review"].client.get(f"{BASE}/reviews")

    assert answer.status_code == 401


async def test_the_list_filters_by_status_pages_and_exports_csv(stack: Stack) -> None:
    unit = Unit(province="650000")
    cases = [await opened_case(stack, u) for u in (unit, Unit(province="650000"), Unit(province="650000"))]
    client = stack["provincial_review"].client
    headers = initiator(stack, unit)
    assert (await first_review(stack, cases[0]["id"], headers, "approve")).status_code == 200

    waiting = await client.get(
        f"{BASE}/reviews", params={"status": "awaiting_second_review", "limit": 500}, headers=headers
    )
    assert cases[0]["id"] in {c["id"] for c in waiting.json()["items"]}
    assert {c["status"] for c in waiting.json()["items"]} == {"awaiting_second_review"}

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{BASE}/reviews", params=params, headers=headers)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert {c["id"] for c in cases} <= set(seen)
    assert len(seen) == len(set(seen))

    exported = await client.get(f"{BASE}/reviews", params={"limit": 500}, headers={**headers, "Accept": "text/csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {c["id"] for c in cases} <= {r["id"] for r in rows}
    assert {"application_id", "status", "checks"} <= set(rows[0])

    bad = await client.get(f"{BASE}/reviews", params={"status": "pending"}, headers=headers)
    assert bad.status_code == 422


async def test_the_dashboard_shows_completion_and_units_short_for_the_own_province(stack: Stack) -> None:
    period = f"T{uuid.uuid4().hex[:8]}"
    done, short = Unit(province="440000", period_code=period), Unit(province="440000", period_code=period)
    elsewhere = Unit(province="450000", period_code=period)
    for unit in (done, short, elsewhere):
        await issue_notice(stack, unit)
    await stack.publish(
        "allowance_registry.compliance.completed",
        {
            "notice_id": done.notice_id,
            "period_code": period,
            "account": done.account(),
            "completed_at": "2024-12-25T10:00:00+08:00",
        },
    )
    await stack.quiet()

    answer = await stack["provincial_review"].client.get(
        f"{BASE}/dashboard", params={"period_code": period}, headers=confirmer(stack, done)
    )

    assert answer.status_code == 200, answer.text
    board = answer.json()
    assert (board["province"], board["units"], board["complete"], board["share_complete"]) == ("440000", 2, 1, 0.5)
    assert [u["notice_id"] for u in board["units_short"]] == [short.notice_id]
