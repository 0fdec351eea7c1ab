"""Settlement of CCER exchange trades on the trading side (北京绿色交易所 only)."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.entrypoints.api.deps import BusDep, ExchangeOperator
from services.new_ccer_registry.entrypoints.api.schemas import TradeIn, TradeOut, trade_out
from services.new_ccer_registry.service_layer.commands import SettleTrade

router = APIRouter(prefix="/trades", tags=["trades"])


@router.post(
    "",
    status_code=201,
    response_model=TradeOut,
    summary="Settle a CCER exchange trade (CBGEX) — 交易结算（北京绿色交易所）",
)
async def settle_trade(body: TradeIn, bus: BusDep, principal: ExchangeOperator) -> TradeOut:
    return trade_out(await bus.handle(SettleTrade(**body.model_dump()), principal))
