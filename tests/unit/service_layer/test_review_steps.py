"""The two review steps through the provincial review's bus: 初审 by the province's initiator, 复审 by
another person, the decision sent to the allowance registry, and every refusal with its findings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from services.provincial_review.domain.review import Decision, Recommendation, ReviewStatus
from services.provincial_review.service_layer.commands import GetCase, SubmitFirstReview, SubmitSecondReview
from services.provincial_review.service_layer.views import CaseView
from shared.errors import Conflict, ErrorKind, Forbidden, Invalid, NotFound
from shared.findings import Finding
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_review_intake import (
    Unit,
    confirmer,
    failing,
    initiator,
    new_project,
    open_case,
)

BY_HAND = Finding(
    code="CONTACT_PHONE_INVALID", message="the contact phone is not reachable", message_zh="联系电话无法接通"
)


async def recommend(
    review: ServiceUnderTest[Any],
    view: CaseView,
    unit: Unit,
    recommendation: Recommendation,
    *findings: Finding,
    sub: str | None = None,
) -> CaseView:
    command = SubmitFirstReview(case_id=view.case.id, recommendation=recommendation, findings=findings)
    return await review.handle(command, initiator(unit, sub))


async def decide(
    review: ServiceUnderTest[Any],
    view: CaseView,
    unit: Unit,
    decision: Decision,
    comment: str = "",
    *,
    sub: str | None = None,
) -> CaseView:
    command = SubmitSecondReview(case_id=view.case.id, decision=decision, comment=comment)
    return await review.handle(command, confirmer(unit, sub))


async def test_an_approval_by_two_people_approves_the_case_and_tells_the_allowance_registry(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    view = await open_case(review, unit)

    first = await recommend(review, view, unit, Recommendation.approve, sub="li-initiator")
    second = await decide(review, view, unit, Decision.confirm, sub="wang-confirmer")

    assert (first.case.status, first.case.recommendation) == (ReviewStatus.awaiting_second_review, "approve")
    assert (second.case.status, second.case.second_reviewer) == (ReviewStatus.approved, "wang-confirmer")
    assert second.case.decided_at is not None
    assert [h.action for h in second.history] == ["opened", "first_review", "second_review"]
    [sent] = await review.sent()
    assert sent.event_type == "provincial_review.application.approved"
    body = sent.envelope.payload
    assert (body["case_id"], body["revision"]) == (view.case.id, 1)
    assert (body["first_reviewer"], body["second_reviewer"]) == ("li-initiator", "wang-confirmer")
    assert sent.envelope.correlation_id == view.case.application_id


async def test_a_confirmed_rejection_sends_every_failing_check_and_hand_finding_at_once(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    ets_project = new_project("CCER-99-0009", within_national_ets=True, registered_or_recorded_at=date(2023, 5, 1))
    view = await open_case(
        review,
        unit,
        ccer=60_000,
        allowances=900_000,
        project=ets_project,
        submitted_at=datetime(2025, 1, 1, 8, 0, tzinfo=CST),
    )

    await recommend(review, view, unit, Recommendation.reject, BY_HAND)
    second = await decide(review, view, unit, Decision.confirm, "同意初审意见")

    expected = {
        "OFFSET_CAP_EXCEEDED",
        "LOT_WITHIN_NATIONAL_ETS",
        "NEW_REGISTERED_TOO_EARLY",
        "DEADLINE_PASSED",
        "CONTACT_PHONE_INVALID",
    }
    assert second.case.status == ReviewStatus.rejected
    assert {f["code"] for f in second.case.findings} == expected
    [sent] = await review.sent()
    assert sent.event_type == "provincial_review.application.rejected"
    findings = sent.envelope.payload["findings"]
    assert {f["code"] for f in findings} == expected
    assert {f["item"] for f in findings if f["code"].startswith(("LOT_", "NEW_"))} == {1}


async def test_approve_is_refused_while_a_check_fails_with_every_failing_finding(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    view = await open_case(review, unit, ccer=60_000, allowances=900_000)  # 6 % > the 5 % cap

    with pytest.raises(Conflict) as refused:
        await recommend(review, view, unit, Recommendation.approve)

    assert refused.value.code == "AUTOMATED_CHECKS_FAILED"
    assert [f.code for f in refused.value.findings] == ["OFFSET_CAP_EXCEEDED"]
    still = await review.handle(GetCase(case_id=view.case.id), initiator(unit))
    assert (still.case.status, [h.action for h in still.history]) == ("awaiting_first_review", ["opened"])


async def test_findings_on_items_the_application_lacks_are_all_refused(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    view = await open_case(review, unit)
    bad = [BY_HAND.model_copy(update={"item": 5}), BY_HAND.model_copy(update={"item": 7})]

    with pytest.raises(Invalid) as refused:
        await recommend(review, view, unit, Recommendation.reject, *bad)

    assert refused.value.code == "INVALID_FINDINGS"
    assert [f.field for f in refused.value.findings] == ["findings.0.item", "findings.1.item"]


async def test_a_rejection_without_any_finding_is_refused_as_invalid(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    view = await open_case(review, unit)

    with pytest.raises(Invalid) as refused:
        await recommend(review, view, unit, Recommendation.reject)

    assert (refused.value.kind, refused.value.code) == (ErrorKind.invalid, "REJECTION_WITHOUT_FINDINGS")


async def test_the_first_reviewer_may_not_confirm_even_holding_the_confirmer_role(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    view = await open_case(review, unit)
    await recommend(review, view, unit, Recommendation.approve, sub="zhang")

    with pytest.raises(Forbidden) as refused:
        await decide(review, view, unit, Decision.confirm, sub="zhang")

    assert refused.value.code == "TWO_PERSON_RULE"
    still = await review.handle(GetCase(case_id=view.case.id), initiator(unit))
    assert still.case.status == ReviewStatus.awaiting_second_review
    assert await review.sent_types() == []


async def test_send_back_returns_the_case_to_first_review_and_tells_nobody(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    view = await open_case(review, unit)
    await recommend(review, view, unit, Recommendation.approve)

    back = await decide(review, view, unit, Decision.send_back, "  请核对项目登记日期 ")

    assert (back.case.status, back.case.recommendation, back.case.first_reviewer) == (
        ReviewStatus.awaiting_first_review,
        None,
        None,
    )
    last = back.history[-1]
    assert (last.action, last.comment, last.detail["decision"], last.detail["recommendation"]) == (
        "second_review",
        "请核对项目登记日期",
        "send_back",
        "approve",
    )
    assert await review.sent_types() == []
    again = await recommend(review, view, unit, Recommendation.approve)
    assert again.case.status == ReviewStatus.awaiting_second_review


async def test_send_back_without_a_comment_is_refused_as_invalid(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    view = await open_case(review, unit)
    await recommend(review, view, unit, Recommendation.approve)

    with pytest.raises(Invalid) as refused:
        await decide(review, view, unit, Decision.send_back, "   ")

    assert refused.value.code == "SEND_BACK_WITHOUT_COMMENT"


async def test_a_decided_case_takes_no_further_review_and_is_announced_once(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    view = await open_case(review, unit)
    await recommend(review, view, unit, Recommendation.approve)
    await decide(review, view, unit, Decision.confirm)

    with pytest.raises(Conflict) as second_again:
        await decide(review, view, unit, Decision.confirm)
    with pytest.raises(Conflict) as first_again:
        await recommend(review, view, unit, Recommendation.approve)

    assert (second_again.value.code, first_again.value.code) == (
        "CASE_NOT_AWAITING_SECOND_REVIEW",
        "CASE_NOT_AWAITING_FIRST_REVIEW",
    )
    assert await review.sent_types() == ["provincial_review.application.approved"]


async def test_an_approval_is_not_confirmed_once_a_reissued_notice_breaks_a_check(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    view = await open_case(review, unit)
    await recommend(review, view, unit, Recommendation.approve)
    await review.deliver(unit.notice_issued(obligation=800_000))

    with pytest.raises(Conflict) as refused:
        await decide(review, view, unit, Decision.confirm)

    assert refused.value.code == "AUTOMATED_CHECKS_FAILED"
    assert {f.code for f in refused.value.findings} == {
        "OBLIGATION_MISMATCH",
        "OBLIGATION_EXCEEDED",
        "OFFSET_CAP_EXCEEDED",
    }
    back = await decide(review, view, unit, Decision.send_back, "通知书已重新发放")
    assert back.case.status == ReviewStatus.awaiting_first_review


async def test_a_decided_case_keeps_its_checks_when_the_notice_is_reissued(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    view = await open_case(review, unit)
    await recommend(review, view, unit, Recommendation.approve)
    decided = await decide(review, view, unit, Decision.confirm)

    await review.deliver(unit.notice_issued(obligation=800_000))

    after = await review.handle(GetCase(case_id=view.case.id), initiator(unit))
    assert failing(after) == []
    assert after.case.checks == decided.case.checks
    assert [h.action for h in after.history] == ["opened", "first_review", "second_review"]


async def test_an_approved_application_counts_against_the_cap_of_the_next_one(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    earlier = await open_case(review, unit, allowances=100_000, ccer=30_000)
    await recommend(review, earlier, unit, Recommendation.approve)
    await decide(review, earlier, unit, Decision.confirm)

    later = await open_case(review, unit, notice=False, allowances=100_000, ccer=30_000)

    assert failing(later) == ["OFFSET_WITHIN_CAP"]


async def test_a_reviewer_of_another_province_gets_not_found_for_both_steps(review: ServiceUnderTest[Any]) -> None:
    unit = Unit(province="320000")
    view = await open_case(review, unit)
    outsider = Unit(province="330000")

    with pytest.raises(NotFound):
        await recommend(review, view, outsider, Recommendation.approve)
    await recommend(review, view, unit, Recommendation.approve)
    with pytest.raises(NotFound):
        await decide(review, view, outsider, Decision.confirm)


async def test_a_step_on_a_case_that_does_not_exist_is_not_found(review: ServiceUnderTest[Any]) -> None:
    with pytest.raises(NotFound) as refused:
        await review.handle(
            SubmitFirstReview(case_id="RVW-doesnotexist", recommendation=Recommendation.approve),
            as_("province_initiator", province="110000"),
        )

    assert refused.value.message == "review case RVW-doesnotexist not found"


async def test_a_guarded_transition_from_a_state_the_case_has_left_changes_nothing(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    view = await open_case(review, unit)

    async with review.runtime.uow(actor="test") as uow:
        moved = await uow.cases.transition(view.case, ReviewStatus.awaiting_second_review, status="approved")
        await uow.commit()

    assert moved is False
    still = await review.handle(GetCase(case_id=view.case.id), initiator(unit))
    assert still.case.status == ReviewStatus.awaiting_first_review
