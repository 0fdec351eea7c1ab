"""The handling of units that did not surrender in time, and the province's report to the ministry
(seed 001 二: 有关处理情况于 2022 年 1 月 15 日前报送我部)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.provincial_review.entrypoints.api.deps import BusDep, HandlingReportReader, ProvinceReviewer
from services.provincial_review.entrypoints.api.schemas import (
    HandlingReportOut,
    OverdueHandlingIn,
    OverdueHandlingOut,
    OverdueUnitOut,
)
from services.provincial_review.service_layer.commands import GetHandlingReport, RecordOverdueHandling
from shared.domain_types import ProvinceCode
from shared.timeutil import after_deadline

__all__ = ["router"]

router = APIRouter(prefix="/overdue-handling", tags=["overdue handling"])


@router.get(
    "",
    response_model=HandlingReportOut,
    summary="The report on the handling of the province's overdue units, with its due date — 未按时足额清缴处理情况报告",
    description="Every unit whose notice was not complete by its deadline, with the handling recorded. A province "
    "reads its own report; the national registry's operators read any province's on the ministry's behalf "
    "(`province` required). 409 HANDLING_REPORT_NOT_REQUIRED for a period without such a report.",
)
async def handling_report(
    bus: BusDep,
    principal: HandlingReportReader,
    period_code: Annotated[str, Query(min_length=1, max_length=30, description="compliance period — 履约期")],
    province: Annotated[ProvinceCode | None, Query(description="province — 省份")] = None,
) -> HandlingReportOut:
    report = await bus.handle(GetHandlingReport(period_code=period_code, province=province), principal)
    return HandlingReportOut(
        period_code=report.period_code,
        province=report.province,
        due=report.due,
        past_due=after_deadline(report.due, report.made_at),
        overdue=len(report.units),
        handled=report.handled,
        not_handled=report.not_handled,
        units=[OverdueUnitOut.model_validate(u, from_attributes=True) for u in report.units],
        made_at=report.made_at,
    )


@router.put(
    "/{notice_id}",
    response_model=OverdueHandlingOut,
    summary="Record how an overdue unit was handled — 登记未按时足额清缴单位的处理情况",
    description="Only a unit whose notice was not complete by its deadline (409 UNIT_NOT_OVERDUE); recording again "
    "corrects the record (its revision counts up).",
)
async def record_handling(
    bus: BusDep,
    principal: ProvinceReviewer,
    notice_id: Annotated[str, Path(max_length=60)],
    body: OverdueHandlingIn,
) -> OverdueHandlingOut:
    row = await bus.handle(
        RecordOverdueHandling(notice_id=notice_id, kind=body.kind, description=body.description), principal
    )
    return OverdueHandlingOut.model_validate(row, from_attributes=True)
