"""REST routes of the provincial review: parse, authorise, call one handler, map the result."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.provincial_review.adapters.orm import ReviewCase, ReviewHistory
from services.provincial_review.domain.review import ReviewStatus
from services.provincial_review.entrypoints.schemas import (
    STATUS_DOC,
    DashboardOut,
    FirstReviewIn,
    HistoryOut,
    ItemOut,
    ReviewOut,
    ReviewPage,
    SecondReviewIn,
)
from services.provincial_review.service_layer import reviews as svc
from shared.auth import Principal, require
from shared.errors import Finding
from shared.listing import PageParams, page_params, respond_list
from shared.timeutil import local
from shared.webapp import RuntimeDep, uow_for

router = APIRouter(tags=["reviews"])

ProvinceRole = Annotated[Principal, Depends(require("province_initiator", "province_confirmer"))]
Initiator = Annotated[Principal, Depends(require("province_initiator"))]
Confirmer = Annotated[Principal, Depends(require("province_confirmer"))]

CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "the page; `Accept: text/csv` gives the same rows as CSV — 列表（可导出 CSV）",
    }
}


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


def review_out(case: ReviewCase, history: list[ReviewHistory]) -> ReviewOut:
    app = case.application
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
            "history": [_history(h) for h in history],
        }
    )


@router.get(
    "/reviews", response_model=ReviewPage, responses=CSV, summary="Review cases of the own province — 本省审核案件"
)
async def list_reviews(
    request: Request,
    runtime: RuntimeDep,
    principal: ProvinceRole,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[ReviewStatus | None, Query(description=STATUS_DOC)] = None,
    application_id: Annotated[str | None, Query(max_length=60)] = None,
    account_id: Annotated[str | None, Query(max_length=60)] = None,
    period_code: Annotated[str | None, Query(max_length=30)] = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        cases = await svc.list_cases(
            uow,
            principal,
            status=status.value if status else None,
            application_id=application_id,
            account_id=account_id,
            period_code=period_code,
            offset=page.offset,
            limit=page.limit + 1,
        )
        shown = cases[: page.limit]
        histories = await svc.history_of(uow, [c.id for c in shown])
        # Mapped inside the unit of work: leaving it rolls the read transaction back, expiring rows.
        rows = [review_out(c, histories[c.id]) for c in shown]
    return respond_list(request, rows, page, has_more=len(cases) > page.limit)


@router.get("/reviews/{case_id}", response_model=ReviewOut, summary="Review case — 审核案件")
async def get_review(case_id: str, runtime: RuntimeDep, principal: ProvinceRole) -> ReviewOut:
    async with runtime.uow(actor=principal.sub) as uow:
        case = await svc.get_case(uow, principal, case_id)
        histories = await svc.history_of(uow, [case.id])
        return review_out(case, histories[case.id])


@router.post(
    "/reviews/{case_id}/first-review",
    response_model=ReviewOut,
    summary="First review by the initiator — 初审（发起管理员）",
)
async def first_review(
    case_id: str,
    body: FirstReviewIn,
    runtime: RuntimeDep,
    principal: Initiator,
    request: Request,
) -> ReviewOut:
    manual = [Finding(code=f.code, message=f.message, message_zh=f.message_zh, item=f.item) for f in body.findings]
    async with uow_for(runtime, principal, request) as uow:
        case = await svc.submit_first_review(uow, principal, case_id, body.recommendation, manual)
        histories = await svc.history_of(uow, [case.id])
        await uow.commit()
    return review_out(case, histories[case.id])


@router.post(
    "/reviews/{case_id}/second-review",
    response_model=ReviewOut,
    summary="Second review by the confirmer, not the first reviewer — 复审（确认管理员，非初审人）",
)
async def second_review(
    case_id: str,
    body: SecondReviewIn,
    runtime: RuntimeDep,
    principal: Confirmer,
    request: Request,
) -> ReviewOut:
    async with uow_for(runtime, principal, request) as uow:
        case = await svc.submit_second_review(uow, principal, case_id, body.decision, body.comment)
        histories = await svc.history_of(uow, [case.id])
        await uow.commit()
    return review_out(case, histories[case.id])


@router.get(
    "/dashboard",
    response_model=DashboardOut,
    tags=["dashboard"],
    summary="Compliance of the own province's units for a period — 本省履约进度",
)
async def dashboard(
    runtime: RuntimeDep,
    principal: ProvinceRole,
    period_code: Annotated[str, Query(min_length=1, max_length=30, description="compliance period — 履约期")],
) -> DashboardOut:
    async with runtime.uow(actor=principal.sub) as uow:
        data = await svc.dashboard(uow, principal, period_code)
    data["units_short"] = [
        {
            "notice_id": r.notice_id,
            "account_id": r.account_id,
            "name": r.name,
            "uscc": r.uscc,
            "obligation": r.obligation,
        }
        for r in data["units_short"]
    ]
    return DashboardOut.model_validate(data)
