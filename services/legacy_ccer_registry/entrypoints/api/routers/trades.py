"""Trades settled by a legacy exchange between trading-side holdings at that exchange."""

from __future__ import annotations

from fastapi import APIRouter

from services.legacy_ccer_registry.entrypoints.api.deps import BusDep, ExchangeOperator
from services.legacy_ccer_registry.entrypoints.api.schemas import TradeIn, TradeOut
from services.legacy_ccer_registry.service_layer.commands import SettleTrade
from shared.timeutil import local

__all__ = ["router"]

router = APIRouter(prefix="/trades", tags=["trades"])


@router.post(
    "",
    status_code=201,
    response_model=TradeOut,
    summary="Settle a trade at the operator's exchange — 交易结算（本交易机构）",
)
async def settle(body: TradeIn, bus: BusDep, principal: ExchangeOperator) -> TradeOut:
    trade = await bus.handle(SettleTrade(**body.model_dump()), principal)
    return TradeOut(
        trade_id=trade.id,
        exchange=trade.exchange or "",
        seller_account_id=body.seller_account_id,
        buyer_account_id=body.buyer_account_id,
        project_number=trade.project_number,
        quantity=trade.quantity,
        serial_ranges=[(a, b) for a, b in trade.serial_ranges],
        settled_at=local(trade.at),
    )
