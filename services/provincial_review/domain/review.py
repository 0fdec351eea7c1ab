"""The review case's state machine (domain.md §9, seed 002: 省级发起管理员初审，省级确认管理员复审).

    awaiting_first_review --first review--> awaiting_second_review
    awaiting_second_review --confirm--> approved | rejected   (final; what the first review recommended)
    awaiting_second_review --send_back--> awaiting_first_review

The rules live here, not in routes: approve is impossible while an automated check fails; a
rejection carries at least one finding (the failing checks' plus the reviewer's own); the second
reviewer is never the person (``sub``) who made the recommendation, whatever roles they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.provincial_review.domain.checks import Check, failing_findings
from shared.errors import Conflict, DomainError, ErrorKind, Forbidden, Invalid
from shared.findings import Finding, two_person_rule

__all__ = [
    "CaseState",
    "Decision",
    "FirstReview",
    "Recommendation",
    "ReviewConflict",
    "ReviewForbidden",
    "ReviewInvalid",
    "ReviewRefused",
    "ReviewStatus",
    "SecondReview",
    "first_review",
    "second_review",
]


class ReviewStatus(StrEnum):
    """awaiting_first_review — 待初审; awaiting_second_review — 待复审; approved — 审核通过;
    rejected — 审核不通过"""

    awaiting_first_review = "awaiting_first_review"
    awaiting_second_review = "awaiting_second_review"
    approved = "approved"
    rejected = "rejected"


class Recommendation(StrEnum):
    """approve — 建议通过; reject — 建议不通过"""

    approve = "approve"
    reject = "reject"


class Decision(StrEnum):
    """confirm — 确认初审意见（终审）; send_back — 退回初审"""

    confirm = "confirm"
    send_back = "send_back"


class ReviewRefused(DomainError):
    """A review step the domain does not allow, with every reason in ``findings``. Raised as one of
    its kinds: :class:`ReviewForbidden` for this person (the two-person rule), :class:`ReviewConflict`
    for the case's state, :class:`ReviewInvalid` for the reviewer's input."""

    @property
    def conflict(self) -> bool:
        return self.kind is ErrorKind.conflict

    @property
    def forbidden(self) -> bool:
        return self.kind is ErrorKind.forbidden


class ReviewInvalid(ReviewRefused, Invalid):
    """The reviewer's input is wrong (the same input is always refused)."""


class ReviewConflict(ReviewRefused, Conflict):
    """The case's state (or its checks) does not allow the step now."""


class ReviewForbidden(ReviewRefused, Forbidden):
    """This person may not take the step (two-person rule)."""


@dataclass(frozen=True)
class CaseState:
    status: ReviewStatus
    item_count: int
    recommendation: Recommendation | None = None
    first_reviewer: str | None = None


@dataclass(frozen=True)
class FirstReview:
    status: ReviewStatus
    recommendation: Recommendation
    findings: list[Finding]
    reviewer: str


@dataclass(frozen=True)
class SecondReview:
    status: ReviewStatus
    decision: Decision
    final: bool
    reviewer: str
    comment: str


def _require_status(case: CaseState, expected: ReviewStatus, step: str, step_zh: str) -> None:
    if case.status != expected:
        raise ReviewConflict(
            f"CASE_NOT_{expected.upper()}",
            f"the case is {case.status}; {step} needs it {expected}",
            f"案件当前状态为 {case.status}，{step_zh}需处于 {expected}",
        )


def _item_problems(findings: Sequence[Finding], item_count: int) -> list[Finding]:
    return [
        Finding(
            code="FINDING_ITEM_OUT_OF_RANGE",
            message=f"finding {n} ({f.code}) refers to item {f.item}; the application has items 0-{item_count - 1}",
            message_zh=f"第 {n} 条意见（{f.code}）引用的第 {f.item} 项不存在（申请共 {item_count} 项）",
            field=f"findings.{n}.item",
        )
        for n, f in enumerate(findings)
        if f.item is not None and not 0 <= f.item < item_count
    ]


