"""Automated checks of a provincial review case (domain.md §9), pure: no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from services.provincial_review.domain.checks import (
    ApplicationFacts,
    CheckCode,
    ItemFacts,
    NoticeFacts,
    NoticeUsage,
    Party,
    automated_checks,
    failing_findings,
)
from shared.offset_rules import LotFacts
from shared.timeutil import CST

ELIGIBILITY_2023 = {
    "origins": ["new", "legacy"],
    "legacy_recorded_before": "2017-03-14",
    "new_registered_on_or_after": "2024-01-22",
    "exclude_within_national_ets": True,
}
UNIT = Party("ALA-1", "华能测试电厂", "91110000MA0000001X")
DEADLINE = datetime(2024, 12, 31, 23, 59, 59, tzinfo=CST)  # "2024年12月31日前": the last second


def new_lot(**kw: object) -> LotFacts:
    return LotFacts(
        **{"origin": "new", "project_number": "CCER-P1", "registered_or_recorded_at": date(2024, 6, 1), **kw}
    )


def application(**kw: object) -> ApplicationFacts:
    base = ApplicationFacts(
        account=UNIT,
        period_code="2023",
        cap_bp=500,
        deadline=DEADLINE,
        eligibility=ELIGIBILITY_2023,
        notice_id="NTC-1",
        obligation=1_000_000,
        fulfilled=0,
        items=(ItemFacts("allowance", 950_000), ItemFacts("ccer", 50_000, new_lot())),
        submitted_at=datetime(2024, 12, 20, 10, tzinfo=CST),
    )
    return replace(base, **kw)


NOTICE = NoticeFacts("NTC-1", "2023", UNIT, 1_000_000)


def by_code(checks: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for c in checks:
        out.setdefault(c.code, []).append(c)
    return out


def test_a_conforming_application_passes_every_check_in_a_fixed_order() -> None:
    checks = automated_checks(application(), NOTICE, NoticeUsage())

    assert [c.code for c in checks] == [
        CheckCode.holder,
        CheckCode.obligation,
        CheckCode.cap,
        CheckCode.lot,
        CheckCode.deadline,
    ]
    assert all(c.passed for c in checks)
    assert all(c.detail and c.detail_zh for c in checks)
    assert failing_findings(checks) == []


def test_without_the_notice_the_holder_and_obligation_checks_say_it_is_missing() -> None:
    checks = by_code(automated_checks(application(), None, NoticeUsage()))

    for code in (CheckCode.holder, CheckCode.obligation):
        assert not checks[code][0].passed
        assert [f.code for f in checks[code][0].findings] == ["NOTICE_NOT_RECEIVED"]
    assert checks[CheckCode.cap][0].passed


def test_holder_name_and_uscc_are_compared_with_the_notice_and_every_mismatch_is_listed() -> None:
    notice = NoticeFacts("NTC-1", "2023", Party("ALA-2", "另一家电厂", "91110000MA0000002Y"), 1_000_000)

    check = by_code(automated_checks(application(), notice, NoticeUsage()))[CheckCode.holder][0]

    assert not check.passed
    assert [f.code for f in check.findings] == [
        "NOTICE_ACCOUNT_MISMATCH",
        "HOLDER_NAME_MISMATCH",
        "HOLDER_USCC_MISMATCH",
    ]


def test_an_obligation_differing_from_the_issued_notice_fails() -> None:
    check = by_code(automated_checks(application(obligation=1_200_000), NOTICE, NoticeUsage()))[CheckCode.obligation][0]

    assert [f.code for f in check.findings] == ["OBLIGATION_MISMATCH"]


def test_quantities_beyond_what_is_left_to_surrender_fail_the_obligation_check() -> None:
    usage = NoticeUsage(pending_total=100_000)

    check = by_code(automated_checks(application(), NOTICE, usage))[CheckCode.obligation][0]

    assert [f.code for f in check.findings] == ["OBLIGATION_EXCEEDED"]


def test_the_provinces_own_approvals_count_as_fulfilled_before_the_registry_reports_them() -> None:
    usage = NoticeUsage(approved_total=60_000)

    check = by_code(automated_checks(application(fulfilled=0), NOTICE, usage))[CheckCode.obligation][0]

    assert [f.code for f in check.findings] == ["OBLIGATION_EXCEEDED"]


def test_ccer_exactly_at_five_percent_is_within_the_cap_as_in_seed_002() -> None:
    check = by_code(automated_checks(application(), NOTICE, NoticeUsage()))[CheckCode.cap][0]

    assert check.passed


def test_ccer_of_other_applications_counts_against_the_cap() -> None:
    usage = NoticeUsage(approved_total=10_000, approved_ccer=1, pending_total=0, pending_ccer=0)
    app = application(items=(ItemFacts("allowance", 900_000), ItemFacts("ccer", 50_000, new_lot())))

    check = by_code(automated_checks(app, NOTICE, usage))[CheckCode.cap][0]

    assert [f.code for f in check.findings] == ["OFFSET_CAP_EXCEEDED"]


def test_the_cap_uses_the_issued_obligation_not_the_claimed_one() -> None:
    notice = NoticeFacts("NTC-1", "2023", UNIT, 900_000)

    checks = by_code(automated_checks(application(), notice, NoticeUsage()))

    assert [f.code for f in checks[CheckCode.cap][0].findings] == ["OFFSET_CAP_EXCEEDED"]


def test_each_ccer_item_gets_its_own_eligibility_check_with_every_finding() -> None:
    bad_legacy = LotFacts(
        origin="legacy", project_number="CCER-L9", units_recorded_at=date(2018, 1, 1), within_national_ets=True
    )
    app = application(
        items=(
            ItemFacts("allowance", 900_000),
            ItemFacts("ccer", 20_000, new_lot()),
            ItemFacts("ccer", 10_000, bad_legacy),
        )
    )

    lots = by_code(automated_checks(app, NOTICE, NoticeUsage()))[CheckCode.lot]

    assert [(c.item, c.passed) for c in lots] == [(1, True), (2, False)]
    assert {f.code for f in lots[1].findings} == {"LOT_WITHIN_NATIONAL_ETS", "LEGACY_RECORDED_TOO_LATE"}
    assert all(f.item == 2 for f in lots[1].findings)


def test_offset_ccer_of_the_first_period_is_not_eligible_in_2023() -> None:
    app = application(
        items=(
            ItemFacts("allowance", 950_000),
            ItemFacts("offset_ccer", 50_000, LotFacts(origin="offset_ccer", project_number="CCER21000057")),
        )
    )

    lot = by_code(automated_checks(app, NOTICE, NoticeUsage()))[CheckCode.lot][0]

    assert [f.code for f in lot.findings] == ["LOT_ORIGIN_NOT_ELIGIBLE"]


def test_missing_eligibility_rules_fail_every_ccer_item_instead_of_guessing() -> None:
    lot = by_code(automated_checks(application(eligibility={}), NOTICE, NoticeUsage()))[CheckCode.lot][0]

    assert [f.code for f in lot.findings] == ["ELIGIBILITY_RULES_INVALID"]
    assert lot.findings[0].item == 1


def test_an_application_without_ccer_shows_one_passing_lot_check() -> None:
    app = application(items=(ItemFacts("allowance", 1_000_000),))

    lots = by_code(automated_checks(app, NOTICE, NoticeUsage()))[CheckCode.lot]

    assert len(lots) == 1 and lots[0].passed


def test_submission_in_the_deadlines_second_is_on_time_and_one_second_later_too_late() -> None:
    last = DEADLINE + timedelta(microseconds=999_999)
    on_time = by_code(automated_checks(application(submitted_at=last), NOTICE, NoticeUsage()))[CheckCode.deadline][0]
    late = DEADLINE + timedelta(seconds=1)
    check = by_code(automated_checks(application(submitted_at=late), NOTICE, NoticeUsage()))[CheckCode.deadline][0]

    assert on_time.findings == []
    assert [f.code for f in check.findings] == ["DEADLINE_PASSED"]


def test_failing_findings_collects_every_failing_check_once() -> None:
    checks = automated_checks(application(submitted_at=DEADLINE + timedelta(seconds=1)), None, NoticeUsage())

    codes = [f.code for f in failing_findings(checks)]

    assert codes == ["NOTICE_NOT_RECEIVED", "DEADLINE_PASSED"]
