"""Provincial review over real RabbitMQ and PostgreSQL: cases opened from the allowance registry's
events, automated checks, first and second review, and the decision events."""

from __future__ import annotations

import uuid

import pytest

from tests.harness import Stack
from tests.integration.review_fixtures import (
    BASE,
    Unit,
    confirmer,
    first_review,
    initiator,
    issue_notice,
    new_project,
    produced,
    second_review,
    submit,
    the_case,
)

pytestmark = pytest.mark.integration


def failing(case: dict) -> list[str]:
    return [c["code"] for c in case["checks"] if not c["passed"]]


async def test_a_submitted_application_opens_a_case_in_its_province_with_passing_checks(stack: Stack) -> None:
    unit = Unit(province="420000")
    await issue_notice(stack, unit)
    payload = unit.submitted()

    await submit(stack, payload)

    case = await the_case(stack, unit, payload["application_id"])
    assert case["status"] == "awaiting_first_review"
    assert case["revision"] == 1
    assert case["account"] == unit.account()
    assert [i["kind"] for i in case["items"]] == ["allowance", "ccer"]
    assert [c["code"] for c in case["checks"]] == [
        "HOLDER_MATCHES_NOTICE",
        "OBLIGATION_MATCHES_NOTICE",
        "OFFSET_WITHIN_CAP",
        "LOT_ELIGIBLE",
        "SUBMITTED_BEFORE_DEADLINE",
    ]
    assert failing(case) == []
    assert case["recommendation"] is None and case["findings"] == []
    assert [h["action"] for h in case["history"]] == ["opened"]


async def test_a_duplicated_application_submitted_creates_one_case(stack: Stack) -> None:
    unit = Unit()
    payload = unit.submitted()

    await submit(stack, payload, quiet=False)
    await submit(stack, payload)  # same revision again, as another event

    await the_case(stack, unit, payload["application_id"])  # asserts exactly one


async def test_a_resubmitted_revision_opens_a_second_case(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    first = unit.submitted(ccer=60_000, allowances=900_000)
    await submit(stack, first)
    case = await the_case(stack, unit, first["application_id"])
    assert (await first_review(stack, case["id"], initiator(stack, unit), "reject")).status_code == 200
    assert (await second_review(stack, case["id"], confirmer(stack, unit), "confirm")).status_code == 200

    await submit(stack, unit.submitted(first["application_id"], revision=2))

    answer = await stack["provincial_review"].client.get(
        f"{BASE}/reviews", params={"application_id": first["application_id"]}, headers=initiator(stack, unit)
    )
    assert [(c["revision"], c["status"]) for c in answer.json()["items"]] == [
        (1, "rejected"),
        (2, "awaiting_first_review"),
    ]
    assert failing(answer.json()["items"][1]) == []


async def test_checks_say_the_notice_is_missing_and_are_recomputed_when_it_arrives(stack: Stack) -> None:
    unit = Unit()
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])
    assert failing(case) == ["HOLDER_MATCHES_NOTICE", "OBLIGATION_MATCHES_NOTICE"]
    assert {f["code"] for c in case["checks"] for f in c["findings"]} == {"NOTICE_NOT_RECEIVED"}

    await issue_notice(stack, unit)
    await stack.quiet()

    case = await the_case(stack, unit, payload["application_id"])
    assert failing(case) == []
    assert [h["action"] for h in case["history"]] == ["opened", "checks_recomputed"]


async def test_a_notice_issued_to_another_holder_fails_the_holder_check(stack: Stack) -> None:
    unit = Unit()
    await stack.publish(
        "allowance_registry.notice.issued",
        unit.notice_issued(account={**unit.account(), "name": "别的单位"}, obligation=900_000),
    )
    payload = unit.submitted()

    await submit(stack, payload)

    case = await the_case(stack, unit, payload["application_id"])
    assert failing(case) == ["HOLDER_MATCHES_NOTICE", "OBLIGATION_MATCHES_NOTICE", "OFFSET_WITHIN_CAP"]
    codes = {f["code"] for c in case["checks"] for f in c["findings"]}
    assert {"HOLDER_NAME_MISMATCH", "OBLIGATION_MISMATCH", "OFFSET_CAP_EXCEEDED"} <= codes


