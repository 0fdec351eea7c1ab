"""What a provincial reviewer asks of the review: typed commands, one handler each."""

from __future__ import annotations

from dataclasses import dataclass

from services.provincial_review.domain.review import Decision, Recommendation, ReviewStatus
from services.provincial_review.service_layer.views import CasePage, CaseView, Dashboard
from shared.bus import Command
from shared.findings import Finding

__all__ = ["GetCase", "GetDashboard", "ListCases", "SubmitFirstReview", "SubmitSecondReview"]


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
