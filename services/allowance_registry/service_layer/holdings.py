"""Allowance holdings: allocation by the registry, transfers (划转) by the holder, and the holdings view."""

from __future__ import annotations

from dataclasses import replace

from services.allowance_registry.adapters.orm import Account, Allocation, Instrument, Transfer
from services.allowance_registry.domain.movements import HoldingKind, Movement, MovementKind
from services.allowance_registry.service_layer.commands import AllocateAllowances, GetHoldings, TransferAllowances
from services.allowance_registry.service_layer.movements import record_movement
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from services.allowance_registry.service_layer.views import HoldingsView
from shared.errors import Conflict, Invalid
from shared.ids import new_id
from shared.principal import Principal

__all__ = ["allocate_allowances", "get_holdings", "transfer_allowances"]


async def _allowance_instrument(uow: AllowanceUnitOfWork, code: str) -> Instrument:
    instrument = await uow.instruments.find(code)
    if instrument is None or instrument.kind != "allowance":
        raise Invalid(
            "INSTRUMENT_UNKNOWN", f"no allowance instrument {code}", f"配额标的 {code} 不存在", field="instrument"
        )
    return instrument


async def allocate_allowances(uow: AllowanceUnitOfWork, cmd: AllocateAllowances, principal: Principal) -> Allocation:
    account = await uow.accounts.get(cmd.account_id, principal)
    await _allowance_instrument(uow, cmd.instrument)
    if account.status != "active":
        raise Conflict("ALLOWANCE_ACCOUNT_INACTIVE", "the allowance account is not active", "配额账户状态异常")
    await uow.holdings.credit_allowances(account.id, cmd.instrument, cmd.side, cmd.quantity)
    allocation = Allocation(
        id=new_id("ALC"),
        account_id=account.id,
        instrument=cmd.instrument,
        quantity=cmd.quantity,
        side=cmd.side,
        allocated_at=uow.now(),
        allocated_by=uow.actor,
    )
    uow.holdings.add(allocation)
    reference = {"allocation_id": allocation.id, "side": cmd.side}
    await record_movement(
        uow,
        Movement(account.id, cmd.instrument, MovementKind.allocated, cmd.quantity, reference),
        holding=HoldingKind.allowance,
    )
    uow.audit(
        "allocate",
        "account",
        account.id,
        instrument=cmd.instrument,
        quantity=cmd.quantity,
        side=cmd.side,
        allocation_id=allocation.id,
    )
    return allocation


async def transfer_allowances(uow: AllowanceUnitOfWork, cmd: TransferAllowances, principal: Principal) -> HoldingsView:
    account = await uow.accounts.get(cmd.account_id, principal)
    await _allowance_instrument(uow, cmd.instrument)
    await uow.holdings.ensure_allowance(account.id, cmd.instrument)
    if not await uow.holdings.transfer(account.id, cmd.instrument, cmd.quantity, cmd.direction):
        side, side_zh = (
            ("registry side (unfrozen)", "登记持仓可用量")
            if cmd.direction == "to_trading"
            else ("trading side", "交易持仓")
        )
        raise Conflict(
            "INSUFFICIENT_HOLDING",
            f"less than {cmd.quantity} of {cmd.instrument} on the {side}",
            f"{side_zh}中 {cmd.instrument} 不足 {cmd.quantity}",
        )
    record = Transfer(
        id=new_id("TRF"),
        account_id=account.id,
        instrument=cmd.instrument,
        quantity=cmd.quantity,
        direction=cmd.direction,
        transferred_at=uow.now(),
        transferred_by=uow.actor,
    )
    uow.holdings.add(record)
    kind = (
        MovementKind.transferred_to_trading if cmd.direction == "to_trading" else MovementKind.transferred_to_registry
    )
    await record_movement(
        uow,
        Movement(account.id, cmd.instrument, kind, cmd.quantity, {"transfer_id": record.id}),
        holding=HoldingKind.allowance,
    )
    uow.audit(
        "transfer",
        "account",
        account.id,
        instrument=cmd.instrument,
        quantity=cmd.quantity,
        direction=cmd.direction,
        transfer_id=record.id,
    )
    return await _holdings(uow, account)


async def get_holdings(uow: AllowanceUnitOfWork, cmd: GetHoldings, principal: Principal) -> HoldingsView:
    view = await _holdings(uow, await uow.accounts.get(cmd.account_id, principal))
    wanted = {"number": cmd.project_number, "type": cmd.project_type, "region": cmd.project_region}
    if not any(wanted.values()) and not cmd.name:
        return view

    def kept(code: str) -> bool:
        project = view.projects.get(code, {})
        if any(v and str(project.get(k)) != v for k, v in wanted.items()):
            return False
        return not cmd.name or cmd.name in view.names.get(code, "")

    return replace(view, ccer=[h for h in view.ccer if kept(h.instrument)])


async def _holdings(uow: AllowanceUnitOfWork, account: Account) -> HoldingsView:
    allowances, ccer = await uow.holdings.of_account(account.id)
    instruments = await uow.instruments.of_codes([h.instrument for h in allowances] + [h.instrument for h in ccer])
    names = {code: i.name for code, i in instruments.items()}
    projects = {code: i.project for code, i in instruments.items() if i.project}
    pending = await uow.pending_offsets.pending_total(account.id)
    return HoldingsView(account, allowances, ccer, names, pending, projects)
