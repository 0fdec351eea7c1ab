"""NCSC's daily cancellation records and the first period's cancellation deadline (seed 001 第五步,
第六步; domain.md §7): pure, no I/O.

- Units for the 2019-2020 offset must be cancelled before 2021-12-15 17:00 (Asia/Shanghai).
- Every day at 17:00 the records made since the previous batch go out (``cancellation.recorded``),
  to the provinces and the allowance registry. A record made at 17:00:00 or later goes out with the
  next day's batch: the batch at 17:00 is of what was recorded before it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from services.legacy_ccer_registry.domain.holdings import Purpose
from shared.findings import Finding
from shared.timeutil import CST

__all__ = [
    "CANCELLATION_DEADLINE_PASSED",
    "FIRST_PERIOD_CANCELLATION_DEADLINE",
    "cancellation_deadline_findings",
    "daily_batch_after",
]

CANCELLATION_DEADLINE_PASSED = "CANCELLATION_DEADLINE_PASSED"
FIRST_PERIOD_CANCELLATION_DEADLINE = datetime(2021, 12, 15, 17, 0, tzinfo=CST)
DAILY_BATCH_AT = time(17, 0)


def cancellation_deadline_findings(purpose: Purpose, now: datetime) -> list[Finding]:
    """A cancellation for the 2019-2020 offset is refused from 2021-12-15 17:00:00 on (seed 001 第五步)."""
    if purpose != Purpose.offset_2019_2020 or now < FIRST_PERIOD_CANCELLATION_DEADLINE:
        return []
    return [
        Finding(
            code=CANCELLATION_DEADLINE_PASSED,
            message="cancellations for the 2019-2020 offset closed at 2021-12-15 17:00 (Asia/Shanghai)",
            message_zh="用于2019-2020年度配额清缴抵销的注销已于2021年12月15日17点截止",
            field="purpose",
        )
    ]


def daily_batch_after(instant: datetime) -> datetime:
    """The first daily batch (17:00 Asia/Shanghai) strictly after ``instant``."""
    local = instant.astimezone(CST)
    batch = datetime.combine(local.date(), DAILY_BATCH_AT, tzinfo=CST)
    return batch if local < batch else batch + timedelta(days=1)
