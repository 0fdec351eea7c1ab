"""Fees of the trading account (seed 004 第五步): the holder pays the opening and annual fees; the trading
account becomes active once both are paid, is suspended by a due job when the annual fee lapses, and
is reactivated by a late payment. The rules are ``domain/fees.py``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from services.new_ccer_registry.adapters.orm import FeePayment
from services.new_ccer_registry.domain.access import OPERATORS
from services.new_ccer_registry.domain.fees import (
    FEE_CONFLICTS,
    FeeKind,
    TradingStatus,
    annual_valid_until,
    fee_findings,
    trading_status,
)
from services.new_ccer_registry.service_layer.commands import ListFees, PayFee
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import FeePaid, Listed
from shared.errors import Conflict, NotFound, refuse
from shared.ids import new_id
from shared.principal import Principal

__all__ = ["FEE_LAPSE_JOB", "list_fees", "pay_fee", "suspend_on_lapse"]

log = logging.getLogger(__name__)

FEE_LAPSE_JOB = "annual_fee_lapse"


async def pay_fee(uow: NewRegistryUnitOfWork, cmd: PayFee, principal: Principal) -> FeePaid:
    """Pay the opening or annual fee of the caller's trading account."""
    account = await uow.accounts.lock_seen_by(cmd.account_id, principal)
    trading = await uow.accounts.trading_of(account.id)
    if trading is None:
        raise NotFound.of("trading account of account", "交易账户", account.id)
    now, until = uow.now(), trading.annual_fee_valid_until
    opening_paid = await uow.fees.opening_paid(account.id)
    findings = fee_findings(
        account_type=account.account_type,
        kind=cmd.kind,
        amount=cmd.amount,
        opening_paid=opening_paid,
        valid_until=until,
        now=now,
    )
    refuse(findings, "the fee payment is refused", "缴费被拒绝", conflict_codes=FEE_CONFLICTS)
    payment = FeePayment(
        id=new_id("FEE"),
        account_id=account.id,
        trading_account_id=trading.id,
        kind=cmd.kind,
        amount=cmd.amount,
        paid_at=now,
        paid_by=principal.actor,
    )
    if cmd.kind is FeeKind.annual:
        # Paid before expiry: the new year follows the old one; otherwise it starts now.
        payment.valid_from = until if until is not None and now < until else now
        payment.valid_until = until = annual_valid_until(now, until)
    if not await uow.fees.add(payment):  # a concurrent opening fee came first
        raise Conflict("OPENING_FEE_ALREADY_PAID", "the opening fee was paid already", "开户费已缴纳", field="kind")
    status = trading_status(
        account_type=account.account_type,
        opening_paid=opening_paid or cmd.kind is FeeKind.opening,
        valid_until=until,
        now=now,
    )
    await uow.accounts.update_trading(trading, status=status, valid_until=until)
    if cmd.kind is FeeKind.annual and until is not None:
        await _schedule_lapse(uow, account.id, until)
    uow.audit(
        "pay_fee",
        "account",
        account.id,
        kind=cmd.kind,
        amount=cmd.amount,
        fee_id=payment.id,
        trading_status=status,
        annual_fee_valid_until=until,
    )
    return FeePaid(payment, trading)


async def _schedule_lapse(uow: NewRegistryUnitOfWork, account_id: str, until: datetime) -> None:
    """The lapse check at the new expiry; the check due at an earlier expiry finds the fee extended
    and changes nothing."""
    await uow.schedule(FEE_LAPSE_JOB, f"{account_id}@{until.isoformat()}", until, {"account_id": account_id})


async def suspend_on_lapse(uow: NewRegistryUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """Job: at an annual fee's expiry, suspend the trading account unless the fee was extended (or the
    account is not active for another reason)."""
    account = (await uow.accounts.lock(payload["account_id"])).get(payload["account_id"])
    trading = await uow.accounts.trading_of(account.id) if account else None
    if account is None or trading is None:
        return "no such account"
    now = uow.now()
    status = trading_status(
        account_type=account.account_type,
        opening_paid=await uow.fees.opening_paid(account.id),
        valid_until=trading.annual_fee_valid_until,
        now=now,
    )
    if trading.status != TradingStatus.active or status is not TradingStatus.suspended:
        return f"not suspended: trading account {trading.status}, fee valid until {trading.annual_fee_valid_until}"
    await uow.accounts.update_trading(trading, status=status, valid_until=trading.annual_fee_valid_until)
    uow.audit("suspend_trading_account", "account", account.id, lapsed_at=trading.annual_fee_valid_until, due_at=due_at)
    log.info("trading account %s of %s suspended: annual fee lapsed", trading.id, account.id)
    return "suspended"


async def list_fees(uow: NewRegistryUnitOfWork, cmd: ListFees, principal: Principal) -> Listed[FeePayment]:
    """The fee ledger of an account, for its holder and NCSC."""
    account = await uow.accounts.held_by_or_operated(cmd.account_id, principal, OPERATORS)
    rows = await uow.fees.of_account(account.id, offset=cmd.offset, limit=cmd.limit + 1)
    return Listed(list(rows[: cmd.limit]), has_more=len(rows) > cmd.limit)
