"""Time zone helpers: everything is stored aware, shown in Asia/Shanghai."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

__all__ = [
    "CST",
    "UTC",
    "LocalDateTime",
    "LocalJSON",
    "LocalJSONList",
    "after_deadline",
    "at_local",
    "end_of_day",
    "first_second_after",
    "json_default",
    "local",
    "local_instants",
    "start_of_day_after",
]

CST = ZoneInfo("Asia/Shanghai")


def local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(CST)


# The type of every instant in a response: rendered in China Standard Time whatever offset it was
# stored or computed in: every instant in a response is +08:00.
LocalDateTime = Annotated[datetime, PlainSerializer(local, return_type=datetime)]

# A whole JSON string that is an instant with an offset ("2025-06-01T01:00:00Z",
# "2025-06-01 01:00:00.5+00:00"); dates and times without an offset are left alone.
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def local_instants(value: Any) -> Any:
    """``value`` (free-form JSON: a history, an audit or movement detail, an event) with every string
    that is an instant rendered in +08:00, whatever offset it was written with."""
    if isinstance(value, str):
        if len(value) <= 40 and _INSTANT.fullmatch(value):
            return local(datetime.fromisoformat(value.replace("Z", "+00:00"))).isoformat()
        return value
    if isinstance(value, dict):
        return {k: local_instants(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [local_instants(v) for v in value]
    return value


def json_default(value: Any) -> Any:
    """``json.dumps`` ``default`` for stored JSON: an instant in +08:00 (ISO 8601), else ``str``."""
    if isinstance(value, datetime):
        return local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# Free-form JSON in a response, its instants in +08:00 (rows written before that rule included).
LocalJSON = Annotated[dict[str, Any], PlainSerializer(local_instants, return_type=dict[str, Any])]
LocalJSONList = Annotated[list[dict[str, Any]], PlainSerializer(local_instants, return_type=list[dict[str, Any]])]


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
