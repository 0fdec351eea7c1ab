"""Cancellations on offset registration (注销登记): the units of lots the allowance registry registered."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.new_ccer_registry.entrypoints.api.deps import CSV, BusDep, LotReaders, Paging
from services.new_ccer_registry.entrypoints.api.schemas import CancellationOut, cancellation_out
from services.new_ccer_registry.service_layer.commands import ListCancellations
from shared.bounds import Id
from shared.listing import Page, respond_list

router = APIRouter(prefix="/cancellations", tags=["cancellations"])


@router.get(
    "",
    response_model=Page[CancellationOut],
    responses=CSV,
    summary="Cancellations on offset registration — 注销登记记录",
)
async def list_cancellations(
    bus: BusDep,
    principal: LotReaders,
    page: Paging,
    request: Request,
    account_id: Id | None = None,
    lot_id: Id | None = None,
    period_code: Id | None = None,
) -> Any:
    command = ListCancellations(
        account_id=account_id, lot_id=lot_id, period_code=period_code, offset=page.offset, limit=page.limit
    )
    listed = await bus.handle(command, principal)
    return respond_list(request, [cancellation_out(c) for c in listed.items], page, listed.has_more)
