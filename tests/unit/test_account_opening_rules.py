"""Joint account opening (seed 004), pure rules: the materials by type × organisation form ×
foreign investment, the declarations of an `other` participant, and the application's state machine
with the exchange's two-person rule."""

from __future__ import annotations

import itertools

import pytest

from services.new_ccer_registry.domain.account_opening import (
    MATERIALS,
    ApplicationStatus,
    Decision,
    OrgForm,
    ReviewStage,
    Signatory,
    StageReviewers,
    amend_findings,
    application_findings,
    declaration_findings,
    material_findings,
    next_status,
    paper_findings,
    paper_materials,
    require_reviewer,
    required_materials,
    review_findings,
    revision_findings,
)
from shared.errors import Finding, Forbidden

TYPES = ["national_key_emitter", "local_key_emitter", "project_owner", "other"]
ALWAYS = {1, 2, 6, 7, 8, 9, 10, 11, 12}
ALL_DECLARED = {"registered_in_prc": True, "good_credit_3y": True, "not_prohibited": True}
COMBINATIONS = list(itertools.product(TYPES, list(OrgForm), [False, True]))


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def expected_materials(account_type: str, org_form: OrgForm, foreign_invested: bool) -> set[int]:
    """Seed 004 §三, read row by row."""
    expected = set(ALWAYS)
    expected |= {3} if foreign_invested else set()
    expected |= {4} if org_form is OrgForm.legal_person else {5}
    expected |= {13, 14} if account_type == "project_owner" else set()
    return expected


def test_the_checklist_of_a_domestic_legal_person_key_emitter_is_one_two_four_and_six_to_twelve() -> None:
    assert required_materials("national_key_emitter", OrgForm.legal_person, False) == [1, 2, 4, 6, 7, 8, 9, 10, 11, 12]


def test_the_checklist_of_a_foreign_invested_project_owner_organisation_has_three_five_thirteen_and_fourteen() -> None:
    assert required_materials("project_owner", OrgForm.other_org, True) == [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]


@pytest.mark.parametrize(("account_type", "org_form", "foreign_invested"), COMBINATIONS)
def test_every_combination_requires_exactly_the_materials_of_seed_004(
    account_type: str, org_form: OrgForm, foreign_invested: bool
) -> None:
    required = required_materials(account_type, org_form, foreign_invested)

    assert required == sorted(expected_materials(account_type, org_form, foreign_invested))
    assert material_findings(required, required) == []


@pytest.mark.parametrize(("account_type", "org_form", "foreign_invested"), COMBINATIONS)
def test_every_combination_lists_each_surplus_material_when_all_fourteen_are_given(
    account_type: str, org_form: OrgForm, foreign_invested: bool
) -> None:
    required = required_materials(account_type, org_form, foreign_invested)

    findings = material_findings(required, list(range(1, 15)))

    surplus = sorted(set(range(1, 15)) - expected_materials(account_type, org_form, foreign_invested))
    assert codes(findings) == ["MATERIAL_NOT_REQUIRED"] * len(surplus)
    assert [f"material {n} " in f.message for f, n in zip(findings, surplus, strict=True)] == [True] * len(surplus)


@pytest.mark.parametrize(("account_type", "org_form", "foreign_invested"), COMBINATIONS)
def test_every_combination_lists_each_missing_material_when_none_is_given(
    account_type: str, org_form: OrgForm, foreign_invested: bool
) -> None:
    findings = material_findings(required_materials(account_type, org_form, foreign_invested), [])

    expected = sorted(expected_materials(account_type, org_form, foreign_invested))
    assert codes(findings) == ["MATERIAL_MISSING"] * len(expected)
    assert all(f.field == "materials" and f.message_zh.startswith("缺少第") for f in findings)


