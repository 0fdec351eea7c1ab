"""An account's holdings of CCER units (持仓), by project, origin and vintage."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.entrypoints.api.deps import BusDep, EnterpriseOrNcsc
from services.new_ccer_registry.entrypoints.api.schemas import HoldingsOut, holding_out
from services.new_ccer_registry.service_layer.commands import GetHoldings
from shared.bounds import Id

router = APIRouter(prefix="/accounts/{account_id}/holdings", tags=["holdings"])


@router.get("", response_model=HoldingsOut, summary="Holdings by project, origin and vintage — 持仓")
async def holdings(account_id: Id, bus: BusDep, principal: EnterpriseOrNcsc) -> HoldingsOut:
    rows = await bus.handle(GetHoldings(account_id=account_id), principal)
    return HoldingsOut(account_id=account_id, items=[holding_out(r) for r in rows])
