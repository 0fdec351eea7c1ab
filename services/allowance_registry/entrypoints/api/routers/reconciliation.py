"""Reconciliation (账实核对) of allowances, notices and pending offsets: for operators, the nightly
job and the cross-registry check (``ccer reconcile``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.allowance_registry.entrypoints.api.deps import CSV, BusDep, Page, RegistryOrSimAdmin
from services.allowance_registry.entrypoints.api.schemas import (
    LotBalanceOut,
    ReconciliationDiscrepancyOut,
    ReconciliationOut,
)
from services.allowance_registry.service_layer.commands import ListReconciliationLots, Reconcile
from shared.listing import Page as PageOf
from shared.listing import respond_list
from shared.timeutil import local

__all__ = ["router"]

router = APIRouter(prefix="/admin/reconciliation", tags=["admin"])


@router.get(
    "",
    response_model=ReconciliationOut,
    summary="Reconcile notices, holdings and pending offsets (invariants 4-6) — 账实核对",
)
async def reconciliation(bus: BusDep, principal: RegistryOrSimAdmin) -> ReconciliationOut:
    report = await bus.handle(Reconcile(), principal)
    return ReconciliationOut(
        checked_at=local(report.checked_at),
        consistent=report.consistent,
        notices_checked=report.notices_checked,
        holdings_checked=report.holdings_checked,
        lots_checked=report.lots_checked,
        offset_ccer_checked=report.offset_ccer_checked,
        discrepancies=[
            ReconciliationDiscrepancyOut(code=d.code, message=d.message, message_zh=d.message_zh, objects=d.objects)
            for d in report.discrepancies
        ],
    )


@router.get(
    "/lots",
    response_model=PageOf[LotBalanceOut],
    responses=CSV,
    summary="Every lot heard of, pending or refused, with its parts — 全部抵销批次及其数量构成",
)
async def lots(bus: BusDep, principal: RegistryOrSimAdmin, page: Page, request: Request) -> Any:
    rows = await bus.handle(ListReconciliationLots(limit=page.limit + 1, offset=page.offset), principal)
    return respond_list(
        request,
        [
            LotBalanceOut(
                lot_id=r.lot_id,
                account_id=r.account_id,
                quantity=r.quantity,
                available=r.available,
                reserved=r.reserved,
                registered=r.registered,
                recalled=r.recalled,
                cancelled=r.cancelled,
                released=r.released,
                status=r.status,
            )
            for r in rows[: page.limit]
        ],
        page,
        len(rows) > page.limit,
    )