def test_missing_surplus_and_duplicate_materials_are_reported_together_in_number_order() -> None:
    required = required_materials("other", OrgForm.legal_person, False)
    given = [1, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13]  # 4 missing; 1 twice; 5 and 13 not required

    findings = material_findings(required, given)

    assert [(f.code, f.message.split(" (")[0]) for f in findings] == [
        ("MATERIAL_DUPLICATE", "material 1 is given more than once"),
        ("MATERIAL_MISSING", "material 4"),
        ("MATERIAL_NOT_REQUIRED", "material 5"),
        ("MATERIAL_NOT_REQUIRED", "material 13"),
    ]


def test_a_legal_person_and_an_other_organisation_choose_one_application_form_each() -> None:
    legal = required_materials("other", OrgForm.legal_person, False)
    org = required_materials("other", OrgForm.other_org, False)

    assert (4 in legal, 5 in legal, 4 in org, 5 in org) == (True, False, False, True)
    assert MATERIALS[4].name_zh == "注册登记系统企业开户申请表"
    assert MATERIALS[5].name_zh == "注册登记系统机构团体开户申请表"


# --- the declarations of an `other` participant ---------------------------------------------------
def test_an_other_participant_declaring_all_three_conditions_is_accepted() -> None:
    assert declaration_findings("other", ALL_DECLARED) == []


def test_an_other_participant_missing_or_denying_declarations_gets_one_finding_each() -> None:
    findings = declaration_findings("other", {"registered_in_prc": True, "good_credit_3y": False})

    assert codes(findings) == ["DECLARATION_REQUIRED", "DECLARATION_REQUIRED"]
    assert [f.field for f in findings] == ["declarations.good_credit_3y", "declarations.not_prohibited"]


@pytest.mark.parametrize("account_type", ["national_key_emitter", "local_key_emitter", "project_owner"])
def test_the_other_types_declare_nothing(account_type: str) -> None:
    assert declaration_findings(account_type, {}) == []


def test_an_application_reports_every_problem_at_once() -> None:
    findings = application_findings(
        own_org=False,
        account_type="other",
        org_form=OrgForm.legal_person,
        foreign_invested=True,
        materials=[1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 14],
        declarations={"registered_in_prc": True, "good_credit_3y": True, "not_prohibited": False},
        has_account=True,
        in_progress=True,
    )

    assert codes(findings) == [
        "NOT_OWN_ORG",
        "MATERIAL_MISSING",
        "MATERIAL_NOT_REQUIRED",
        "DECLARATION_REQUIRED",
        "ACCOUNT_ALREADY_OPEN",
        "APPLICATION_IN_PROGRESS",
    ]


# --- the state machine ----------------------------------------------------------------------------
STAGE_DUE = {
    ApplicationStatus.submitted: ReviewStage.exchange_initial,
    ApplicationStatus.paper_received: ReviewStage.exchange_re,
    ApplicationStatus.awaiting_registry_review: ReviewStage.registry,
}


def allowed(
    status: ApplicationStatus,
    stage: ReviewStage,
    decision: Decision = Decision.approve,
    *,
    reviewers: StageReviewers = StageReviewers("ex-li", "ex-wang"),
    sub: str = "someone-else",
    reasons: int = 1,
) -> list[Finding]:
    return review_findings(status, reviewers, stage=stage, decision=decision, reviewer_sub=sub, reason_count=reasons)


@pytest.mark.parametrize(
    ("stage", "after"),
    [
        (ReviewStage.exchange_initial, ApplicationStatus.awaiting_paper),
        (ReviewStage.exchange_re, ApplicationStatus.awaiting_registry_review),
        (ReviewStage.registry, ApplicationStatus.opened),
    ],
)
def test_each_approval_moves_the_application_one_step_on(stage: ReviewStage, after: ApplicationStatus) -> None:
    before = next(s for s, due in STAGE_DUE.items() if due is stage)

    assert allowed(before, stage) == []
    assert next_status(stage, Decision.approve) is after


@pytest.mark.parametrize("stage", list(ReviewStage))
def test_a_rejection_at_any_review_returns_the_application_and_needs_a_reason(stage: ReviewStage) -> None:
    before = next(s for s, due in STAGE_DUE.items() if due is stage)

    assert next_status(stage, Decision.reject) is ApplicationStatus.returned
    assert codes(allowed(before, stage, Decision.reject, reasons=0)) == ["REASONS_REQUIRED"]


