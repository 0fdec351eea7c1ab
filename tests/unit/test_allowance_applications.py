"""The registry's validation of a compliance application at submission (domain.md §6.3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.allowance_registry.domain.applications import (
    Item,
    ItemKind,
    LotState,
    NoticeState,
    PeriodRules,
    submission_findings,
    totals,
)
from shared.offset_rules import Eligibility, LotFacts
from shared.timeutil import CST

NOW = datetime(2024, 6, 1, 9, 0, tzinfo=CST)
UNIT = "91110000MA0000000X"
ELIGIBLE_2024 = Eligibility(origins=["new"], new_registered_on_or_after=date(2024, 1, 22))


def notice(obligation: int = 1_000_000, **kw: object) -> NoticeState:
    values = {
        "account_id": "ALA-1",
        "holder_uscc": UNIT,
        "obligation": obligation,
        "fulfilled": 0,
        "under_review": 0,
        "ccer_registered": 0,
        "ccer_under_review": 0,
        "complete": False,
        **kw,
    }
    return NoticeState(**values)  # type: ignore[arg-type]


def period(**kw: object) -> PeriodRules:
    values = {
        "code": "2024",
        "active": True,
        "allowance_instruments": frozenset({"PE2025000001"}),
        "cap_bp": 500,
        "eligibility": ELIGIBLE_2024,
        "application_deadline": datetime(2026, 1, 1, tzinfo=CST),
        **kw,
    }
    return PeriodRules(**values)  # type: ignore[arg-type]


def lot(
    available: int,
    *,
    account_id: str = "ALA-1",
    pending: bool = True,
    origin: str = "new",
    registered: date | None = date(2024, 3, 1),
    within: bool = False,
) -> LotState:
    return LotState(
        account_id=account_id,
        pending=pending,
        available=available,
        facts=LotFacts(
            origin=origin, project_number="P1", registered_or_recorded_at=registered, within_national_ets=within
        ),
    )


def allowance(quantity: int, instrument: str = "PE2025000001") -> Item:
    return Item(ItemKind.allowance, quantity, instrument=instrument)


def ccer(lot_id: str, quantity: int) -> Item:
    return Item(ItemKind.ccer, quantity, lot_id=lot_id)


def findings(
    items: list[Item],
    *,
    held: dict[str, int] | None = None,
    lots: dict[str, LotState] | None = None,
    n: NoticeState | None = None,
    p: PeriodRules | None = None,
    now: datetime = NOW,
    applicant: str = UNIT,
) -> set[tuple[str, int | None]]:
    return {
        (f.code, f.item)
        for f in submission_findings(
            applicant_uscc=applicant,
            notice=n or notice(),
            period=p or period(),
            items=items,
            allowances_available=held if held is not None else {"PE2025000001": 1_000_000},
            offset_ccer_available={},
            lots=lots or {},
            now=now,
        )
    }


def test_seed_002_worked_example_is_valid_at_exactly_five_percent() -> None:
    items = [allowance(950_000), ccer("LOT-1", 50_000)]

    assert findings(items, lots={"LOT-1": lot(50_000)}) == set()
    assert totals(items).all == 1_000_000


def test_one_tonne_over_five_percent_exceeds_the_cap() -> None:
    items = [allowance(949_999), ccer("LOT-1", 50_001)]

    assert findings(items, lots={"LOT-1": lot(60_000)}) == {("OFFSET_CAP_EXCEEDED", None)}


def test_ccer_already_registered_or_under_review_counts_against_the_cap() -> None:
    n = notice(1_000_000, fulfilled=20_000, ccer_registered=20_000, under_review=10_000, ccer_under_review=10_000)

    assert findings([ccer("LOT-1", 20_001)], lots={"LOT-1": lot(30_000)}, n=n) == {("OFFSET_CAP_EXCEEDED", None)}
    assert findings([ccer("LOT-1", 20_000)], lots={"LOT-1": lot(30_000)}, n=n) == set()


def test_every_refusal_is_reported_together() -> None:
    items = [
        allowance(600),  # 0 only 100 held
        allowance(1, "PE2021000097"),  # 1 not in scope
        allowance(1),  # 2 duplicate of 0
        ccer("LOT-OLD", 600),  # 3 only 500 left; registered too early; within ETS
        ccer("LOT-THEIRS", 10),  # 4 another unit's lot
        ccer("LOT-LEGACY", 0),  # 5 not positive; legacy not eligible in 2024
        ccer("LOT-GONE", 5),  # 6 no longer pending
    ]
    lots = {
        "LOT-OLD": lot(500, registered=date(2023, 6, 1), within=True),
        "LOT-THEIRS": lot(100, account_id="ALA-2"),
        "LOT-LEGACY": lot(10, origin="legacy", registered=date(2015, 1, 1)),
        "LOT-GONE": lot(0, pending=False),
    }
    n = notice(1_000, complete=True)
    p = period(active=False, application_deadline=NOW - timedelta(seconds=1))  # the last second has passed

    assert findings(items, held={"PE2025000001": 100}, lots=lots, n=n, p=p, applicant="91110000MA0000001Y") == {
        ("NOTICE_NOT_APPLICANTS", None),
        ("NOTICE_COMPLETE", None),
        ("PERIOD_NOT_ACTIVE", None),
        ("DEADLINE_PASSED", None),
        ("ALLOWANCE_NOT_HELD", 0),
        ("INSTRUMENT_NOT_IN_SCOPE", 1),
        ("DUPLICATE_ITEM", 2),
        ("LOT_QUANTITY_EXCEEDED", 3),
        ("NEW_REGISTERED_TOO_EARLY", 3),
        ("LOT_WITHIN_NATIONAL_ETS", 3),
        ("LOT_NOT_FOUND", 4),
        ("QUANTITY_NOT_POSITIVE", 5),
        ("LOT_ORIGIN_NOT_ELIGIBLE", 5),
        ("LOT_NOT_PENDING", 6),
        ("OBLIGATION_EXCEEDED", None),
        ("OFFSET_CAP_EXCEEDED", None),
    }


def test_an_application_without_items_is_refused() -> None:
    assert findings([]) == {("NO_ITEMS", None)}


def test_obligation_room_takes_fulfilled_and_under_review_into_account() -> None:
    n = notice(1_000, fulfilled=600, under_review=300)

    assert findings([allowance(100)], n=n) == set()
    assert findings([allowance(101)], n=n) == {("OBLIGATION_EXCEEDED", None)}


def test_legacy_units_recorded_before_2017_03_14_are_eligible_in_2023_only() -> None:
    y2023 = Eligibility(
        origins=["new", "legacy"],
        legacy_recorded_before=date(2017, 3, 14),
        new_registered_on_or_after=date(2024, 1, 22),
    )
    legacy_ok = LotState(
        "ALA-1",
        True,
        10,
        LotFacts(
            origin="legacy",
            project_number="L1",
            registered_or_recorded_at=date(2014, 1, 1),
            units_recorded_at=date(2016, 5, 1),
        ),
    )
    legacy_late = LotState(
        "ALA-1",
        True,
        10,
        LotFacts(
            origin="legacy",
            project_number="L2",
            registered_or_recorded_at=date(2014, 1, 1),
            units_recorded_at=date(2017, 3, 14),
        ),
    )

    assert findings([ccer("A", 10)], lots={"A": legacy_ok}, p=period(eligibility=y2023)) == set()
    assert findings([ccer("A", 10)], lots={"A": legacy_late}, p=period(eligibility=y2023)) == {
        ("LEGACY_RECORDED_TOO_LATE", 0)
    }


def test_generated_offset_ccer_is_eligible_only_where_the_period_says_so() -> None:
    first = Eligibility(origins=["offset_ccer"])
    item = Item(ItemKind.offset_ccer, 50_000, instrument="CCER21000057")
    common = {
        "applicant_uscc": UNIT,
        "notice": notice(),
        "items": [item],
        "allowances_available": {},
        "lots": {},
        "now": NOW,
    }

    ok = submission_findings(period=period(eligibility=first), offset_ccer_available={"CCER21000057": 50_000}, **common)  # type: ignore[arg-type]
    refused = submission_findings(period=period(), offset_ccer_available={}, **common)  # type: ignore[arg-type]

    assert ok == []
    assert {f.code for f in refused} == {"OFFSET_CCER_NOT_ELIGIBLE", "OFFSET_CCER_NOT_HELD"}
