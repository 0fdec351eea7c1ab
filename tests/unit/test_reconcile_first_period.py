"""``ccer reconcile`` on first-period offset registrations (seed 001 第七步): the offset registered from
generated offset CCER never exceeds the legacy cancellation it was generated from."""

from __future__ import annotations

from typing import Any

from ccer_tools.reconcile import CANCELLED_ONCE, Report, _registered_within_cancelled


def registration(cancellation_id: str, quantity: int, registration_id: str = "REG-1") -> dict[str, Any]:
    return {
        "registration_id": registration_id,
        "kind": "offset_ccer",
        "quantity": quantity,
        "source": {"cancellation_id": cancellation_id, "quantity": 50_000},
    }


def test_registrations_within_their_cancellation_are_fine() -> None:
    report = Report()
    legacy = [{"id": "CXL-1", "quantity": 50_000}]

    _registered_within_cancelled(report, legacy, [registration("CXL-1", 30_000), registration("CXL-1", 20_000)])

    assert report.ok


def test_more_registered_than_cancelled_or_from_an_unknown_cancellation_is_named() -> None:
    report = Report()
    legacy = [{"id": "CXL-1", "quantity": 50_000}]

    _registered_within_cancelled(
        report,
        legacy,
        [registration("CXL-1", 30_000, "REG-1"), registration("CXL-1", 20_001, "REG-2"), registration("CXL-9", 5)],
    )

    beyond, unknown = report.discrepancies
    assert (beyond.invariant, beyond.code) == (CANCELLED_ONCE, "OFFSET_REGISTERED_BEYOND_CANCELLED")
    assert (beyond.objects["registered"], beyond.objects["cancelled"]) == (50_001, 50_000)
    assert beyond.objects["registration_ids"] == ["REG-1", "REG-2"]
    assert (unknown.code, unknown.objects["cancellation_id"]) == (
        "OFFSET_REGISTERED_FROM_UNKNOWN_CANCELLATION",
        "CXL-9",
    )
