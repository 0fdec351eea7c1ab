"""Reconciliation (账实核对) of units with issuance, lots and their records: for operators."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.entrypoints.api.deps import BusDep, NcscOrSimAdmin
from services.new_ccer_registry.entrypoints.api.schemas import ReconciliationOut, reconciliation_out
from services.new_ccer_registry.service_layer.commands import Reconcile
from shared.bounds import Id

router = APIRouter(prefix="/admin/reconciliation", tags=["admin"])


@router.get("", response_model=ReconciliationOut, summary="Reconcile units with issuance, lots and records — 账实核对")
async def reconciliation(bus: BusDep, principal: NcscOrSimAdmin, project_number: Id | None = None) -> ReconciliationOut:
    return reconciliation_out(await bus.handle(Reconcile(project_number=project_number), principal))
