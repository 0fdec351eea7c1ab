"""NCSC's daily cancellation records and the cancellation deadlines of the periods (seed 001 第五步,
第六步; domain.md §7): pure, no I/O. The dates are the periods' (``shared.reference``).

- Units cancelled for a period's offset (2019-2020: purpose ``offset_2019_2020``) must be cancelled
  by its cancellation deadline (2021-12-15 17:00:00, the last second to act, Asia/Shanghai).
- Every day of a period's daily-records window (2019-2020: 2021-10-26 to 2021-12-15, both included)
  the records made up to 17:00:00 of that day and not yet sent go out at 17:00:01 ("于每日 17 点后",
  ``cancellation.recorded``), to the provinces and the allowance registry. A record made before the
  window opens goes out with its first batch; on no day outside a window is anything sent.
"""

from __future__ import annotations

from datetime import datetime

from services.legacy_ccer_registry.domain.holdings import Purpose
from shared.findings import Finding
from shared.reference import CompliancePeriods
from shared.timeutil import after_deadline, local

__all__ = [
    "CANCELLATION_DEADLINE_PASSED",
    "cancellation_deadline_findings",
    "daily_batch_after",
]

CANCELLATION_DEADLINE_PASSED = "CANCELLATION_DEADLINE_PASSED"


def cancellation_deadline_findings(periods: CompliancePeriods, purpose: Purpose, now: datetime) -> list[Finding]:
    """A cancellation for a period's offset is refused once the period's cancellation deadline has
    passed (2019-2020: from 2021-12-15 17:00:01 on, seed 001 第五步)."""
    rule = periods.cancellation_of(purpose.value)
    if rule is None or not after_deadline(rule.deadline, now):
        return []
    deadline = local(rule.deadline)
    return [
        Finding(
            code=CANCELLATION_DEADLINE_PASSED,
            message=f"cancellations for the {purpose.value} purpose closed at {deadline.isoformat()} "
            "(the last instant to cancel)",
            message_zh=f"用途为 {purpose.value} 的注销已于 {deadline:%Y年%m月%d日%H:%M:%S} 截止",
            field="purpose",
        )
    ]


def daily_batch_after(periods: CompliancePeriods, instant: datetime) -> datetime | None:
    """The daily batch that sends a record made at ``instant``: the first batch of a daily-records
    window that covers it (a batch covers what was recorded up to 17:00:00 of its day); None when
    no window has a batch left, and the record is never sent."""
    return periods.daily_batch_after(instant)
