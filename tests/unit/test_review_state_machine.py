"""The review case's state machine and two-person rule (domain.md §9), pure: no I/O."""

from __future__ import annotations

import pytest

from services.provincial_review.domain.checks import Check, CheckCode
from services.provincial_review.domain.review import (
    CaseState,
    Decision,
    Recommendation,
    ReviewRefused,
    ReviewStatus,
    first_review,
    second_review,
)
from shared.errors import Finding

PASSING = [Check(code=CheckCode.holder, passed=True, detail="ok", detail_zh="一致")]
CAP = Finding(code="OFFSET_CAP_EXCEEDED", message="over the cap", message_zh="超过上限")
FAILING = [*PASSING, Check(code=CheckCode.cap, passed=False, detail="over", detail_zh="超限", findings=[CAP])]
HAND = Finding(code="CONTACT_MISSING", message="no contact person", message_zh="缺少联系人", item=0)

AWAITING_FIRST = CaseState(ReviewStatus.awaiting_first_review, item_count=2)


def awaiting_second(recommendation: Recommendation, first: str = "alice") -> CaseState:
    return CaseState(ReviewStatus.awaiting_second_review, 2, recommendation, first)


def test_approve_is_recommended_when_every_check_passes() -> None:
    outcome = first_review(AWAITING_FIRST, "alice", Recommendation.approve, PASSING, [])

    assert outcome.status is ReviewStatus.awaiting_second_review
    assert outcome.findings == []


def test_approve_is_refused_while_an_automated_check_fails_listing_the_failures() -> None:
    with pytest.raises(ReviewRefused) as refused:
        first_review(AWAITING_FIRST, "alice", Recommendation.approve, FAILING, [])

    assert refused.value.code == "AUTOMATED_CHECKS_FAILED"
    assert refused.value.conflict
    assert [f.code for f in refused.value.findings] == ["OFFSET_CAP_EXCEEDED"]


def test_approve_with_findings_is_refused_as_contradictory() -> None:
    with pytest.raises(ReviewRefused) as refused:
        first_review(AWAITING_FIRST, "alice", Recommendation.approve, PASSING, [HAND])

    assert refused.value.code == "FINDINGS_ON_APPROVAL"
    assert not refused.value.conflict


def test_reject_carries_the_failing_checks_findings_and_those_added_by_hand() -> None:
    outcome = first_review(AWAITING_FIRST, "alice", Recommendation.reject, FAILING, [HAND])

    assert [f.code for f in outcome.findings] == ["OFFSET_CAP_EXCEEDED", "CONTACT_MISSING"]


def test_a_hand_finding_repeating_an_automated_one_is_listed_once() -> None:
    outcome = first_review(AWAITING_FIRST, "alice", Recommendation.reject, FAILING, [CAP])

    assert [f.code for f in outcome.findings] == ["OFFSET_CAP_EXCEEDED"]


def test_reject_without_any_finding_is_refused() -> None:
    with pytest.raises(ReviewRefused) as refused:
        first_review(AWAITING_FIRST, "alice", Recommendation.reject, PASSING, [])

    assert refused.value.code == "REJECTION_WITHOUT_FINDINGS"


def test_findings_on_items_the_application_does_not_have_are_all_reported() -> None:
    bad = [HAND.model_copy(update={"item": 5}), HAND.model_copy(update={"item": 7})]

    with pytest.raises(ReviewRefused) as refused:
        first_review(AWAITING_FIRST, "alice", Recommendation.reject, PASSING, bad)

    assert [f.field for f in refused.value.findings] == ["findings.0.item", "findings.1.item"]


def test_first_review_needs_a_case_awaiting_first_review() -> None:
    with pytest.raises(ReviewRefused) as refused:
        first_review(awaiting_second(Recommendation.approve), "alice", Recommendation.approve, PASSING, [])

    assert refused.value.code == "CASE_NOT_AWAITING_FIRST_REVIEW"


def test_the_second_reviewer_must_not_be_the_first_reviewer_whatever_roles_they_hold() -> None:
    with pytest.raises(ReviewRefused) as refused:
        second_review(awaiting_second(Recommendation.approve, first="alice"), "alice", Decision.confirm, "")

    assert refused.value.code == "TWO_PERSON_RULE"
    assert refused.value.forbidden and not refused.value.conflict


@pytest.mark.parametrize(
    ("recommendation", "final"),
    [(Recommendation.approve, ReviewStatus.approved), (Recommendation.reject, ReviewStatus.rejected)],
)
def test_confirming_makes_the_recommendation_final(recommendation: Recommendation, final: ReviewStatus) -> None:
    outcome = second_review(awaiting_second(recommendation), "bob", Decision.confirm, "")

    assert outcome.status is final
    assert outcome.final


def test_send_back_returns_the_case_to_first_review_with_the_comment() -> None:
    outcome = second_review(awaiting_second(Recommendation.reject), "bob", Decision.send_back, "  核对抵销量  ")

    assert outcome.status is ReviewStatus.awaiting_first_review
    assert not outcome.final
    assert outcome.comment == "核对抵销量"


def test_send_back_without_a_comment_is_refused() -> None:
    with pytest.raises(ReviewRefused) as refused:
        second_review(awaiting_second(Recommendation.reject), "bob", Decision.send_back, "   ")

    assert refused.value.code == "SEND_BACK_WITHOUT_COMMENT"


def test_a_final_case_takes_no_further_review() -> None:
    done = CaseState(ReviewStatus.approved, 2, Recommendation.approve, "alice")

    with pytest.raises(ReviewRefused) as refused:
        second_review(done, "bob", Decision.confirm, "")

    assert refused.value.code == "CASE_NOT_AWAITING_SECOND_REVIEW"


def test_an_approval_is_not_confirmed_once_a_check_has_started_failing() -> None:
    with pytest.raises(ReviewRefused) as refused:
        second_review(awaiting_second(Recommendation.approve), "bob", Decision.confirm, "", FAILING)

    assert refused.value.code == "AUTOMATED_CHECKS_FAILED"
    assert (
        second_review(awaiting_second(Recommendation.approve), "bob", Decision.send_back, "重新核对", FAILING).status
        is ReviewStatus.awaiting_first_review
    )
