"""Which serials of a cancellation record an approved sync form sends (pure): the lowest that no
form awaiting the new registry's answer or synced holds, each range with its record date."""

from __future__ import annotations

from datetime import date

import pytest

from services.legacy_ccer_registry.domain.sync import take_free
from shared.serials import SerialRange

P = "VER-P1-2015"
RECORDED = [
    {"first": f"{P}-1", "last": f"{P}-4", "units_recorded_at": "2015-01-01"},
    {"first": f"{P}-5", "last": f"{P}-10", "units_recorded_at": "2016-02-02"},
]


def test_the_lowest_free_serials_are_taken_across_record_dates() -> None:
    assert take_free(RECORDED, [], 6) == [
        (SerialRange(P, 1, 4), date(2015, 1, 1)),
        (SerialRange(P, 5, 6), date(2016, 2, 2)),
    ]


def test_serials_freed_by_a_refusal_below_others_still_held_are_taken_first() -> None:
    # 1-3 were refused (free again); 4-8 are on a form awaiting the new registry.
    assert take_free(RECORDED, [SerialRange(P, 4, 8)], 5) == [
        (SerialRange(P, 1, 3), date(2015, 1, 1)),
        (SerialRange(P, 9, 10), date(2016, 2, 2)),
    ]


def test_more_than_is_free_is_an_error() -> None:
    with pytest.raises(ValueError):
        take_free(RECORDED, [SerialRange(P, 2, 9)], 3)
