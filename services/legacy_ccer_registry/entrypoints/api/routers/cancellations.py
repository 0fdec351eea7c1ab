"""Voluntary cancellations (自愿注销) and their records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.legacy_ccer_registry.adapters.orm import Cancellation
from services.legacy_ccer_registry.domain.holdings import Purpose
from services.legacy_ccer_registry.entrypoints.api.deps import CSV, BusDep, Enterprise, IdPath, Page, RecordReader
from services.legacy_ccer_registry.entrypoints.api.schemas import (
    PURPOSE_DESC,
    CancellationIn,
    CancellationOut,
    CancellationPage,
    RecordedRangeOut,
)
from services.legacy_ccer_registry.service_layer.commands import CancelUnits, GetCancellation, ListCancellations
from shared.domain_types import Holder
from shared.listing import respond_list
from shared.timeutil import local

__all__ = ["cancellation_out", "router"]

router = APIRouter(prefix="/cancellations", tags=["cancellations"])


def cancellation_out(c: Cancellation) -> CancellationOut:
    return CancellationOut(
        id=c.id,
        cancellation_id=c.id,
        account_id=c.account_id,
        holder=Holder(name=c.holder_name, uscc=c.holder_uscc),
        province=c.province,
        project_number=c.project_number,
        quantity=c.quantity,
        purpose=c.purpose,
        serial_ranges=[(a, b) for a, b in c.serial_ranges],
        recorded_ranges=[RecordedRangeOut.model_validate(r) for r in c.recorded_ranges],
        units_recorded_at=c.units_recorded_at,
        synced=c.synced,
        claimed=c.claimed,
        in_transit=c.in_transit,
        unsynced=c.quantity - c.synced - c.claimed,
        cancelled_at=local(c.cancelled_at),
    )


@router.post(
    "",
    status_code=201,
    response_model=CancellationOut,
    summary="Voluntary cancellation from the general holding account — 自愿注销",
)
async def cancel(body: CancellationIn, bus: BusDep, principal: Enterprise) -> CancellationOut:
    command = CancelUnits(
        account_id=body.account_id,
        project_number=body.project_number,
        quantity=body.quantity,
        purpose=Purpose(body.purpose),
    )
    return cancellation_out(await bus.handle(command, principal))


@router.get("", response_model=CancellationPage, responses=CSV, summary="Cancellation records in scope — 注销记录")
async def list_cancellations(
    request: Request,
    bus: BusDep,
    principal: RecordReader,
    page: Page,
    account_id: Annotated[str | None, Query(max_length=40)] = None,
    purpose: Annotated[Purpose | None, Query(description=PURPOSE_DESC)] = None,
) -> Any:
    command = ListCancellations(account_id=account_id, purpose=purpose, offset=page.offset, limit=page.limit)
    found = await bus.handle(command, principal)
    return respond_list(request, [cancellation_out(c) for c in found.cancellations], page, has_more=found.has_more)


@router.get("/{cancellation_id}", response_model=CancellationOut, summary="Cancellation record — 注销记录")
async def get_cancellation(cancellation_id: IdPath, bus: BusDep, principal: RecordReader) -> CancellationOut:
    return cancellation_out(await bus.handle(GetCancellation(cancellation_id=cancellation_id), principal))
