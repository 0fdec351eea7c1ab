"""Monitoring a compliance period (seed 001 二, domain.md §7.7): who complied by the 95% date and by the
deadline, who did not surrender in full on time (未按时足额清缴), and what an enterprise's home page
(seed 002) counts. Pure, no I/O.

- A unit is an enterprise notice of the period. It is complete by an instant when the notice was
  completed (the province's approval that fulfilled it) by that instant, read as every deadline
  is (``shared.timeutil.after_deadline``): the last second a person can act, "17点前" being 17:00:00
  — a notice completed during 17:00:00 is on time, at 17:00:01 it is not.
- Asked before an instant has passed, "complete by" it means complete so far.
- Shares are ``Decimal`` counts over units, rounded half-even to 4 places; no float arithmetic. A
  period without units has no share (``None``).
- The 95% target (seed 001: 2021-12-15 17:00 for 95% of units, 2021-12-31 17:00 for all) applies to a
  period that has a target date; it is met when complete_by_target_date / units ≥ 95%, in integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from services.allowance_registry.domain.application_state import EDITABLE, ApplicationStatus
from services.allowance_registry.domain.notices import NoticeStatus
from shared.timeutil import after_deadline

__all__ = [
    "OVERDUE_JOB",
    "TARGET_BP",
    "ApplicationCounts",
    "Completion",
    "ComplianceStats",
    "HoldingTotals",
    "UnitProgress",
    "application_counts",
    "complete_before",
    "completion",
    "completion_filter",
    "compliance_stats",
    "holding_totals",
    "notice_name",
    "overdue_units",
    "share",
    "target_share",
]

# The due job that marks a period's incomplete notices overdue when its application deadline passes.
OVERDUE_JOB = "mark_overdue_notices"

# Seed 001 二: 95% of a province's units complete by the target date (basis points of units).
TARGET_BP = 9500
_SHARE_PLACES = Decimal("0.0001")


class Completion(StrEnum):
    """open — 未完成; complete — 已完成; overdue — 未按时足额清缴（逾期未完成）;
    complete_late — 逾期完成（未按时足额清缴，截止后完成）"""

    open = "open"
    complete = "complete"
    overdue = "overdue"
    complete_late = "complete_late"

    @property
    def zh(self) -> str:
        return _COMPLETION_ZH[self]


_COMPLETION_ZH = {
    Completion.open: "未完成",
    Completion.complete: "已完成",
    Completion.overdue: "未按时足额清缴",
    Completion.complete_late: "逾期完成（未按时足额清缴）",
}


def completion_filter(wanted: Completion) -> tuple[NoticeStatus, bool]:
    """The notice status and whether it carries an overdue mark, for a completion status asked for."""
    complete = wanted in (Completion.complete, Completion.complete_late)
    overdue = wanted in (Completion.overdue, Completion.complete_late)
    return (NoticeStatus.complete if complete else NoticeStatus.open), overdue


def completion(status: str, overdue: bool) -> Completion:
    """A notice's completion status as the registry shows it (履约完成状态)."""
    complete = status == NoticeStatus.complete
    if overdue:
        return Completion.complete_late if complete else Completion.overdue
    return Completion.complete if complete else Completion.open


def notice_name(holder_name: str, issued_at_local: datetime) -> str:
    """履约通知书名称 as seed 002 shows it: "火电测试企业履约通知书2021-11-3" (the local issue date)."""
    d = issued_at_local.date()
    return f"{holder_name}履约通知书{d.year}-{d.month}-{d.day}"


@dataclass(frozen=True)
class UnitProgress:
    """One unit's notice of the period, as monitoring reads it."""

    notice_id: str
    account_id: str
    name: str
    uscc: str
    province: str
    obligation: int
    fulfilled: int
    under_review: int
    completed_at: datetime | None
    overdue_at: datetime | None = None


def complete_before(unit: UnitProgress, instant: datetime) -> bool:
    return unit.completed_at is not None and not after_deadline(instant, unit.completed_at)


def overdue_units(units: Iterable[UnitProgress], deadline: datetime) -> list[UnitProgress]:
    """The units that did not surrender in full before the deadline (未按时足额清缴)."""
    return [u for u in units if not complete_before(u, deadline)]


def share(count: int, units: int) -> Decimal | None:
    if units == 0:
        return None
    return (Decimal(count) / Decimal(units)).quantize(_SHARE_PLACES, rounding=ROUND_HALF_EVEN)


def target_share(target_date: datetime | None) -> Decimal | None:
    return Decimal(TARGET_BP) / Decimal(10000) if target_date is not None else None


@dataclass(frozen=True)
class ComplianceStats:
    units: int
    complete: int
    complete_by_target_date: int | None
    units_short: list[UnitProgress]
    deadline: datetime
    target_date: datetime | None
    final: bool  # the deadline has passed: "complete" is final, not "so far"

    @property
    def share_complete(self) -> Decimal | None:
        return share(self.complete, self.units)

    @property
    def share_complete_by_target_date(self) -> Decimal | None:
        if self.complete_by_target_date is None:
            return None
        return share(self.complete_by_target_date, self.units)

    @property
    def target_share(self) -> Decimal | None:
        return target_share(self.target_date)

    @property
    def overdue(self) -> int:
        """Units marked overdue (未按时足额清缴) by the deadline's job."""
        return sum(u.overdue_at is not None for u in self.units_short)

    @property
    def target_met(self) -> bool | None:
        """95% of units complete by the target date (integers: count × 10000 ≥ 9500 × units)."""
        if self.complete_by_target_date is None or self.units == 0:
            return None
        return self.complete_by_target_date * 10000 >= TARGET_BP * self.units


def compliance_stats(
    units: Sequence[UnitProgress], *, deadline: datetime, target_date: datetime | None, now: datetime
) -> ComplianceStats:
    by_target = sum(complete_before(u, target_date) for u in units) if target_date is not None else None
    return ComplianceStats(
        units=len(units),
        complete=sum(complete_before(u, deadline) for u in units),
        complete_by_target_date=by_target,
        units_short=overdue_units(units, deadline),
        deadline=deadline,
        target_date=target_date,
        final=after_deadline(deadline, now),
    )


@dataclass(frozen=True)
class ApplicationCounts:
    """Seed 002's home page: 履约: 待办 (drafts and returned applications) | 待审核 (submitted)."""

    to_do: int
    under_review: int


def application_counts(statuses: Iterable[str]) -> ApplicationCounts:
    listed = list(statuses)
    return ApplicationCounts(
        to_do=sum(s in EDITABLE for s in listed),
        under_review=sum(s == ApplicationStatus.submitted for s in listed),
    )


@dataclass(frozen=True)
class HoldingTotals:
    """One kind of holding summed over its instruments: 登记持仓 (registry side, frozen included) and
    交易持仓 (trading side), as seed 002's home page shows them."""

    registry: int
    trading: int
    frozen: int

    @property
    def available(self) -> int:
        return self.registry - self.frozen


def holding_totals(rows: Iterable[tuple[int, int, int]]) -> HoldingTotals:
    """Sum (registry, trading, frozen) rows."""
    registry = trading = frozen = 0
    for r, t, f in rows:
        registry, trading, frozen = registry + r, trading + t, frozen + f
    return HoldingTotals(registry, trading, frozen)
