"""The pure rules of a pending offset's units: lowest serials first, per-unit record dates, carving."""

from __future__ import annotations

from datetime import date

from services.allowance_registry.domain.lot_units import (
    UnitBlock,
    blocks_of_lot,
    carve,
    latest_recorded_at,
    lot_serial_findings,
    plan_items,
    recorded_ranges,
    serial_labels,
)
from shared.serials import SerialRange

P = "VER-P1-2015"
EARLY, LATE = date(2016, 5, 1), date(2017, 6, 1)


def r(first: int, last: int, prefix: str = P) -> SerialRange:
    return SerialRange(prefix, first, last)


def mixed() -> list[UnitBlock]:
    return [UnitBlock(r(51, 100), LATE), UnitBlock(r(1, 50), EARLY)]


def test_items_on_one_lot_take_the_lowest_serials_left_after_the_earlier_items() -> None:
    planned = plan_items({"L": mixed()}, [(0, "L", 30), (1, "L", 30), (2, "L", 5)])

    assert planned[0].ranges == [r(1, 30)]
    assert planned[1].ranges == [r(31, 50), r(51, 60)]
    assert planned[2].ranges == [r(61, 65)]
    assert [planned[n].units_recorded_at for n in range(3)] == [EARLY, LATE, LATE]


def test_an_item_asking_too_much_takes_what_is_left_and_a_non_positive_one_nothing() -> None:
    planned = plan_items({"L": [UnitBlock(r(1, 10), EARLY)]}, [(0, "L", 0), (1, "L", 25), (2, "L", 1), (3, "X", 1)])

    assert list(planned) == [1]
    assert planned[1].quantity == 10


def test_the_latest_record_date_is_unknown_when_one_block_has_none() -> None:
    assert latest_recorded_at([UnitBlock(r(1, 2), EARLY), UnitBlock(r(3, 4), LATE)]) == LATE
    assert latest_recorded_at([UnitBlock(r(1, 2), EARLY), UnitBlock(r(3, 4), None)]) is None
    assert latest_recorded_at([]) is None


def test_a_range_is_carved_into_taken_and_kept_pieces() -> None:
    assert carve(r(1, 100), [r(11, 20), r(51, 100), r(1, 5, "OTHER")]) == [
        (r(1, 10), False),
        (r(11, 20), True),
        (r(21, 50), False),
        (r(51, 100), True),
    ]
    assert carve(r(1, 10), [r(1, 10)]) == [(r(1, 10), True)]


def test_the_lots_blocks_come_from_the_dated_ranges_or_take_the_lots_date() -> None:
    serials = [[f"{P}-1", f"{P}-100"]]
    dated = [
        {"first": f"{P}-51", "last": f"{P}-100", "units_recorded_at": "2017-06-01"},
        {"first": f"{P}-1", "last": f"{P}-50", "units_recorded_at": "2016-05-01"},
    ]

    assert blocks_of_lot(serials, dated, LATE) == sorted(mixed())
    assert blocks_of_lot(serials, None, LATE) == [UnitBlock(r(1, 100), LATE)]


def test_serials_that_do_not_add_up_or_are_not_covered_by_record_dates_are_findings() -> None:
    serials = [[f"{P}-1", f"{P}-100"]]
    half = [{"first": f"{P}-1", "last": f"{P}-50", "units_recorded_at": "2016-05-01"}]

    assert lot_serial_findings(100, serials, None) == []
    assert [f.code for f in lot_serial_findings(90, serials, None)] == ["LOT_SERIALS_INCONSISTENT"]
    assert [f.code for f in lot_serial_findings(100, serials, half)] == ["LOT_SERIALS_INCONSISTENT"]
    assert [f.code for f in lot_serial_findings(100, [["x", "y"]], None)] == ["LOT_SERIALS_INCONSISTENT"]
    overlapping = [[f"{P}-1", f"{P}-60"], [f"{P}-41", f"{P}-80"]]
    assert [f.message for f in lot_serial_findings(100, overlapping, None)] == ["the lot's serial ranges overlap"]


def test_events_carry_joined_ranges_and_record_dates_per_date() -> None:
    blocks = [UnitBlock(r(1, 20), EARLY), UnitBlock(r(21, 50), EARLY), UnitBlock(r(51, 60), LATE)]

    assert serial_labels(blocks) == [[f"{P}-1", f"{P}-60"]]
    assert recorded_ranges(blocks) == [
        {"first": f"{P}-1", "last": f"{P}-50", "units_recorded_at": "2016-05-01"},
        {"first": f"{P}-51", "last": f"{P}-60", "units_recorded_at": "2017-06-01"},
    ]
    assert recorded_ranges([UnitBlock(r(1, 2), None)]) is None
