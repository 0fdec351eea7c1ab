"""Offset registrations (抵销登记): of pending-offset lots, with the new registry's cancellation of each,
and of generated offset CCER of the first period (seed 001 第七步, queried as in 第八步)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import OffsetRegistration
from services.allowance_registry.entrypoints.api.deps import CSV, BusDep, EnterpriseProvinceOrRegistry, Page
from services.allowance_registry.entrypoints.api.schemas import (
    CancellationOut,
    Instrument,
    PeriodCode,
    RegistrationKind,
    RegistrationOut,
    SourceCancellationOut,
)
from services.allowance_registry.service_layer.commands import ListOffsetRegistrations
from shared.bounds import Id
from shared.listing import Page as PageOf
from shared.listing import respond_list

__all__ = ["router"]

router = APIRouter(prefix="/offset-registrations", tags=["pending offsets"])


def registration_out(r: OffsetRegistration) -> RegistrationOut:
    first_period = r.kind == RegistrationKind.offset_ccer
    return RegistrationOut(
        registration_id=r.id,
        kind=RegistrationKind(r.kind),
        application_id=r.application_id,
        revision=r.revision,
        notice_id=r.notice_id,
        period_code=r.period_code,
        account_id=r.account_id,
        province=r.province,
        lot_id=r.lot_id,
        instrument=r.instrument,
        project=r.project,
        origin=r.origin,
        quantity=r.quantity,
        serial_ranges=r.serial_ranges,
        registered_at=r.registered_at,
        cancellation=CancellationOut(
            status="confirmed" if r.cancelled_at or first_period else "awaiting",
            quantity=r.cancelled_quantity,
            cancelled_at=r.cancelled_at,
            serial_ranges=r.cancel_serial_ranges,
        ),
        source=SourceCancellationOut(
            offset_ccer_request_id=r.offset_ccer_request_id,
            cancellation_id=r.cancellation_id,
            quantity=r.source_quantity,
            serial_ranges=r.source_serial_ranges,
        )
        if first_period
        else None,
    )


@router.get(
    "",
    response_model=PageOf[RegistrationOut],
    responses=CSV,
    summary="Offset registrations (lots and first-period offset CCER) — 抵销登记 / CCER 抵销配额清缴登记",
)
async def list_registrations(
    bus: BusDep,
    principal: EnterpriseProvinceOrRegistry,
    page: Page,
    request: Request,
    account_id: Id | None = None,
    application_id: Id | None = None,
    lot_id: Id | None = None,
    kind: Annotated[RegistrationKind | None, Query(description=RegistrationKind.__doc__)] = None,
    instrument: Annotated[Instrument | None, Query(description="generated offset CCER, e.g. CCER21000001")] = None,
    period_code: Annotated[PeriodCode | None, Query(description="compliance period — 履约期")] = None,
) -> Any:
    command = ListOffsetRegistrations(
        account_id=account_id,
        application_id=application_id,
        lot_id=lot_id,
        kind=kind.value if kind else None,
        instrument=instrument,
        period_code=period_code,
        limit=page.limit + 1,
        offset=page.offset,
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [registration_out(r) for r in rows[: page.limit]], page, len(rows) > page.limit)
