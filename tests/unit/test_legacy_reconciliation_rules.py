"""The legacy registry's reconciliation rules, without a database."""

from __future__ import annotations

from services.legacy_ccer_registry.domain.reconciliation import RecordFacts, record_problems, sync_overlaps
from shared.serials import SerialRange

P = "VER-P1-2015"


def test_a_record_whose_blocks_are_exactly_its_ranges_and_within_its_quantity_is_clean() -> None:
    record = RecordFacts("LC-1", 10, 6, 4, (SerialRange(P, 1, 10),), (SerialRange(P, 1, 4), SerialRange(P, 5, 10)))
    assert record_problems(record) == []


def test_a_record_synced_and_claimed_beyond_its_quantity_is_reported() -> None:
    record = RecordFacts("LC-1", 10, 8, 3, (SerialRange(P, 1, 10),), (SerialRange(P, 1, 10),))
    assert [p.code for p in record_problems(record)] == ["CANCELLATION_OVERSYNCED"]


def test_units_named_by_two_approved_syncs_are_reported_with_their_serials() -> None:
    [problem] = sync_overlaps([[SerialRange(P, 1, 5)], [SerialRange(P, 5, 8)]])
    assert problem.code == "UNITS_SYNCED_TWICE" and problem.ranges == (SerialRange(P, 5, 5),)
