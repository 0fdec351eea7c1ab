"""What the review's handlers answer when one row is not the whole answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.provincial_review.adapters.orm import (
    CancellationProof,
    OffsetForm,
    OffsetFormHistory,
    OffsetFormSummary,
    OverdueHandling,
    RecordedCancellation,
    ReviewCase,
    ReviewHistory,
)
from services.provincial_review.domain.offset_forms import CancellationCheck, FormStatus, cancellation_check

__all__ = [
    "CasePage",
    "CaseView",
    "Dashboard",
    "FormPage",
    "FormView",
    "HandlingReport",
    "OverdueUnit",
    "SummaryPage",
    "UnitShort",
]


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


@dataclass(frozen=True)
class FormView:
    """An offset form with its history and proofs, and the quantity its unit actually cancelled
    for the period (NCSC's daily records) beside the confirmed quantity."""

    form: OffsetForm
    history: tuple[OffsetFormHistory, ...]
    proofs: tuple[CancellationProof, ...]
    cancellations: tuple[RecordedCancellation, ...]

    @property
    def cancelled_quantity(self) -> int:
        return sum(c.quantity for c in self.cancellations)

    @property
    def confirmed_quantity(self) -> int:
        """The requested quantity once the province confirmed it; 0 before."""
        return self.form.requested_quantity if self.form.status == FormStatus.confirmed else 0

    @property
    def cancellation_check(self) -> CancellationCheck:
        return cancellation_check(self.confirmed_quantity, self.cancelled_quantity)

    @property
    def cancellation_mismatch(self) -> bool:
        return self.cancellation_check is not CancellationCheck.matched


@dataclass(frozen=True)
class FormPage:
    forms: tuple[FormView, ...]
    has_more: bool


@dataclass(frozen=True)
class SummaryPage:
    summaries: tuple[OffsetFormSummary, ...]
    has_more: bool


@dataclass(frozen=True)
class OverdueUnit:
    """A unit that did not surrender in time, and how the province handled it (None: not yet)."""

    notice_id: str
    account_id: str
    name: str
    uscc: str
    obligation: int
    deadline: datetime
    completed_at: datetime | None
    handling: OverdueHandling | None


@dataclass(frozen=True)
class HandlingReport:
    """A province's report to the ministry on the handling of its overdue units for a period."""

    period_code: str
    province: str
    due: datetime
    units: tuple[OverdueUnit, ...]
    made_at: datetime

    @property
    def handled(self) -> int:
        return sum(u.handling is not None for u in self.units)

    @property
    def not_handled(self) -> int:
        return len(self.units) - self.handled
