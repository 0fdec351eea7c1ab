"""The compliance application's state machine (履约申请, domain.md §6.2 steps 6-7, §6.3).

    (new) --draft--> draft (revision 0)
    draft --edit--> draft
    draft --submit--> submitted (revision 1)
    submitted --approved (revision n)--> approved                (final)
    submitted --rejected (revision n)--> returned (revision n)
    returned --edit (amend)--> returned
    returned --submit--> submitted (revision n + 1)

The applicant edits and submits; the province decides, by event, on the revision it reviewed. The
rules live here: only a draft or a returned application may be edited or submitted (409
``APPLICATION_NOT_EDITABLE``), every submission is one more revision, and a decision for another
revision or for an application no longer under review is stale (a duplicate, or overtaken by a
resubmission) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.errors import Conflict
from shared.timeutil import local

__all__ = [
    "EDITABLE",
    "ApplicationState",
    "ApplicationStatus",
    "Decision",
    "Step",
    "decide",
    "draft",
    "edit",
    "history_entry",
    "submit",
]


class ApplicationStatus(StrEnum):
    """draft — 草稿; submitted — 已提交待审核; approved — 审核通过; returned — 已退回"""

    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"


EDITABLE = (ApplicationStatus.draft, ApplicationStatus.returned)


class Decision(StrEnum):
    """The province's decision on one revision: approved — 审核通过; rejected — 审核不通过（退回）"""

    approved = "approved"
    rejected = "rejected"


@dataclass(frozen=True)
class ApplicationState:
    id: str
    status: ApplicationStatus
    revision: int


@dataclass(frozen=True)
class Step:
    """Where a transition leads: the new status and revision, and the history action recording it."""

    status: ApplicationStatus
    revision: int
    action: str


def draft() -> Step:
    return Step(ApplicationStatus.draft, 0, "created")


def _require_editable(app: ApplicationState) -> None:
    if app.status not in EDITABLE:
        raise Conflict(
            "APPLICATION_NOT_EDITABLE",
            f"application {app.id} is {app.status}; only a draft or a returned application can be changed or submitted",
            f"履约申请 {app.id} 当前状态为 {app.status}，仅草稿或已退回的申请可修改或提交",
        )


def edit(app: ApplicationState) -> Step:
    """Replace the items of a draft, or amend a returned application: same status, same revision."""
    _require_editable(app)
    return Step(ApplicationStatus(app.status), app.revision, "items_replaced")


def submit(app: ApplicationState) -> Step:
    """Send a draft or an amended application for review: one more revision."""
    _require_editable(app)
    return Step(ApplicationStatus.submitted, app.revision + 1, "submitted")


def decide(app: ApplicationState, revision: int, decision: Decision) -> Step | None:
    """The province's decision on ``revision``; None when the application is not under review in that
    revision (a duplicate or stale decision), which changes nothing."""
    if app.status != ApplicationStatus.submitted or app.revision != revision:
        return None
    if decision is Decision.approved:
        return Step(ApplicationStatus.approved, app.revision, "approved")
    return Step(ApplicationStatus.returned, app.revision, "returned")


def history_entry(at: datetime, step: Step, actor: str, **extra: Any) -> dict[str, Any]:
    """One line of the application's history, as the API shows it."""
    return {"at": local(at).isoformat(), "action": step.action, "revision": step.revision, "actor": actor, **extra}
