"""The first period's offset application form as pure rules (seed 001 附件1 第三步至第六步): the form
window to the second, the 5% cap floored, every problem at once, decisions in order, the confirmed
quantity beside the cancelled one, and the Friday 17:00 summary instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.provincial_review.domain.offset_forms import (
    CancellationCheck,
    FormDecision,
    FormInput,
    FormStatus,
    UnitNotice,
    cancellation_check,
    content_findings,
    decision_findings,
    form_periods,
    period_findings,
    period_of_purpose,
    proof_findings,
    resubmission_findings,
    summary_after,
    week_bounds,
    week_findings,
    window_findings,
)
from shared.reference import CompliancePeriods
from shared.timeutil import CST

FORM_PERIODS = form_periods(CompliancePeriods.from_file())
PERIOD = FORM_PERIODS["2019-2020"]
NOTICE = UnitNotice("NTC-1", "420000", "火电测试企业", "91420000MA4K0000X0", 1_000_000)


def form(**kw: object) -> FormInput:
    fields: dict[str, object] = {
        "period_code": "2019-2020",
        "unit_name": NOTICE.name,
        "unit_uscc": NOTICE.uscc,
        "province": NOTICE.province,
        "obligation": NOTICE.obligation,
        "requested_quantity": 50_000,
    }
    fields.update(kw)
    return FormInput(**fields)  # type: ignore[arg-type]


def codes(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.code for f in findings]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2021, 10, 25, 23, 59, 59), ["FORM_WINDOW_NOT_OPEN"]),
        (at(2021, 10, 26, 0, 0, 0), []),
        (at(2021, 12, 10, 23, 59, 59), []),
        (at(2021, 12, 10, 23, 59, 59) + timedelta(microseconds=999_999), []),
        (at(2021, 12, 11, 0, 0, 0), ["FORM_WINDOW_CLOSED"]),
    ],
)
def test_the_form_window_runs_from_2021_10_26_to_the_end_of_2021_12_10_to_the_second(
    now: datetime, expected: list[str]
) -> None:
    assert codes(window_findings(PERIOD, now)) == expected


def test_a_form_that_matches_its_notice_within_the_cap_passes() -> None:
    assert content_findings(form(), NOTICE, PERIOD) == []


@pytest.mark.parametrize(
    ("obligation", "requested", "refused"),
    [
        (1_000_000, 50_000, False),
        (1_000_000, 50_001, True),
        (999_999, 49_999, False),  # floor(5% × 999,999) = 49,999
        (999_999, 50_000, True),
    ],
)
def test_the_requested_quantity_is_capped_at_floor_5_percent_of_the_notices_obligation(
    obligation: int, requested: int, refused: bool
) -> None:
    notice = UnitNotice("NTC-1", "420000", NOTICE.name, NOTICE.uscc, obligation)
    findings = content_findings(form(obligation=obligation, requested_quantity=requested), notice, PERIOD)
    assert codes(findings) == (["OFFSET_CAP_EXCEEDED"] if refused else [])


def test_the_cap_follows_the_notice_not_the_obligation_the_unit_states() -> None:
    findings = content_findings(form(obligation=2_000_000, requested_quantity=100_000), NOTICE, PERIOD)
    assert codes(findings) == ["OBLIGATION_MISMATCH", "OFFSET_CAP_EXCEEDED"]


def test_every_problem_of_a_form_is_reported_at_once_with_its_field() -> None:
    wrong = form(unit_name="别的企业", province="110000", obligation=900_000, requested_quantity=60_000)

    findings = content_findings(wrong, NOTICE, PERIOD)

    assert [(f.code, f.field) for f in findings] == [
        ("UNIT_NAME_MISMATCH", "unit.name"),
        ("PROVINCE_MISMATCH", "province"),
        ("OBLIGATION_MISMATCH", "obligation"),
        ("OFFSET_CAP_EXCEEDED", "requested_quantity"),
    ]
    assert all(f.message and f.message_zh for f in findings)


@pytest.mark.parametrize("requested", [0, -1])
def test_a_requested_quantity_that_is_not_positive_is_refused(requested: int) -> None:
    assert codes(content_findings(form(requested_quantity=requested), NOTICE, PERIOD)) == ["QUANTITY_NOT_POSITIVE"]


def test_a_unit_without_a_notice_is_told_so_and_still_checked_against_its_stated_obligation() -> None:
    findings = content_findings(form(obligation=100_000, requested_quantity=6_000), None, PERIOD)
    assert codes(findings) == ["NOTICE_NOT_FOUND", "OFFSET_CAP_EXCEEDED"]


def test_only_the_first_period_has_a_form() -> None:
    assert period_findings(FORM_PERIODS, "2019-2020") == []
    assert codes(period_findings(FORM_PERIODS, "2023")) == ["FORM_PERIOD_UNKNOWN"]


def test_only_a_submitted_form_is_decided_and_a_return_says_why() -> None:
    assert decision_findings(FormStatus.submitted, FormDecision.confirm, []) == []
    assert decision_findings(FormStatus.submitted, FormDecision.return_, ["申请抵销量有误"]) == []
    assert codes(decision_findings(FormStatus.submitted, FormDecision.return_, [])) == ["REASONS_REQUIRED"]
    assert codes(decision_findings(FormStatus.submitted, FormDecision.return_, ["  "])) == ["REASONS_REQUIRED"]
    assert codes(decision_findings(FormStatus.confirmed, FormDecision.confirm, [])) == ["FORM_NOT_SUBMITTED"]
    assert codes(decision_findings(FormStatus.returned, FormDecision.return_, [])) == [
        "FORM_NOT_SUBMITTED",
        "REASONS_REQUIRED",
    ]


def test_only_a_returned_form_is_resubmitted_and_its_period_stays() -> None:
    assert resubmission_findings(FormStatus.returned, "2019-2020", form()) == []
    assert codes(resubmission_findings(FormStatus.submitted, "2019-2020", form())) == ["FORM_NOT_RETURNED"]
    assert codes(resubmission_findings(FormStatus.confirmed, "2019-2020", form(period_code="2023"))) == [
        "FORM_NOT_RETURNED",
        "FORM_PERIOD_CHANGED",
    ]


def test_the_cancellation_proof_follows_the_confirmed_form() -> None:
    assert proof_findings(FormStatus.confirmed) == []
    assert codes(proof_findings(FormStatus.submitted)) == ["FORM_NOT_CONFIRMED"]


@pytest.mark.parametrize(
    ("confirmed", "cancelled", "check"),
    [
        (50_000, 50_000, CancellationCheck.matched),
        (0, 0, CancellationCheck.matched),
        (50_000, 0, CancellationCheck.not_cancelled),
        (50_000, 30_000, CancellationCheck.short),
        (50_000, 60_000, CancellationCheck.excess),
        (0, 10_000, CancellationCheck.excess),  # cancelled before the form was confirmed
    ],
)
def test_the_cancelled_quantity_is_set_beside_the_confirmed_one(
    confirmed: int, cancelled: int, check: CancellationCheck
) -> None:
    assert cancellation_check(confirmed, cancelled) is check


def test_cancellations_for_the_2019_2020_offset_belong_to_the_first_periods_form() -> None:
    assert period_of_purpose(FORM_PERIODS, "offset_2019_2020") == PERIOD
    assert period_of_purpose(FORM_PERIODS, "offset_2023") is None
    assert period_of_purpose(FORM_PERIODS, "voluntary") is None


@pytest.mark.parametrize(
    ("instant", "due"),
    [
        (at(2021, 10, 26, 9, 0), at(2021, 10, 29, 17, 0)),  # Tuesday: that week's Friday
        (at(2021, 10, 29, 16, 59, 59), at(2021, 10, 29, 17, 0)),
        (at(2021, 10, 29, 17, 0, 0), at(2021, 11, 5, 17, 0)),  # at 17:00:00: the next week's
        (at(2021, 10, 30, 9, 0), at(2021, 11, 5, 17, 0)),  # Saturday
        (datetime(2021, 10, 29, 8, 59, 59, tzinfo=UTC), at(2021, 10, 29, 17, 0)),  # 16:59:59 in Shanghai
        (datetime(2021, 10, 29, 9, 0, 0, tzinfo=UTC), at(2021, 11, 5, 17, 0)),  # 17:00:00 in Shanghai
    ],
)
def test_the_weekly_summary_is_due_on_the_first_friday_17_00_strictly_after(instant: datetime, due: datetime) -> None:
    assert summary_after(instant) == due


def test_a_week_is_named_by_its_friday_and_runs_from_the_previous_friday_17_00() -> None:
    start, end = week_bounds(date(2021, 11, 5))
    assert (start, end) == (at(2021, 10, 29, 17, 0), at(2021, 11, 5, 17, 0))
    assert end - start == timedelta(days=7)
    assert week_findings(date(2021, 11, 5)) == []
    assert codes(week_findings(date(2021, 11, 4))) == ["WEEK_NOT_FRIDAY"]
