"""The province's compliance dashboard (履约进度)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.provincial_review.entrypoints.api.deps import BusDep, ProvinceReviewer
from services.provincial_review.entrypoints.api.schemas import DashboardOut, UnitShortOut
from services.provincial_review.service_layer.commands import GetDashboard

__all__ = ["router"]

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get(
    "", response_model=DashboardOut, summary="Compliance of the own province's units for a period — 本省履约进度"
)
async def dashboard(
    bus: BusDep,
    principal: ProvinceReviewer,
    period_code: Annotated[str, Query(min_length=1, max_length=30, description="compliance period — 履约期")],
) -> DashboardOut:
    board = await bus.handle(GetDashboard(period_code=period_code), principal)
    return DashboardOut(
        period_code=board.period_code,
        province=board.province,
        units=board.units,
        complete=board.complete,
        share_complete=board.share_complete,
        units_short=[
            UnitShortOut(
                notice_id=u.notice_id, account_id=u.account_id, name=u.name, uscc=u.uscc, obligation=u.obligation
            )
            for u in board.units_short
        ],
        reviews=dict(board.reviews),
    )
