"""The two review steps of a case (初审, 复审). The domain decides (``domain/review.py``); the
handler loads the case in the caller's scope, recomputes its checks, moves it with a guarded
update, records the history and, when the decision is final, tells the allowance registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.provincial_review.adapters.orm import ReviewCase
from services.provincial_review.domain.review import (
    CaseState,
    Recommendation,
    ReviewStatus,
    SecondReview,
    first_review,
    second_review,
)
from services.provincial_review.service_layer.commands import SubmitFirstReview, SubmitSecondReview
from services.provincial_review.service_layer.facts import current_checks, dump, failing, submitted
from services.provincial_review.service_layer.queries import scope_of, view_of
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from services.provincial_review.service_layer.views import CaseView
from shared.errors import Conflict
from shared.events.contracts import ApplicationApprovedV1, ApplicationRejectedV1, ReviewFinding
from shared.principal import Principal

__all__ = ["submit_first_review", "submit_second_review"]


def _state(case: ReviewCase) -> CaseState:
    return CaseState(
        status=ReviewStatus(case.status),
        item_count=len(case.application.get("items", [])),
        recommendation=Recommendation(case.recommendation) if case.recommendation else None,
        first_reviewer=case.first_reviewer,
    )


def _changed_meanwhile(case: ReviewCase) -> Conflict:
    return Conflict(
        "CASE_CHANGED",
        f"review case {case.id} was changed by someone else meanwhile; reload it",
        f"审核案件 {case.id} 已被他人处理，请刷新后重试",
    )


async def submit_first_review(uow: ReviewUnitOfWork, cmd: SubmitFirstReview, principal: Principal) -> CaseView:
    """初审: the initiator recommends approve or reject, against checks recomputed right now."""
    case = await uow.cases.get(cmd.case_id, scope_of(principal))
    checks = await current_checks(uow, submitted(case))
    outcome = first_review(_state(case), principal.sub, cmd.recommendation, checks, list(cmd.findings))
    now = uow.now()
    findings = [f.model_dump(mode="json", exclude={"field"}) for f in outcome.findings]
    moved = await uow.cases.transition(
        case,
        ReviewStatus.awaiting_first_review,
        status=outcome.status.value,
        recommendation=outcome.recommendation.value,
        findings=findings,
        first_reviewer=principal.sub,
        first_reviewed_at=now,
        second_reviewer=None,
        checks=dump(checks),
        checks_at=now,
    )
    if not moved:
        raise _changed_meanwhile(case)
    uow.history.add(
        case.id,
        at=now,
        action="first_review",
        actor=principal.sub,
        status=outcome.status.value,
        role=principal.role,
        recommendation=outcome.recommendation.value,
        findings=findings,
        failing_checks=failing(checks),
    )
    uow.audit(
        "first_review",
        "review_case",
        case.id,
        recommendation=outcome.recommendation.value,
        findings=[f["code"] for f in findings],
    )
    return await view_of(uow, case)


async def submit_second_review(uow: ReviewUnitOfWork, cmd: SubmitSecondReview, principal: Principal) -> CaseView:
    """复审: the confirmer (never the first reviewer) confirms — final, the decision goes to the
    allowance registry — or sends the case back to first review with a comment."""
    case = await uow.cases.get(cmd.case_id, scope_of(principal))
    checks = await current_checks(uow, submitted(case)) if case.recommendation == Recommendation.approve else []
    outcome = second_review(_state(case), principal.sub, cmd.decision, cmd.comment, checks)
    now = uow.now()
    previous = {"recommendation": case.recommendation, "findings": case.findings, "first_reviewer": case.first_reviewer}
    if outcome.final:
        values: dict[str, Any] = {"status": outcome.status.value, "second_reviewer": principal.sub, "decided_at": now}
    else:
        values = {
            "status": outcome.status.value,
            "recommendation": None,
            "findings": [],
            "first_reviewer": None,
            "first_reviewed_at": None,
            "second_reviewer": None,
        }
    if not await uow.cases.transition(case, ReviewStatus.awaiting_second_review, **values):
        raise _changed_meanwhile(case)
    uow.history.add(
        case.id,
        at=now,
        action="second_review",
        actor=principal.sub,
        status=outcome.status.value,
        comment=outcome.comment or None,
        role=principal.role,
        decision=cmd.decision.value,
        **previous,
    )
    uow.audit(
        "second_review",
        "review_case",
        case.id,
        decision=cmd.decision.value,
        status=outcome.status.value,
        comment=outcome.comment,
    )
    _announce_decision(uow, case, outcome, previous, now)
    return await view_of(uow, case)


def _announce_decision(
    uow: ReviewUnitOfWork, case: ReviewCase, outcome: SecondReview, previous: dict[str, Any], now: datetime
) -> None:
    """A final decision goes to the allowance registry; a case sent back tells nobody yet."""
    if outcome.status is ReviewStatus.approved:
        uow.emit(
            ApplicationApprovedV1(
                application_id=case.application_id,
                revision=case.revision,
                case_id=case.id,
                first_reviewer=previous["first_reviewer"] or "",
                second_reviewer=outcome.reviewer,
                decided_at=now,
            ),
            correlation_id=case.application_id,
        )
    elif outcome.status is ReviewStatus.rejected:
        # 一次性告知: every finding of the recommendation travels in the one rejection.
        uow.emit(
            ApplicationRejectedV1(
                application_id=case.application_id,
                revision=case.revision,
                case_id=case.id,
                findings=[ReviewFinding.model_validate(f) for f in previous["findings"]],
                decided_at=now,
            ),
            correlation_id=case.application_id,
        )
