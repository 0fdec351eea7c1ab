"""PRC working days (工作日): State Council schedule with make-up days (调休).

``chinesecalendar`` covers the years it ships data for; for any other year an operator supplies
that year's holidays and make-up working days as data (JSON or YAML)::

    {"2027": {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-07", ...]}}

With neither, the calendar raises :class:`CalendarUnavailable` instead of guessing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar

from shared.timeutil import at_local

__all__ = ["CalendarUnavailable", "WorkdayCalendar", "due_after_working_days"]


class CalendarUnavailable(Exception):
    """No holiday data for a year: chinesecalendar does not cover it and no operator data was given."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"no PRC working-day data for {year}: chinesecalendar does not cover it; supply it in CCER_HOLIDAYS_FILE"
        )
        self.year = year


@dataclass
class WorkdayCalendar:
    # year -> (holidays, make-up working days) supplied by the operator; takes precedence.
    extra: dict[int, tuple[frozenset[date], frozenset[date]]] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path | None) -> WorkdayCalendar:
        if path is None:
            return cls()
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yaml", ".yml"):
            import yaml

            raw = yaml.safe_load(text)
        else:
            raw = json.loads(text)
        return cls.from_mapping(raw)

    @classmethod
    def from_mapping(cls, raw: dict) -> WorkdayCalendar:
        extra = {}
        for year, spec in raw.items():
            hol = frozenset(date.fromisoformat(str(d)) for d in spec.get("holidays", []))
            work = frozenset(date.fromisoformat(str(d)) for d in spec.get("workdays", []))
            extra[int(year)] = (hol, work)
        return cls(extra)

    def is_workday(self, d: date) -> bool:
        if d.year in self.extra:
            holidays, workdays = self.extra[d.year]
            if d in workdays:
                return True
            if d in holidays:
                return False
            return d.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError as exc:
            raise CalendarUnavailable(d.year) from exc

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day counted from the day after ``start``."""
        if n < 1:
            raise ValueError("n must be at least 1")
        d, seen = start, 0
        while seen < n:
            d += timedelta(days=1)
            if self.is_workday(d):
                seen += 1
        return d


def due_after_working_days(calendar: WorkdayCalendar, start: date, n: int) -> datetime:
    """ "N working days after D": due at 00:00 (Asia/Shanghai) of the day after the N-th working day."""
    return at_local(calendar.add_working_days(start, n) + timedelta(days=1))
