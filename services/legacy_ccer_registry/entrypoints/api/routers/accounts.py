"""Legacy registry accounts (登记账户): direct opening by NCSC, reading one, its holdings, and the
holder's transfers (划转) between an exchange's trading side and the general holding account."""

from __future__ import annotations

from fastapi import APIRouter

from services.legacy_ccer_registry.domain.holdings import TransferDirection
from services.legacy_ccer_registry.entrypoints.api.deps import BusDep, Enterprise, HolderOrNcsc, IdPath, NcscOperator
from services.legacy_ccer_registry.entrypoints.api.schemas import (
    AccountOut,
    HoldingOut,
    HoldingsOut,
    OpenAccountIn,
    TradingAccountOut,
    TransferIn,
    TransferOut,
)
from services.legacy_ccer_registry.service_layer.commands import GetAccount, GetHoldings, OpenAccount, TransferUnits
from services.legacy_ccer_registry.service_layer.views import AccountView
from shared.domain_types import Holder
from shared.timeutil import local

__all__ = ["account_out", "router"]

router = APIRouter(prefix="/accounts", tags=["accounts"])


def account_out(view: AccountView) -> AccountOut:
    a = view.account
    return AccountOut(
        id=a.id,
        holder=Holder(name=a.holder_name, uscc=a.holder_uscc),
        province=a.province,
        status=a.status,
        opened_via=a.opened_via,
        opened_at=local(a.opened_at),
        exchanges=[t.exchange for t in view.trading_accounts],
        trading_accounts=[
            TradingAccountOut(id=t.id, exchange=t.exchange, status=t.status, opened_at=local(t.opened_at))
            for t in view.trading_accounts
        ],
    )


@router.post(
    "",
    status_code=201,
    response_model=AccountOut,
    summary="Open an account directly (set-up, migrated) — 注登机构直接开立账户",
)
async def open_account(body: OpenAccountIn, bus: BusDep, principal: NcscOperator) -> AccountOut:
    command = OpenAccount(
        holder_name=body.holder.name,
        holder_uscc=body.holder.uscc,
        province=body.province,
        exchanges=tuple(body.exchanges) if body.exchanges is not None else None,
    )
    return account_out(await bus.handle(command, principal))


@router.get("/{account_id}", response_model=AccountOut, summary="Account — 账户")
async def get_account(account_id: IdPath, bus: BusDep, principal: HolderOrNcsc) -> AccountOut:
    return account_out(await bus.handle(GetAccount(account_id=account_id), principal))


@router.get(
    "/{account_id}/holdings",
    response_model=HoldingsOut,
    summary="Holdings per project: per exchange, available, cancelled — 持仓",
)
async def get_holdings(account_id: IdPath, bus: BusDep, principal: HolderOrNcsc) -> HoldingsOut:
    holdings = await bus.handle(GetHoldings(account_id=account_id), principal)
    return HoldingsOut(
        account_id=holdings.account_id,
        items=[
            HoldingOut(
                project_number=r.project_number,
                by_exchange=r.by_exchange,
                trading=r.trading,
                available=r.available,
                cancelled=r.cancelled,
                serial_ranges={k: [(a, b) for a, b in v] for k, v in r.serial_ranges.items()},
            )
            for r in holdings.rows
        ],
    )


@router.post(
    "/{account_id}/transfers",
    status_code=201,
    response_model=TransferOut,
    summary="Transfer between an exchange's trading side and the general holding account — 划转",
)
async def transfer(account_id: IdPath, body: TransferIn, bus: BusDep, principal: Enterprise) -> TransferOut:
    command = TransferUnits(
        account_id=account_id,
        direction=TransferDirection(body.direction),
        exchange=body.exchange,
        project_number=body.project_number,
        quantity=body.quantity,
    )
    moved = await bus.handle(command, principal)
    return TransferOut(
        transfer_id=moved.id,
        account_id=account_id,
        direction=body.direction,
        exchange=body.exchange,
        project_number=moved.project_number,
        quantity=moved.quantity,
        serial_ranges=[(a, b) for a, b in moved.serial_ranges],
        transferred_at=local(moved.at),
    )
