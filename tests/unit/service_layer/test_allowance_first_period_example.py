"""Seed 002's worked example of the first compliance period (2019-2020), step by step through the
allowance registry's handlers: the scope, the notices, the generated offset CCER, the application
with 950,000 allowances and 50,000 CCER, and the province's approval; then the rules that refuse an
application with generated offset CCER (the 5% cap, the ETS exclusion)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from services.allowance_registry.domain.applications import Item, ItemKind
from services.allowance_registry.service_layer.commands import (
    AllocateAllowances,
    ApprovePeriod,
    DraftApplication,
    GetHoldings,
    GetNotice,
    IssueNotice,
    IssueProvincialNotice,
    ListHoldingMovements,
    ListNotices,
    ListOffsetRegistrations,
    ProposePeriod,
    Reconcile,
    SubmitApplication,
)
from shared.errors import Invalid, NotFound
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_, changed, service_under_test
from tests.unit.service_layer.test_allowance_offset_ccer_requests import (
    cancellation,
    generated,
    unit_account,
)
from tests.unit.service_layer.test_allowance_support import CHECKER, MAKER, approved, rejected

Svc = ServiceUnderTest[Any]
ALLOWANCES = "PE2021000097"  # 2019-2020年配额
PROVINCE = "420000"
# Seed 002's screenshots: the unit's notice was issued 2021-11-03 22:08:39.
EVENING = datetime(2021, 11, 3, 22, 0, tzinfo=CST)


@pytest.fixture
async def first_period(backend: str) -> AsyncIterator[Svc]:
    """The allowance registry in November 2021, the 2019-2020 period set (maker and checker)."""
    async with service_under_test("allowance_registry", backend, now=EVENING) as svc:
        await svc.handle(ProposePeriod(builtin="2019-2020"), MAKER)
        await svc.handle(ApprovePeriod(code="2019-2020"), CHECKER)
        await svc.handle(
            IssueProvincialNotice(period_code="2019-2020", province=PROVINCE, total_obligation=10_000_000), MAKER
        )
        yield svc


async def key_emitting_unit(svc: Svc, *, obligation: int = 1_000_000, held: int = 1_000_000) -> tuple[str, str, str]:
    """(USCC, account id, notice id) of a unit holding ``held`` 2019-2020 allowances, with its notice."""
    org, account_id = await unit_account(svc, province=PROVINCE)
    await svc.handle(
        AllocateAllowances(account_id=account_id, instrument=ALLOWANCES, quantity=held, side="registry"), MAKER
    )
    notice = await svc.handle(
        IssueNotice(period_code="2019-2020", account_id=account_id, obligation=obligation),
        as_("province_initiator", province=PROVINCE),
    )
    return org, account_id, notice.notice.id


async def apply(svc: Svc, org: str, notice_id: str, *items: Item) -> Any:
    unit = as_("enterprise", org=org)
    draft = await svc.handle(DraftApplication(notice_id=notice_id, items=items), unit)
    return await svc.handle(SubmitApplication(application_id=draft.id), unit)


def allowances(quantity: int) -> Item:
    return Item(kind=ItemKind.allowance, instrument=ALLOWANCES, quantity=quantity)


def offset_ccer(code: str, quantity: int) -> Item:
    return Item(kind=ItemKind.offset_ccer, instrument=code, quantity=quantity)


async def figures(svc: Svc, org: str, notice_id: str) -> dict[str, Any]:
    """What the unit's home page and 履约清缴 page show (seed 002's screenshots)."""
    unit = as_("enterprise", org=org)
    view = await svc.handle(GetNotice(notice_id=notice_id), unit)
    holdings = await svc.handle(GetHoldings(account_id=view.account.id), unit)
    allowance_rows = {h.instrument: h for h in holdings.allowances}
    pe = allowance_rows.get(ALLOWANCES)
    n = view.notice
    return {
        "应履约量": n.obligation,
        "已履约量": n.fulfilled,
        "待审核履约量": n.under_review,
        "ccer可抵消量": view.ccer_offsettable,
        "status": n.status,
        "登记配额持仓": pe.registry_side if pe else 0,
        "配额冻结": pe.frozen if pe else 0,
        "登记ccer持仓": sum(h.quantity for h in holdings.ccer),
        "ccer冻结": sum(h.frozen for h in holdings.ccer),
    }


async def test_seed_002s_worked_example_from_the_notice_to_the_final_holdings(first_period: Svc) -> None:
    svc = first_period
    await svc.set_clock(datetime(2021, 11, 3, 22, 8, 39, tzinfo=CST))
    org, account_id, notice_id = await key_emitting_unit(svc)
    notice = await svc.handle(GetNotice(notice_id=notice_id), as_("enterprise", org=org))
    # Seed 001: 17:00 on 2021-12-31 (seed 002's screenshot shows 00:00; the notice's hour wins).
    assert notice.notice.deadline == datetime(2021, 12, 31, 17, 0, tzinfo=CST)

    # NCSC's record of the unit's 50,000 cancelled CCER; the registry's two people generate them.
    await svc.set_clock(datetime(2021, 11, 3, 22, 15, tzinfo=CST))
    request = await generated(svc, org, 50_000, holder={"name": "火电测试企业", "uscc": org})
    code = request.instrument
    assert code == "CCER21000001"  # the seed's screenshot shows CCER21000057, the 57th of its registry
    assert await figures(svc, org, notice_id) == {
        "应履约量": 1_000_000,
        "已履约量": 0,
        "待审核履约量": 0,
        "ccer可抵消量": 50_000,
        "status": "open",
        "登记配额持仓": 1_000_000,
        "配额冻结": 0,
        "登记ccer持仓": 50_000,
        "ccer冻结": 0,
    }

    # 履约清缴: 950,000 of PE2021000097 and 50,000 of the generated CCER, submitted.
    await svc.set_clock(datetime(2021, 11, 3, 22, 25, tzinfo=CST))
    await svc.sent()
    application = await apply(svc, org, notice_id, offset_ccer(code, 50_000), allowances(950_000))
    assert (application.status, application.revision) == ("submitted", 1)
    assert await figures(svc, org, notice_id) == {
        "应履约量": 1_000_000,
        "已履约量": 0,
        "待审核履约量": 1_000_000,
        "ccer可抵消量": 0,
        "status": "open",
        "登记配额持仓": 1_000_000,
        "配额冻结": 950_000,
        "登记ccer持仓": 50_000,
        "ccer冻结": 50_000,
    }
    [submitted] = await svc.sent()
    assert submitted.event_type == "allowance_registry.application.submitted"
    ccer_item, allowance_item = submitted.envelope.payload["items"]
    assert (ccer_item["kind"], ccer_item["instrument"], ccer_item["quantity"]) == ("offset_ccer", code, 50_000)
    assert ccer_item["project"] == request.project  # the province checks the ETS exclusion on it
    assert allowance_item == {"kind": "allowance", "instrument": ALLOWANCES, "quantity": 950_000}

    # The province approves (初审, 复审): both are surrendered.
    assert await svc.deliver(approved(application.id)) == "applied"
    assert await figures(svc, org, notice_id) == {
        "应履约量": 1_000_000,
        "已履约量": 1_000_000,
        "待审核履约量": 0,
        "ccer可抵消量": 0,
        "status": "complete",
        "登记配额持仓": 50_000,
        "配额冻结": 0,
        "登记ccer持仓": 0,
        "ccer冻结": 0,
    }
    notice = await svc.handle(GetNotice(notice_id=notice_id), as_("enterprise", org=org))
    assert (notice.notice.ccer_registered, notice.notice.ccer_under_review) == (50_000, 0)
    assert "allowance_registry.compliance.completed" in await svc.sent_types()
    # 未完成履约通知书: none left.
    still_open = await svc.handle(ListNotices(account_id=account_id, status="open"), as_("enterprise", org=org))
    assert still_open == []


async def test_offset_ccer_above_five_percent_is_refused(first_period: Svc) -> None:
    org, _, notice_id = await key_emitting_unit(first_period)
    code = (await generated(first_period, org, 60_000)).instrument

    with pytest.raises(Invalid) as refused:
        await apply(first_period, org, notice_id, allowances(949_999), offset_ccer(code, 50_001))

    assert {f.code for f in refused.value.findings} == {"OFFSET_CAP_EXCEEDED"}
    assert (await figures(first_period, org, notice_id))["ccer冻结"] == 0


async def test_the_cap_counts_offset_ccer_already_under_review(first_period: Svc) -> None:
    org, _, notice_id = await key_emitting_unit(first_period)
    code = (await generated(first_period, org, 60_000)).instrument
    await apply(first_period, org, notice_id, offset_ccer(code, 30_000))

    with pytest.raises(Invalid) as refused:
        await apply(first_period, org, notice_id, offset_ccer(code, 20_001))
    accepted = await apply(first_period, org, notice_id, offset_ccer(code, 20_000))

    assert {f.code for f in refused.value.findings} == {"OFFSET_CAP_EXCEEDED"}
    assert accepted.status == "submitted"
    assert (await figures(first_period, org, notice_id))["ccer可抵消量"] == 0


async def test_offset_ccer_from_a_project_under_national_ets_is_refused(first_period: Svc) -> None:
    org, _, notice_id = await key_emitting_unit(first_period)
    record = cancellation(org)
    project = changed(record.project, within_national_ets=True)
    code = (await generated(first_period, org, 10_000, project=project)).instrument

    with pytest.raises(Invalid) as refused:
        await apply(first_period, org, notice_id, allowances(990_000), offset_ccer(code, 10_000))

    [finding] = refused.value.findings
    assert (finding.code, finding.item) == ("LOT_WITHIN_NATIONAL_ETS", 1)


async def test_the_cap_and_the_ets_exclusion_are_reported_at_once(first_period: Svc) -> None:
    org, _, notice_id = await key_emitting_unit(first_period)
    record = cancellation(org)
    project = changed(record.project, within_national_ets=True)
    code = (await generated(first_period, org, 60_000, project=project)).instrument

    with pytest.raises(Invalid) as refused:
        await apply(first_period, org, notice_id, allowances(900_000), offset_ccer(code, 50_001))

    assert refused.value.code == "APPLICATION_INVALID"
    assert {f.code for f in refused.value.findings} == {"OFFSET_CAP_EXCEEDED", "LOT_WITHIN_NATIONAL_ETS"}


async def test_a_rejection_releases_the_offset_ccer_and_the_allowances(first_period: Svc) -> None:
    org, _, notice_id = await key_emitting_unit(first_period)
    code = (await generated(first_period, org, 50_000)).instrument
    application = await apply(first_period, org, notice_id, allowances(950_000), offset_ccer(code, 50_000))

    await first_period.deliver(rejected(application.id))

    assert await figures(first_period, org, notice_id) == {
        "应履约量": 1_000_000,
        "已履约量": 0,
        "待审核履约量": 0,
        "ccer可抵消量": 50_000,
        "status": "open",
        "登记配额持仓": 1_000_000,
        "配额冻结": 0,
        "登记ccer持仓": 50_000,
        "ccer冻结": 0,
    }


async def test_generated_offset_ccer_is_refused_as_an_allowance_item(first_period: Svc) -> None:
    org, _, notice_id = await key_emitting_unit(first_period)
    code = (await generated(first_period, org, 50_000)).instrument

    with pytest.raises(Invalid) as refused:
        await apply(first_period, org, notice_id, Item(kind=ItemKind.allowance, instrument=code, quantity=50_000))

    assert {f.code for f in refused.value.findings} == {"INSTRUMENT_NOT_IN_SCOPE"}


async def test_someone_elses_generated_offset_ccer_is_not_held(first_period: Svc) -> None:
    org, _, notice_id = await key_emitting_unit(first_period)
    other_org, _, _ = await key_emitting_unit(first_period)
    theirs = (await generated(first_period, other_org, 50_000)).instrument

    with pytest.raises(Invalid) as refused:
        await apply(first_period, org, notice_id, allowances(950_000), offset_ccer(theirs, 50_000))

    assert {f.code for f in refused.value.findings} == {"OFFSET_CCER_NOT_HELD"}


# --- 第七步 / 第八步: the registration of the offset, queried by the unit and its province -------------
async def test_an_approved_application_registers_its_generated_offset_ccer_for_the_unit_and_its_province(
    first_period: Svc,
) -> None:
    svc = first_period
    org, account_id, notice_id = await key_emitting_unit(svc)
    request = await generated(svc, org, 50_000, holder={"name": "火电测试企业", "uscc": org})
    application = await apply(svc, org, notice_id, offset_ccer(request.instrument, 50_000), allowances(950_000))
    await svc.set_clock(datetime(2021, 11, 4, 10, 0, tzinfo=CST))
    await svc.sent()

    await svc.deliver(approved(application.id))

    unit = as_("enterprise", org=org)
    [registration] = await svc.handle(ListOffsetRegistrations(), unit)
    assert (registration.kind, registration.instrument, registration.lot_id) == (
        "offset_ccer",
        request.instrument,
        None,
    )
    assert (registration.quantity, registration.account_id, registration.province) == (50_000, account_id, PROVINCE)
    assert (registration.period_code, registration.notice_id) == ("2019-2020", notice_id)
    assert (registration.application_id, registration.revision, registration.item) == (application.id, 1, 0)
    assert registration.registered_at == datetime(2021, 11, 4, 10, 0, tzinfo=CST)
    # Its source: the creation request and NCSC's record of the voluntary cancellation.
    assert (registration.offset_ccer_request_id, registration.cancellation_id) == (request.id, request.cancellation_id)
    assert (registration.source_quantity, registration.source_serial_ranges) == (50_000, request.serial_ranges)
    assert (registration.cancelled_quantity, registration.cancelled_at) == (50_000, request.cancelled_at)
    assert registration.project["number"] == request.project["number"]
    # 第八步: the province queries its region's registrations; another province sees none.
    province = as_("province_confirmer", province=PROVINCE)
    assert [r.id for r in await svc.handle(ListOffsetRegistrations(kind="offset_ccer"), province)] == [registration.id]
    by_instrument = ListOffsetRegistrations(instrument=request.instrument, period_code="2019-2020")
    assert [r.id for r in await svc.handle(by_instrument, province)] == [registration.id]
    assert await svc.handle(ListOffsetRegistrations(kind="lot"), province) == []
    assert await svc.handle(ListOffsetRegistrations(), as_("province_confirmer", province="110000")) == []
    # The registry's other registries have nothing to cancel: no offset.registered event.
    assert "allowance_registry.offset.registered" not in await svc.sent_types()


async def test_reconciliation_counts_first_period_registrations_with_the_notice_and_the_instrument(
    first_period: Svc,
) -> None:
    svc = first_period
    org, _, notice_id = await key_emitting_unit(svc)
    code = (await generated(svc, org, 60_000)).instrument
    application = await apply(svc, org, notice_id, offset_ccer(code, 50_000), allowances(950_000))
    await svc.deliver(approved(application.id))

    report = await svc.handle(Reconcile(), MAKER)

    assert report.discrepancies == []
    assert (report.notices_checked, report.offset_ccer_checked) == (1, 1)


async def test_the_journal_of_a_generated_instrument_lists_every_movement_with_the_balance_after(
    first_period: Svc,
) -> None:
    svc = first_period
    org, account_id, notice_id = await key_emitting_unit(svc)
    request = await generated(svc, org, 60_000)
    code = request.instrument
    returned = await apply(svc, org, notice_id, offset_ccer(code, 50_000), allowances(950_000))
    await svc.deliver(rejected(returned.id))
    application = await apply(svc, org, notice_id, offset_ccer(code, 50_000), allowances(950_000))
    await svc.deliver(approved(application.id))

    unit = as_("enterprise", org=org)
    journal = await svc.handle(ListHoldingMovements(account_id=account_id, instrument=code), unit)

    assert [(m.kind, m.quantity, m.registry_after, m.frozen_after) for m in journal] == [
        ("generated", 60_000, 60_000, 0),
        ("frozen", 50_000, 60_000, 50_000),
        ("released", 50_000, 60_000, 0),
        ("frozen", 50_000, 60_000, 50_000),
        ("surrendered", 50_000, 10_000, 0),
    ]
    assert journal[0].reference == {"request_id": request.id, "cancellation_id": request.cancellation_id}
    [registration] = await svc.handle(ListOffsetRegistrations(), unit)
    assert journal[-1].reference["registration_id"] == registration.id
    assert journal[-1].reference["application_id"] == application.id
    allowances_journal = await svc.handle(ListHoldingMovements(account_id=account_id, instrument=ALLOWANCES), unit)
    assert [(m.kind, m.quantity, m.registry_after) for m in allowances_journal] == [
        ("allocated", 1_000_000, 1_000_000),
        ("frozen", 950_000, 1_000_000),
        ("released", 950_000, 1_000_000),
        ("frozen", 950_000, 1_000_000),
        ("surrendered", 950_000, 50_000),
    ]
    # Paged, filtered by kind, and scoped: another unit's journal of this account is unknown.
    assert len(await svc.handle(ListHoldingMovements(account_id=account_id, instrument=code, limit=2), unit)) == 2
    frozen = ListHoldingMovements(account_id=account_id, instrument=code, kind="frozen")
    assert [m.kind for m in await svc.handle(frozen, unit)] == ["frozen", "frozen"]
    other, _, _ = await key_emitting_unit(svc)
    with pytest.raises(NotFound):
        await svc.handle(ListHoldingMovements(account_id=account_id, instrument=code), as_("enterprise", org=other))


async def test_the_ccer_holdings_show_the_project_and_seed_002s_figures(first_period: Svc) -> None:
    svc = first_period
    org, account_id, notice_id = await key_emitting_unit(svc)
    request = await generated(svc, org, 60_000)
    await apply(svc, org, notice_id, offset_ccer(request.instrument, 50_000), allowances(950_000))

    view = await svc.handle(GetHoldings(account_id=account_id), as_("enterprise", org=org))

    [holding] = view.ccer
    project = view.projects[holding.instrument]
    assert (project["number"], project["type"], project["region"]) == (
        request.project["number"],
        "能源工业",
        "湖北省",
    )
    figures = view.ccer_figures(holding)
    assert (figures.registry_available, figures.registry_frozen) == (10_000, 50_000)
    assert (figures.registry_pending_transfer, figures.trading_pending_transfer, figures.trading) == (0, 0, 0)
    assert (figures.registry_held, figures.trading_held, figures.total) == (60_000, 0, 60_000)


# --- seed 002's 履约清缴任务 list: name, 年份, 履约范围, and its search ---------------------------------
async def test_a_notice_shows_its_year_and_its_periods_allowance_and_ccer_scope(first_period: Svc) -> None:
    svc = first_period
    await svc.set_clock(datetime(2021, 11, 3, 22, 8, 39, tzinfo=CST))
    org, _, notice_id = await key_emitting_unit(svc)

    view = await svc.handle(GetNotice(notice_id=notice_id), as_("enterprise", org=org))

    assert view.year == 2021  # seed 002: 年份 2021 for the 2019-2020 period
    assert view.scope is not None
    assert (view.scope.period_code, view.scope.period_name) == ("2019-2020", "第一个履约周期（2019-2020年度）配额清缴")
    assert view.scope.allowance_instruments == [(ALLOWANCES, "2019-2020年配额")]  # 配额履约范围
    assert (view.scope.cap_bp, view.scope.eligibility["origins"]) == (500, ["offset_ccer"])  # CCER履约范围


async def test_notices_are_searched_by_issue_date_completion_status_and_year(first_period: Svc) -> None:
    svc = first_period
    province = as_("province_initiator", province=PROVINCE)
    await svc.set_clock(datetime(2021, 11, 3, 22, 8, 39, tzinfo=CST))
    org_a, _, early = await key_emitting_unit(svc)
    await svc.set_clock(datetime(2021, 12, 1, 0, 30, tzinfo=CST))
    _, _, late = await key_emitting_unit(svc, held=0)
    application = await apply(svc, org_a, early, allowances(1_000_000))
    await svc.deliver(approved(application.id))
    await svc.set_clock(datetime(2022, 1, 2, 9, 0, tzinfo=CST))  # the deadline passed: the late one is overdue

    async def found(**filters: Any) -> list[str]:
        return [v.notice.id for v in await svc.handle(ListNotices(**filters), province)]

    assert await found(issued_from=datetime(2021, 11, 3).date(), issued_to=datetime(2021, 11, 3).date()) == [early]
    assert await found(issued_from=datetime(2021, 11, 4).date()) == [late]
    assert await found(issued_to=datetime(2021, 11, 30).date()) == [early]
    assert await found(year=2021) == [early, late]
    assert await found(year=2022) == []
    assert await found(completion="complete") == [early]
    assert await found(completion="overdue") == [late]
    assert await found(completion="open") == []
    assert await found(completion="complete", year=2021, issued_to=datetime(2021, 11, 3).date()) == [early]
    assert await found(completion="overdue", status="complete") == []


async def test_an_issue_date_range_that_ends_before_it_starts_is_refused(first_period: Svc) -> None:
    org, _, _ = await key_emitting_unit(first_period)

    with pytest.raises(Invalid) as refused:
        await first_period.handle(
            ListNotices(issued_from=datetime(2021, 12, 2).date(), issued_to=datetime(2021, 12, 1).date()),
            as_("enterprise", org=org),
        )

    assert refused.value.code == "NOTICE_FILTER_INVALID"
    assert [(f.code, f.field) for f in refused.value.findings] == [("ISSUED_RANGE_INVALID", "issued_from")]


async def test_the_ccer_holdings_are_searched_by_project_number_type_region_and_name(first_period: Svc) -> None:
    svc = first_period
    org, account_id, _ = await key_emitting_unit(svc)
    first = await generated(svc, org, 10_000)
    second = await generated(svc, org, 20_000, project=changed(cancellation(org).project, region="北京市"))
    unit = as_("enterprise", org=org)

    async def rows(**filters: str) -> list[str]:
        view = await svc.handle(GetHoldings(account_id=account_id, **filters), unit)
        return [h.instrument for h in view.ccer]

    assert await rows() == [first.instrument, second.instrument]
    assert await rows(project_region="北京市") == [second.instrument]
    assert await rows(project_number=first.project["number"]) == [first.instrument]
    assert await rows(project_type="能源工业", name="配额抵消清缴") == [first.instrument, second.instrument]
    assert await rows(project_type="造林再造林") == []
