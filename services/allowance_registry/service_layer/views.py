"""Results of handlers whose answer joins several rows (frozen views over ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.allowance_registry.adapters.orm import Account, AllowanceHolding, CcerHolding, Notice
from services.allowance_registry.domain.notices import ccer_offsettable

__all__ = ["HoldingsView", "NoticeView", "SerialEvent", "SerialHistory"]


@dataclass(frozen=True)
class HoldingsView:
    account: Account
    allowances: list[AllowanceHolding]
    ccer: list[CcerHolding]
    names: dict[str, str]  # instrument code → name
    pending_offsets_total: int


@dataclass(frozen=True)
class NoticeView:
    notice: Notice
    account: Account
    cap_bp: int

    @property
    def ccer_offsettable(self) -> int:
        n = self.notice
        return ccer_offsettable(n.obligation, self.cap_bp, n.ccer_registered, n.ccer_under_review)


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
