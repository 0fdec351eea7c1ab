"""Pending offsets (待抵销): lots frozen in the new registry, as the allowance registry holds them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import PendingOffset
from services.allowance_registry.domain.offsets import LotBalance, PendingStatus
from services.allowance_registry.entrypoints.api.deps import CSV, BusDep, EnterpriseOrProvince, Page
from services.allowance_registry.entrypoints.api.schemas import PendingOffsetOut
from services.allowance_registry.service_layer.commands import ListPendingOffsets
from shared.bounds import Id
from shared.listing import Page as PageOf
from shared.listing import respond_list

__all__ = ["router"]

router = APIRouter(prefix="/pending-offsets", tags=["pending offsets"])


def pending_out(p: PendingOffset) -> PendingOffsetOut:
    return PendingOffsetOut(
        lot_id=p.lot_id,
        account_id=p.account_id,
        registry_account_id=p.registry_account_id,
        project=p.project,
        origin=p.origin,
        vintage=p.vintage,
        units_recorded_at=p.units_recorded_at,
        quantity=p.quantity,
        reserved=p.reserved,
        registered=p.registered,
        recalled=p.recalled,
        available=LotBalance(p.quantity, p.reserved, p.registered, p.recalled).available,
        cancelled=p.cancelled,
        released=p.released,
        status=p.status,
        serial_ranges=p.serial_ranges,
        frozen_at=p.frozen_at,
        recall_due_at=p.recall_due_at,
    )


@router.get("", response_model=PageOf[PendingOffsetOut], responses=CSV, summary="Pending offsets — 待抵销 CCER")
async def list_pending_offsets(
    bus: BusDep,
    principal: EnterpriseOrProvince,
    page: Page,
    request: Request,
    account_id: Id | None = None,
    status: Annotated[
        PendingStatus | None, Query(description="pending — 待抵销; offset — 已抵销; recalled — 已召回")
    ] = None,
) -> Any:
    command = ListPendingOffsets(
        account_id=account_id, status=status.value if status else None, limit=page.limit + 1, offset=page.offset
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [pending_out(p) for p in rows[: page.limit]], page, len(rows) > page.limit)
