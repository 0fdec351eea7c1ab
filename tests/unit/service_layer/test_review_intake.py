"""The provincial review's consumed events and reads, through its bootstrap (in-memory SQLite, and
PostgreSQL when asked): a submitted application opens one case, a notice re-checks the cases waiting
for it, a completion feeds the dashboard; a province sees its own region only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest

from services.provincial_review.domain.review import ReviewStatus
from services.provincial_review.service_layer.commands import GetCase, GetDashboard, ListCases
from services.provincial_review.service_layer.views import CaseView
from shared.errors import ErrorKind, Forbidden, NotFound
from shared.events.contracts import (
    AccountRef,
    AllowanceItem,
    ApplicationSubmittedV1,
    CcerItem,
    ComplianceCompletedV1,
    NoticeIssuedV1,
    NoticeRef,
    OffsetCcerItem,
    OffsetProject,
    PeriodRef,
)
from shared.principal import Principal
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_, changed

ELIGIBILITY_2023 = {
    "origins": ["new", "legacy"],
    "legacy_recorded_before": "2017-03-14",
    "new_registered_on_or_after": "2024-01-22",
    "exclude_within_national_ets": True,
}


def new_project(number: str = "CCER-14-0001", **kw: Any) -> OffsetProject:
    project = OffsetProject(
        number=number,
        name="风电项目",
        type="wind",
        region="河北省",
        methodology="CCER-01-001",
        registered_or_recorded_at=date(2024, 6, 1),
        within_national_ets=False,
    )
    return changed(project, **kw)


@dataclass
class Unit:
    """A key emitting unit of a province with an enterprise notice for a period."""

    province: str = "110000"
    name: str = "华能测试电厂"
    uscc: str = "91110000100000000X"
    account_id: str = field(default_factory=lambda: f"ALA-{uuid.uuid4().hex[:12]}")
    notice_id: str = field(default_factory=lambda: f"NTC-{uuid.uuid4().hex[:12]}")
    obligation: int = 1_000_000
    period_code: str = "2023"

    def account(self) -> AccountRef:
        return AccountRef(id=self.account_id, name=self.name, uscc=self.uscc, province=self.province)

    def notice_issued(self, **kw: Any) -> NoticeIssuedV1:
        notice = NoticeIssuedV1(
            notice_id=self.notice_id,
            period_code=self.period_code,
            account=self.account(),
            obligation=self.obligation,
            deadline=datetime(2025, 1, 1, 0, 0, tzinfo=CST),
        )
        return changed(notice, **kw)

    def completed(self) -> ComplianceCompletedV1:
        return ComplianceCompletedV1(
            notice_id=self.notice_id,
            period_code=self.period_code,
            account=self.account(),
            completed_at=datetime(2024, 12, 25, 10, 0, tzinfo=CST),
        )

    def submitted(
        self,
        application_id: str | None = None,
        *,
        revision: int = 1,
        allowances: int = 950_000,
        ccer: int = 50_000,
        project: OffsetProject | None = None,
        **kw: Any,
    ) -> ApplicationSubmittedV1:
        items: list[AllowanceItem | CcerItem | OffsetCcerItem] = [
            AllowanceItem(instrument="PE2023000001", quantity=allowances)
        ]
        if ccer:
            items.append(
                CcerItem(
                    lot_id=f"LOT-{uuid.uuid4().hex[:12]}",
                    project=project or new_project(),
                    origin="new",
                    quantity=ccer,
                )
            )
        submitted = ApplicationSubmittedV1(
            application_id=application_id or f"APP-{uuid.uuid4().hex[:12]}",
            revision=revision,
            account=self.account(),
            period=PeriodRef(
                code=self.period_code,
                cap_bp=500,
                deadline=datetime(2025, 1, 1, 0, 0, tzinfo=CST),
                eligibility=ELIGIBILITY_2023,
            ),
            notice=NoticeRef(id=self.notice_id, obligation=self.obligation, fulfilled=0, under_review=0),
            items=items,
            submitted_at=datetime(2024, 12, 20, 10, 0, tzinfo=CST),
        )
        return changed(submitted, **kw)


def initiator(unit: Unit, sub: str | None = None) -> Principal:
    return as_("province_initiator", province=unit.province, **({"sub": sub} if sub else {}))


def confirmer(unit: Unit, sub: str | None = None) -> Principal:
    return as_("province_confirmer", province=unit.province, **({"sub": sub} if sub else {}))


def failing(view: CaseView) -> list[str]:
    return [c["code"] for c in view.case.checks if not c["passed"]]


async def cases_of(review: ServiceUnderTest[Any], unit: Unit, application_id: str) -> list[CaseView]:
    page = await review.handle(ListCases(application_id=application_id), initiator(unit))
    return list(page.cases)


async def open_case(review: ServiceUnderTest[Any], unit: Unit, *, notice: bool = True, **kw: Any) -> CaseView:
    """The notice issued (unless ``notice`` is false), then one application submitted: its case."""
    if notice:
        await review.deliver(unit.notice_issued())
    payload = unit.submitted(**kw)
    assert await review.deliver(payload) == "applied"
    [case] = await cases_of(review, unit, payload.application_id)
    return case


async def test_a_submitted_application_opens_a_case_in_its_province_awaiting_first_review(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit(province="420000")

    view = await open_case(review, unit)

    case = view.case
    assert (case.status, case.revision, case.province) == (ReviewStatus.awaiting_first_review, 1, "420000")
    assert (case.total_quantity, case.ccer_quantity) == (1_000_000, 50_000)
    assert [c["code"] for c in case.checks] == [
        "HOLDER_MATCHES_NOTICE",
        "OBLIGATION_MATCHES_NOTICE",
        "OFFSET_WITHIN_CAP",
        "LOT_ELIGIBLE",
        "SUBMITTED_BEFORE_DEADLINE",
    ]
    assert failing(view) == []
    assert [h.action for h in view.history] == ["opened"]
    assert await review.sent_types() == []


async def test_the_same_submission_event_delivered_twice_opens_one_case(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    payload = unit.submitted()
    envelope = review.envelope(payload, correlation_id="t")

    outcomes = [await review.deliver(envelope=envelope) for _ in range(2)]

    assert outcomes == ["applied", "duplicate"]
    assert len(await cases_of(review, unit, payload.application_id)) == 1


async def test_the_same_revision_sent_again_as_another_event_opens_no_second_case(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    payload = unit.submitted()

    outcomes = [await review.deliver(payload) for _ in range(2)]

    assert outcomes == ["applied", "applied"]
    [view] = await cases_of(review, unit, payload.application_id)
    assert [h.action for h in view.history] == ["opened"]


async def test_a_new_revision_of_an_application_opens_a_case_of_its_own(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    first = await open_case(review, unit)

    await review.deliver(unit.submitted(first.case.application_id, revision=2))

    cases = await cases_of(review, unit, first.case.application_id)
    assert sorted((v.case.revision, v.case.status) for v in cases) == [
        (1, "awaiting_first_review"),
        (2, "awaiting_first_review"),
    ]


async def test_checks_say_the_notice_is_missing_until_it_arrives_and_are_then_recomputed(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    view = await open_case(review, unit, notice=False)
    assert failing(view) == ["HOLDER_MATCHES_NOTICE", "OBLIGATION_MATCHES_NOTICE"]
    assert {f["code"] for c in view.case.checks for f in c["findings"]} == {"NOTICE_NOT_RECEIVED"}

    await review.deliver(unit.notice_issued())

    again = await review.handle(GetCase(case_id=view.case.id), initiator(unit))
    assert failing(again) == []
    assert [h.action for h in again.history] == ["opened", "checks_recomputed"]
    assert again.history[-1].detail["failing_before"] == ["HOLDER_MATCHES_NOTICE", "OBLIGATION_MATCHES_NOTICE"]


async def test_a_notice_reissued_with_another_obligation_fails_the_open_cases_checks_once(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    view = await open_case(review, unit)

    reissued = unit.notice_issued(obligation=800_000)
    await review.deliver(reissued)
    await review.deliver(reissued)  # the same content again: nothing more to record

    again = await review.handle(GetCase(case_id=view.case.id), initiator(unit))
    assert failing(again) == ["OBLIGATION_MATCHES_NOTICE", "OFFSET_WITHIN_CAP"]
    codes = {f["code"] for c in again.case.checks for f in c["findings"]}
    assert {"OBLIGATION_MISMATCH", "OBLIGATION_EXCEEDED", "OFFSET_CAP_EXCEEDED"} <= codes
    assert [h.action for h in again.history] == ["opened", "checks_recomputed"]


async def test_another_application_under_review_counts_against_the_offset_cap(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    earlier = await open_case(review, unit, allowances=100_000, ccer=30_000)

    later = await open_case(review, unit, notice=False, allowances=100_000, ccer=30_000)

    assert failing(earlier) == []
    assert failing(later) == ["OFFSET_WITHIN_CAP"]


async def test_a_case_of_another_province_is_not_found_and_not_listed(review: ServiceUnderTest[Any]) -> None:
    unit = Unit(province="320000")
    view = await open_case(review, unit)
    outsider = as_("province_initiator", province="330000")

    with pytest.raises(NotFound) as refused:
        await review.handle(GetCase(case_id=view.case.id), outsider)
    listed = await review.handle(ListCases(application_id=view.case.application_id), outsider)

    assert (refused.value.kind, refused.value.code) == (ErrorKind.not_found, "NOT_FOUND")
    assert listed.cases == ()


@pytest.mark.parametrize("role", ["enterprise", "registry_initiator", "ncsc_operator", "sim_admin"])
async def test_no_role_but_the_province_sees_a_case(review: ServiceUnderTest[Any], role: str) -> None:
    unit = Unit()
    view = await open_case(review, unit)
    other = as_(role, org="91110000100000000X", province=unit.province)

    with pytest.raises(NotFound):
        await review.handle(GetCase(case_id=view.case.id), other)
    assert (await review.handle(ListCases(), other)).cases == ()


async def test_the_list_filters_by_status_and_pages_through_every_case_once(review: ServiceUnderTest[Any]) -> None:
    unit = Unit(province="650000")
    views = [await open_case(review, Unit(province="650000")) for _ in range(3)]

    first_page = await review.handle(ListCases(limit=2), initiator(unit))
    second_page = await review.handle(ListCases(limit=2, offset=2), initiator(unit))
    waiting = await review.handle(ListCases(status=ReviewStatus.awaiting_second_review), initiator(unit))

    # Oldest first, then by id: cases opened at the same moment come in id order.
    assert [v.case.id for v in first_page.cases + second_page.cases] == sorted(v.case.id for v in views)
    assert (first_page.has_more, second_page.has_more) == (True, False)
    assert waiting.cases == ()


async def test_the_dashboard_shows_completion_units_short_and_reviews_of_the_own_province(
    review: ServiceUnderTest[Any],
) -> None:
    period = f"T{uuid.uuid4().hex[:8]}"
    done = Unit(province="440000", period_code=period, name="甲电厂")
    short = Unit(province="440000", period_code=period, name="乙电厂")
    elsewhere = Unit(province="450000", period_code=period)
    for unit in (done, short, elsewhere):
        await review.deliver(unit.notice_issued())
    await review.deliver(short.submitted())
    await review.deliver(done.completed())

    board = await review.handle(GetDashboard(period_code=period), confirmer(done))

    assert (board.province, board.units, board.complete, board.share_complete) == ("440000", 2, 1, 0.5)
    assert [u.notice_id for u in board.units_short] == [short.notice_id]
    assert board.units_short[0].obligation == 1_000_000
    assert dict(board.reviews) == {"awaiting_first_review": 1}


async def test_a_completion_reported_twice_counts_once(review: ServiceUnderTest[Any]) -> None:
    unit = Unit(period_code=f"T{uuid.uuid4().hex[:8]}")
    await review.deliver(unit.notice_issued())

    outcomes = [await review.deliver(unit.completed()) for _ in range(2)]

    board = await review.handle(GetDashboard(period_code=unit.period_code), initiator(unit))
    assert outcomes == ["applied", "applied"]
    assert (board.units, board.complete, board.units_short) == (1, 1, ())


async def test_a_period_without_notices_has_an_empty_dashboard(review: ServiceUnderTest[Any]) -> None:
    board = await review.handle(GetDashboard(period_code="2099"), initiator(Unit()))

    assert (board.units, board.complete, board.share_complete, dict(board.reviews)) == (0, 0, 0.0, {})


async def test_the_dashboard_is_refused_to_a_role_without_a_province(review: ServiceUnderTest[Any]) -> None:
    with pytest.raises(Forbidden) as refused:
        await review.handle(GetDashboard(period_code="2023"), as_("registry_initiator"))

    assert refused.value.code == "FORBIDDEN_ROLE"
