"""The province's automated checks on first-period applications with generated offset CCER
(``offset_ccer`` items, seed 002 Part 3): the ETS exclusion judged on the generating legacy project's
facts the item carries, the 5% cap counting them, and seed 002's worked example passing every check
and approved through both reviews."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.provincial_review.domain.review import Decision, Recommendation
from services.provincial_review.service_layer.commands import ListCases, SubmitFirstReview, SubmitSecondReview
from services.provincial_review.service_layer.views import CaseView
from shared.events.contracts import (
    AccountRef,
    AllowanceItem,
    ApplicationSubmittedV1,
    CcerItem,
    NoticeRef,
    OffsetCcerItem,
    PeriodRef,
)
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest
from tests.unit.service_layer.test_review_forms_support import Unit, legacy_project

ELIGIBILITY_2019_2020 = {"origins": ["offset_ccer"], "exclude_within_national_ets": True}


Item = AllowanceItem | CcerItem | OffsetCcerItem


def application(unit: Unit, *, allowances: int = 950_000, items: list[Item] | None = None) -> ApplicationSubmittedV1:
    """Seed 002's application: 950,000 of PE2021000097 and 50,000 of the generated CCER21000057."""
    offset: list[Item] = [OffsetCcerItem(instrument="CCER21000057", quantity=50_000, project=legacy_project())]
    return ApplicationSubmittedV1(
        application_id=f"APP-{uuid.uuid4().hex[:12]}",
        revision=1,
        account=AccountRef(id=unit.account_id, name=unit.name, uscc=unit.uscc, province=unit.province),
        period=PeriodRef(
            code="2019-2020",
            cap_bp=500,
            deadline=datetime(2021, 12, 31, 17, 0, tzinfo=CST),
            eligibility=ELIGIBILITY_2019_2020,
        ),
        notice=NoticeRef(id=unit.notice_id, obligation=unit.obligation, fulfilled=0, under_review=0),
        items=[AllowanceItem(instrument="PE2021000097", quantity=allowances), *(offset if items is None else items)],
        submitted_at=datetime(2021, 11, 3, 22, 20, tzinfo=CST),
    )


async def case_of(review: ServiceUnderTest[Any], unit: Unit, payload: ApplicationSubmittedV1) -> CaseView:
    await unit.issued(review)
    assert await review.deliver(payload) == "applied"
    [case] = (await review.handle(ListCases(application_id=payload.application_id), unit.initiator())).cases
    return case


def failing(view: CaseView) -> dict[str, list[str]]:
    return {
        c["code"] if c["item"] is None else f"{c['code']}[{c['item']}]": [f["code"] for f in c["findings"]]
        for c in view.case.checks
        if not c["passed"]
    }


async def test_seed_002s_application_passes_every_check_and_is_approved_by_two_people(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()

    view = await case_of(review, unit, application(unit))

    assert failing(view) == {}
    lot_check = next(c for c in view.case.checks if c["code"] == "LOT_ELIGIBLE")
    assert (lot_check["item"], lot_check["passed"]) == (1, True)
    first = SubmitFirstReview(case_id=view.case.id, recommendation=Recommendation.approve)
    await review.handle(first, unit.initiator())
    await review.handle(SubmitSecondReview(case_id=view.case.id, decision=Decision.confirm), unit.confirmer())
    assert await review.sent_types() == ["provincial_review.application.approved"]


async def test_offset_ccer_generated_from_a_project_under_national_ets_fails_the_eligibility_check(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    ets: list[Item] = [
        OffsetCcerItem(
            instrument="CCER21000058", quantity=50_000, project=legacy_project(number="099", within_national_ets=True)
        )
    ]

    view = await case_of(review, unit, application(unit, items=ets))

    assert failing(view) == {"LOT_ELIGIBLE[1]": ["LOT_WITHIN_NATIONAL_ETS"]}


async def test_offset_ccer_without_the_projects_facts_cannot_be_checked_and_fails(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    bare: list[Item] = [OffsetCcerItem(instrument="CCER21000057", quantity=50_000)]

    view = await case_of(review, unit, application(unit, items=bare))

    assert failing(view) == {"LOT_ELIGIBLE[1]": ["LOT_FACTS_MISSING"]}


async def test_offset_ccer_above_5_percent_of_the_obligation_fails_the_cap_check(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    too_much: list[Item] = [
        OffsetCcerItem(instrument="CCER21000057", quantity=30_000, project=legacy_project()),
        OffsetCcerItem(instrument="CCER21000059", quantity=20_001, project=legacy_project()),
    ]

    view = await case_of(review, unit, application(unit, allowances=900_000, items=too_much))

    assert failing(view) == {"OFFSET_WITHIN_CAP": ["OFFSET_CAP_EXCEEDED"]}


async def test_the_notice_arriving_first_or_last_makes_no_difference_to_the_offset_ccer_checks(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    payload = application(unit)
    assert await review.deliver(payload) == "applied"
    assert await review.deliver(unit.notice_issued()) == "applied"

    [view] = (await review.handle(ListCases(application_id=payload.application_id), unit.initiator())).cases
    assert failing(view) == {}
