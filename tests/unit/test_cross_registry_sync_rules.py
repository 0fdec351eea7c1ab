"""``ccer reconcile``'s invariant 3 across the CCER registries, without a stack: per legacy
cancellation, what the new registry received lies between what the legacy registry counts as synced
and that plus what is in transit (a form awaiting the new registry's answer); a refused form counts
nowhere."""

from __future__ import annotations

from typing import Any

from ccer_tools.reconcile import Report, _synced_once

P = "VER-P1-2015"


def record(synced: int, in_transit: int, quantity: int = 30) -> dict[str, Any]:
    return {"id": "LC-1", "quantity": quantity, "synced": synced, "claimed": in_transit, "in_transit": in_transit}


def received(*ranges: tuple[int, int]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"LGS-{i}",
            "items": [{"cancellation_id": "LC-1", "quantity": b - a + 1, "serial_ranges": [[f"{P}-{a}", f"{P}-{b}"]]}],
        }
        for i, (a, b) in enumerate(ranges)
    ]


def codes(legacy: dict[str, Any], syncs: list[dict[str, Any]]) -> list[str]:
    report = Report()
    _synced_once(report, [legacy], syncs)
    return [d.code for d in report.discrepancies]


def test_a_form_in_transit_is_consistent_whether_the_new_registry_received_it_yet_or_not() -> None:
    # 10 synced; 10 more approved, awaiting the new registry's answer.
    assert codes(record(10, 10), received((1, 10))) == []  # not received yet
    assert codes(record(10, 10), received((1, 10), (11, 20))) == []  # received, acceptance on its way


def test_a_refused_form_counts_nowhere_and_more_received_than_sent_is_a_discrepancy() -> None:
    assert codes(record(0, 0), []) == []  # refused: nothing synced, nothing received
    assert codes(record(10, 0), received((1, 10), (11, 20))) == ["SYNC_QUANTITY_MISMATCH"]
    assert codes(record(10, 10), received((1, 5))) == ["SYNC_QUANTITY_MISMATCH"]  # synced but not received
