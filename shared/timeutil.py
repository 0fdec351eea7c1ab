"""Time zone helpers: everything is stored aware, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

__all__ = ["CST", "UTC", "LocalDateTime", "at_local", "local", "start_of_day_after"]

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
