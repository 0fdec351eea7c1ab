"""What the review's handlers answer when one row is not the whole answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.provincial_review.adapters.orm import ReviewCase, ReviewHistory

__all__ = ["CasePage", "CaseView", "Dashboard", "UnitShort"]


@dataclass(frozen=True)
class CaseView:
    """A review case with its history, oldest step first."""

    case: ReviewCase
    history: tuple[ReviewHistory, ...]


@dataclass(frozen=True)
class CasePage:
    cases: tuple[CaseView, ...]
    has_more: bool


@dataclass(frozen=True)
class UnitShort:
    """A unit whose notice for the period is not complete yet."""

    notice_id: str
    account_id: str
    name: str
    uscc: str
    obligation: int


@dataclass(frozen=True)
class Dashboard:
    period_code: str
    province: str
    units: int
    complete: int
    share_complete: float
    units_short: tuple[UnitShort, ...]
    reviews: Mapping[str, int]
