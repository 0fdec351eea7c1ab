"""PRC working-day arithmetic (domain.md §5)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shared.timeutil import CST
from shared.workdays import CalendarUnavailable, WorkdayCalendar, due_after_working_days

calendar = WorkdayCalendar()


def test_2023_recall_is_due_at_midnight_after_the_15th_working_day_of_2025() -> None:
    assert calendar.add_working_days(date(2024, 12, 31), 15) == date(2025, 1, 22)
    assert due_after_working_days(calendar, date(2024, 12, 31), 15) == datetime(2025, 1, 23, 0, 0, tzinfo=CST)


def test_2024_recall_counts_the_make_up_sunday_2026_01_04_as_a_working_day() -> None:
    assert calendar.is_workday(date(2026, 1, 4))  # Sunday, 调休 make-up working day
    assert not calendar.is_workday(date(2026, 1, 1))  # New Year's Day
    assert calendar.add_working_days(date(2025, 12, 31), 15) == date(2026, 1, 22)
    assert due_after_working_days(calendar, date(2025, 12, 31), 15) == datetime(2026, 1, 23, 0, 0, tzinfo=CST)


def test_spring_festival_days_are_skipped() -> None:
    # 2025 Spring Festival holiday: 28 Jan - 4 Feb; 26 Jan (Sunday) and 8 Feb (Saturday) are make-up days.
    assert not calendar.is_workday(date(2025, 1, 29))
    assert calendar.is_workday(date(2025, 1, 26))
    assert calendar.is_workday(date(2025, 2, 8))


def test_counting_starts_the_day_after_the_start_date() -> None:
    # Friday 2025-03-07 + 1 working day = Monday 2025-03-10.
    assert calendar.add_working_days(date(2025, 3, 7), 1) == date(2025, 3, 10)


def test_sync_sla_five_working_days_after_sending() -> None:
    # Sent Monday 2024-12-16: days counted from Tuesday → the 5th working day is Monday 2024-12-23.
    assert calendar.add_working_days(date(2024, 12, 16), 5) == date(2024, 12, 23)


def test_a_year_without_data_is_a_clear_error_not_a_guess() -> None:
    with pytest.raises(CalendarUnavailable, match="2031"):
        calendar.add_working_days(date(2030, 12, 31), 15)


def test_operator_supplied_holidays_cover_an_uncovered_year() -> None:
    supplied = WorkdayCalendar.from_mapping(
        {2031: {"holidays": ["2031-01-01", "2031-01-02"], "workdays": ["2031-01-04"]}}
    )
    assert not supplied.is_workday(date(2031, 1, 1))
    assert supplied.is_workday(date(2031, 1, 4))  # a Saturday made a working day
    # From 2031-01-01: 01-02 holiday, 01-03 (Fri), 01-04 (Sat, make-up), 01-06 (Mon).
    assert supplied.add_working_days(date(2031, 1, 1), 3) == date(2031, 1, 6)


def test_operator_data_is_read_from_a_json_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "holidays.json"
    path.write_text('{"2032": {"holidays": ["2032-01-01"], "workdays": []}}')
    supplied = WorkdayCalendar.from_file(path)
    assert not supplied.is_workday(date(2032, 1, 1))
    assert supplied.is_workday(date(2032, 1, 2))
