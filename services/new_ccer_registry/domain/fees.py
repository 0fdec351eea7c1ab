"""Fees of the trading account (seed 004 第五步): project owners and ``other`` participants pay an
opening fee of 2,000 yuan and an annual fee of 1,000 yuan online; key emitting units pay nothing.

    awaiting_fees --opening fee and first annual fee both paid--> active
    active --the clock reaches annual_fee_valid_until (a due job)--> suspended
    suspended --annual fee paid (late)--> active   (valid one year from the payment)

Readings of the seed ("年费有效期为一年，自缴费之日起算，下一年度年费应当在上一年度年费期满前缴纳。期满未缴纳的，
暂停交易账户使用，续交后重新计算年费有效期"), with the Civil Code's rules on periods (民法典 第二百零一条至第二百零三条):

- A year counted from a day does not count that day (第二百零一条: 开始的当日不计入，自下一日开始计算): it runs to
  the same date a year later (第二百零二条: 到期月的对应日为期间的最后一日), which ends at 24:00 Beijing time
  (第二百零三条: 期间的最后一日的截止时间为二十四时). A fee paid at any time on 10 March 2025 is valid through
  10 March 2026, until 00:00 of 11 March 2026 (``annual_fee_valid_until``, exclusive). The day of the
  payment itself is covered from the payment on: the account may trade at once.
- A fee paid on 29 February runs through 28 February of the next year (没有对应日的，月末日为期间的最后一日).
- When the last day is a statutory holiday or a weekend rest day (法定休假日, per the PRC working-day
  calendar with its make-up working days), the last day is the first working day after it
  (第二百零三条: 以法定休假日结束的次日为期间的最后一日). The seed's validity is a deadline for an act of the
  holder (下一年度年费应当在……期满前缴纳; 期满未缴纳的，暂停), so the rule applies. It is applied when the fee
  falls due, by the lapse check (the holiday schedule of a year is published late in the year before):
  the fee is extended, not the year. The next year still follows the unextended last day.
- "The next year's fee before the current one expires": a payment before ``annual_fee_valid_until``
  adds the next year, which follows the current one (its last day a year after the current last day).
  One year may be paid ahead, no more: a payment while the fee already runs more than a year past
  the year a payment today would give is refused.
- "Paid late, the validity is counted again" (续交后重新计算): a payment at or after the expiry starts a new
  year from the payment's day, as a first payment does.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from shared.findings import Finding
from shared.timeutil import CST, at_local

__all__ = [
    "ANNUAL_FEE",
    "FEE_CONFLICTS",
    "FEE_FREE_ACCOUNT_TYPES",
    "OPENING_FEE",
    "AnnualTerm",
    "FeeKind",
    "TradingStatus",
    "annual_term",
    "end_of",
    "extended_for_holidays",
    "fee_findings",
    "lapsed",
    "last_day_of",
    "trading_status",
    "year_after",
]

OPENING_FEE = 2000  # yuan
ANNUAL_FEE = 1000  # yuan
# Key emitting units trade without fees; everybody else's trading account waits for them.
FEE_FREE_ACCOUNT_TYPES = frozenset({"national_key_emitter", "local_key_emitter"})
FEE_CONFLICTS = frozenset({"OPENING_FEE_ALREADY_PAID", "ANNUAL_FEE_PAID_AHEAD"})


class FeeKind(StrEnum):
    """opening — 开户费; annual — 年费"""

    opening = "opening"
    annual = "annual"


class TradingStatus(StrEnum):
    """active — 正常; awaiting_fees — 待缴费; suspended — 暂停（年费期满未缴）"""

    active = "active"
    awaiting_fees = "awaiting_fees"
    suspended = "suspended"


FEE_OF = {FeeKind.opening: OPENING_FEE, FeeKind.annual: ANNUAL_FEE}


def year_after(d: date) -> date:
    """The same date one year later; 29 February goes to 28 February (第二百零二条)."""
    year = d.year + 1
    return d.replace(year=year, day=min(d.day, calendar.monthrange(year, d.month)[1]))


def end_of(last_day: date) -> datetime:
    """24:00 Beijing time of ``last_day``: the first instant the period no longer covers."""
    return at_local(last_day + timedelta(days=1))


def last_day_of(valid_until: datetime) -> date:
    """The (Beijing) day that ends just before ``valid_until``."""
    return (valid_until - timedelta(microseconds=1)).astimezone(CST).date()


def extended_for_holidays(last_day: date, is_workday: Callable[[date], bool]) -> date:
    """第二百零三条: a last day that is a rest day (法定休假日) gives way to the first working day after."""
    while not is_workday(last_day):
        last_day += timedelta(days=1)
    return last_day


@dataclass(frozen=True)
class AnnualTerm:
    """The year an annual fee buys: covered from ``valid_from``; its last day ``last_day`` (before any
    holiday extension at the lapse check); lapsed at ``valid_until`` (24:00 of the last day)."""

    valid_from: datetime
    last_day: date
    valid_until: datetime


def annual_term(paid_at: datetime, valid_until: datetime | None, last_day: date | None) -> AnnualTerm:
    """The year an annual fee paid at ``paid_at`` buys, given the current expiry ``valid_until`` and
    the current year's last day ``last_day`` (both None before the first annual fee): paid before the
    expiry, the next year follows the current one; otherwise a year from the payment's day."""
    if valid_until is not None and paid_at < valid_until:
        current = last_day if last_day is not None else last_day_of(valid_until)
        new_last = year_after(current)
        return AnnualTerm(valid_from=valid_until, last_day=new_last, valid_until=end_of(new_last))
    new_last = year_after(paid_at.astimezone(CST).date())
    return AnnualTerm(valid_from=paid_at, last_day=new_last, valid_until=end_of(new_last))


