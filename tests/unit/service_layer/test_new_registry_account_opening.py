"""Joint account opening (联合开户, seed 004) through the new registry's handlers: the application, the
exchange's initial review and re-review, the paper materials, NCSC's registry review that opens a
bound registry and trading account, return and amendment, and who sees what."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from services.new_ccer_registry.adapters.orm import AccountApplication
from services.new_ccer_registry.domain.account_opening import (
    ApplicationStatus,
    Decision,
    OrgForm,
    ReviewStage,
    Signatory,
    required_materials,
)
from services.new_ccer_registry.service_layer.commands import (
    AmendAccountApplication,
    ApplyForAccounts,
    Contact,
    Contacts,
    GetAccount,
    GetAccountApplication,
    GetChecklist,
    ListAccountApplications,
    MaterialFile,
    OpenAccount,
    Organisation,
    Reason,
    RecordPaperReceived,
    ReviewAccountApplication,
)
from shared.domain_types import Holder
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.principal import Principal
from tests.service_layer import as_
from tests.unit.service_layer.test_new_registry_support import NCSC, Svc, new_uscc

CBGEX_LI = as_("exchange_operator", sub="cbgex-li", exchange="CBGEX")  # initial review
CBGEX_WANG = as_("exchange_operator", sub="cbgex-wang", exchange="CBGEX")  # re-review, another person
CONTACTS = Contacts(
    account_representative=Contact(name="张敏", phone="13800000001", email="zhang@example.cn"),
    trading_representative=Contact(name="李强", phone="13900000002", email="li@example.cn"),
)
DECLARED: dict[str, bool | None] = {"registered_in_prc": True, "good_credit_3y": True, "not_prohibited": True}


def materials(*numbers: int) -> tuple[MaterialFile, ...]:
    return tuple(MaterialFile(no=n, file_name=f"{n:02d}.pdf", sha256=f"{n:064x}") for n in numbers)


def application(
    org: str, account_type: str = "project_owner", *, org_form: OrgForm = OrgForm.legal_person, **kw: Any
) -> ApplyForAccounts:
    foreign = bool(kw.pop("foreign_invested", False))
    signed_by = kw.pop("agreement_signed_by", Signatory.legal_representative)
    command = ApplyForAccounts(
        org=Organisation(name="塞罕坝林业碳汇有限公司", uscc=org, org_form=org_form, foreign_invested=foreign),
        account_type=account_type,
        province="130000",
        contacts=CONTACTS,
        materials=materials(*required_materials(account_type, org_form, foreign, signed_by)),
        declarations=DECLARED if account_type == "other" else {},
        agreement_signed_by=signed_by,
    )
    return replace(command, **kw)


def review(
    app_id: str,
    stage: ReviewStage,
    decision: Decision = Decision.approve,
    *reasons: str,
    revision: int | None = None,
) -> Any:
    return ReviewAccountApplication(
        application_id=app_id,
        stage=stage,
        decision=decision,
        reasons=tuple(Reason(code="MATERIAL_UNCLEAR", message=r) for r in reasons),
        revision=revision,
    )


async def apply(svc: Svc, account_type: str = "project_owner", **kw: Any) -> tuple[AccountApplication, Principal]:
    org = new_uscc()
    applicant = as_("enterprise", org=org)
    return await svc.handle(application(org, account_type, **kw), applicant), applicant


async def walk_to(svc: Svc, app_id: str, status: ApplicationStatus) -> AccountApplication:
    """Take the application from submitted through the steps up to ``status``."""
    steps: list[tuple[Any, Principal]] = [
        (review(app_id, ReviewStage.exchange_initial), CBGEX_LI),
        (RecordPaperReceived(application_id=app_id), CBGEX_LI),
        (review(app_id, ReviewStage.exchange_re), CBGEX_WANG),
        (review(app_id, ReviewStage.registry), NCSC),
    ]
    order = [
        ApplicationStatus.awaiting_paper,
        ApplicationStatus.paper_received,
        ApplicationStatus.awaiting_registry_review,
        ApplicationStatus.opened,
    ]
    shown = await svc.handle(GetAccountApplication(application_id=app_id), NCSC)
    for (command, who), reached in zip(steps, order, strict=True):
        if shown.status == status:
            break
        shown = await svc.handle(command, who)
        assert shown.status == reached
    return shown


async def test_an_enterprise_applies_for_its_own_unit_and_waits_for_the_exchanges_initial_review(
    new_registry: Svc,
) -> None:
    submitted, applicant = await apply(new_registry)

    assert (submitted.status, submitted.revision, submitted.exchange) == ("submitted", 1, "CBGEX")
    assert (submitted.registry_account_id, submitted.trading_account_id, submitted.notifications) == (None, None, [])
    assert [n for n in (1, 13, 14) if n in [m["no"] for m in submitted.materials]] == [1, 13, 14]
    assert [h["action"] for h in submitted.history] == ["submitted"]
    assert submitted.history[0]["actor"] == applicant.actor


async def test_an_application_lists_every_missing_and_surplus_material_at_once(new_registry: Svc) -> None:
    org = new_uscc()
    # A domestic legal person applying as project owner, with 5 instead of 4, 3 it need not give, no 14.
    given = materials(1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13)

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(application(org, materials=given), as_("enterprise", org=org))

    assert [(f.code, f.message.split(" (")[0]) for f in refused.value.findings] == [
        ("MATERIAL_NOT_REQUIRED", "material 3"),
        ("MATERIAL_MISSING", "material 4"),
        ("MATERIAL_NOT_REQUIRED", "material 5"),
        ("MATERIAL_MISSING", "material 14"),
    ]


async def test_an_other_participant_must_declare_all_three_conditions(new_registry: Svc) -> None:
    org = new_uscc()
    command = application(org, "other", declarations={"registered_in_prc": True, "not_prohibited": False})

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(command, as_("enterprise", org=org))

    assert [(f.code, f.field) for f in refused.value.findings] == [
        ("DECLARATION_REQUIRED", "declarations.good_credit_3y"),
        ("DECLARATION_REQUIRED", "declarations.not_prohibited"),
    ]


async def test_an_enterprise_cannot_apply_for_another_unit(new_registry: Svc) -> None:
    with pytest.raises(Invalid) as refused:
        await new_registry.handle(application(new_uscc()), as_("enterprise", org=new_uscc()))

    assert refused.value.code == "NOT_OWN_ORG"


async def test_the_five_steps_open_a_bound_registry_and_trading_account_and_notify_both_representatives(
    new_registry: Svc,
) -> None:
    submitted, applicant = await apply(new_registry)

    initial = await new_registry.handle(review(submitted.id, ReviewStage.exchange_initial), CBGEX_LI)
    sms = initial.notifications
    paper = await new_registry.handle(RecordPaperReceived(application_id=submitted.id), CBGEX_LI)
    re_reviewed = await new_registry.handle(review(submitted.id, ReviewStage.exchange_re), CBGEX_WANG)
    opened = await new_registry.handle(review(submitted.id, ReviewStage.registry), NCSC)

    assert [initial.status, paper.status, re_reviewed.status, opened.status] == [
        "awaiting_paper",
        "paper_received",
        "awaiting_registry_review",
        "opened",
    ]
    assert [(n["to"], n["channel"], n["address"]) for n in sms] == [("trading_representative", "sms", "13900000002")]
    assert "北京绿色交易所" in sms[0]["message_zh"]
    assert [(n["to"], n["channel"], n["address"]) for n in opened.notifications[1:]] == [
        ("account_representative", "sms", "13800000001"),
        ("trading_representative", "email", "li@example.cn"),
    ]
    assert opened.registry_account_id in opened.notifications[1]["message"]
    assert opened.trading_account_id in opened.notifications[2]["message"]
    assert [h["action"] for h in opened.history] == [
        "submitted",
        "exchange_initial_approve",
        "notified",
        "paper_received",
        "exchange_re_approve",
        "registry_approve",
        "notified",
        "notified",
    ]
    account = await new_registry.handle(GetAccount(account_id=opened.registry_account_id or ""), applicant)
    assert (account.account.holder_uscc, account.account.account_type, account.account.province) == (
        applicant.org,
        "project_owner",
        "130000",
    )
    assert account.trading is not None
    assert (account.trading.id, account.trading.status) == (opened.trading_account_id, "awaiting_fees")


async def test_a_key_emitter_opened_jointly_trades_at_once(new_registry: Svc) -> None:
    submitted, applicant = await apply(new_registry, "local_key_emitter", org_form=OrgForm.other_org)

    opened = await walk_to(new_registry, submitted.id, ApplicationStatus.opened)

    account = await new_registry.handle(GetAccount(account_id=opened.registry_account_id or ""), applicant)
    assert account.trading is not None and account.trading.status == "active"


@pytest.mark.parametrize(
    ("status", "command", "who", "code"),
    [
        (ApplicationStatus.submitted, "paper", CBGEX_LI, "APPLICATION_NOT_AWAITING_PAPER"),
        (ApplicationStatus.submitted, ReviewStage.exchange_re, CBGEX_WANG, "APPLICATION_NOT_AT_STAGE"),
        (ApplicationStatus.submitted, ReviewStage.registry, NCSC, "APPLICATION_NOT_AT_STAGE"),
        (ApplicationStatus.awaiting_paper, ReviewStage.exchange_initial, CBGEX_LI, "APPLICATION_NOT_AT_STAGE"),
        (ApplicationStatus.awaiting_paper, ReviewStage.exchange_re, CBGEX_WANG, "APPLICATION_NOT_AT_STAGE"),
        (ApplicationStatus.awaiting_paper, "amend", None, "APPLICATION_NOT_AMENDABLE"),
        (ApplicationStatus.paper_received, "paper", CBGEX_LI, "APPLICATION_NOT_AWAITING_PAPER"),
        (ApplicationStatus.paper_received, "amend", None, "APPLICATION_NOT_AMENDABLE"),
        (ApplicationStatus.paper_received, ReviewStage.registry, NCSC, "APPLICATION_NOT_AT_STAGE"),
        (ApplicationStatus.awaiting_registry_review, ReviewStage.exchange_re, CBGEX_WANG, "APPLICATION_NOT_AT_STAGE"),
        (ApplicationStatus.awaiting_registry_review, "amend", None, "APPLICATION_NOT_AMENDABLE"),
        (ApplicationStatus.opened, ReviewStage.registry, NCSC, "APPLICATION_NOT_AT_STAGE"),
        (ApplicationStatus.opened, "paper", CBGEX_LI, "APPLICATION_NOT_AWAITING_PAPER"),
        (ApplicationStatus.opened, "amend", None, "APPLICATION_NOT_AMENDABLE"),
    ],
)
async def test_a_step_out_of_order_is_refused_as_a_conflict_and_changes_nothing(
    new_registry: Svc, status: ApplicationStatus, command: Any, who: Principal | None, code: str
) -> None:
    submitted, applicant = await apply(new_registry)
    before = await walk_to(new_registry, submitted.id, status)
    if command == "paper":
        step: Any = RecordPaperReceived(application_id=submitted.id)
    elif command == "amend":
        step, who = (
            AmendAccountApplication(**vars(application(applicant.org or "")), application_id=submitted.id),
            applicant,
        )
    else:
        step = review(submitted.id, command)

    with pytest.raises(Conflict) as refused:
        await new_registry.handle(step, who or applicant)

    assert refused.value.code == code
    after = await new_registry.handle(GetAccountApplication(application_id=submitted.id), NCSC)
    assert (after.status, after.revision, len(after.history)) == (before.status, 1, len(before.history))


async def test_the_initial_reviewer_may_not_take_the_re_review_even_as_another_exchange_user(
    new_registry: Svc,
) -> None:
    submitted, _ = await apply(new_registry)
    await walk_to(new_registry, submitted.id, ApplicationStatus.paper_received)
    same_person = as_("exchange_operator", sub=CBGEX_LI.sub, exchange="CBGEX")

    with pytest.raises(Forbidden) as refused:
        await new_registry.handle(review(submitted.id, ReviewStage.exchange_re), same_person)

    assert refused.value.code == "TWO_PERSON_RULE"
    shown = await new_registry.handle(review(submitted.id, ReviewStage.exchange_re), CBGEX_WANG)
    assert shown.status == "awaiting_registry_review"


async def test_each_stage_is_taken_by_its_own_role(new_registry: Svc) -> None:
    submitted, _ = await apply(new_registry)

    with pytest.raises(Forbidden) as ncsc_at_exchange:
        await new_registry.handle(review(submitted.id, ReviewStage.exchange_initial), NCSC)
    await walk_to(new_registry, submitted.id, ApplicationStatus.awaiting_registry_review)
    with pytest.raises(Forbidden) as exchange_at_registry:
        await new_registry.handle(
            review(submitted.id, ReviewStage.registry), as_("exchange_operator", exchange="CBGEX")
        )

    assert (ncsc_at_exchange.value.code, exchange_at_registry.value.code) == ("WRONG_REVIEWER", "WRONG_REVIEWER")


async def test_a_rejection_without_reasons_is_refused(new_registry: Svc) -> None:
    submitted, _ = await apply(new_registry)

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(review(submitted.id, ReviewStage.exchange_initial, Decision.reject), CBGEX_LI)

    assert refused.value.code == "REASONS_REQUIRED"


@pytest.mark.parametrize(
    ("at", "stage", "reviewer"),
    [
        (ApplicationStatus.submitted, ReviewStage.exchange_initial, CBGEX_LI),
        (ApplicationStatus.paper_received, ReviewStage.exchange_re, CBGEX_WANG),
        (ApplicationStatus.awaiting_registry_review, ReviewStage.registry, NCSC),
    ],
)
async def test_a_rejection_at_each_review_returns_the_application_which_is_amended_and_reviewed_again_from_the_start(
    new_registry: Svc, at: ApplicationStatus, stage: ReviewStage, reviewer: Principal
) -> None:
    submitted, applicant = await apply(new_registry)
    await walk_to(new_registry, submitted.id, at)

    returned = await new_registry.handle(review(submitted.id, stage, Decision.reject, "项目设计文件缺少附件"), reviewer)
    amended = await new_registry.handle(
        AmendAccountApplication(
            **vars(application(applicant.org or "", province="110000")), application_id=submitted.id
        ),
        applicant,
    )
    with pytest.raises(Conflict):  # the amendment starts again at the exchange's initial review
        await new_registry.handle(review(submitted.id, ReviewStage.registry), NCSC)
    opened = await walk_to(new_registry, submitted.id, ApplicationStatus.opened)

    assert returned.status == "returned"
    assert [(r["code"], r["message"]) for r in returned.reasons] == [("MATERIAL_UNCLEAR", "项目设计文件缺少附件")]
    assert (amended.status, amended.revision, amended.reasons, amended.province) == ("submitted", 2, [], "110000")
    assert (amended.exchange_initial_reviewer, amended.exchange_re_reviewer) == (None, None)
    assert opened.status == "opened" and opened.registry_account_id is not None
    assert [h["action"] for h in opened.history].count("resubmitted") == 1


async def test_an_amendment_is_checked_like_an_application(new_registry: Svc) -> None:
    submitted, applicant = await apply(new_registry)
    await new_registry.handle(review(submitted.id, ReviewStage.exchange_initial, Decision.reject, "不清晰"), CBGEX_LI)

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(
            AmendAccountApplication(
                **vars(application(applicant.org or "", materials=materials(1, 2))), application_id=submitted.id
            ),
            applicant,
        )

    assert {f.code for f in refused.value.findings} == {"MATERIAL_MISSING"}


async def test_a_unit_holds_one_account_of_a_type_however_it_was_opened(new_registry: Svc) -> None:
    org = new_uscc()
    applicant = as_("enterprise", org=org)
    direct = OpenAccount(holder=Holder(name="塞罕坝", uscc=org), account_type="project_owner", province="130000")
    first = await new_registry.handle(application(org), applicant)

    with pytest.raises(Conflict) as in_progress:
        await new_registry.handle(application(org), applicant)
    other_type = await new_registry.handle(application(org, "other"), applicant)
    await walk_to(new_registry, first.id, ApplicationStatus.opened)
    with pytest.raises(Conflict) as applied_again:
        await new_registry.handle(application(org), applicant)
    with pytest.raises(Conflict) as opened_directly:
        await new_registry.handle(direct, NCSC)

    assert in_progress.value.code == "APPLICATION_IN_PROGRESS"
    assert other_type.status == "submitted"
    assert (applied_again.value.code, opened_directly.value.code) == ("ACCOUNT_ALREADY_OPEN", "ACCOUNT_ALREADY_OPEN")


async def test_an_account_opened_directly_meanwhile_stops_the_registry_review_and_nothing_opens(
    new_registry: Svc,
) -> None:
    submitted, applicant = await apply(new_registry)
    await walk_to(new_registry, submitted.id, ApplicationStatus.awaiting_registry_review)
    await new_registry.handle(
        OpenAccount(
            holder=Holder(name="塞罕坝", uscc=applicant.org or ""), account_type="project_owner", province="130000"
        ),
        NCSC,
    )

    with pytest.raises(Conflict) as refused:
        await new_registry.handle(review(submitted.id, ReviewStage.registry), NCSC)

    assert refused.value.code == "ACCOUNT_ALREADY_OPEN"
    shown = await new_registry.handle(GetAccountApplication(application_id=submitted.id), applicant)
    assert (shown.status, shown.registry_account_id) == ("awaiting_registry_review", None)


async def test_another_enterprise_another_exchange_a_province_and_the_simulation_admin_get_not_found(
    new_registry: Svc,
) -> None:
    submitted, _ = await apply(new_registry)
    strangers = [
        as_("enterprise", org=new_uscc()),
        as_("exchange_operator", exchange="TCX"),
        as_("province_initiator", province="130000"),
        as_("registry_initiator"),
        as_("sim_admin"),
    ]

    for stranger in strangers:
        with pytest.raises(NotFound):
            await new_registry.handle(GetAccountApplication(application_id=submitted.id), stranger)
        listed = await new_registry.handle(ListAccountApplications(), stranger)
        assert listed.items == []
    for step in (review(submitted.id, ReviewStage.exchange_initial), RecordPaperReceived(application_id=submitted.id)):
        with pytest.raises(NotFound):
            await new_registry.handle(step, as_("exchange_operator", exchange="SEEE"))


async def test_lists_show_each_reader_its_scope_filtered_by_status_and_paged(new_registry: Svc) -> None:
    mine, applicant = await apply(new_registry)
    theirs, _ = await apply(new_registry)
    third, _ = await apply(new_registry)
    await walk_to(new_registry, theirs.id, ApplicationStatus.awaiting_paper)

    own = await new_registry.handle(ListAccountApplications(), applicant)
    exchange = await new_registry.handle(ListAccountApplications(), CBGEX_WANG)
    waiting = await new_registry.handle(ListAccountApplications(status="submitted"), NCSC)
    first_page = await new_registry.handle(ListAccountApplications(limit=2), NCSC)
    second_page = await new_registry.handle(ListAccountApplications(limit=2, offset=2), NCSC)

    assert [a.id for a in own.items] == [mine.id]
    assert {a.id for a in exchange.items} == {mine.id, theirs.id, third.id}
    assert {a.id for a in waiting.items} == {mine.id, third.id}
    assert (len(first_page.items), first_page.has_more, len(second_page.items), second_page.has_more) == (
        2,
        True,
        1,
        False,
    )


async def test_the_checklist_names_the_materials_of_the_type_and_form(new_registry: Svc) -> None:
    items = await new_registry.handle(
        GetChecklist(account_type="project_owner", org_form=OrgForm.other_org, foreign_invested=True),
        as_("province_confirmer", province="110000"),
    )

    assert [m.no for m in items] == [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert items[-2].name_zh == "项目设计文件"


# --- amendments during the exchange's initial review (seed 004 第一步: 审核期间可……修改注册信息) -------------
async def test_the_applicant_amends_while_the_initial_review_is_pending_and_the_review_reads_the_latest_revision(
    new_registry: Svc,
) -> None:
    submitted, applicant = await apply(new_registry)
    amended = await new_registry.handle(
        AmendAccountApplication(
            **vars(application(applicant.org or "", province="110000")), application_id=submitted.id
        ),
        applicant,
    )

    with pytest.raises(Conflict) as stale:  # the reviewer read revision 1
        await new_registry.handle(review(submitted.id, ReviewStage.exchange_initial, revision=1), CBGEX_LI)
    unchanged = await new_registry.handle(GetAccountApplication(application_id=submitted.id), NCSC)
    approved = await new_registry.handle(review(submitted.id, ReviewStage.exchange_initial, revision=2), CBGEX_LI)

    assert (amended.status, amended.revision, amended.province) == ("submitted", 2, "110000")
    assert amended.history[-1]["action"] == "amended"
    assert (amended.history[-1]["revision"], amended.history[-1]["changed"]) == (2, ["province"])
    assert (stale.value.code, stale.value.findings[0].field) == ("APPLICATION_REVISION_SUPERSEDED", "revision")
    assert (unchanged.status, unchanged.revision, len(unchanged.history)) == ("submitted", 2, 2)
    assert approved.status == "awaiting_paper"
    assert (approved.history[-2]["action"], approved.history[-2]["revision"]) == ("exchange_initial_approve", 2)


async def test_a_review_that_names_no_revision_is_a_decision_on_the_latest(new_registry: Svc) -> None:
    submitted, applicant = await apply(new_registry)
    await new_registry.handle(
        AmendAccountApplication(**vars(application(applicant.org or "")), application_id=submitted.id), applicant
    )

    returned = await new_registry.handle(
        review(submitted.id, ReviewStage.exchange_initial, Decision.reject, "第6项不清晰"), CBGEX_LI
    )

    assert (returned.status, returned.history[-1]["revision"]) == ("returned", 2)


async def test_an_amendment_during_the_initial_review_is_checked_like_an_application_and_changes_nothing(
    new_registry: Svc,
) -> None:
    submitted, applicant = await apply(new_registry)

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(
            AmendAccountApplication(
                **vars(application(applicant.org or "", materials=materials(1, 2, 4))), application_id=submitted.id
            ),
            applicant,
        )

    assert {f.code for f in refused.value.findings} == {"MATERIAL_MISSING"}
    shown = await new_registry.handle(GetAccountApplication(application_id=submitted.id), applicant)
    assert (shown.revision, len(shown.materials)) == (1, len(submitted.materials))


# --- the entry agreement signed by an authorised person (seed 004 §三) ----------------------------------
async def test_an_entry_agreement_signed_by_an_authorised_person_needs_the_letter_and_the_identity_listed_with_the_rest(
    new_registry: Svc,
) -> None:
    org = new_uscc()
    # Signed by an authorised person, without 15 and 16, and without 14 besides.
    given = materials(1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13)

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(
            application(org, agreement_signed_by=Signatory.authorised_person, materials=given),
            as_("enterprise", org=org),
        )
    accepted = await new_registry.handle(
        application(org, agreement_signed_by=Signatory.authorised_person), as_("enterprise", org=org)
    )

    assert [(f.code, f.message.split(" (")[0]) for f in refused.value.findings] == [
        ("MATERIAL_MISSING", "material 14"),
        ("MATERIAL_MISSING", "material 15"),
        ("MATERIAL_MISSING", "material 16"),
    ]
    assert "authorised person" in refused.value.findings[1].message
    assert "被授权人" in refused.value.findings[2].message_zh
    assert accepted.agreement_signed_by == "authorised_person"
    assert [m["no"] for m in accepted.materials][-2:] == [15, 16]


async def test_the_letter_of_authorisation_is_surplus_when_the_legal_representative_signed(new_registry: Svc) -> None:
    org = new_uscc()
    given = materials(*required_materials("project_owner", OrgForm.legal_person, False), 15, 16)

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(application(org, materials=given), as_("enterprise", org=org))

    assert [(f.code, f.message.split(" (")[0]) for f in refused.value.findings] == [
        ("MATERIAL_NOT_REQUIRED", "material 15"),
        ("MATERIAL_NOT_REQUIRED", "material 16"),
    ]


async def test_the_checklist_adds_the_letter_and_the_identity_when_an_authorised_person_signs(
    new_registry: Svc,
) -> None:
    items = await new_registry.handle(
        GetChecklist(
            account_type="project_owner",
            org_form=OrgForm.legal_person,
            foreign_invested=False,
            agreement_signed_by=Signatory.authorised_person,
        ),
        as_("enterprise", org=new_uscc()),
    )

    assert [m.no for m in items] == [1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    assert [(m.no, m.paper_copies) for m in items if m.paper_copies != 2] == [(13, 0), (14, 0)]
    assert items[-2].name_zh.startswith("授权委托书")


async def test_the_sms_after_the_initial_review_asks_for_paper_copies_of_all_but_13_and_14(new_registry: Svc) -> None:
    submitted, _ = await apply(new_registry, agreement_signed_by=Signatory.authorised_person)

    initial = await new_registry.handle(review(submitted.id, ReviewStage.exchange_initial), CBGEX_LI)

    sms = initial.notifications[0]
    assert "第 1、2、4、6、7、8、9、10、11、12、15、16 项纸质申请材料（一式两份" in sms["message_zh"]
    assert "第 13、14 项仅上传电子版，无需邮寄" in sms["message_zh"]
    assert "1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 15, 16 (two stamped copies each)" in sms["message"]
