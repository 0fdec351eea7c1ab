"""Offset-lot rules and a model-based test of the lot lifecycle over the pure domain (no I/O)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from services.new_ccer_registry.domain.holdings import UnitState, summarise_holdings
from services.new_ccer_registry.domain.lots import (
    LotQuantities,
    LotStatus,
    cancellation_purpose,
    freeze_findings,
    lot_consistency_findings,
    trade_findings,
)
from services.new_ccer_registry.domain.projects import issuance_findings, next_issuance_range
from shared.serials import Block, SerialRange, coverage_discrepancies, plan_take


def codes(findings: list) -> list[str]:
    return [f.code for f in findings]


def test_an_unbound_account_asking_for_too_much_hears_both_problems_at_once() -> None:
    findings = freeze_findings(
        account_active=True, binding_active=False, project_known=True, project_number="P1", requested=101, available=100
    )

    assert codes(findings) == ["ACCOUNT_NOT_BOUND", "INSUFFICIENT_AVAILABLE"]
    assert all(f.message and f.message_zh for f in findings)
    assert "100" in findings[1].message and "101" in findings[1].message_zh


def test_a_bound_account_freezing_all_it_holds_passes() -> None:
    assert (
        freeze_findings(
            account_active=True,
            binding_active=True,
            project_known=True,
            project_number="P1",
            requested=100,
            available=100,
        )
        == []
    )


def test_an_unknown_project_is_reported_instead_of_a_shortfall() -> None:
    findings = freeze_findings(
        account_active=True, binding_active=True, project_known=False, project_number="P9", requested=1, available=0
    )
    assert codes(findings) == ["PROJECT_NOT_FOUND"]


def test_a_trade_lists_every_problem() -> None:
    findings = trade_findings(
        seller_known=True,
        buyer_known=False,
        same_account=False,
        project_known=True,
        project_number="P1",
        seller_trading_active=False,
        buyer_trading_active=True,
        requested=10,
        seller_holds=5,
    )
    assert codes(findings) == ["TRADING_ACCOUNT_NOT_ACTIVE", "BUYER_ACCOUNT_NOT_FOUND", "INSUFFICIENT_TRADING"]


def test_issuance_of_a_future_vintage_into_an_unknown_account_is_refused_for_both() -> None:
    findings = issuance_findings(account_known=False, account_active=False, vintage=2031, current_year=2025)
    assert codes(findings) == ["ACCOUNT_NOT_FOUND", "VINTAGE_IN_FUTURE"]


def test_a_lot_settles_when_nothing_of_it_is_frozen() -> None:
    assert LotQuantities(100, 30, 0).status is LotStatus.frozen
    assert LotQuantities(100, 30, 70).status is LotStatus.settled
    assert LotQuantities(100, 30, 70).frozen == 0


def test_cancellation_purpose_names_the_period() -> None:
    assert cancellation_purpose("2023") == "offset_2023"
    assert cancellation_purpose("2019-2020") == "offset_2019_2020"


def test_holdings_rows_are_per_project_origin_and_vintage_with_merged_ranges() -> None:
    p23, p24 = "CCER-P1-2023", "CCER-P1-2024"
    rows = summarise_holdings(
        [
            ("P1", "new", 2023, "available", SerialRange(p23, 11, 20)),
            ("P1", "new", 2023, "available", SerialRange(p23, 1, 10)),
            ("P1", "new", 2023, "frozen", SerialRange(p23, 21, 25)),
            ("P1", "new", 2024, "trading", SerialRange(p24, 1, 5)),
        ]
    )

    assert [
        (r.vintage, r.quantities[UnitState.available], r.quantities[UnitState.frozen], r.quantities[UnitState.trading])
        for r in rows
    ] == [(2023, 20, 5, 0), (2024, 0, 0, 5)]
    assert rows[0].ranges[UnitState.available] == [SerialRange(p23, 1, 20)]


# --- model-based: the lot lifecycle ----------------------------------------------------------------
@dataclass
class Row:
    account: str
    state: str
    lot: str | None
    vintage: int
    range: SerialRange


class LotLifecycle(RuleBasedStateMachine):
    """Issue, trade, transfer, freeze, register, recall and refuse, moving blocks with the
    same plan the service executes in SQL; the invariants of domain.md §3 hold after every step."""

    lots = Bundle("lots")

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, Row] = {}
        self.keys = itertools.count()
        self.issued: list[SerialRange] = []
        self.last_n: dict[int, int] = {}
        self.lot_q: dict[str, LotQuantities] = {}
        self.cancelled_records: dict[str, int] = {}
        self.released_records: dict[str, int] = {}

    def _held(self, **where: object) -> list[Block[int]]:
        return [
            Block(k, r.vintage, r.range)
            for k, r in self.rows.items()
            if all(getattr(r, f) == v for f, v in where.items())
        ]

    def _move(self, blocks: list[Block[int]], quantity: int, **changes: object) -> list[SerialRange]:
        plan = plan_take(blocks, quantity)
        for b in plan.whole:
            for f, v in changes.items():
                setattr(self.rows[b.key], f, v)
        if plan.split is not None:
            source = self.rows[plan.split.key]
            source.range = plan.split.kept
            moved = Row(source.account, source.state, source.lot, source.vintage, plan.split.taken)
            for f, v in changes.items():
                setattr(moved, f, v)
            self.rows[next(self.keys)] = moved
        return plan.taken

    def _size(self, blocks: list[Block[int]]) -> int:
        return sum(b.range.size for b in blocks)

    @rule(vintage=st.sampled_from([2023, 2024]), quantity=st.integers(1, 40), account=st.sampled_from("AB"))
    def issue(self, vintage: int, quantity: int, account: str) -> None:
        rng = next_issuance_range("P1", vintage, self.last_n.get(vintage), quantity)
        self.last_n[vintage] = rng.last
        self.issued.append(rng)
        self.rows[next(self.keys)] = Row(account, "available", None, vintage, rng)

    @rule(account=st.sampled_from("AB"), to_trading=st.booleans(), quantity=st.integers(1, 30))
    def transfer(self, account: str, to_trading: bool, quantity: int) -> None:
        source, target = ("available", "trading") if to_trading else ("trading", "available")
        blocks = self._held(account=account, state=source)
        if self._size(blocks) >= quantity:
            self._move(blocks, quantity, state=target)

    @rule(seller=st.sampled_from("AB"), quantity=st.integers(1, 30))
    def trade(self, seller: str, quantity: int) -> None:
        blocks = self._held(account=seller, state="trading")
        if self._size(blocks) >= quantity:
            self._move(blocks, quantity, account="B" if seller == "A" else "A")

    @rule(target=lots, account=st.sampled_from("AB"), quantity=st.integers(1, 30))
    def freeze(self, account: str, quantity: int) -> str:
        blocks = self._held(account=account, state="available")
        if self._size(blocks) < quantity:
            return "none"
        lot = f"LOT-{len(self.lot_q)}"
        moved = self._move(blocks, quantity, state="frozen", lot=lot)
        assert sum(r.size for r in moved) == quantity
        self.lot_q[lot] = LotQuantities(quantity, 0, 0)
        return lot

    @rule(lot=lots, data=st.data())
    def register(self, lot: str, data: st.DataObject) -> None:
        if lot == "none" or self.lot_q[lot].frozen == 0:
            return
        q = self.lot_q[lot]
        quantity = data.draw(st.integers(1, q.frozen))
        self._move(self._held(lot=lot, state="frozen"), quantity, state="cancelled")
        self.lot_q[lot] = LotQuantities(q.quantity, q.cancelled + quantity, q.released)
        self.cancelled_records[lot] = self.cancelled_records.get(lot, 0) + quantity

    def _release(self, lot: str, quantity: int) -> None:
        q = self.lot_q[lot]
        self._move(self._held(lot=lot, state="frozen"), quantity, state="available", lot=None)
        self.lot_q[lot] = LotQuantities(q.quantity, q.cancelled, q.released + quantity)
        self.released_records[lot] = self.released_records.get(lot, 0) + quantity

    @rule(lot=lots, data=st.data())
    def recall(self, lot: str, data: st.DataObject) -> None:
        if lot != "none" and self.lot_q[lot].frozen:
            self._release(lot, data.draw(st.integers(1, self.lot_q[lot].frozen)))

    @rule(lot=consumes(lots))
    def refuse(self, lot: str) -> None:
        if lot != "none" and self.lot_q[lot].frozen:
            self._release(lot, self.lot_q[lot].frozen)

    @invariant()
    def blocks_are_disjoint_and_cover_exactly_what_was_issued(self) -> None:
        assert coverage_discrepancies(self.issued, [r.range for r in self.rows.values()]) == []

    @invariant()
    def every_lot_agrees_with_its_blocks_and_records(self) -> None:
        for lot, q in self.lot_q.items():
            held = {
                s: sum(r.range.size for r in self.rows.values() if r.lot == lot and r.state == s)
                for s in ("frozen", "cancelled")
            }
            assert (
                lot_consistency_findings(
                    lot,
                    q,
                    q.status,
                    frozen_held=held["frozen"],
                    cancelled_held=held["cancelled"],
                    cancellations=self.cancelled_records.get(lot, 0),
                    released_records=self.released_records.get(lot, 0),
                )
                == []
            )

    @invariant()
    def only_frozen_and_cancelled_units_belong_to_a_lot(self) -> None:
        assert all((r.lot is not None) == (r.state in ("frozen", "cancelled")) for r in self.rows.values())


LotLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestLotLifecycle = LotLifecycle.TestCase
