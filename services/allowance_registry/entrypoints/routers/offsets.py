"""Pending offsets (待抵销) and offset registrations (抵销登记)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import OffsetRegistration, PendingOffset
from services.allowance_registry.domain.offsets import LotBalance, PendingStatus
from services.allowance_registry.entrypoints.deps import CSV, HolderOrProvince, Page
from services.allowance_registry.entrypoints.schemas import CancellationOut, PendingOffsetOut, RegistrationOut
from services.allowance_registry.service_layer import offsets as svc
from shared.listing import Page as PageOf
from shared.listing import respond_list
from shared.webapp import RuntimeDep

router = APIRouter(tags=["pending offsets"])


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


def registration_out(r: OffsetRegistration) -> RegistrationOut:
    return RegistrationOut(
        registration_id=r.id,
        application_id=r.application_id,
        revision=r.revision,
        notice_id=r.notice_id,
        period_code=r.period_code,
        account_id=r.account_id,
        lot_id=r.lot_id,
        project=r.project,
        origin=r.origin,
        quantity=r.quantity,
        registered_at=r.registered_at,
        cancellation=CancellationOut(
            status="confirmed" if r.cancelled_at else "awaiting",
            quantity=r.cancelled_quantity,
            cancelled_at=r.cancelled_at,
            serial_ranges=r.cancel_serial_ranges,
        ),
    )


@router.get(
    "/pending-offsets", response_model=PageOf[PendingOffsetOut], responses=CSV, summary="Pending offsets — 待抵销 CCER"
)
async def list_pending_offsets(
    runtime: RuntimeDep,
    principal: HolderOrProvince,
    page: Page,
    request: Request,
    account_id: str | None = None,
    status: Annotated[
        PendingStatus | None, Query(description="pending — 待抵销; offset — 已抵销; recalled — 已召回")
    ] = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        rows = await svc.list_pending_offsets(
            uow,
            principal,
            account_id=account_id,
            status=status.value if status else None,
            limit=page.limit + 1,
            offset=page.offset,
        )
        return respond_list(request, [pending_out(p) for p in rows[: page.limit]], page, len(rows) > page.limit)


@router.get(
    "/offset-registrations",
    response_model=PageOf[RegistrationOut],
    responses=CSV,
    summary="Offset registrations and their cancellation — 抵销登记",
)
async def list_registrations(
    runtime: RuntimeDep,
    principal: HolderOrProvince,
    page: Page,
    request: Request,
    account_id: str | None = None,
    application_id: str | None = None,
    lot_id: str | None = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        rows = await svc.list_registrations(
            uow,
            principal,
            account_id=account_id,
            application_id=application_id,
            lot_id=lot_id,
            limit=page.limit + 1,
            offset=page.offset,
        )
        return respond_list(request, [registration_out(r) for r in rows[: page.limit]], page, len(rows) > page.limit)
