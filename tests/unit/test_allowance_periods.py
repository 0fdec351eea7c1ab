"""Compliance period definitions: built-ins as data, overrides, two-person rule, recall instants."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.allowance_registry.adapters.catalogue import builtin_instruments, builtin_periods
from services.allowance_registry.domain.periods import (
    DefinitionInvalid,
    build_definition,
    recall_instant,
    two_person_finding,
)
from shared.timeutil import CST
from shared.workdays import CalendarUnavailable, WorkdayCalendar


def builtin(key: str, **overrides: object):
    return build_definition(builtin_periods()[key], key, dict(overrides))


def test_the_builtin_periods_of_the_seeds_ship_as_data() -> None:
    first, y2023, y2024 = builtin("2019-2020"), builtin("2023"), builtin("2024")

    assert first.allowance_instruments == ["PE2021000097"]
    assert first.eligibility.origins == ["offset_ccer"]
    assert first.application_deadline == datetime(2021, 12, 31, 17, 0, tzinfo=CST)
    assert first.target_date == datetime(2021, 12, 15, 17, 0, tzinfo=CST)
    assert first.recall_after_working_days is None
    assert y2023.eligibility.origins == ["new", "legacy"]
    assert y2023.eligibility.legacy_recorded_before == date(2017, 3, 14)
    assert y2023.eligibility.new_registered_on_or_after == date(2024, 1, 22)
    assert y2023.application_deadline == datetime(2024, 12, 31, 23, 59, 59, tzinfo=CST)  # "2024年12月31日前"
    assert y2024.eligibility.origins == ["new"]
    assert y2024.application_deadline == datetime(2025, 12, 31, 23, 59, 59, tzinfo=CST)
    assert {p.cap_bp for p in (first, y2023, y2024)} == {500}
    assert all(p.eligibility.exclude_within_national_ets for p in (first, y2023, y2024))
    assert builtin_instruments()["PE2021000097"]["name"] == "2019-2020年配额"


def test_the_recall_instants_are_exact_to_the_second() -> None:
    calendar = WorkdayCalendar()

    assert recall_instant(calendar, builtin("2023")) == datetime(2025, 1, 23, 0, 0, 0, tzinfo=CST)
    assert recall_instant(calendar, builtin("2024")) == datetime(2026, 1, 23, 0, 0, 0, tzinfo=CST)
    assert recall_instant(calendar, builtin("2019-2020")) is None


def test_a_recall_in_a_year_without_holiday_data_fails_instead_of_guessing() -> None:
    with pytest.raises(CalendarUnavailable):
        recall_instant(WorkdayCalendar(), builtin("2024", period_end="2030-12-31"))


def test_any_field_may_be_overridden_and_the_code_defaults_to_the_key() -> None:
    period = builtin("2024", allowance_instruments=["PE2025000001", "PE2021000097"], cap_bp=300, code="2024-b")

    assert period.code == "2024-b"
    assert period.allowance_instruments == ["PE2025000001", "PE2021000097"]
    assert period.cap_bp == 300
    assert builtin("2024").code == "2024"


def test_a_definition_reports_every_missing_or_invalid_field_at_once() -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        build_definition(None, None, {"code": "bad code!", "cap_bp": 20_000})

    found = {(f.code, f.field) for f in caught.value.findings}
    assert found == {
        ("PERIOD_FIELD_INVALID", "code"),
        ("PERIOD_FIELD_INVALID", "cap_bp"),
        ("PERIOD_FIELD_MISSING", "name"),
        ("PERIOD_FIELD_MISSING", "allowance_instruments"),
        ("PERIOD_FIELD_MISSING", "eligibility"),
        ("PERIOD_FIELD_MISSING", "application_deadline"),
    }


def test_a_recall_needs_the_period_end() -> None:
    with pytest.raises(DefinitionInvalid):
        builtin("2024", period_end=None)


def test_the_proposer_never_approves_their_own_period() -> None:
    finding = two_person_finding("alice", "alice")

    assert finding is not None and finding.code == "TWO_PERSON_RULE" and finding.message_zh
    assert two_person_finding("alice", "bob") is None
