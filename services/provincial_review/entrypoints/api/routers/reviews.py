"""Review cases (审核案件): the province's own cases, the first review (初审) and the second (复审)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.provincial_review.adapters.orm import ReviewHistory
from services.provincial_review.domain.review import ReviewStatus
from services.provincial_review.entrypoints.api.deps import (
    CSV,
    BusDep,
    Page,
    ProvinceConfirmer,
    ProvinceInitiator,
    ProvinceReviewer,
)
from services.provincial_review.entrypoints.api.schemas import (
    STATUS_DOC,
    FirstReviewIn,
    HistoryOut,
    ItemOut,
    ReviewOut,
    ReviewPage,
    SecondReviewIn,
)
from services.provincial_review.service_layer.commands import (
    GetCase,
    ListCases,
    SubmitFirstReview,
    SubmitSecondReview,
)
from services.provincial_review.service_layer.views import CaseView
from shared.bounds import Id
from shared.errors import Finding
from shared.listing import respond_list
from shared.timeutil import local

__all__ = ["review_out", "router"]

router = APIRouter(prefix="/reviews", tags=["reviews"])


def _items(application: dict[str, Any]) -> list[ItemOut]:
    return [ItemOut.model_validate({**item, "index": i}) for i, item in enumerate(application.get("items", []))]


def _history(row: ReviewHistory) -> HistoryOut:
    return HistoryOut(
        at=local(row.at),
        action=row.action,
        actor=row.actor,
        status=ReviewStatus(row.status),
        comment=row.comment,
        detail=row.detail,
    )


def review_out(view: CaseView) -> ReviewOut:
    case, app = view.case, view.case.application
    return ReviewOut.model_validate(
        {
            "id": case.id,
            "application_id": case.application_id,
            "revision": case.revision,
            "account": app["account"],
            "period": app["period"],
            "notice": app["notice"],
            "items": _items(app),
            "checks": case.checks,
            "checks_at": local(case.checks_at),
            "status": case.status,
            "recommendation": case.recommendation,
            "findings": case.findings,
            "first_reviewer": case.first_reviewer,
            "first_reviewed_at": local(case.first_reviewed_at) if case.first_reviewed_at else None,
            "second_reviewer": case.second_reviewer,
            "submitted_at": local(case.submitted_at),
            "opened_at": local(case.opened_at),
            "decided_at": local(case.decided_at) if case.decided_at else None,
            "history": [_history(h) for h in view.history],
        }
    )


@router.get("", response_model=ReviewPage, responses=CSV, summary="Review cases of the own province — 本省审核案件")
async def list_reviews(
    request: Request,
    bus: BusDep,
    principal: ProvinceReviewer,
    page: Page,
    status: Annotated[ReviewStatus | None, Query(description=STATUS_DOC)] = None,
    application_id: Annotated[str | None, Query(max_length=60)] = None,
    account_id: Annotated[str | None, Query(max_length=60)] = None,
    period_code: Annotated[str | None, Query(max_length=30)] = None,
) -> Any:
    command = ListCases(
        status=status,
        application_id=application_id,
        account_id=account_id,
        period_code=period_code,
        offset=page.offset,
        limit=page.limit,
    )
    found = await bus.handle(command, principal)
    return respond_list(request, [review_out(v) for v in found.cases], page, has_more=found.has_more)


@router.get("/{case_id}", response_model=ReviewOut, summary="Review case — 审核案件")
async def get_review(case_id: Id, bus: BusDep, principal: ProvinceReviewer) -> ReviewOut:
    return review_out(await bus.handle(GetCase(case_id=case_id), principal))


@router.post(
    "/{case_id}/first-review",
    response_model=ReviewOut,
    summary="First review by the initiator — 初审（发起管理员）",
)
async def first_review(case_id: Id, body: FirstReviewIn, bus: BusDep, principal: ProvinceInitiator) -> ReviewOut:
    manual = tuple(Finding(code=f.code, message=f.message, message_zh=f.message_zh, item=f.item) for f in body.findings)
    command = SubmitFirstReview(case_id=case_id, recommendation=body.recommendation, findings=manual)
    return review_out(await bus.handle(command, principal))


@router.post(
    "/{case_id}/second-review",
    response_model=ReviewOut,
    summary="Second review by the confirmer, not the first reviewer — 复审（确认管理员，非初审人）",
)
async def second_review(case_id: Id, body: SecondReviewIn, bus: BusDep, principal: ProvinceConfirmer) -> ReviewOut:
    command = SubmitSecondReview(case_id=case_id, decision=body.decision, comment=body.comment)
    return review_out(await bus.handle(command, principal))
