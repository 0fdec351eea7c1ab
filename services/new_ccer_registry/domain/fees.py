"""Fees of the trading account (seed 004 第五步): project owners and ``other`` participants pay an
opening fee of 2,000 yuan and an annual fee of 1,000 yuan online; key emitting units pay nothing.

    awaiting_fees --opening fee and first annual fee both paid--> active
    active --the clock reaches annual_fee_valid_until (a due job)--> suspended
    suspended --annual fee paid (late)--> active   (valid one year from the payment)

Readings of the seed ("年费有效期为一年，自缴费之日起算，下一年度年费应当在上一年度年费期满前缴纳。期满未缴纳的，
暂停交易账户使用，续交后重新计算年费有效期"):

- One year runs from the payment *instant* to the same local (Asia/Shanghai) wall-clock time one year
  later. A payment on 29 February runs to 28 February (民法典 第二百零二条: where the end month has no
  corresponding day, its last day ends the period).
- ``annual_fee_valid_until`` is exclusive: at that very instant the fee has lapsed. A payment before it
  extends from it; a payment at or after it starts again from the payment. At the instant itself both
  readings give the same expiry, so the boundary has no jump.
- "The next year's fee before the current one expires": one year may be paid ahead, no more. A
  payment while the fee is already valid for more than a year from now is refused.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from enum import StrEnum

from shared.findings import Finding
from shared.timeutil import CST

__all__ = [
    "ANNUAL_FEE",
    "FEE_CONFLICTS",
    "FEE_FREE_ACCOUNT_TYPES",
    "OPENING_FEE",
    "FeeKind",
    "TradingStatus",
    "add_one_year",
    "annual_valid_until",
    "fee_findings",
    "lapsed",
    "trading_status",
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


def add_one_year(at: datetime) -> datetime:
    """The same local wall-clock time one year later; 29 February goes to 28 February."""
    local = at.astimezone(CST)
    year = local.year + 1
    day = min(local.day, calendar.monthrange(year, local.month)[1])
    return local.replace(year=year, day=day)


def lapsed(valid_until: datetime | None, now: datetime) -> bool:
    """Whether an annual fee valid until ``valid_until`` (exclusive) no longer covers ``now``."""
    return valid_until is None or now >= valid_until


def annual_valid_until(paid_at: datetime, valid_until: datetime | None) -> datetime:
    """The new expiry after an annual fee paid at ``paid_at``: one year after the old expiry when paid
    before it, else one year after the payment."""
    if valid_until is not None and paid_at < valid_until:
        return add_one_year(valid_until)
    return add_one_year(paid_at)


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
    if kind is FeeKind.annual and valid_until is not None and valid_until > add_one_year(now):
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
