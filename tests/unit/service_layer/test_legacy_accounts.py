"""Legacy registry accounts: direct opening by NCSC, and opening through a legacy exchange (the
exchange's initial review, NCSC's re-review), through the service's own handlers."""

from __future__ import annotations

from typing import Any

import pytest

from services.legacy_ccer_registry.domain.accounts import ApplicationStatus, Decision, ReviewStage
from services.legacy_ccer_registry.service_layer.commands import (
    ApplyForAccount,
    Contact,
    GetAccount,
    GetAccountApplication,
    ListAccountApplications,
    OpenAccount,
    Organisation,
    Reason,
    ResubmitAccountApplication,
    ReviewAccountApplication,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.reference import LEGACY_EXCHANGES
from tests.harness import uscc
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_legacy_support import ncsc, open_unit

CONTACTS = (Contact(name="李四", phone="020-87654321", email="li@example.cn", role="trading representative"),)


def apply(code: str, exchange: str = "SEEE", province: str | None = "310000") -> ApplyForAccount:
    return ApplyForAccount(
        org=Organisation(name=f"单位{code[-4:]}", uscc=code, province=province), exchange=exchange, contacts=CONTACTS
    )


def review(application_id: str, stage: ReviewStage, decision: Decision = Decision.approve, *reasons: str) -> Any:
    return ReviewAccountApplication(
        application_id=application_id,
        stage=stage,
        decision=decision,
        reasons=tuple(Reason(code="MATERIAL_MISSING", message=r) for r in reasons),
    )


async def test_ncsc_opens_an_account_that_trades_at_every_legacy_exchange_unless_restricted(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    everywhere = await open_unit(legacy_registry)
    restricted = await open_unit(legacy_registry, exchanges=("TCX", "HBEX"))

    view = await legacy_registry.handle(GetAccount(account_id=everywhere.account_id), everywhere.me)
    assert sorted(t.exchange for t in view.trading_accounts) == sorted(LEGACY_EXCHANGES)
    view = await legacy_registry.handle(GetAccount(account_id=restricted.account_id), ncsc())
    assert [t.exchange for t in view.trading_accounts] == ["HBEX", "TCX"]
    assert view.account.holder_uscc == restricted.uscc and view.account.province == "440000"


async def test_opening_a_second_account_for_a_unit_answers_conflict(legacy_registry: ServiceUnderTest[Any]) -> None:
    unit = await open_unit(legacy_registry)
    with pytest.raises(Conflict) as refused:
        await legacy_registry.handle(
            OpenAccount(holder_name=unit.name, holder_uscc=unit.uscc, province="440000"), ncsc()
        )
    assert refused.value.code == "ACCOUNT_ALREADY_OPEN"


async def test_an_account_outside_the_callers_scope_is_not_found(legacy_registry: ServiceUnderTest[Any]) -> None:
    unit = await open_unit(legacy_registry)
    for stranger in (as_("enterprise", org=uscc()), as_("exchange_operator", exchange="CBGEX"), as_("sim_admin")):
        with pytest.raises(NotFound):
            await legacy_registry.handle(GetAccount(account_id=unit.account_id), stranger)


async def test_an_application_reviewed_by_the_exchange_and_then_ncsc_opens_the_account_and_a_trading_account(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    code = uscc()
    applicant = as_("enterprise", org=code)
    application = await legacy_registry.handle(apply(code), applicant)
    assert application.status == ApplicationStatus.submitted

    seee = as_("exchange_operator", exchange="SEEE")
    reviewed = await legacy_registry.handle(review(application.id, ReviewStage.exchange), seee)
    assert reviewed.status == ApplicationStatus.awaiting_registry_review
    opened = await legacy_registry.handle(review(application.id, ReviewStage.registry), ncsc())

    assert opened.status == ApplicationStatus.opened and opened.account_id and opened.trading_account_id
    view = await legacy_registry.handle(GetAccount(account_id=opened.account_id), applicant)
    assert [t.exchange for t in view.trading_accounts] == ["SEEE"]
    assert (view.account.province, view.account.opened_via) == ("310000", "application")
    assert [step["action"] for step in opened.history] == ["submitted", "exchange_approve", "registry_approve"]


async def test_a_unit_with_an_account_applying_through_another_exchange_gets_the_trading_account_there_on_its_approval(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy_registry, exchanges=("TCX",))
    # The unit has an account already: its province need not be given again.
    application = await legacy_registry.handle(apply(unit.uscc, exchange="CEEX", province=None), unit.me)
    opened = await legacy_registry.handle(
        review(application.id, ReviewStage.exchange), as_("exchange_operator", exchange="CEEX")
    )

    # Nothing is left for NCSC to review: the registry account exists.
    assert (opened.status, opened.account_id) == (ApplicationStatus.opened, unit.account_id)
    view = await legacy_registry.handle(GetAccount(account_id=unit.account_id), unit.me)
    assert [(t.exchange, t.id == opened.trading_account_id) for t in view.trading_accounts] == [
        ("CEEX", True),
        ("TCX", False),
    ]
    with pytest.raises(Conflict) as not_due:
        await legacy_registry.handle(review(application.id, ReviewStage.registry), ncsc())
    assert not_due.value.code == "APPLICATION_NOT_AT_STAGE"


async def test_the_exchanges_approval_opens_the_trading_account_at_once_and_ncscs_opens_the_registry_account(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    code = uscc()
    applicant = as_("enterprise", org=code)
    application = await legacy_registry.handle(apply(code), applicant)

    approved = await legacy_registry.handle(
        review(application.id, ReviewStage.exchange), as_("exchange_operator", exchange="SEEE")
    )
    opened = await legacy_registry.handle(review(application.id, ReviewStage.registry), ncsc())

    assert approved.status == ApplicationStatus.awaiting_registry_review
    assert approved.trading_account_id is not None and approved.account_id is None
    assert approved.history[-1]["trading_account_id"] == approved.trading_account_id
    assert (opened.trading_account_id, opened.status) == (approved.trading_account_id, ApplicationStatus.opened)
    view = await legacy_registry.handle(GetAccount(account_id=opened.account_id or ""), applicant)
    assert [(t.exchange, t.id, t.application_id) for t in view.trading_accounts] == [
        ("SEEE", approved.trading_account_id, application.id)
    ]


async def test_ncscs_rejection_leaves_the_trading_account_open_and_the_resubmission_opens_no_second_one(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    code = uscc()
    applicant = as_("enterprise", org=code)
    application = await legacy_registry.handle(apply(code), applicant)
    seee = as_("exchange_operator", exchange="SEEE")
    first = await legacy_registry.handle(review(application.id, ReviewStage.exchange), seee)
    returned = await legacy_registry.handle(
        review(application.id, ReviewStage.registry, Decision.reject, "法定代表人身份证明不清晰"), ncsc()
    )
    resubmitted = ResubmitAccountApplication(
        application_id=application.id, org=apply(code).org, exchange="SEEE", contacts=CONTACTS
    )
    await legacy_registry.handle(resubmitted, applicant)

    again = await legacy_registry.handle(review(application.id, ReviewStage.exchange), seee)
    opened = await legacy_registry.handle(review(application.id, ReviewStage.registry), ncsc())

    assert (returned.status, returned.trading_account_id) == (ApplicationStatus.returned, first.trading_account_id)
    assert again.trading_account_id == first.trading_account_id
    view = await legacy_registry.handle(GetAccount(account_id=opened.account_id or ""), applicant)
    assert [t.id for t in view.trading_accounts] == [first.trading_account_id]


async def test_an_account_opened_directly_meanwhile_takes_over_the_trading_account_the_exchange_opened(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    code = uscc()
    application = await legacy_registry.handle(apply(code), as_("enterprise", org=code))
    approved = await legacy_registry.handle(
        review(application.id, ReviewStage.exchange), as_("exchange_operator", exchange="SEEE")
    )

    direct = await legacy_registry.handle(
        OpenAccount(holder_name="单位", holder_uscc=code, province="310000", exchanges=("SEEE", "TCX")), ncsc()
    )
    with pytest.raises(Conflict) as nothing_left:
        await legacy_registry.handle(review(application.id, ReviewStage.registry), ncsc())

    assert [(t.exchange, t.id == approved.trading_account_id) for t in direct.trading_accounts] == [
        ("SEEE", True),
        ("TCX", False),
    ]
    assert nothing_left.value.code == "ACCOUNT_ALREADY_OPEN"


async def test_applying_for_what_is_already_open_answers_conflict(legacy_registry: ServiceUnderTest[Any]) -> None:
    unit = await open_unit(legacy_registry, exchanges=("TCX",))
    with pytest.raises(Conflict) as refused:
        await legacy_registry.handle(apply(unit.uscc, exchange="TCX"), unit.me)
    assert refused.value.code == "ACCOUNT_ALREADY_OPEN"
    assert "无需重复开立" in refused.value.message_zh


async def test_a_second_application_through_the_same_exchange_while_one_is_under_review_answers_conflict(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    code = uscc()
    await legacy_registry.handle(apply(code), as_("enterprise", org=code))
    with pytest.raises(Conflict) as refused:
        await legacy_registry.handle(apply(code), as_("enterprise", org=code))
    assert refused.value.code == "APPLICATION_IN_PROGRESS"


async def test_an_application_for_another_unit_without_a_province_is_refused_with_every_finding(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    with pytest.raises(Invalid) as refused:
        await legacy_registry.handle(apply(uscc(), province=None), as_("enterprise", org=uscc()))
    assert {f.code for f in refused.value.findings} == {"NOT_OWN_ORG", "PROVINCE_REQUIRED"}


async def test_an_exchange_operator_sees_and_reviews_only_applications_made_through_its_own_exchange(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    code = uscc()
    application = await legacy_registry.handle(apply(code, exchange="SEEE"), as_("enterprise", org=code))
    tcx = as_("exchange_operator", exchange="TCX")
    with pytest.raises(NotFound):
        await legacy_registry.handle(GetAccountApplication(application_id=application.id), tcx)
    with pytest.raises(NotFound):
        await legacy_registry.handle(review(application.id, ReviewStage.exchange), tcx)
    listed = await legacy_registry.handle(ListAccountApplications(), tcx)
    assert application.id not in {a.id for a in listed.applications}
    listed = await legacy_registry.handle(ListAccountApplications(), as_("exchange_operator", exchange="SEEE"))
    assert application.id in {a.id for a in listed.applications}


async def test_a_rejected_application_returns_with_its_reasons_and_is_amended_and_resubmitted(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    code = uscc()
    applicant = as_("enterprise", org=code)
    application = await legacy_registry.handle(apply(code), applicant)
    seee = as_("exchange_operator", exchange="SEEE")
    returned = await legacy_registry.handle(
        review(application.id, ReviewStage.exchange, Decision.reject, "营业执照复印件缺失"), seee
    )
    assert returned.status == ApplicationStatus.returned
    assert returned.reasons == [{"code": "MATERIAL_MISSING", "message": "营业执照复印件缺失"}]

    amended = ResubmitAccountApplication(
        application_id=application.id,
        org=Organisation(name="改正后的单位名称", uscc=code, province="310000"),
        exchange="SEEE",
        contacts=CONTACTS,
    )
    resubmitted = await legacy_registry.handle(amended, applicant)
    assert (resubmitted.status, resubmitted.revision, resubmitted.reasons) == (ApplicationStatus.submitted, 2, [])
    await legacy_registry.handle(review(application.id, ReviewStage.exchange), seee)
    opened = await legacy_registry.handle(review(application.id, ReviewStage.registry), ncsc())
    view = await legacy_registry.handle(GetAccount(account_id=opened.account_id or ""), applicant)
    assert view.account.holder_name == "改正后的单位名称"


async def test_only_a_returned_application_is_amended(legacy_registry: ServiceUnderTest[Any]) -> None:
    code = uscc()
    application = await legacy_registry.handle(apply(code), as_("enterprise", org=code))
    amended = ResubmitAccountApplication(
        application_id=application.id, org=apply(code).org, exchange="SEEE", contacts=CONTACTS
    )
    with pytest.raises(Conflict) as refused:
        await legacy_registry.handle(amended, as_("enterprise", org=code))
    assert refused.value.code == "APPLICATION_NOT_RETURNED"


async def test_reviews_out_of_turn_by_the_wrong_role_or_by_the_same_person_are_refused(
    legacy_registry: ServiceUnderTest[Any],
) -> None:
    code = uscc()
    application = await legacy_registry.handle(apply(code), as_("enterprise", org=code))
    with pytest.raises(Conflict) as early:
        await legacy_registry.handle(review(application.id, ReviewStage.registry), ncsc())
    assert early.value.code == "APPLICATION_NOT_AT_STAGE"
    with pytest.raises(Forbidden) as wrong_role:
        await legacy_registry.handle(review(application.id, ReviewStage.exchange), ncsc())
    assert wrong_role.value.code == "WRONG_REVIEWER"
    with pytest.raises(Invalid) as no_reason:
        await legacy_registry.handle(
            review(application.id, ReviewStage.exchange, Decision.reject), as_("exchange_operator", exchange="SEEE")
        )
    assert no_reason.value.code == "REASONS_REQUIRED"

    await legacy_registry.handle(
        review(application.id, ReviewStage.exchange), as_("exchange_operator", exchange="SEEE", sub="u-both")
    )
    with pytest.raises(Forbidden) as same_person:
        await legacy_registry.handle(review(application.id, ReviewStage.registry), as_("ncsc_operator", sub="u-both"))
    assert same_person.value.code == "TWO_PERSON_RULE"
