"""Serial-range arithmetic of the new registry (pure, no I/O)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.new_ccer_registry.domain.projects import next_issuance_range
from shared.serials import (
    Block,
    InsufficientUnits,
    SerialRange,
    coverage_discrepancies,
    merge_ranges,
    overlaps,
    parse_serial,
    plan_take,
    total,
)

P = "CCER-P1-2023"


def units(ranges: list[SerialRange]) -> set[tuple[str, int]]:
    return {(r.prefix, n) for r in ranges for n in range(r.first, r.last + 1)}


def test_issuance_ranges_are_contiguous_and_continue_after_earlier_issuances_of_the_vintage() -> None:
    first = next_issuance_range("P1", 2023, None, 1000)
    second = next_issuance_range("P1", 2023, first.last, 500)

    assert first.labels() == ("CCER-P1-2023-1", "CCER-P1-2023-1000")
    assert second.labels() == ("CCER-P1-2023-1001", "CCER-P1-2023-1500")
    assert next_issuance_range("P1", 2024, None, 1).labels() == ("CCER-P1-2024-1", "CCER-P1-2024-1")


def test_a_serial_with_hyphens_in_its_project_number_parses_back() -> None:
    assert parse_serial("CCER-14-0001-2023-17") == ("CCER-14-0001-2023", 17)
    assert SerialRange.from_labels("CCER-14-0001-2023-1", "CCER-14-0001-2023-9") == SerialRange(
        "CCER-14-0001-2023", 1, 9
    )
    with pytest.raises(ValueError):
        parse_serial("CCER-P1-2023-0")
    with pytest.raises(ValueError):
        SerialRange.from_labels("CCER-P1-2023-1", "CCER-P1-2024-5")


def test_taking_splits_the_block_holding_the_boundary_and_takes_the_lowest_serials() -> None:
    blocks = [Block("b", 2023, SerialRange(P, 201, 300)), Block("a", 2023, SerialRange(P, 1, 100))]

    plan = plan_take(blocks, 150)

    assert [b.key for b in plan.whole] == ["a"]
    assert plan.split is not None and plan.split.key == "b"
    assert plan.split.taken == SerialRange(P, 201, 250)
    assert plan.split.kept == SerialRange(P, 251, 300)
    assert plan.taken == [SerialRange(P, 1, 100), SerialRange(P, 201, 250)]


def test_earlier_vintages_are_taken_first() -> None:
    blocks = [Block(1, 2024, SerialRange("CCER-P1-2024", 1, 10)), Block(2, 2023, SerialRange(P, 5, 10))]

    assert plan_take(blocks, 8).taken == [SerialRange(P, 5, 10), SerialRange("CCER-P1-2024", 1, 2)]


def test_taking_more_than_is_held_is_refused_with_what_is_held() -> None:
    with pytest.raises(InsufficientUnits) as err:
        plan_take([Block(1, 2023, SerialRange(P, 1, 10))], 11)
    assert err.value.available == 10


def test_merge_joins_adjacent_ranges_of_one_prefix_only() -> None:
    merged = merge_ranges(
        [SerialRange(P, 11, 20), SerialRange(P, 1, 10), SerialRange("CCER-P1-2024", 21, 30), SerialRange(P, 22, 25)]
    )

    assert merged == [SerialRange(P, 1, 20), SerialRange(P, 22, 25), SerialRange("CCER-P1-2024", 21, 30)]


def test_coverage_check_names_overlaps_gaps_and_unissued_serials() -> None:
    issued = [SerialRange(P, 1, 100)]
    held = [SerialRange(P, 1, 40), SerialRange(P, 30, 50), SerialRange(P, 61, 100), SerialRange(P, 101, 105)]

    found = {d.code: list(d.ranges) for d in coverage_discrepancies(issued, held)}

    assert found == {
        "SERIALS_HELD_TWICE": [SerialRange(P, 30, 40)],
        "SERIALS_MISSING": [SerialRange(P, 51, 60)],
        "SERIALS_NOT_ISSUED": [SerialRange(P, 101, 105)],
    }


def test_coverage_check_is_silent_when_blocks_partition_the_issuance() -> None:
    issued = [SerialRange(P, 1, 100), SerialRange(P, 101, 150)]
    held = [SerialRange(P, 1, 7), SerialRange(P, 8, 120), SerialRange(P, 121, 150)]

    assert coverage_discrepancies(issued, held) == []


# --- properties ------------------------------------------------------------------------------
@st.composite
def partitions(draw: st.DrawFn) -> list[SerialRange]:
    """Disjoint ranges over one or two prefixes, in random order."""
    ranges = []
    for prefix in draw(
        st.lists(st.sampled_from(["CCER-P1-2023", "CCER-P1-2024"]), min_size=1, max_size=2, unique=True)
    ):
        n = 1
        for size, gap in draw(st.lists(st.tuples(st.integers(1, 50), st.integers(0, 3)), min_size=1, max_size=8)):
            n += gap
            ranges.append(SerialRange(prefix, n, n + size - 1))
            n += size
    return draw(st.permutations(ranges))


@given(partitions(), st.data())
def test_take_moves_exactly_the_quantity_and_the_lowest_serials(ranges: list[SerialRange], data: st.DataObject) -> None:
    blocks = [Block(i, int(r.prefix[-4:]), r) for i, r in enumerate(ranges)]
    quantity = data.draw(st.integers(1, total(ranges)))

    plan = plan_take(blocks, quantity)

    taken, everything = units(plan.taken), units(ranges)
    assert len(taken) == quantity
    ordered = sorted(everything, key=lambda u: (int(u[0][-4:]), u[0], u[1]))
    assert taken == set(ordered[:quantity])
    kept = [b.range for b in blocks if b not in plan.whole and (plan.split is None or b.key != plan.split.key)]
    if plan.split is not None:
        kept.append(plan.split.kept)
    assert units(kept) | taken == everything
    assert coverage_discrepancies(ranges, kept + plan.taken) == []


@given(partitions())
def test_merging_keeps_every_serial_and_leaves_no_adjacent_ranges(ranges: list[SerialRange]) -> None:
    merged = merge_ranges(ranges)

    assert units(merged) == units(ranges)
    assert overlaps(merged) == []
    for a, b in itertools.pairwise(merged):
        assert a.prefix != b.prefix or b.first > a.last + 1


@given(partitions(), st.data())
def test_a_block_duplicated_or_dropped_is_always_reported(ranges: list[SerialRange], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(ranges) - 1))

    assert {d.code for d in coverage_discrepancies(ranges, [*ranges, ranges[i]])} == {"SERIALS_HELD_TWICE"}
    assert {d.code for d in coverage_discrepancies(ranges, ranges[:i] + ranges[i + 1 :])} == {"SERIALS_MISSING"}
