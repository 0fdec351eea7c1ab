"""Results of handlers whose answer joins several rows (frozen views over ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.allowance_registry.adapters.orm import Account, AllowanceHolding, CcerHolding, Notice
from services.allowance_registry.domain.monitoring import (
    ApplicationCounts,
    Completion,
    ComplianceStats,
    HoldingTotals,
    completion,
    holding_totals,
)
from services.allowance_registry.domain.movements import HoldingFigures, holding_figures
from services.allowance_registry.domain.notices import ccer_offsettable, notice_year
from services.allowance_registry.domain.reconciliation import Discrepancy

__all__ = [
    "ComplianceStatsView",
    "HoldingsView",
    "LotBalanceRow",
    "NoticeScope",
    "NoticeView",
    "OverviewView",
    "ReconciliationReport",
    "SerialEvent",
    "SerialHistory",
]


@dataclass(frozen=True)
class HoldingsView:
    account: Account
    allowances: list[AllowanceHolding]
    ccer: list[CcerHolding]
    names: dict[str, str]  # instrument code → name
    pending_offsets_total: int
    # Generated offset CCER: instrument code → the cancelled project's facts (number, name, type, region…)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ccer_figures(self, h: CcerHolding) -> HoldingFigures:
        """Seed 002's CCER项目持仓 figures of a generated offset-CCER holding (registry side only)."""
        return holding_figures(h.quantity, h.frozen, 0)


@dataclass(frozen=True)
class NoticeScope:
    """履约范围 of a notice: its period's allowance scope (配额履约范围: the allowance instruments that
    may be surrendered, with their names) and CCER scope (CCER履约范围: the offset cap and eligibility)."""

    period_code: str
    period_name: str
    allowance_instruments: list[tuple[str, str | None]]
    cap_bp: int
    eligibility: dict[str, Any]


@dataclass(frozen=True)
class NoticeView:
    notice: Notice
    account: Account
    cap_bp: int
    overdue_at: datetime | None = None  # marked 未按时足额清缴 when the deadline passed
    scope: NoticeScope | None = None

    @property
    def year(self) -> int:
        """年份: the year (Beijing time) the notice was issued."""
        return notice_year(self.notice.issued_at)

    @property
    def ccer_offsettable(self) -> int:
        n = self.notice
        return ccer_offsettable(n.obligation, self.cap_bp, n.ccer_registered, n.ccer_under_review)

    @property
    def completion(self) -> Completion:
        return completion(self.notice.status, self.overdue_at is not None)


@dataclass(frozen=True)
class SerialEvent:
    """One thing that happened to a unit here: ``kind`` pending_offset, reserved, released, registered
    or recalled, with what it names (lot, application, registration, recall, period…)."""

    at: datetime
    kind: str
    lot_id: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SerialHistory:
    """A unit's history in this registry; lot, account and state are those of its latest lot."""

    serial: str
    lot_id: str
    account_id: str
    state: str
    events: list[SerialEvent]


# --- monitoring ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComplianceStatsView:
    """A period's compliance in one province (or all, ``province`` None), as of ``as_of``."""

    period_code: str
    province: str | None
    as_of: datetime
    stats: ComplianceStats


@dataclass(frozen=True)
class OverviewView:
    """Seed 002's home page of an account: holdings, the open notices, applications to do and under review."""

    holdings: HoldingsView
    open_notices: list[NoticeView]
    applications: ApplicationCounts
    as_of: datetime

    @property
    def allowances(self) -> HoldingTotals:
        return holding_totals((h.registry_side, h.trading_side, h.frozen) for h in self.holdings.allowances)

    @property
    def ccer(self) -> HoldingTotals:
        """Generated offset CCER (first period) is held on the registry side only: trading is always 0 here."""
        return holding_totals((h.quantity, 0, h.frozen) for h in self.holdings.ccer)


@dataclass(frozen=True)
class ReconciliationReport:
    checked_at: datetime
    notices_checked: int
    holdings_checked: int
    lots_checked: int
    discrepancies: list[Discrepancy]
    offset_ccer_checked: int = 0  # generated offset-CCER instruments (first period)

    @property
    def consistent(self) -> bool:
        return not self.discrepancies


@dataclass(frozen=True)
class LotBalanceRow:
    """A lot as the allowance registry holds it: pending (with its parts) or refused (none)."""

    lot_id: str
    account_id: str
    quantity: int
    reserved: int
    registered: int
    recalled: int
    cancelled: int
    released: int
    status: str

    @property
    def available(self) -> int:
        return self.quantity - self.reserved - self.registered - self.recalled