@pytest.mark.parametrize(
    ("status", "stage"),
    [(s, st) for s in ApplicationStatus for st in ReviewStage if STAGE_DUE.get(s) is not st],
)
def test_a_review_out_of_order_is_refused_as_not_at_stage(status: ApplicationStatus, stage: ReviewStage) -> None:
    assert codes(allowed(status, stage)) == ["APPLICATION_NOT_AT_STAGE"]


def test_the_re_review_is_refused_to_the_person_who_took_the_initial_review() -> None:
    findings = allowed(
        ApplicationStatus.paper_received, ReviewStage.exchange_re, reviewers=StageReviewers("ex-li"), sub="ex-li"
    )

    assert codes(findings) == ["TWO_PERSON_RULE"]


def test_the_registry_review_is_refused_to_either_exchange_reviewer() -> None:
    for sub in ("ex-li", "ex-wang"):
        assert codes(allowed(ApplicationStatus.awaiting_registry_review, ReviewStage.registry, sub=sub)) == [
            "TWO_PERSON_RULE"
        ]


def test_the_exchange_reviews_are_an_exchange_operators_and_the_registry_review_ncscs() -> None:
    require_reviewer(ReviewStage.exchange_initial, "exchange_operator")
    require_reviewer(ReviewStage.registry, "ncsc_operator")
    for stage, role in [
        (ReviewStage.exchange_initial, "ncsc_operator"),
        (ReviewStage.exchange_re, "enterprise"),
        (ReviewStage.registry, "exchange_operator"),
    ]:
        with pytest.raises(Forbidden) as refused:
            require_reviewer(stage, role)
        assert refused.value.code == "WRONG_REVIEWER"


@pytest.mark.parametrize("status", list(ApplicationStatus))
def test_an_application_is_amended_during_the_initial_review_or_once_returned_and_not_in_between(
    status: ApplicationStatus,
) -> None:
    amendable = {ApplicationStatus.submitted, ApplicationStatus.returned}
    expected = [] if status in amendable else ["APPLICATION_NOT_AMENDABLE"]
    assert codes(amend_findings(status)) == expected


def test_a_review_of_a_superseded_revision_is_refused_and_one_naming_none_reads_the_latest() -> None:
    assert codes(revision_findings(3, 2)) == ["APPLICATION_REVISION_SUPERSEDED"]
    assert revision_findings(3, 3) == []
    assert revision_findings(3, None) == []


def test_an_authorised_signatory_of_the_entry_agreement_adds_the_letter_and_the_identity() -> None:
    legal = required_materials("other", OrgForm.other_org, False)
    authorised = required_materials("other", OrgForm.other_org, False, Signatory.authorised_person)

    assert sorted(set(authorised) - set(legal)) == [15, 16]
    assert codes(
        application_findings(
            own_org=True,
            account_type="other",
            org_form=OrgForm.other_org,
            foreign_invested=False,
            materials=legal,
            declarations=ALL_DECLARED,
            has_account=False,
            in_progress=False,
            signed_by=Signatory.authorised_person,
        )
    ) == ["MATERIAL_MISSING", "MATERIAL_MISSING"]


def test_every_material_is_posted_in_two_copies_except_13_and_14_which_are_uploaded_only() -> None:
    assert paper_materials(range(1, 17)) == [n for n in range(1, 17) if n not in (13, 14)]
    assert {no: m.paper_copies for no, m in MATERIALS.items() if m.paper_copies != 2} == {13: 0, 14: 0}


@pytest.mark.parametrize("status", list(ApplicationStatus))
def test_paper_materials_are_received_only_while_awaited(status: ApplicationStatus) -> None:
    expected = [] if status is ApplicationStatus.awaiting_paper else ["APPLICATION_NOT_AWAITING_PAPER"]
    assert codes(paper_findings(status)) == expected
