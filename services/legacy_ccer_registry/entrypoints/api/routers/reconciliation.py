"""Reconciliation (账实核对) of the legacy registry: for operators and the scenario replays."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.legacy_ccer_registry.entrypoints.api.deps import BusDep, NcscOrSimAdmin
from services.legacy_ccer_registry.service_layer.commands import Reconcile
from shared.timeutil import LocalDateTime, local

__all__ = ["router"]

router = APIRouter(prefix="/admin/reconciliation", tags=["admin"])


class DiscrepancyOut(BaseModel):
    code: str
    message: str
    message_zh: str
    serial_prefix: str | None
    cancellation_id: str | None
    serial_ranges: list[tuple[str, str]]


class ReconciliationOut(BaseModel):
    checked_at: LocalDateTime
    consistent: bool = Field(description="no discrepancy — 账实一致")
    prefixes_checked: int
    cancellations_checked: int
    discrepancies: list[DiscrepancyOut]


@router.get(
    "",
    response_model=ReconciliationOut,
    summary="Reconcile units with issuance, cancellation records and syncs (invariants 1-3) — 账实核对",
)
async def reconciliation(bus: BusDep, principal: NcscOrSimAdmin) -> ReconciliationOut:
    report = await bus.handle(Reconcile(), principal)
    return ReconciliationOut(
        checked_at=local(report.checked_at),
        consistent=report.consistent,
        prefixes_checked=report.prefixes_checked,
        cancellations_checked=report.cancellations_checked,
        discrepancies=[
            DiscrepancyOut(
                code=d.code,
                message=d.message,
                message_zh=d.message_zh,
                serial_prefix=d.serial_prefix,
                cancellation_id=d.cancellation_id,
                serial_ranges=[(a, b) for a, b in d.serial_ranges],
            )
            for d in report.discrepancies
        ],
    )