async def test_approve_is_refused_while_an_automated_check_fails(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted(ccer=60_000, allowances=900_000)  # 6% > the 5% cap
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])

    answer = await first_review(stack, case["id"], initiator(stack, unit), "approve")

    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "AUTOMATED_CHECKS_FAILED"
    assert [e["code"] for e in body["errors"]] == ["OFFSET_CAP_EXCEEDED"]
    assert all(e["message_zh"] for e in body["errors"])
    assert (await the_case(stack, unit, payload["application_id"]))["status"] == "awaiting_first_review"


async def test_approval_by_two_people_emits_application_approved(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])

    first = await first_review(stack, case["id"], initiator(stack, unit, "li-initiator"), "approve")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "awaiting_second_review"
    assert first.json()["recommendation"] == "approve"
    second = await second_review(stack, case["id"], confirmer(stack, unit, "wang-confirmer"), "confirm")

    assert second.status_code == 200, second.text
    assert second.json()["status"] == "approved"
    assert second.json()["decided_at"].endswith("+08:00")
    events = await produced(stack, payload["application_id"])
    assert [e["event_type"] for e in events] == ["provincial_review.application.approved"]
    body = events[0]["envelope"]
    assert body["correlation_id"] == payload["application_id"]
    assert body["payload"]["case_id"] == case["id"]
    assert body["payload"]["revision"] == 1
    assert (body["payload"]["first_reviewer"], body["payload"]["second_reviewer"]) == ("li-initiator", "wang-confirmer")


async def test_the_second_reviewer_must_differ_from_the_first_even_holding_both_roles(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])
    person = f"zhang-{uuid.uuid4().hex[:6]}"
    assert (await first_review(stack, case["id"], initiator(stack, unit, person), "approve")).status_code == 200

    answer = await second_review(stack, case["id"], confirmer(stack, unit, person), "confirm")

    assert answer.status_code == 403
    assert answer.json()["code"] == "TWO_PERSON_RULE"
    assert (await the_case(stack, unit, payload["application_id"]))["status"] == "awaiting_second_review"
    assert await produced(stack, payload["application_id"]) == []


async def test_rejection_carries_every_finding_at_once(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    ets_project = new_project("CCER-99-0009", within_national_ets=True, registered_or_recorded_at="2023-05-01")
    payload = unit.submitted(
        ccer=60_000, allowances=900_000, project=ets_project, submitted_at="2025-01-01T08:00:00+08:00"
    )
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])
    by_hand = {
        "code": "CONTACT_PHONE_INVALID",
        "message": "the contact phone number is not reachable",
        "message_zh": "联系电话无法接通",
        "item": None,
    }

    first = await first_review(stack, case["id"], initiator(stack, unit), "reject", [by_hand])
    assert first.status_code == 200, first.text
    second = await second_review(stack, case["id"], confirmer(stack, unit), "confirm", "同意初审意见")

    assert second.status_code == 200, second.text
    assert second.json()["status"] == "rejected"
    expected = {
        "OFFSET_CAP_EXCEEDED",
        "LOT_WITHIN_NATIONAL_ETS",
        "NEW_REGISTERED_TOO_EARLY",
        "DEADLINE_PASSED",
        "CONTACT_PHONE_INVALID",
    }
    assert {f["code"] for f in second.json()["findings"]} == expected
    events = await produced(stack, payload["application_id"])
    assert [e["event_type"] for e in events] == ["provincial_review.application.rejected"]
    sent = events[0]["envelope"]["payload"]["findings"]
    assert {f["code"] for f in sent} == expected
    assert all(f["message"] and f["message_zh"] for f in sent)
    assert {f["item"] for f in sent if f["code"].startswith(("LOT_", "NEW_"))} == {1}


async def test_reject_without_any_finding_is_refused(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])

    answer = await first_review(stack, case["id"], initiator(stack, unit), "reject")

    assert answer.status_code == 422
    assert answer.json()["code"] == "REJECTION_WITHOUT_FINDINGS"


