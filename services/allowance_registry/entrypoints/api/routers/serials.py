"""A CCER unit's history in the allowance registry (``GET /serials/{serial}``): the pending offsets
that held it, the applications that reserved it, its offset registration or recall."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.allowance_registry.domain.lot_units import UnitState
from services.allowance_registry.entrypoints.api.deps import BusDep, SerialReader
from services.allowance_registry.entrypoints.api.schemas import SerialEventOut, SerialHistoryOut
from services.allowance_registry.service_layer.commands import GetSerialHistory
from services.allowance_registry.service_layer.views import SerialHistory

__all__ = ["router"]

router = APIRouter(prefix="/serials", tags=["serials"])


def history_out(h: SerialHistory) -> SerialHistoryOut:
    return SerialHistoryOut(
        serial=h.serial,
        lot_id=h.lot_id,
        account_id=h.account_id,
        state=UnitState(h.state),
        events=[
            SerialEventOut.model_validate({**e.detail, "at": e.at, "kind": e.kind, "lot_id": e.lot_id})
            for e in h.events
        ],
    )


@router.get(
    "/{serial}",
    response_model=SerialHistoryOut,
    summary="A unit's history in this registry — 序列号在配额注登系统中的记录",
    description="The holder of the account, the registry's operators and the NCSC (another role: 403); "
    "another holder's unit, or an unknown serial: 404.",
)
async def get_serial(
    serial: Annotated[str, Path(min_length=3, max_length=200)], bus: BusDep, principal: SerialReader
) -> SerialHistoryOut:
    return history_out(await bus.handle(GetSerialHistory(serial=serial), principal))
