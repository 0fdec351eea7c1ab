"""Allocation of allowances (配额发放) by the registry."""

from __future__ import annotations

from fastapi import APIRouter

from services.allowance_registry.entrypoints.api.deps import BusDep, RegistryInitiator
from services.allowance_registry.entrypoints.api.schemas import AllocationIn, AllocationOut
from services.allowance_registry.service_layer.commands import AllocateAllowances

__all__ = ["router"]

router = APIRouter(prefix="/allocations", tags=["holdings"])


@router.post("", status_code=201, response_model=AllocationOut, summary="Allocate allowances — 配额发放")
async def allocate(body: AllocationIn, bus: BusDep, principal: RegistryInitiator) -> AllocationOut:
    command = AllocateAllowances(
        account_id=body.account_id, instrument=body.instrument, quantity=body.quantity, side=body.side.value
    )
    a = await bus.handle(command, principal)
    return AllocationOut(
        id=a.id,
        account_id=a.account_id,
        instrument=a.instrument,
        quantity=a.quantity,
        side=a.side,
        allocated_at=a.allocated_at,
    )
