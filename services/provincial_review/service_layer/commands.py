"""What a provincial reviewer asks of the review: typed commands, one handler each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.provincial_review.adapters.orm import OverdueHandling
from services.provincial_review.domain.offset_forms import FormDecision, FormStatus
from services.provincial_review.domain.overdue_handling import HandlingKind
from services.provincial_review.domain.review import Decision, Recommendation, ReviewStatus
from services.provincial_review.service_layer.views import (
    CasePage,
    CaseView,
    Dashboard,
    FormPage,
    FormView,
    HandlingReport,
    SummaryPage,
)
from shared.bus import Command
from shared.findings import Finding

__all__ = [
    "AttachCancellationProof",
    "DecideOffsetForm",
    "GetCase",
    "GetDashboard",
    "GetHandlingReport",
    "GetOffsetForm",
    "ListCases",
    "ListFormSummaries",
    "ListOffsetForms",
    "RecordOverdueHandling",
    "ResubmitOffsetForm",
    "SubmitFirstReview",
    "SubmitOffsetForm",
    "SubmitSecondReview",
]


@dataclass(frozen=True, kw_only=True)
class ListCases(Command[CasePage]):
    """The province's own cases, oldest first, filtered, one page."""

    status: ReviewStatus | None = None
    application_id: str | None = None
    account_id: str | None = None
    period_code: str | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class GetCase(Command[CaseView]):
    case_id: str


@dataclass(frozen=True, kw_only=True)
class SubmitFirstReview(Command[CaseView]):
    """初审: the initiator recommends approve or reject, with the non-conformities found by hand."""

    case_id: str
    recommendation: Recommendation
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SubmitSecondReview(Command[CaseView]):
    """复审: the confirmer confirms the recommendation (final) or sends the case back with a comment."""

    case_id: str
    decision: Decision
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class GetDashboard(Command[Dashboard]):
    """Completion of the province's units for a compliance period."""

    period_code: str


@dataclass(frozen=True, kw_only=True)
class SubmitOffsetForm(Command[FormView]):
    """The unit submits its offset application form (申请表) to its province (seed 001 第三步)."""

    period_code: str
    unit_name: str
    unit_uscc: str
    province: str
    obligation: int
    requested_quantity: int


@dataclass(frozen=True, kw_only=True)
class ResubmitOffsetForm(Command[FormView]):
    """The unit corrects a returned form and submits it again (the same fields as the first time)."""

    form_id: str
    period_code: str
    unit_name: str
    unit_uscc: str
    province: str
    obligation: int
    requested_quantity: int


@dataclass(frozen=True, kw_only=True)
class DecideOffsetForm(Command[FormView]):
    """The province confirms the form, or returns it with the reasons (seed 001 第四步)."""

    form_id: str
    decision: FormDecision
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AttachCancellationProof(Command[FormView]):
    """The unit hands in the stamped screenshot of its cancellation (seed 001 第五步)."""

    form_id: str
    file_name: str
    sha256: str


@dataclass(frozen=True, kw_only=True)
class GetOffsetForm(Command[FormView]):
    form_id: str


@dataclass(frozen=True, kw_only=True)
class ListOffsetForms(Command[FormPage]):
    """Forms in scope, oldest first; ``week`` (a Friday) keeps those confirmed in the week it ends."""

    status: FormStatus | None = None
    week: date | None = None
    period_code: str | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class ListFormSummaries(Command[SummaryPage]):
    """Weekly summaries in scope, oldest week first."""

    province: str | None = None
    period_code: str | None = None
    week_ending: date | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class RecordOverdueHandling(Command[OverdueHandling]):
    """Record (or correct) how the province handled a unit that did not surrender in time."""

    notice_id: str
    kind: HandlingKind
    description: str


@dataclass(frozen=True, kw_only=True)
class GetHandlingReport(Command[HandlingReport]):
    """The report on the handling of a province's overdue units for a period (the caller's own
    province for a province; the named one for the ministry's reader)."""

    period_code: str
    province: str | None = None
