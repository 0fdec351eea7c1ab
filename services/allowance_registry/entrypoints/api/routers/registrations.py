"""Offset registrations (抵销登记) and the new registry's cancellation of each."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.allowance_registry.adapters.orm import OffsetRegistration
from services.allowance_registry.entrypoints.api.deps import CSV, BusDep, EnterpriseOrProvince, Page
from services.allowance_registry.entrypoints.api.schemas import CancellationOut, RegistrationOut
from services.allowance_registry.service_layer.commands import ListOffsetRegistrations
from shared.bounds import Id
from shared.listing import Page as PageOf
from shared.listing import respond_list

__all__ = ["router"]

router = APIRouter(prefix="/offset-registrations", tags=["pending offsets"])


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
        serial_ranges=r.serial_ranges,
        registered_at=r.registered_at,
        cancellation=CancellationOut(
            status="confirmed" if r.cancelled_at else "awaiting",
            quantity=r.cancelled_quantity,
            cancelled_at=r.cancelled_at,
            serial_ranges=r.cancel_serial_ranges,
        ),
    )


@router.get(
    "",
    response_model=PageOf[RegistrationOut],
    responses=CSV,
    summary="Offset registrations and their cancellation — 抵销登记",
)
async def list_registrations(
    bus: BusDep,
    principal: EnterpriseOrProvince,
    page: Page,
    request: Request,
    account_id: Id | None = None,
    application_id: Id | None = None,
    lot_id: Id | None = None,
) -> Any:
    command = ListOffsetRegistrations(
        account_id=account_id, application_id=application_id, lot_id=lot_id, limit=page.limit + 1, offset=page.offset
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [registration_out(r) for r in rows[: page.limit]], page, len(rows) > page.limit)
