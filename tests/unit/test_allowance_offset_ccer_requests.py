"""The offset-CCER creation request of the first period (seed 002 Part 2) as pure rules: its state
machine with the two-person rule, the instrument it generates, and how an application judges the
generated CCER (the 5% cap and the ETS exclusion, domain.md §7 step 6)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.allowance_registry.domain.applications import (
    Item,
    ItemKind,
    NoticeState,
    PeriodRules,
    submission_findings,
)
from services.allowance_registry.domain.offset_ccer_requests import (
    Decision,
    RequestState,
    RequestStatus,
    decide,
    drafts_a_request,
    instrument_code,
    instrument_name,
    next_sequence,
    submit,
)
from shared.errors import Conflict, Forbidden, Invalid
from shared.offset_rules import Eligibility, LotFacts
from shared.timeutil import CST

DRAFT = RequestState("OCR-1", RequestStatus.draft)
SUBMITTED = RequestState("OCR-1", RequestStatus.submitted, submitted_by="maker")


def test_only_records_cancelled_for_the_2019_2020_offset_draft_a_request() -> None:
    assert drafts_a_request("offset_2019_2020")
    assert not drafts_a_request("offset_2023")
    assert not drafts_a_request("voluntary")


def test_a_draft_is_submitted_then_approved_or_rejected_by_another_person() -> None:
    assert submit(DRAFT).status is RequestStatus.submitted
    assert decide(SUBMITTED, Decision.approve, "checker").status is RequestStatus.approved
    assert decide(SUBMITTED, Decision.reject, "checker", ["not on the form"]).status is RequestStatus.rejected


@pytest.mark.parametrize("status", [RequestStatus.submitted, RequestStatus.approved, RequestStatus.rejected])
def test_only_a_draft_is_submitted(status: RequestStatus) -> None:
    with pytest.raises(Conflict) as refused:
        submit(RequestState("OCR-1", status, submitted_by="maker"))
    assert refused.value.code == "OFFSET_CCER_REQUEST_NOT_DRAFT"


@pytest.mark.parametrize("status", [RequestStatus.draft, RequestStatus.approved, RequestStatus.rejected])
def test_only_a_submitted_request_is_decided(status: RequestStatus) -> None:
    with pytest.raises(Conflict) as refused:
        decide(RequestState("OCR-1", status, submitted_by="maker"), Decision.approve, "checker")
    assert refused.value.code == "OFFSET_CCER_REQUEST_NOT_SUBMITTED"


def test_the_submitter_never_decides_whatever_roles_they_hold() -> None:
    for decision in Decision:
        with pytest.raises(Forbidden) as refused:
            decide(SUBMITTED, decision, "maker", ["reason"])
        assert refused.value.code == "TWO_PERSON_RULE"


def test_a_rejection_without_reasons_is_refused_with_every_problem_at_once() -> None:
    with pytest.raises(Invalid) as alone:
        decide(SUBMITTED, Decision.reject, "checker")
    with pytest.raises(Forbidden) as together:
        decide(SUBMITTED, Decision.reject, "maker")

    assert alone.value.code == "REASONS_REQUIRED"
    assert {f.code for f in together.value.findings} == {"TWO_PERSON_RULE", "REASONS_REQUIRED"}


def test_instruments_are_numbered_in_one_sequence_from_001_as_ccer21000nnn() -> None:
    assert instrument_code(next_sequence([])) == "CCER21000001"
    assert instrument_code(next_sequence(["CCER21000001", "CCER21000057", "PE2021000097"])) == "CCER21000058"
    assert instrument_code(999) == "CCER21000999"
    assert instrument_name("火电测试企业") == "火电测试企业配额抵消清缴CCER"
    with pytest.raises(ValueError):
        instrument_code(0)


# --- an application with generated offset CCER -----------------------------------------------------
FIRST_PERIOD = PeriodRules(
    code="2019-2020",
    active=True,
    allowance_instruments=frozenset({"PE2021000097"}),
    cap_bp=500,
    eligibility=Eligibility(origins=["offset_ccer"]),
    application_deadline=datetime(2021, 12, 31, 17, 0, tzinfo=CST),
)
NOTICE = NoticeState(
    account_id="ALA-1",
    holder_uscc="91110000MA0000000X",
    obligation=1_000_000,
    fulfilled=0,
    under_review=0,
    ccer_registered=0,
    ccer_under_review=0,
    complete=False,
)


def _facts(within: bool) -> LotFacts:
    return LotFacts(
        origin="offset_ccer",
        project_number="0054",
        registered_or_recorded_at=date(2015, 6, 30),
        within_national_ets=within,
    )


def _codes(ccer: int, *, within: bool = False, notice: NoticeState = NOTICE) -> set[tuple[str, int | None]]:
    return {
        (f.code, f.item)
        for f in submission_findings(
            applicant_uscc=NOTICE.holder_uscc,
            notice=notice,
            period=FIRST_PERIOD,
            items=[
                Item(ItemKind.allowance, 1_000_000 - ccer, instrument="PE2021000097"),
                Item(ItemKind.offset_ccer, ccer, instrument="CCER21000057"),
            ],
            allowances_available={"PE2021000097": 1_000_000},
            offset_ccer_available={"CCER21000057": 60_000},
            lots={},
            now=datetime(2021, 11, 3, 22, 25, tzinfo=CST),
            offset_ccer_facts={"CCER21000057": _facts(within)},
        )
    }


def test_seed_002s_application_of_950000_allowances_and_50000_ccer_passes() -> None:
    assert _codes(50_000) == set()


def test_generated_ccer_above_five_percent_of_the_obligation_is_refused() -> None:
    assert _codes(50_001) == {("OFFSET_CAP_EXCEEDED", None)}


def test_the_cap_counts_generated_ccer_already_under_review_or_registered() -> None:
    reviewed = NoticeState(**{**NOTICE.__dict__, "under_review": 30_000, "ccer_under_review": 30_000})
    registered = NoticeState(**{**NOTICE.__dict__, "fulfilled": 30_000, "ccer_registered": 30_000})

    assert ("OFFSET_CAP_EXCEEDED", None) in _codes(20_001, notice=reviewed)
    assert ("OFFSET_CAP_EXCEEDED", None) in _codes(20_001, notice=registered)


def test_generated_ccer_of_a_project_under_national_ets_is_refused_with_the_cap_at_once() -> None:
    assert _codes(50_000, within=True) == {("LOT_WITHIN_NATIONAL_ETS", 1)}
    assert _codes(50_001, within=True) == {("LOT_WITHIN_NATIONAL_ETS", 1), ("OFFSET_CAP_EXCEEDED", None)}
