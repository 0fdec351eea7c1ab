"""A legacy cancellation synced into the new registry in parts (pure rules): each serial once, the
parts never more than the cancellation's quantity, and reconciliation of the parts."""

from __future__ import annotations

from services.new_ccer_registry.domain.legacy import SyncedPart, SyncLine, part_findings, parts_discrepancies
from shared.serials import SerialRange

P = "VER-L1-2015"


def line(first: int, last: int, whole: int | None = None, c: str = "LCN-1") -> SyncLine:
    return SyncLine(c, "L1", last - first + 1, [(f"{P}-{first}", f"{P}-{last}")], None, None, whole)


def test_a_part_with_new_serials_is_accepted_however_many_parts_came_before() -> None:
    earlier = {"LCN-1": [SyncedPart("LGS-1", 30, 100), SyncedPart("LGS-2", 20, 100)]}
    assert part_findings([line(51, 100, 100)], earlier, {}) == []


def test_without_a_told_quantity_the_serials_are_the_guard() -> None:
    earlier = {"LCN-1": [SyncedPart("LGS-1", 30, None)]}
    assert part_findings([line(31, 500)], earlier, {}) == []
    here = {"LCN-1": [(SerialRange(P, 25, 30), "LGS-1")]}
    [finding] = part_findings([line(25, 40)], earlier, here)
    assert finding.code == "SYNC_CANCELLATION_ALREADY_SYNCED"
    assert f"{P}-25" in finding.message and "LGS-1" in finding.message


def test_parts_beyond_the_smallest_told_quantity_are_refused() -> None:
    earlier = {"LCN-1": [SyncedPart("LGS-1", 30, 50)]}
    assert [f.code for f in part_findings([line(31, 51, 60)], earlier, {})] == ["SYNC_CANCELLATION_QUANTITY_EXCEEDED"]
    assert part_findings([line(31, 50, 60)], earlier, {}) == []
    assert [f.code for f in part_findings([line(1, 11, 10)], {}, {})] == ["SYNC_CANCELLATION_QUANTITY_EXCEEDED"]


def test_reconciliation_of_parts_counts_each_parts_units_and_the_whole() -> None:
    parts = {"LCN-1": [SyncedPart("LGS-1", 30, 50), SyncedPart("LGS-2", 20, 50)]}
    assert parts_discrepancies(parts, {("LCN-1", "LGS-1"): 30, ("LCN-1", "LGS-2"): 20}) == []
    wrong = parts_discrepancies(parts, {("LCN-1", "LGS-1"): 30, ("LCN-1", "LGS-2"): 19, ("LCN-2", "LGS-3"): 5})
    assert [f.code for f in wrong] == ["LEGACY_SYNC_PART_MISMATCH", "LEGACY_SYNC_PART_MISMATCH"]
    over = {"LCN-1": [SyncedPart("LGS-1", 30, 50), SyncedPart("LGS-2", 30, None)]}
    found = parts_discrepancies(over, {("LCN-1", "LGS-1"): 30, ("LCN-1", "LGS-2"): 30})
    assert [f.code for f in found] == ["LEGACY_CANCELLATION_OVERSYNCED"]
