"""Allowance holdings: allocation by the registry, transfers (划转) by the holder, and the holdings view."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from services.allowance_registry.adapters.orm import (
    Account,
    Allocation,
    AllowanceHolding,
    CcerHolding,
    Instrument,
    Transfer,
)
from services.allowance_registry.adapters.repository import (
    credit_allowances,
    ensure_allowance_holding,
    transfer_allowances,
)
from services.allowance_registry.service_layer.accounts import get_account
from services.allowance_registry.service_layer.offsets import pending_total
from shared.auth import Principal
from shared.ids import new_id
from shared.problems import Problem
from shared.uow import UnitOfWork

__all__ = ["HoldingsView", "allocate", "holdings", "transfer"]


async def _allowance_instrument(uow: UnitOfWork, code: str) -> Instrument:
    instrument = await uow.session.get(Instrument, code)
    if instrument is None or instrument.kind != "allowance":
        raise Problem.invalid(
            "INSTRUMENT_UNKNOWN", f"no allowance instrument {code}", f"配额标的 {code} 不存在", "instrument"
        )
    return instrument


async def allocate(
    uow: UnitOfWork, principal: Principal, account_id: str, instrument: str, quantity: int, side: str
) -> Allocation:
    account = await get_account(uow, account_id, principal)
    await _allowance_instrument(uow, instrument)
    if account.status != "active":
        raise Problem.conflict("ALLOWANCE_ACCOUNT_INACTIVE", "the allowance account is not active", "配额账户状态异常")
    await credit_allowances(uow.session, account_id, instrument, side, quantity)
    allocation = Allocation(
        id=new_id("ALC"),
        account_id=account_id,
        instrument=instrument,
        quantity=quantity,
        side=side,
        allocated_at=uow.now(),
        allocated_by=uow.actor,
    )
    uow.session.add(allocation)
    uow.audit(
        "allocate",
        "account",
        account_id,
        instrument=instrument,
        quantity=quantity,
        side=side,
        allocation_id=allocation.id,
    )
    return allocation


async def transfer(
    uow: UnitOfWork, principal: Principal, account_id: str, instrument: str, quantity: int, direction: str
) -> None:
    await get_account(uow, account_id, principal)
    await _allowance_instrument(uow, instrument)
    await ensure_allowance_holding(uow.session, account_id, instrument)
    if not await transfer_allowances(uow.session, account_id, instrument, quantity, direction):
        side, side_zh = (
            ("registry side (unfrozen)", "登记持仓可用量")
            if direction == "to_trading"
            else ("trading side", "交易持仓")
        )
        raise Problem.conflict(
            "INSUFFICIENT_HOLDING",
            f"less than {quantity} of {instrument} on the {side}",
            f"{side_zh}中 {instrument} 不足 {quantity}",
        )
    record = Transfer(
        id=new_id("TRF"),
        account_id=account_id,
        instrument=instrument,
        quantity=quantity,
        direction=direction,
        transferred_at=uow.now(),
        transferred_by=uow.actor,
    )
    uow.session.add(record)
    uow.audit(
        "transfer",
        "account",
        account_id,
        instrument=instrument,
        quantity=quantity,
        direction=direction,
        transfer_id=record.id,
    )


@dataclass(frozen=True)
class HoldingsView:
    account: Account
    allowances: list[AllowanceHolding]
    ccer: list[CcerHolding]
    names: dict[str, str]
    pending_offsets_total: int


async def holdings(uow: UnitOfWork, principal: Principal, account_id: str) -> HoldingsView:
    account = await get_account(uow, account_id, principal)
    allowances = list(
        await uow.session.scalars(
            select(AllowanceHolding)
            .where(AllowanceHolding.account_id == account_id)
            .order_by(AllowanceHolding.instrument)
        )
    )
    ccer = list(
        await uow.session.scalars(
            select(CcerHolding).where(CcerHolding.account_id == account_id).order_by(CcerHolding.instrument)
        )
    )
    codes = [h.instrument for h in allowances] + [h.instrument for h in ccer]
    names = {i.code: i.name for i in await uow.session.scalars(select(Instrument).where(Instrument.code.in_(codes)))}
    return HoldingsView(account, allowances, ccer, names, await pending_total(uow, account_id))
