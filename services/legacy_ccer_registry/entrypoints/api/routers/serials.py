"""The history of one unit in the legacy registry (its holder, NCSC, the allowance registry's operators)."""

from __future__ import annotations

from fastapi import APIRouter

from services.legacy_ccer_registry.entrypoints.api.deps import BusDep, SerialPath, SerialReader
from services.legacy_ccer_registry.entrypoints.api.schemas import MovementOut, SerialHistoryOut
from services.legacy_ccer_registry.service_layer.commands import GetSerialHistory
from shared.domain_types import Holder
from shared.timeutil import local

__all__ = ["router"]

router = APIRouter(prefix="/serials", tags=["serials"])


@router.get(
    "/{serial}",
    response_model=SerialHistoryOut,
    summary="A unit's history: issuance, trades, transfers, cancellation, sync — 减排量流转记录",
)
async def serial_history(serial: SerialPath, bus: BusDep, principal: SerialReader) -> SerialHistoryOut:
    found = await bus.handle(GetSerialHistory(serial=serial), principal)
    block, account = found.block, found.account
    return SerialHistoryOut(
        serial=found.serial,
        project_number=block.project_number,
        vintage=block.vintage,
        account_id=account.id,
        holder=Holder(name=account.holder_name, uscc=account.holder_uscc),
        state=block.state,
        exchange=block.exchange,
        units_recorded_at=block.units_recorded_at,
        cancellation_id=block.cancellation_id,
        history=[
            MovementOut(
                at=local(m.at),
                kind=m.kind,
                movement_id=m.id,
                quantity=m.quantity,
                from_account_id=m.from_account_id,
                to_account_id=m.to_account_id,
                from_state=m.from_state,
                to_state=m.to_state,
                exchange=m.exchange,
                reference_id=m.reference_id,
                serial_ranges=[(a, b) for a, b in m.serial_ranges],
                detail=m.detail,
            )
            for m in found.movements
        ],
    )