def lapsed(valid_until: datetime | None, now: datetime) -> bool:
    """Whether an annual fee valid until ``valid_until`` (exclusive) no longer covers ``now``."""
    return valid_until is None or now >= valid_until


def trading_status(
    *, account_type: str, opening_paid: bool, valid_until: datetime | None, now: datetime
) -> TradingStatus:
    """What the trading account's status is, given its fees and the time."""
    if account_type in FEE_FREE_ACCOUNT_TYPES:
        return TradingStatus.active
    if not opening_paid or valid_until is None:
        return TradingStatus.awaiting_fees
    return TradingStatus.suspended if lapsed(valid_until, now) else TradingStatus.active


def fee_findings(
    *,
    account_type: str,
    kind: FeeKind,
    amount: int,
    opening_paid: bool,
    valid_until: datetime | None,
    now: datetime,
) -> list[Finding]:
    """Every reason a fee payment is refused."""
    if account_type in FEE_FREE_ACCOUNT_TYPES:
        return [
            Finding(
                code="FEES_NOT_APPLICABLE",
                message=f"a {account_type} account pays no opening or annual fee",
                message_zh="重点排放单位的交易账户无需缴纳开户费和年费",
                field="kind",
            )
        ]
    findings = []
    if amount != FEE_OF[kind]:
        findings.append(
            Finding(
                code="FEE_AMOUNT_WRONG",
                message=f"the {kind} fee is {FEE_OF[kind]} yuan, not {amount}",
                message_zh=f"{'开户费' if kind is FeeKind.opening else '年费'}为 {FEE_OF[kind]} 元，而非 {amount} 元",
                field="amount",
            )
        )
    if kind is FeeKind.opening and opening_paid:
        findings.append(
            Finding(
                code="OPENING_FEE_ALREADY_PAID",
                message="the opening fee was paid already",
                message_zh="开户费已缴纳",
                field="kind",
            )
        )
    if kind is FeeKind.annual and valid_until is not None and valid_until > annual_term(now, None, None).valid_until:
        findings.append(
            Finding(
                code="ANNUAL_FEE_PAID_AHEAD",
                message=f"the annual fee is paid until {valid_until.astimezone(CST).isoformat()}; "
                "only the next year's fee may be paid ahead",
                message_zh=f"年费已缴至 {valid_until.astimezone(CST).isoformat()}，仅可提前缴纳下一年度年费",
                field="kind",
            )
        )
    return findings
