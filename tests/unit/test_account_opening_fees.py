"""Trading account fees (seed 004 第五步), pure arithmetic: a year counted in days from the day after
the payment to 24:00 of the same date a year later (民法典 第二百零一条至第二百零三条), 29 February, a last
day on a rest day, early payment following the current year, late payment restarting the year."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from services.new_ccer_registry.domain.fees import (
    FeeKind,
    TradingStatus,
    annual_term,
    extended_for_holidays,
    fee_findings,
    lapsed,
    last_day_of,
    trading_status,
    year_after,
)
from shared.timeutil import CST, UTC
from shared.workdays import WorkdayCalendar

PAID = datetime(2025, 3, 10, 10, 0, tzinfo=CST)
# Valid through 10 March 2026, i.e. until 24:00 that day.
EXPIRY = datetime(2026, 3, 11, 0, 0, tzinfo=CST)


def codes(**kw: object) -> list[str]:
    defaults: dict[str, object] = {
        "account_type": "project_owner",
        "kind": FeeKind.annual,
        "amount": 1000,
        "opening_paid": False,
        "valid_until": None,
        "now": PAID,
    }
    return [f.code for f in fee_findings(**{**defaults, **kw})]  # type: ignore[arg-type]


def test_an_annual_fee_runs_to_24_00_of_the_same_date_a_year_later_whatever_the_time_of_payment() -> None:
    morning = annual_term(datetime(2025, 3, 10, 0, 1, tzinfo=CST), None, None)
    evening = annual_term(datetime(2025, 3, 10, 23, 59, tzinfo=CST), None, None)

    assert morning.valid_until == evening.valid_until == EXPIRY
    assert morning.last_day == date(2026, 3, 10)
    assert morning.valid_from == datetime(2025, 3, 10, 0, 1, tzinfo=CST)  # covered from the payment on


def test_the_day_of_payment_is_the_beijing_day_whatever_zone_the_instant_was_given_in() -> None:
    # 2025-12-31 17:00 UTC is 2026-01-01 01:00 in Beijing: valid through 2027-01-01.
    term = annual_term(datetime(2025, 12, 31, 17, 0, tzinfo=UTC), None, None)

    assert term.valid_until == datetime(2027, 1, 2, 0, 0, tzinfo=CST)


def test_a_fee_paid_on_29_february_runs_through_28_february_of_the_next_year() -> None:
    assert year_after(date(2028, 2, 29)) == date(2029, 2, 28)
    assert annual_term(datetime(2028, 2, 29, 9, 30, tzinfo=CST), None, None).valid_until == datetime(
        2029, 3, 1, 0, 0, tzinfo=CST
    )


def test_a_fee_paid_early_adds_the_next_year_after_the_current_one() -> None:
    term = annual_term(EXPIRY - timedelta(days=30), EXPIRY, date(2026, 3, 10))

    assert (term.valid_from, term.last_day, term.valid_until) == (
        EXPIRY,
        date(2027, 3, 10),
        datetime(2027, 3, 11, 0, 0, tzinfo=CST),
    )


def test_the_next_year_follows_the_last_day_before_a_holiday_extension() -> None:
    # The current year ended on Sunday 2026-03-01 and was extended to Monday 2026-03-02 at the lapse
    # check; a payment during the extension still adds the year through 2027-03-01.
    extended_until = datetime(2026, 3, 3, 0, 0, tzinfo=CST)

    term = annual_term(datetime(2026, 3, 2, 15, 0, tzinfo=CST), extended_until, date(2026, 3, 1))

    assert (term.last_day, term.valid_until) == (date(2027, 3, 1), datetime(2027, 3, 2, 0, 0, tzinfo=CST))


def test_a_fee_paid_a_second_before_expiry_still_follows_the_current_year() -> None:
    term = annual_term(EXPIRY - timedelta(seconds=1), EXPIRY, None)

    assert term.valid_until == datetime(2027, 3, 11, 0, 0, tzinfo=CST)


def test_a_fee_paid_late_runs_a_year_from_the_day_of_payment() -> None:
    late = datetime(2026, 5, 20, 15, 45, tzinfo=CST)

    assert annual_term(late, EXPIRY, date(2026, 3, 10)).valid_until == datetime(2027, 5, 21, 0, 0, tzinfo=CST)


def test_exactly_at_expiry_the_fee_has_lapsed_and_a_payment_then_starts_a_new_year() -> None:
    assert lapsed(EXPIRY, EXPIRY)
    assert not lapsed(EXPIRY, EXPIRY - timedelta(microseconds=1))
    assert annual_term(EXPIRY, EXPIRY, date(2026, 3, 10)).valid_until == datetime(2027, 3, 12, 0, 0, tzinfo=CST)


def test_the_last_day_is_the_day_that_ends_at_the_expiry() -> None:
    assert last_day_of(EXPIRY) == date(2026, 3, 10)
    assert last_day_of(datetime(2026, 3, 10, 2, 0, tzinfo=UTC)) == date(2026, 3, 10)  # 10:00 in Beijing


def test_a_last_day_on_a_statutory_holiday_gives_way_to_the_first_working_day_after_it() -> None:
    calendar = WorkdayCalendar()

    # National Day 2025: 1-8 October off, Saturday 11 October a make-up working day.
    assert extended_for_holidays(date(2025, 10, 1), calendar.is_workday) == date(2025, 10, 9)
    assert extended_for_holidays(date(2025, 10, 11), calendar.is_workday) == date(2025, 10, 11)
    # An ordinary Sunday is a rest day too; a Wednesday stays.
    assert extended_for_holidays(date(2026, 3, 1), calendar.is_workday) == date(2026, 3, 2)
    assert extended_for_holidays(date(2026, 3, 11), calendar.is_workday) == date(2026, 3, 11)


@pytest.mark.parametrize(
    ("opening_paid", "valid_until", "now", "status"),
    [
        (False, None, PAID, TradingStatus.awaiting_fees),
        (True, None, PAID, TradingStatus.awaiting_fees),
        (False, EXPIRY, PAID, TradingStatus.awaiting_fees),
        (True, EXPIRY, PAID, TradingStatus.active),
        (True, EXPIRY, EXPIRY - timedelta(seconds=1), TradingStatus.active),
        (True, EXPIRY, EXPIRY, TradingStatus.suspended),
    ],
)
def test_a_project_owners_trading_account_is_active_only_with_both_fees_paid_and_the_annual_one_valid(
    opening_paid: bool, valid_until: datetime | None, now: datetime, status: TradingStatus
) -> None:
    assert (
        trading_status(account_type="project_owner", opening_paid=opening_paid, valid_until=valid_until, now=now)
        is status
    )


def test_a_key_emitters_trading_account_is_active_without_fees() -> None:
    assert (
        trading_status(account_type="local_key_emitter", opening_paid=False, valid_until=None, now=PAID)
        is TradingStatus.active
    )


def test_the_fees_are_two_thousand_opening_and_one_thousand_annual_and_nothing_else() -> None:
    assert codes(kind=FeeKind.opening, amount=2000) == []
    assert codes(kind=FeeKind.annual, amount=1000) == []
    assert codes(kind=FeeKind.opening, amount=1000) == ["FEE_AMOUNT_WRONG"]
    assert codes(kind=FeeKind.annual, amount=999) == ["FEE_AMOUNT_WRONG"]


@pytest.mark.parametrize("account_type", ["national_key_emitter", "local_key_emitter"])
def test_a_key_emitting_unit_pays_no_fee(account_type: str) -> None:
    assert codes(account_type=account_type, kind=FeeKind.opening, amount=2000) == ["FEES_NOT_APPLICABLE"]


def test_the_opening_fee_is_paid_once() -> None:
    assert codes(kind=FeeKind.opening, amount=2000, opening_paid=True) == ["OPENING_FEE_ALREADY_PAID"]


def test_the_next_years_fee_may_be_paid_ahead_but_not_the_year_after() -> None:
    assert codes(valid_until=EXPIRY, now=PAID) == []  # one year left: the next year may be paid
    two_years = datetime(2027, 3, 11, 0, 0, tzinfo=CST)
    assert codes(valid_until=two_years, now=PAID) == ["ANNUAL_FEE_PAID_AHEAD"]
