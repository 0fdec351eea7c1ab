"""Compliance notices (履约通知书): issuance rules and a notice's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from shared.findings import Finding
from shared.offset_rules import offset_cap
from shared.timeutil import CST, local

__all__ = [
    "ISSUANCE_CODES",
    "IssuedWindow",
    "NoticeStatus",
    "Progress",
    "ccer_offsettable",
    "issuance_findings",
    "issued_window",
    "notice_year",
]

# Every reason a notice cannot be issued is about the state of things (the period, the account, the
# province's total), never about the request's form: the refusal is a conflict (409).
ISSUANCE_CODES = frozenset(
    {
        "PERIOD_NOT_ACTIVE",
        "NOT_NATIONAL_KEY_EMITTER",
        "ALLOWANCE_ACCOUNT_INACTIVE",
        "NOTICE_EXISTS",
        "PROVINCIAL_NOTICE_MISSING",
        "PROVINCIAL_TOTAL_EXCEEDED",
    }
)


class NoticeStatus(StrEnum):
    """open — 未完成; complete — 已完成"""

    open = "open"
    complete = "complete"


def ccer_offsettable(obligation: int, cap_bp: int, ccer_registered: int, ccer_under_review: int) -> int:
    """可抵消量: the cap less the CCER registered or under review for the notice, never below 0."""
    return max(0, offset_cap(obligation, cap_bp) - ccer_registered - ccer_under_review)


@dataclass(frozen=True)
class Progress:
    obligation: int
    fulfilled: int

    @property
    def status(self) -> NoticeStatus:
        return NoticeStatus.complete if self.fulfilled >= self.obligation else NoticeStatus.open


def issuance_findings(
    *,
    period_code: str,
    period_active: bool,
    account_type: str,
    account_status: str,
    provincial_total: int | None,
    already_issued_in_province: int,
    obligation: int,
    existing_notice: bool,
) -> list[Finding]:
    """Every reason a province cannot issue this enterprise notice."""
    findings = []
    if not period_active:
        findings.append(
            Finding(
                code="PERIOD_NOT_ACTIVE",
                message=f"compliance period {period_code} is not active",
                message_zh=f"履约期 {period_code} 未生效",
                field="period_code",
            )
        )
    if account_type != "national_key_emitter":
        findings.append(
            Finding(
                code="NOT_NATIONAL_KEY_EMITTER",
                message="compliance notices go to national key emitting units only",
                message_zh="履约通知书仅发放给全国重点排放单位",
                field="account_id",
            )
        )
    if account_status != "active":
        findings.append(
            Finding(
                code="ALLOWANCE_ACCOUNT_INACTIVE",
                message="the allowance account is not active",
                message_zh="配额账户状态异常",
                field="account_id",
            )
        )
    if existing_notice:
        findings.append(
            Finding(
                code="NOTICE_EXISTS",
                message=f"the account already has a compliance notice for period {period_code}",
                message_zh=f"该账户已有履约期 {period_code} 的履约通知书",
                field="account_id",
            )
        )
    if provincial_total is None:
        findings.append(
            Finding(
                code="PROVINCIAL_NOTICE_MISSING",
                message=f"the registry has not issued the province's notice for period {period_code}",
                message_zh=f"登记机构尚未发放本省履约期 {period_code} 的省级履约通知书",
                field="period_code",
            )
        )
    elif already_issued_in_province + obligation > provincial_total:
        findings.append(
            Finding(
                code="PROVINCIAL_TOTAL_EXCEEDED",
                message=f"enterprise notices would total {already_issued_in_province + obligation}, "
                f"more than the province's total obligation {provincial_total}",
                message_zh=f"企业履约通知书合计 {already_issued_in_province + obligation} "
                f"超过本省应履约总量 {provincial_total}",
                field="obligation",
            )
        )
    return findings


# --- 履约清缴任务搜索 (seed 002): the notice list's filters --------------------------------------------
def notice_year(issued_at: datetime) -> int:
    """年份 of a notice: the year (Beijing time) it was issued, the year its surrender falls due. Seed
    002 shows 2021 for the first period's (2019-2020) notice issued 2021-11-03."""
    return local(issued_at).year


@dataclass(frozen=True)
class IssuedWindow:
    """Notices issued at or after ``start`` and before ``end`` (either open)."""

    start: datetime | None = None
    end: datetime | None = None


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=CST)


def issued_window(
    issued_from: date | None, issued_to: date | None, year: int | None
) -> tuple[IssuedWindow, list[Finding]]:
    """履约通知书发放时间 from ``issued_from`` to ``issued_to`` (whole Beijing days, both included) and
    年份 ``year``, as one window; a window that ends before it starts is a finding (nothing matches it)."""
    starts = [_day_start(d) for d in (issued_from,) if d] + ([_day_start(date(year, 1, 1))] if year else [])
    ends = [_day_start(d) + timedelta(days=1) for d in (issued_to,) if d]
    ends += [_day_start(date(year + 1, 1, 1))] if year else []
    findings = []
    if issued_from and issued_to and issued_from > issued_to:
        findings.append(
            Finding(
                code="ISSUED_RANGE_INVALID",
                message=f"issued_from {issued_from} is after issued_to {issued_to}",
                message_zh=f"发放时间起 {issued_from} 晚于发放时间止 {issued_to}",
                field="issued_from",
            )
        )
    return IssuedWindow(max(starts, default=None), min(ends, default=None)), findings
