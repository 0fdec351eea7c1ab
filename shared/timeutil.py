"""Time zone helpers: everything is stored aware, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

__all__ = [
    "CST",
    "UTC",
    "LocalDateTime",
    "after_deadline",
    "at_local",
    "end_of_day",
    "first_second_after",
    "local",
    "start_of_day_after",
]

CST = ZoneInfo("Asia/Shanghai")


def local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(CST)


# The type of every instant in a response: rendered in China Standard Time whatever offset it was
# stored or computed in (api.md "time": responses in +08:00).
LocalDateTime = Annotated[datetime, PlainSerializer(local, return_type=datetime)]


def at_local(d: date, t: time = time(0, 0)) -> datetime:
    return datetime.combine(d, t, tzinfo=CST)


def start_of_day_after(d: date) -> datetime:
    """ "By the end of day D" means before this instant (00:00 of D+1, Asia/Shanghai)."""
    from datetime import timedelta

    return at_local(d + timedelta(days=1))


def end_of_day(d: date) -> datetime:
    """ "By the end of day D" (D日前) as a deadline: its last second, 23:59:59 Asia/Shanghai."""
    return at_local(d, time(23, 59, 59))


def after_deadline(deadline: datetime, at: datetime) -> bool:
    """Whether ``at`` is too late for ``deadline``.

    The one reading of a deadline in every service: a deadline is the last instant a person can
    act, to the second ("12月15日17点前" is 17:00:00, "12月31日前" is 23:59:59). An act within that
    second is on time (at 17:00:00.4 the clock on the wall still reads 17:00:00); one second later,
    it is late."""
    return at.replace(microsecond=0) > deadline


def first_second_after(deadline: datetime) -> datetime:
    """The first instant at which ``deadline`` has passed (when a job that follows it falls due)."""
    from datetime import timedelta

    return deadline.replace(microsecond=0) + timedelta(seconds=1)