async def test_send_back_returns_the_case_to_first_review_with_the_comment(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])
    assert (await first_review(stack, case["id"], initiator(stack, unit), "approve")).status_code == 200

    answer = await second_review(stack, case["id"], confirmer(stack, unit), "send_back", "请核对项目登记日期")

    assert answer.status_code == 200, answer.text
    back = answer.json()
    assert back["status"] == "awaiting_first_review"
    assert back["recommendation"] is None and back["first_reviewer"] is None
    last = back["history"][-1]
    assert (last["action"], last["status"], last["comment"]) == (
        "second_review",
        "awaiting_first_review",
        "请核对项目登记日期",
    )
    assert last["detail"]["decision"] == "send_back"
    assert last["detail"]["recommendation"] == "approve"
    assert await produced(stack, payload["application_id"]) == []
    # the case can be reviewed again from the start
    again = await first_review(stack, case["id"], initiator(stack, unit), "approve")
    assert again.status_code == 200 and again.json()["status"] == "awaiting_second_review"


async def test_send_back_without_a_comment_is_refused(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])
    assert (await first_review(stack, case["id"], initiator(stack, unit), "approve")).status_code == 200

    answer = await second_review(stack, case["id"], confirmer(stack, unit), "send_back")

    assert answer.status_code == 422
    assert answer.json()["code"] == "SEND_BACK_WITHOUT_COMMENT"


async def test_a_decided_case_cannot_be_reviewed_again(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])
    assert (await first_review(stack, case["id"], initiator(stack, unit), "approve")).status_code == 200
    assert (await second_review(stack, case["id"], confirmer(stack, unit), "confirm")).status_code == 200

    again = await second_review(stack, case["id"], confirmer(stack, unit), "confirm")
    first = await first_review(stack, case["id"], initiator(stack, unit), "approve")

    assert (again.status_code, again.json()["code"]) == (409, "CASE_NOT_AWAITING_SECOND_REVIEW")
    assert (first.status_code, first.json()["code"]) == (409, "CASE_NOT_AWAITING_FIRST_REVIEW")
    assert len(await produced(stack, payload["application_id"])) == 1


async def test_an_approved_application_counts_against_the_cap_of_the_next_one(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    earlier = unit.submitted(allowances=100_000, ccer=30_000)
    await submit(stack, earlier)
    case = await the_case(stack, unit, earlier["application_id"])
    assert (await first_review(stack, case["id"], initiator(stack, unit), "approve")).status_code == 200
    assert (await second_review(stack, case["id"], confirmer(stack, unit), "confirm")).status_code == 200

    later = unit.submitted(allowances=100_000, ccer=30_000)
    await submit(stack, later)

    case = await the_case(stack, unit, later["application_id"])
    assert failing(case) == ["OFFSET_WITHIN_CAP"]


async def test_an_approval_is_not_confirmed_when_a_reissued_notice_breaks_a_check(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])
    assert (await first_review(stack, case["id"], initiator(stack, unit), "approve")).status_code == 200

    await stack.publish("allowance_registry.notice.issued", unit.notice_issued(obligation=800_000))
    await stack.quiet()
    answer = await second_review(stack, case["id"], confirmer(stack, unit), "confirm")

    assert answer.status_code == 409
    assert answer.json()["code"] == "AUTOMATED_CHECKS_FAILED"
    assert {e["code"] for e in answer.json()["errors"]} == {
        "OBLIGATION_MISMATCH",
        "OBLIGATION_EXCEEDED",
        "OFFSET_CAP_EXCEEDED",
    }
    shown = await the_case(stack, unit, payload["application_id"])
    assert shown["history"][-1]["action"] == "checks_recomputed"
    back = await second_review(stack, case["id"], confirmer(stack, unit), "send_back", "通知书已重新发放")
    assert back.json()["status"] == "awaiting_first_review"


async def test_a_repeated_first_review_with_the_same_idempotency_key_changes_nothing(stack: Stack) -> None:
    unit = Unit()
    await issue_notice(stack, unit)
    payload = unit.submitted()
    await submit(stack, payload)
    case = await the_case(stack, unit, payload["application_id"])
    headers = {**initiator(stack, unit, "li-idem"), "Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    body = {"recommendation": "approve", "findings": []}
    client = stack["provincial_review"].client

    first = await client.post(f"{BASE}/reviews/{case['id']}/first-review", json=body, headers=headers)
    again = await client.post(f"{BASE}/reviews/{case['id']}/first-review", json=body, headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    shown = await the_case(stack, unit, payload["application_id"])
    assert [h["action"] for h in shown["history"]] == ["opened", "first_review"]
