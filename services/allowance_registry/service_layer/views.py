"""Results of handlers whose answer joins several rows (frozen views over ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass

from services.allowance_registry.adapters.orm import Account, AllowanceHolding, CcerHolding, Notice
from services.allowance_registry.domain.notices import ccer_offsettable

__all__ = ["HoldingsView", "NoticeView"]


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
