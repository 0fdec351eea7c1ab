"""A period's compliance monitoring (seed 001 二): units complete by the 95% date and by the deadline,
and the units that did not surrender in full on time (未按时足额清缴)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.allowance_registry.domain.monitoring import UnitProgress
from services.allowance_registry.domain.periods import CODE_PATTERN
from services.allowance_registry.entrypoints.api.deps import BusDep, ProvinceOrRegistry
from services.allowance_registry.entrypoints.api.schemas import ComplianceStatsOut, UnitShortOut
from services.allowance_registry.service_layer.commands import GetComplianceStats
from services.allowance_registry.service_layer.views import ComplianceStatsView
from shared.domain_types import ProvinceCode

__all__ = ["router"]

router = APIRouter(prefix="/compliance-stats", tags=["compliance stats"])

CSV_STATS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "the stats; `Accept: text/csv` gives units_short as CSV rows, the counts and shares in "
        "X-Compliance-* headers — 履约统计（可导出 CSV：未按时足额清缴的单位）",
    }
}


def unit_short_out(u: UnitProgress) -> UnitShortOut:
    return UnitShortOut(
        notice_id=u.notice_id,
        account_id=u.account_id,
        name=u.name,
        uscc=u.uscc,
        province=u.province,
        obligation=u.obligation,
        fulfilled=u.fulfilled,
        under_review=u.under_review,
        overdue=u.overdue_at is not None,
        overdue_at=u.overdue_at,
    )


def stats_out(view: ComplianceStatsView) -> ComplianceStatsOut:
    s = view.stats
    return ComplianceStatsOut(
        period_code=view.period_code,
        province=view.province,
        as_of=view.as_of,
        final=s.final,
        deadline=s.deadline,
        target_date=s.target_date,
        target_share=s.target_share,
        target_met=s.target_met,
        units=s.units,
        complete=s.complete,
        share_complete=s.share_complete,
        complete_by_target_date=s.complete_by_target_date,
        share_complete_by_target_date=s.share_complete_by_target_date,
        overdue=s.overdue,
        units_short=[unit_short_out(u) for u in s.units_short],
    )


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _csv(out: ComplianceStatsOut) -> Response:
    """units_short as rows (header included when none is short); the counts and shares as headers."""
    rows = io.StringIO()
    writer = csv.DictWriter(rows, fieldnames=list(UnitShortOut.model_fields))
    writer.writeheader()
    for unit in out.units_short:
        writer.writerow({k: _cell(v) for k, v in unit.model_dump(mode="json").items()})
    summary = out.model_dump(mode="json", exclude={"units_short"})
    headers = {"X-Compliance-" + k.replace("_", "-").title(): _cell(v) for k, v in summary.items()}
    return Response(rows.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "",
    response_model=ComplianceStatsOut,
    responses=CSV_STATS,
    summary="Compliance of a period's units, by the 95% date and the deadline — 履约进度统计",
)
async def compliance_stats(
    bus: BusDep,
    principal: ProvinceOrRegistry,
    request: Request,
    period_code: Annotated[
        str, Query(max_length=40, pattern=CODE_PATTERN, description="compliance period — 履约期, e.g. 2019-2020")
    ],
    province: Annotated[
        ProvinceCode | None, Query(description="province (a province sees its own only; omitted: all) — 省份")
    ] = None,
) -> Any:
    view = await bus.handle(GetComplianceStats(period_code=period_code, province=province), principal)
    out = stats_out(view)
    return _csv(out) if "text/csv" in request.headers.get("accept", "") else out
