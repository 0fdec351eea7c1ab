"""The compliance application's state machine (domain.md §6.3), pure: no I/O."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.allowance_registry.domain.application_state import (
    ApplicationState,
    ApplicationStatus,
    Decision,
    decide,
    draft,
    edit,
    history_entry,
    submit,
)
from shared.errors import Conflict, ErrorKind
from shared.timeutil import CST

DRAFT = ApplicationState("APP-1", ApplicationStatus.draft, 0)
UNDER_REVIEW = ApplicationState("APP-1", ApplicationStatus.submitted, 1)
RETURNED = ApplicationState("APP-1", ApplicationStatus.returned, 1)
APPROVED = ApplicationState("APP-1", ApplicationStatus.approved, 1)


def test_a_new_application_is_a_draft_never_submitted() -> None:
    step = draft()

    assert (step.status, step.revision, step.action) == (ApplicationStatus.draft, 0, "created")


def test_a_draft_may_be_edited_and_stays_a_draft_in_its_revision() -> None:
    step = edit(DRAFT)

    assert (step.status, step.revision, step.action) == (ApplicationStatus.draft, 0, "items_replaced")


def test_submitting_a_draft_sends_revision_1_for_review() -> None:
    step = submit(DRAFT)

    assert (step.status, step.revision, step.action) == (ApplicationStatus.submitted, 1, "submitted")


def test_a_returned_application_is_amended_and_resubmitted_as_the_next_revision() -> None:
    amended = edit(RETURNED)
    resubmitted = submit(ApplicationState("APP-1", amended.status, amended.revision))

    assert (amended.status, amended.revision) == (ApplicationStatus.returned, 1)
    assert (resubmitted.status, resubmitted.revision) == (ApplicationStatus.submitted, 2)


@pytest.mark.parametrize("state", [UNDER_REVIEW, APPROVED], ids=["submitted", "approved"])
def test_an_application_under_review_or_approved_can_be_neither_edited_nor_submitted(state: ApplicationState) -> None:
    for step in (edit, submit):
        with pytest.raises(Conflict) as refused:
            step(state)

        assert refused.value.code == "APPLICATION_NOT_EDITABLE"
        assert refused.value.kind is ErrorKind.conflict
        assert [f.code for f in refused.value.findings] == ["APPLICATION_NOT_EDITABLE"]
        assert state.status in refused.value.message and state.status in refused.value.message_zh


def test_approval_of_the_revision_under_review_is_final() -> None:
    step = decide(UNDER_REVIEW, 1, Decision.approved)

    assert step is not None
    assert (step.status, step.revision, step.action) == (ApplicationStatus.approved, 1, "approved")
    with pytest.raises(Conflict):
        edit(ApplicationState("APP-1", step.status, step.revision))


def test_rejection_returns_the_application_in_the_same_revision() -> None:
    step = decide(UNDER_REVIEW, 1, Decision.rejected)

    assert step is not None
    assert (step.status, step.revision, step.action) == (ApplicationStatus.returned, 1, "returned")


def test_a_decision_on_an_earlier_revision_changes_nothing() -> None:
    resubmitted = ApplicationState("APP-1", ApplicationStatus.submitted, 2)

    assert decide(resubmitted, 1, Decision.approved) is None
    assert decide(resubmitted, 1, Decision.rejected) is None


@pytest.mark.parametrize("state", [DRAFT, RETURNED, APPROVED], ids=["draft", "returned", "approved"])
def test_a_decision_on_an_application_not_under_review_changes_nothing(state: ApplicationState) -> None:
    """A duplicate decision (already approved or returned) or one for a draft is stale."""
    assert decide(state, state.revision, Decision.approved) is None
    assert decide(state, state.revision, Decision.rejected) is None


def test_the_full_life_submit_reject_amend_resubmit_approve_counts_two_revisions() -> None:
    state = DRAFT
    for step_of in (
        submit,
        lambda s: decide(s, s.revision, Decision.rejected),
        edit,
        submit,
        lambda s: decide(s, s.revision, Decision.approved),
    ):
        step = step_of(state)
        assert step is not None
        state = ApplicationState(state.id, step.status, step.revision)

    assert (state.status, state.revision) == (ApplicationStatus.approved, 2)


def test_a_history_line_records_when_what_which_revision_and_who_in_beijing_time() -> None:
    at = datetime(2024, 3, 1, 1, 0, tzinfo=CST).astimezone()

    line = history_entry(at, submit(DRAFT), "enterprise:u1", items=2)

    assert line == {
        "at": "2024-03-01T01:00:00+08:00",
        "action": "submitted",
        "revision": 1,
        "actor": "enterprise:u1",
        "items": 2,
    }
