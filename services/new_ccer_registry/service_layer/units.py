"""Moving CCER units on the trading side: exchange trades (交易结算) and transfers (划转) between the
trading side and the general holding account; and an account's holdings."""

from __future__ import annotations

from services.new_ccer_registry.adapters.orm import Movement
from services.new_ccer_registry.domain.holdings import HoldingRow, Origin, UnitState
from services.new_ccer_registry.domain.lots import (
    CONFLICT_CODES,
    settling_exchange_finding,
    trade_findings,
    transfer_findings,
)
from services.new_ccer_registry.service_layer.commands import GetHoldings, SettleTrade, TransferUnits
from services.new_ccer_registry.service_layer.movements import record_movement
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from shared.errors import Forbidden, refuse
from shared.principal import Principal

__all__ = ["get_holdings", "settle_trade", "transfer_units"]


async def settle_trade(uow: NewRegistryUnitOfWork, cmd: SettleTrade, principal: Principal) -> Movement:
    """An exchange trade settled on the trading side: the seller's lowest serials go to the buyer.
    The exchange names accounts it does not hold; unknown ones are findings, not 404s."""
    wrong_exchange = settling_exchange_finding(principal.exchange)
    if wrong_exchange is not None:
        raise Forbidden(wrong_exchange.code, wrong_exchange.message, wrong_exchange.message_zh)
    seller_id, buyer_id = cmd.seller_account_id, cmd.buyer_account_id
    accounts = await uow.accounts.lock(seller_id, buyer_id)
    seller, buyer = accounts.get(seller_id), accounts.get(buyer_id)
    project = await uow.projects.get(cmd.project_number)
    blocks = (
        await uow.blocks.locked(account_id=seller_id, project_number=cmd.project_number, state=UnitState.trading)
        if seller and project
        else []
    )
    seller_trading = await uow.accounts.trading_status(seller_id)
    buyer_trading = await uow.accounts.trading_status(buyer_id)
    refuse(
        trade_findings(
            seller_known=seller is not None,
            buyer_known=buyer is not None,
            same_account=seller_id == buyer_id,
            project_known=project is not None,
            project_number=cmd.project_number,
            seller_trading_active=seller is not None and seller.status == "active" and seller_trading == "active",
            buyer_trading_active=buyer is not None and buyer.status == "active" and buyer_trading == "active",
            requested=cmd.quantity,
            seller_holds=uow.blocks.units_in(blocks),
            seller_trading_status=seller_trading,
            buyer_trading_status=buyer_trading,
        ),
        "the trade is refused",
        "交易被拒绝",
        conflict_codes=CONFLICT_CODES,
    )
    moved = await uow.blocks.move_lowest(blocks, cmd.quantity, to_state=UnitState.trading, to_account_id=buyer_id)
    movement = record_movement(
        uow,
        "trade",
        cmd.project_number,
        cmd.quantity,
        moved,
        from_state=UnitState.trading,
        to_state=UnitState.trading,
        from_account=seller_id,
        to_account=buyer_id,
        prefix="TRD",
    )
    uow.audit(
        "settle_trade",
        "trade",
        movement.id,
        seller_account_id=seller_id,
        buyer_account_id=buyer_id,
        project_number=cmd.project_number,
        quantity=cmd.quantity,
        serial_ranges=movement.serial_ranges,
    )
    return movement


async def transfer_units(uow: NewRegistryUnitOfWork, cmd: TransferUnits, principal: Principal) -> Movement:
    """划转 between the trading side and the general holding account. Only new-origin units trade."""
    account = await uow.accounts.lock_seen_by(cmd.account_id, principal)
    direction = cmd.direction
    project = await uow.projects.get(cmd.project_number)
    blocks = (
        await uow.blocks.locked(
            account_id=account.id, project_number=cmd.project_number, state=direction.source, origin=Origin.new
        )
        if project
        else []
    )
    trading = await uow.accounts.trading_status(account.id)
    refuse(
        transfer_findings(
            project_known=project is not None,
            project_number=cmd.project_number,
            to_trading=direction.target is UnitState.trading,
            trading_active=trading == "active",
            source_state=direction.source,
            requested=cmd.quantity,
            holds=uow.blocks.units_in(blocks),
            trading_status=trading,
        ),
        "the transfer is refused",
        "划转被拒绝",
        conflict_codes=CONFLICT_CODES,
    )
    moved = await uow.blocks.move_lowest(blocks, cmd.quantity, to_state=direction.target)
    movement = record_movement(
        uow,
        f"transfer_{direction}",
        cmd.project_number,
        cmd.quantity,
        moved,
        from_state=direction.source,
        to_state=direction.target,
        from_account=account.id,
        to_account=account.id,
        prefix="TRF",
    )
    uow.audit(
        "transfer_units",
        "transfer",
        movement.id,
        account_id=account.id,
        direction=str(direction),
        project_number=cmd.project_number,
        quantity=cmd.quantity,
        serial_ranges=movement.serial_ranges,
    )
    return movement


async def get_holdings(uow: NewRegistryUnitOfWork, cmd: GetHoldings, principal: Principal) -> list[HoldingRow]:
    account = await uow.accounts.get(cmd.account_id, principal)
    return await uow.blocks.holdings_of(account.id)
