"""Instruments (标的): allowances of one vintage."""

from __future__ import annotations

from fastapi import APIRouter

from services.allowance_registry.adapters.orm import Instrument
from services.allowance_registry.entrypoints.api.deps import AnyPrincipal, BusDep, RegistryInitiator
from services.allowance_registry.entrypoints.api.schemas import InstrumentIn, InstrumentOut
from services.allowance_registry.service_layer.commands import CreateInstrument, ListInstruments

__all__ = ["router"]

router = APIRouter(prefix="/instruments", tags=["compliance periods"])


def instrument_out(i: Instrument) -> InstrumentOut:
    return InstrumentOut(
        code=i.code,
        name=i.name,
        kind=i.kind,
        vintage=i.vintage,
        project=i.project,
        account_id=i.account_id,
        request_id=i.request_id,
    )


@router.post("", status_code=201, response_model=InstrumentOut, summary="Create an instrument — 创建标的")
async def create_instrument(body: InstrumentIn, bus: BusDep, principal: RegistryInitiator) -> InstrumentOut:
    command = CreateInstrument(code=body.code, name=body.name, kind=body.kind, vintage=body.vintage)
    return instrument_out(await bus.handle(command, principal))


@router.get("", response_model=list[InstrumentOut], summary="Instruments — 标的列表")
async def list_instruments(bus: BusDep, principal: AnyPrincipal) -> list[InstrumentOut]:
    return [instrument_out(i) for i in await bus.handle(ListInstruments(), principal)]
