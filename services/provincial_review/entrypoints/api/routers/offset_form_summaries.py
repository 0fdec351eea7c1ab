"""The weekly summaries of the offset forms for NCSC (seed 001 第四步): every form received or decided in
the week, with its status, made every Friday 17:00."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.provincial_review.adapters.orm import OffsetFormSummary
from services.provincial_review.entrypoints.api.deps import CSV, BusDep, Page, SummaryReader
from services.provincial_review.entrypoints.api.schemas import FormSummaryOut, FormSummaryPage
from services.provincial_review.service_layer.commands import ListFormSummaries
from shared.bounds import Day
from shared.domain_types import ProvinceCode
from shared.listing import respond_list
from shared.timeutil import local

__all__ = ["router", "summary_out"]

router = APIRouter(prefix="/offset-form-summaries", tags=["offset form summaries"])


def summary_out(row: OffsetFormSummary) -> FormSummaryOut:
    return FormSummaryOut.model_validate(
        {
            "id": row.id,
            "province": row.province,
            "period_code": row.period_code,
            "week_ending": row.week_ending,
            "covers_from": local(row.covers_from),
            "covers_until": local(row.covers_until),
            "forms": row.forms,
            "requested_total": row.requested_total,
            "confirmed_total": row.confirmed_total,
            "items": row.items,
            "made_at": local(row.made_at),
        }
    )


@router.get(
    "",
    response_model=FormSummaryPage,
    responses=CSV,
    summary="Weekly summaries of the forms received or decided, with their status: a province its own, NCSC all — 申请表周汇总",
)
async def list_summaries(
    request: Request,
    bus: BusDep,
    principal: SummaryReader,
    page: Page,
    province: Annotated[ProvinceCode | None, Query(description="province — 省份")] = None,
    period_code: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
    week_ending: Annotated[Day | None, Query(description="the Friday — 汇总周（周五）")] = None,
) -> Any:
    command = ListFormSummaries(
        province=province, period_code=period_code, week_ending=week_ending, offset=page.offset, limit=page.limit
    )
    found = await bus.handle(command, principal)
    return respond_list(request, [summary_out(s) for s in found.summaries], page, has_more=found.has_more)
