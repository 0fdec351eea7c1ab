"""Trading account fees (seed 004 第五步), pure arithmetic: one year from the payment instant, early
payment extends from the old expiry, late payment restarts, the expiry instant itself is lapsed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.new_ccer_registry.domain.fees import (
    FeeKind,
    TradingStatus,
    add_one_year,
    annual_valid_until,
    fee_findings,
    lapsed,
    trading_status,
)
from shared.timeutil import CST, UTC

PAID = datetime(2025, 3, 10, 10, 0, tzinfo=CST)
EXPIRY = datetime(2026, 3, 10, 10, 0, tzinfo=CST)


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


def test_an_annual_fee_is_valid_one_year_from_the_payment_instant() -> None:
    assert annual_valid_until(PAID, None) == EXPIRY


def test_one_year_is_counted_in_shanghai_time_whatever_zone_the_instant_was_given_in() -> None:
    # 2025-12-31 17:00 UTC is 2026-01-01 01:00 in Shanghai: one year later is 2027-01-01 01:00 there.
    assert add_one_year(datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) == datetime(2027, 1, 1, 1, 0, tzinfo=CST)


def test_a_fee_paid_on_29_february_runs_to_28_february_of_the_next_year() -> None:
    assert add_one_year(datetime(2028, 2, 29, 9, 30, tzinfo=CST)) == datetime(2029, 2, 28, 9, 30, tzinfo=CST)


def test_a_fee_paid_early_extends_from_the_old_expiry() -> None:
    assert annual_valid_until(EXPIRY - timedelta(days=30), EXPIRY) == datetime(2027, 3, 10, 10, 0, tzinfo=CST)


def test_a_fee_paid_on_time_a_second_before_expiry_still_extends_from_the_old_expiry() -> None:
    assert annual_valid_until(EXPIRY - timedelta(seconds=1), EXPIRY) == datetime(2027, 3, 10, 10, 0, tzinfo=CST)


def test_a_fee_paid_late_runs_one_year_from_the_payment() -> None:
    late = datetime(2026, 5, 20, 15, 45, tzinfo=CST)

    assert annual_valid_until(late, EXPIRY) == datetime(2027, 5, 20, 15, 45, tzinfo=CST)


def test_exactly_at_expiry_the_fee_has_lapsed_and_a_payment_then_gives_the_same_year_either_way() -> None:
    assert lapsed(EXPIRY, EXPIRY)
    assert not lapsed(EXPIRY, EXPIRY - timedelta(microseconds=1))
    assert annual_valid_until(EXPIRY, EXPIRY) == add_one_year(EXPIRY) == datetime(2027, 3, 10, 10, 0, tzinfo=CST)


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
    two_years = datetime(2027, 3, 10, 10, 0, tzinfo=CST)
    assert codes(valid_until=two_years, now=PAID) == ["ANNUAL_FEE_PAID_AHEAD"]