def first_review(
    case: CaseState, reviewer: str, recommendation: Recommendation, checks: Sequence[Check], manual: Sequence[Finding]
) -> FirstReview:
    """The initiator's recommendation. ``checks`` must be current (recomputed for this step)."""
    _require_status(case, ReviewStatus.awaiting_first_review, "a first review", "初审")
    problems = _item_problems(manual, case.item_count)
    if problems:
        raise ReviewInvalid(
            "INVALID_FINDINGS",
            f"{len(problems)} finding(s) refer to no item of the application",
            "审核意见引用了不存在的申请项",
            findings=problems,
        )
    automated = failing_findings(checks)
    if recommendation is Recommendation.approve:
        if automated:
            failing = ", ".join(c.code for c in checks if not c.passed)
            raise ReviewConflict(
                "AUTOMATED_CHECKS_FAILED",
                f"approval cannot be recommended while automated checks fail: {failing}",
                f"自动核对未通过（{failing}），不能建议审核通过",
                findings=automated,
            )
        if manual:
            raise ReviewInvalid(
                "FINDINGS_ON_APPROVAL",
                "findings are non-conformities; an approval carries none (recommend reject instead)",
                "审核意见为不符合事项，建议通过时不得附带（如有不符合事项请建议不通过）",
            )
        return FirstReview(ReviewStatus.awaiting_second_review, recommendation, [], reviewer)
    seen = {(f.code, f.item) for f in automated}
    findings = list(automated) + [f.model_copy(update={"field": None}) for f in manual if (f.code, f.item) not in seen]
    if not findings:
        raise ReviewInvalid(
            "REJECTION_WITHOUT_FINDINGS",
            "a rejection needs at least one finding: every automated check passed, so add the non-conformities found",
            "建议不通过须至少列明一项不符合事项：自动核对均已通过，请补充人工审核发现的问题",
        )
    return FirstReview(ReviewStatus.awaiting_second_review, recommendation, findings, reviewer)


def second_review(
    case: CaseState, reviewer: str, decision: Decision, comment: str, checks: Sequence[Check] = ()
) -> SecondReview:
    """The confirmer's decision; two-person rule on ``sub``, whatever roles the reviewer holds.
    ``checks`` are recomputed for this step: an approval is not confirmed if a check has started
    failing since the first review (e.g. a re-issued notice); the confirmer sends it back instead."""
    _require_status(case, ReviewStatus.awaiting_second_review, "a second review", "复审")
    same_person = two_person_rule(case.first_reviewer, reviewer, "did the first review", "完成初审")
    if same_person is not None:
        raise ReviewForbidden(same_person.code, same_person.message, same_person.message_zh, findings=[same_person])
    comment = comment.strip()
    if decision is Decision.send_back:
        if not comment:
            raise ReviewInvalid(
                "SEND_BACK_WITHOUT_COMMENT",
                "sending a case back needs a comment for the first reviewer",
                "退回初审须填写退回意见",
            )
        return SecondReview(ReviewStatus.awaiting_first_review, decision, False, reviewer, comment)
    if case.recommendation is None:  # unreachable through first_review; kept as a guard
        raise ReviewConflict("NO_RECOMMENDATION", "the case has no first-review recommendation", "案件无初审意见")
    if case.recommendation is Recommendation.approve:
        automated = failing_findings(checks)
        if automated:
            failing = ", ".join(c.code for c in checks if not c.passed)
            raise ReviewConflict(
                "AUTOMATED_CHECKS_FAILED",
                f"automated checks fail since the first review ({failing}); send the case back instead of confirming",
                f"初审后自动核对出现未通过项（{failing}），不能确认通过，请退回初审",
                findings=automated,
            )
    final = ReviewStatus.approved if case.recommendation is Recommendation.approve else ReviewStatus.rejected
    return SecondReview(final, decision, True, reviewer, comment)
