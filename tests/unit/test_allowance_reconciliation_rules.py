"""The allowance registry's own reconciliation rules (domain.md §3 invariants 4-6), as pure checks."""

from __future__ import annotations

from services.allowance_registry.domain.reconciliation import (
    HoldingFacts,
    NoticeFacts,
    OffsetCcerFacts,
    PendingFacts,
    holding_discrepancies,
    notice_discrepancies,
    offset_ccer_discrepancies,
    pending_discrepancies,
)


def notice(**kw: int) -> NoticeFacts:
    facts = {"obligation": 1_000_000, "fulfilled": 0, "ccer_registered": 0, "cap_bp": 500} | kw
    facts.setdefault("registrations", facts["ccer_registered"])  # consistent unless a test says otherwise
    return NoticeFacts("NT-1", "ALA-1", "2023", **facts)


def test_ccer_registered_on_a_notice_without_its_offset_registrations_is_named() -> None:
    [unregistered] = notice_discrepancies(notice(ccer_registered=50_000, registrations=30_000))
    assert unregistered.code == "NOTICE_REGISTRATIONS"
    assert (unregistered.objects["ccer_registered"], unregistered.objects["registrations"]) == (50_000, 30_000)


def test_generated_offset_ccer_adds_up_and_every_surrendered_tonne_is_registered() -> None:
    def facts(**kw: int) -> OffsetCcerFacts:
        values = {"generated": 60_000, "held": 10_000, "surrendered": 50_000, "registrations": 50_000} | kw
        return OffsetCcerFacts("CCER21000001", "ALA-1", **values)

    assert offset_ccer_discrepancies(facts()) == []
    assert [d.code for d in offset_ccer_discrepancies(facts(held=10_001))] == ["OFFSET_CCER_BALANCE"]
    [unregistered] = offset_ccer_discrepancies(facts(registrations=0))
    assert unregistered.code == "OFFSET_CCER_REGISTRATIONS"
    assert unregistered.objects["instrument"] == "CCER21000001"


def test_ccer_up_to_the_cap_is_fine_and_one_tonne_more_is_named_with_the_cap() -> None:
    assert notice_discrepancies(notice(ccer_registered=50_000, fulfilled=1_000_000)) == []
    [over] = notice_discrepancies(notice(ccer_registered=50_001))
    assert over.code == "NOTICE_OVER_CAP"
    assert (over.objects["notice_id"], over.objects["cap"], over.objects["ccer_registered"]) == ("NT-1", 50_000, 50_001)


def test_the_cap_is_floored_never_rounded() -> None:
    assert notice_discrepancies(notice(obligation=19, ccer_registered=0)) == []
    assert [d.code for d in notice_discrepancies(notice(obligation=39, ccer_registered=1))] == []
    assert [d.code for d in notice_discrepancies(notice(obligation=39, ccer_registered=2))] == ["NOTICE_OVER_CAP"]


def test_fulfilled_beyond_the_obligation_is_named() -> None:
    [over] = notice_discrepancies(notice(fulfilled=1_000_001))
    assert over.code == "NOTICE_OVERFULFILLED" and over.objects["fulfilled"] == 1_000_001


def test_a_negative_part_or_more_frozen_than_held_is_named() -> None:
    assert holding_discrepancies(HoldingFacts("A", "PE1", "allowance", 10, 0, 10)) == []
    [negative] = holding_discrepancies(HoldingFacts("A", "PE1", "allowance", 10, -3, 0))
    assert negative.code == "HOLDING_NEGATIVE" and negative.objects["trading_side"] == -3
    assert [d.code for d in holding_discrepancies(HoldingFacts("A", "C1", "ccer", 5, 0, 6))] == [
        "HOLDING_FROZEN_EXCEEDS_HELD"
    ]


def test_a_pending_offset_adds_up_and_agrees_with_its_registrations() -> None:
    fine = PendingFacts(
        "LOT-1", 100, reserved=10, registered=30, recalled=60, cancelled=30, released=60, registrations=30
    )
    assert pending_discrepancies(fine) == []
    over = PendingFacts(
        "LOT-1", 100, reserved=50, registered=30, recalled=60, cancelled=0, released=0, registrations=30
    )
    assert [d.code for d in pending_discrepancies(over)] == ["PENDING_OFFSET_PARTS"]
    assert pending_discrepancies(over)[0].objects["available"] == -40
    unconfirmed = PendingFacts("LOT-1", 100, 0, 30, 0, cancelled=31, released=0, registrations=30)
    assert [d.code for d in pending_discrepancies(unconfirmed)] == ["PENDING_OFFSET_CONFIRMATIONS"]
    unregistered = PendingFacts("LOT-1", 100, 0, 30, 0, cancelled=0, released=0, registrations=20)
    [d] = pending_discrepancies(unregistered)
    assert d.code == "PENDING_OFFSET_REGISTRATIONS" and d.objects["registrations"] == 20
