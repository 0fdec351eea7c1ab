"""National compliance offsets (全国履约抵销): freezing units into offset lots, and reading lots."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from services.new_ccer_registry.domain.holdings import Origin
from services.new_ccer_registry.entrypoints.api.deps import CSV, BusDep, Enterprise, LotReaders, Paging
from services.new_ccer_registry.entrypoints.api.schemas import (
    LOT_STATUS_DESC,
    OffsetLotCreatedOut,
    OffsetLotIn,
    OffsetLotOut,
    lot_created_out,
    lot_out,
)
from services.new_ccer_registry.service_layer.commands import FreezeLot, GetLot, ListLots
from shared.bounds import Id
from shared.listing import Page, respond_list

router = APIRouter(prefix="/offset-lots", tags=["offset lots"])


@router.post(
    "",
    status_code=201,
    response_model=OffsetLotCreatedOut,
    summary="National compliance offset: freeze units into a lot — 全国履约抵销（冻结）",
    description="Freezes exactly `quantity` available units of the project (lowest serials first) in the "
    "caller's bound account and sends the lot to the allowance registry, where it becomes a pending "
    "offset. Refusals: ACCOUNT_NOT_BOUND (409), INSUFFICIENT_AVAILABLE (409), ACCOUNT_NOT_ACTIVE (409), "
    "PROJECT_NOT_FOUND (422); an account that is not the caller's answers 404. — 冻结已绑定账户中该项目的"
    "可用减排量（序列号由小到大），并同步至配额注登系统（待抵销）。",
)
async def freeze(body: OffsetLotIn, bus: BusDep, principal: Enterprise) -> OffsetLotCreatedOut:
    command = FreezeLot(
        account_id=body.account_id,
        project_number=body.project_number,
        origin=Origin(body.origin),
        quantity=body.quantity,
        vintage=body.vintage,
    )
    return lot_created_out(await bus.handle(command, principal))


@router.get("", response_model=Page[OffsetLotOut], responses=CSV, summary="Offset lots — 抵销批次列表")
async def list_lots(
    bus: BusDep,
    principal: LotReaders,
    page: Paging,
    request: Request,
    account_id: Id | None = None,
    status: Annotated[Literal["frozen", "settled"] | None, Query(description=LOT_STATUS_DESC)] = None,
) -> Any:
    command = ListLots(account_id=account_id, status=status, offset=page.offset, limit=page.limit)
    listed = await bus.handle(command, principal)
    return respond_list(request, [lot_out(v) for v in listed.items], page, listed.has_more)


@router.get("/{lot_id}", response_model=OffsetLotOut, summary="An offset lot — 抵销批次")
async def get_lot(lot_id: Id, bus: BusDep, principal: LotReaders) -> OffsetLotOut:
    return lot_out(await bus.handle(GetLot(lot_id=lot_id), principal))
