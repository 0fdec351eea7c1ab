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
    annual_term,
    end_of,
    extended_for_holidays,
    fee_findings,
    lapsed,
    last_day_of,
    trading_status,
)
from services.new_ccer_registry.service_layer.commands import ListFees, PayFee
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import FeePaid, Listed
from shared.errors import Conflict, NotFound, refuse
from shared.ids import new_id
from shared.principal import Principal
from shared.timeutil import local, start_of_day_after
from shared.workdays import CalendarUnavailable

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
        # Paid before expiry: the new year follows the current one (from its last day before any
        # holiday extension, which the ledger keeps); otherwise a year from the payment's day.
        current = await uow.fees.latest_annual(account.id)
        current_last = last_day_of(current.valid_until) if current and current.valid_until else None
        term = annual_term(now, until, current_last)
        payment.valid_from, payment.valid_until = term.valid_from, term.valid_until
        until = term.valid_until
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
    account is not active for another reason). A last day that is a rest day gives way to the next
    working day (民法典 第二百零三条): the expiry moves there and the check with it."""
    account = (await uow.accounts.lock(payload["account_id"])).get(payload["account_id"])
    trading = await uow.accounts.trading_of(account.id) if account else None
    if account is None or trading is None:
        return "no such account"
    now = uow.now()
    until = trading.annual_fee_valid_until
    if trading.status == TradingStatus.active and until is not None and lapsed(until, now):
        last = last_day_of(until)
        try:
            extended = extended_for_holidays(last, uow.calendar.is_workday)
        except CalendarUnavailable as exc:
            # The rest days of that year are unknown: the registry does not suspend on a guess.
            await _schedule_lapse(uow, account.id, start_of_day_after(local(now).date()))
            log.warning("annual fee of %s: %s; the lapse check is deferred a day", account.id, exc)
            return f"deferred: no working-day data for {exc.year}"
        if extended != last:
            until = end_of(extended)
            await uow.accounts.update_trading(trading, status=trading.status, valid_until=until)
            uow.audit("extend_annual_fee", "account", account.id, last_day=last, extended_to=extended)
            if not lapsed(until, now):
                await _schedule_lapse(uow, account.id, until)
                return f"extended: {last} is a rest day, the fee runs through {extended}"
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
