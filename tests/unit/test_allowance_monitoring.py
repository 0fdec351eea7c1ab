"""Monitoring rules of a compliance period (seed 001 二), pure: complete by an instant means completed
strictly before it ("17点前"), shares are Decimals, the 95% target is met in integers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from services.allowance_registry.domain.monitoring import (
    Completion,
    UnitProgress,
    application_counts,
    completion,
    compliance_stats,
    holding_totals,
    notice_name,
    overdue_units,
    share,
)
from shared.timeutil import CST

TARGET = datetime(2021, 12, 15, 17, 0, tzinfo=CST)
DEADLINE = datetime(2021, 12, 31, 17, 0, tzinfo=CST)


def unit(
    name: str, completed_at: datetime | None, *, fulfilled: int = 0, overdue_at: datetime | None = None
) -> UnitProgress:
    return UnitProgress(
        notice_id=f"NTC-{name}",
        account_id=f"ACC-{name}",
        name=name,
        uscc="91110000MA0000000X",
        province="420000",
        obligation=1_000,
        fulfilled=1_000 if completed_at else fulfilled,
        under_review=0,
        completed_at=completed_at,
        overdue_at=overdue_at,
    )


def test_after_the_deadline_one_of_three_counts_by_the_target_two_by_the_deadline_and_the_third_is_short() -> None:
    units = [
        unit("early", TARGET - timedelta(days=5)),
        unit("between", TARGET + timedelta(days=5)),
        unit("never", None, fulfilled=400),
    ]

    stats = compliance_stats(units, deadline=DEADLINE, target_date=TARGET, now=DEADLINE + timedelta(days=1))

    assert (stats.units, stats.complete_by_target_date, stats.complete) == (3, 1, 2)
    assert stats.share_complete_by_target_date == Decimal("0.3333")
    assert stats.share_complete == Decimal("0.6667")
    assert [(u.name, u.obligation, u.fulfilled) for u in stats.units_short] == [("never", 1_000, 400)]
    assert stats.final is True
    assert stats.target_share == Decimal("0.95") and stats.target_met is False


def test_before_the_deadline_complete_means_complete_so_far() -> None:
    units = [unit("early", TARGET - timedelta(days=5)), unit("later", None), unit("never", None)]

    stats = compliance_stats(units, deadline=DEADLINE, target_date=TARGET, now=TARGET + timedelta(minutes=1))

    assert (stats.complete_by_target_date, stats.complete, stats.final) == (1, 1, False)
    assert [u.name for u in stats.units_short] == ["later", "never"]


def test_a_notice_completed_during_17_00_00_is_on_time_and_at_17_00_01_it_is_late() -> None:
    second = timedelta(seconds=1)
    at_target = unit("at-target", TARGET + timedelta(microseconds=999_999))
    after_target = unit("after-target", TARGET + second)
    at_deadline = unit("at-deadline", DEADLINE)
    after_deadline = unit("after-deadline", DEADLINE + second)
    units = [at_target, after_target, at_deadline, after_deadline]

    during = compliance_stats(units, deadline=DEADLINE, target_date=TARGET, now=DEADLINE)
    stats = compliance_stats(units, deadline=DEADLINE, target_date=TARGET, now=DEADLINE + second)

    assert (stats.complete_by_target_date, stats.complete) == (1, 3)
    assert [u.name for u in overdue_units(units, DEADLINE)] == ["after-deadline"]
    assert during.final is False  # during 17:00:00 units may still comply
    assert stats.final is True


def test_the_95_percent_target_is_met_in_integers_at_exactly_19_of_20() -> None:
    done = [unit(f"u{n}", TARGET - timedelta(hours=1)) for n in range(19)]

    met = compliance_stats([*done, unit("late", None)], deadline=DEADLINE, target_date=TARGET, now=DEADLINE)
    missed = compliance_stats(
        [*done[:18], unit("late1", None), unit("late2", None)], deadline=DEADLINE, target_date=TARGET, now=DEADLINE
    )

    assert (met.share_complete_by_target_date, met.target_met) == (Decimal("0.9500"), True)
    assert (missed.share_complete_by_target_date, missed.target_met) == (Decimal("0.9000"), False)


def test_a_period_without_a_target_date_or_without_units_has_no_share_for_it() -> None:
    no_target = compliance_stats([unit("a", None)], deadline=DEADLINE, target_date=None, now=DEADLINE)
    empty = compliance_stats([], deadline=DEADLINE, target_date=TARGET, now=DEADLINE)

    assert (no_target.complete_by_target_date, no_target.share_complete_by_target_date) == (None, None)
    assert (no_target.target_share, no_target.target_met) == (None, None)
    assert (empty.units, empty.share_complete, empty.target_met) == (0, None, None)
    assert share(2, 3) == Decimal("0.6667") and share(1, 1) == Decimal("1.0000")


def test_marked_units_are_counted_as_overdue() -> None:
    units = [unit("a", None, overdue_at=DEADLINE), unit("b", DEADLINE + timedelta(days=2), overdue_at=DEADLINE)]

    stats = compliance_stats(units, deadline=DEADLINE, target_date=TARGET, now=DEADLINE + timedelta(days=3))

    assert (stats.complete, stats.overdue, len(stats.units_short)) == (0, 2, 2)


def test_the_completion_status_says_whether_the_notice_was_complete_on_time() -> None:
    assert (completion("open", False), completion("open", False).zh) == (Completion.open, "未完成")
    assert (completion("complete", False), completion("complete", False).zh) == (Completion.complete, "已完成")
    assert (completion("open", True), completion("open", True).zh) == (Completion.overdue, "未按时足额清缴")
    assert completion("complete", True) == Completion.complete_late


def test_the_notice_is_named_as_seed_002_shows_it() -> None:
    assert (
        notice_name("火电测试企业", datetime(2021, 11, 3, 22, 8, 39, tzinfo=CST)) == "火电测试企业履约通知书2021-11-3"
    )


def test_the_home_page_counts_drafts_and_returned_as_to_do_and_submitted_as_under_review() -> None:
    counts = application_counts(["draft", "returned", "submitted", "approved", "draft"])

    assert (counts.to_do, counts.under_review) == (3, 1)


def test_holdings_are_summed_over_instruments_with_the_frozen_part_inside_the_registry_side() -> None:
    totals = holding_totals([(1_000_000, 0, 950_000), (20, 5, 0)])

    assert (totals.registry, totals.trading, totals.frozen, totals.available) == (1_000_020, 5, 950_000, 50_020)
