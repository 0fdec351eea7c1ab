"""A unit's history in this registry (序列号追溯), for its holder, NCSC and the registry roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.new_ccer_registry.entrypoints.api.deps import BusDep, SerialReaders
from services.new_ccer_registry.entrypoints.api.schemas import SerialHistoryOut, serial_history_out
from services.new_ccer_registry.service_layer.commands import GetSerialHistory

router = APIRouter(prefix="/serials", tags=["serials"])


@router.get(
    "/{serial}",
    response_model=SerialHistoryOut,
    summary="A unit's history — 序列号追溯",
    description="How the unit came in (issuance, or sync-in from the legacy registry), its confirmation, "
    "trades, transfers, offset lots, cancellation or release, oldest first. 404 for a serial this registry "
    "does not hold, and for a holder asking about another's unit. — 单个减排量在本系统中的流转记录。",
)
async def serial_history(
    serial: Annotated[str, Path(max_length=120)], bus: BusDep, principal: SerialReaders
) -> SerialHistoryOut:
    return serial_history_out(await bus.handle(GetSerialHistory(serial=serial), principal))
