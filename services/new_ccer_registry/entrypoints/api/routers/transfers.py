"""Transfers (划转) between an account's trading side and its general holding account."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.domain.holdings import TransferDirection
from services.new_ccer_registry.entrypoints.api.deps import BusDep, Enterprise
from services.new_ccer_registry.entrypoints.api.schemas import TransferIn, TransferOut, transfer_out
from services.new_ccer_registry.service_layer.commands import TransferUnits
from shared.bounds import Id

router = APIRouter(prefix="/accounts/{account_id}/transfers", tags=["transfers"])


@router.post(
    "",
    status_code=201,
    response_model=TransferOut,
    summary="Transfer between trading side and general holding account — 划转",
)
async def transfer(account_id: Id, body: TransferIn, bus: BusDep, principal: Enterprise) -> TransferOut:
    command = TransferUnits(
        account_id=account_id,
        direction=TransferDirection(body.direction),
        project_number=body.project_number,
        quantity=body.quantity,
    )
    return transfer_out(await bus.handle(command, principal), body.direction)
