"""Provincial notices from the registry, enterprise notices from the provinces within their total."""

from __future__ import annotations

from typing import Any

import pytest

from services.allowance_registry.service_layer.commands import (
    GetNotice,
    IssueNotice,
    IssueProvincialNotice,
    ListNotices,
    ListProvincialNotices,
    ProposePeriod,
)
from shared.errors import Conflict, NotFound
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_allowance_support import MAKER, active_period, bound_unit, new_uscc, open_account

Svc = ServiceUnderTest[Any]


async def test_a_province_issues_an_enterprise_notice_within_its_provincial_total(allowance: Svc) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance, province="420000")
    await allowance.handle(
        IssueProvincialNotice(period_code=period.code, province="420000", total_obligation=5_000), MAKER
    )

    view = await allowance.handle(
        IssueNotice(period_code=period.code, account_id=unit.account_id, obligation=2_000), unit.province_staff
    )

    assert (view.notice.obligation, view.notice.fulfilled, view.notice.status) == (2_000, 0, "open")
    assert view.ccer_offsettable == 100  # 5% of the obligation
    assert view.account.id == unit.account_id
    [issued] = await allowance.sent()
    assert issued.event_type == "allowance_registry.notice.issued"
    assert issued.envelope.payload["obligation"] == 2_000
    assert issued.envelope.payload["account"]["province"] == "420000"


async def test_a_notice_that_cannot_be_issued_is_refused_with_every_finding(allowance: Svc) -> None:
    period = await active_period(allowance)
    account_id = await open_account(allowance, province="430000", account_type="non_key_emitter")
    await allowance.handle(
        IssueProvincialNotice(period_code=period.code, province="430000", total_obligation=100), MAKER
    )

    with pytest.raises(Conflict) as refused:
        await allowance.handle(
            IssueNotice(period_code=period.code, account_id=account_id, obligation=101),
            as_("province_initiator", province="430000"),
        )

    assert refused.value.code == "NOTICE_REFUSED"
    assert {f.code for f in refused.value.findings} == {"NOT_NATIONAL_KEY_EMITTER", "PROVINCIAL_TOTAL_EXCEEDED"}
    assert await allowance.sent() == []


async def test_a_notice_needs_an_active_period_and_the_provincial_notice(allowance: Svc) -> None:
    await allowance.handle(ProposePeriod(builtin="2024", overrides={"code": "NOT-YET"}), MAKER)
    unit = await bound_unit(allowance)

    with pytest.raises(Conflict) as refused:
        await allowance.handle(
            IssueNotice(period_code="NOT-YET", account_id=unit.account_id, obligation=1), unit.province_staff
        )
    with pytest.raises(Conflict) as provincial:
        await allowance.handle(
            IssueProvincialNotice(period_code="NOT-YET", province="110000", total_obligation=1), MAKER
        )

    assert {f.code for f in refused.value.findings} == {"PERIOD_NOT_ACTIVE", "PROVINCIAL_NOTICE_MISSING"}
    assert provincial.value.code == "PERIOD_NOT_ACTIVE"


async def test_one_provincial_notice_per_province_and_one_notice_per_account_and_period(allowance: Svc) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    provincial = IssueProvincialNotice(period_code=period.code, province="110000", total_obligation=1_000)
    await allowance.handle(provincial, MAKER)
    notice = IssueNotice(period_code=period.code, account_id=unit.account_id, obligation=10)
    await allowance.handle(notice, unit.province_staff)

    with pytest.raises(Conflict) as second_provincial:
        await allowance.handle(provincial, MAKER)
    with pytest.raises(Conflict) as second_notice:
        await allowance.handle(notice, unit.province_staff)

    assert second_provincial.value.code == "PROVINCIAL_NOTICE_EXISTS"
    assert [f.code for f in second_notice.value.findings] == ["NOTICE_EXISTS"]


async def test_notices_outside_the_callers_scope_are_not_found_and_not_listed(allowance: Svc) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance, province="440000")
    await allowance.handle(
        IssueProvincialNotice(period_code=period.code, province="440000", total_obligation=99), MAKER
    )
    view = await allowance.handle(
        IssueNotice(period_code=period.code, account_id=unit.account_id, obligation=10), unit.province_staff
    )
    other_province = as_("province_confirmer", province="110000")

    for stranger in (as_("enterprise", org=new_uscc()), other_province):
        with pytest.raises(NotFound):
            await allowance.handle(GetNotice(notice_id=view.notice.id), stranger)
        assert await allowance.handle(ListNotices(account_id=unit.account_id), stranger) == []
    with pytest.raises(NotFound):
        await allowance.handle(
            IssueNotice(period_code=period.code, account_id=unit.account_id, obligation=1),
            as_("province_initiator", province="110000"),
        )
    own = await allowance.handle(ListNotices(period_code=period.code, status="open"), unit.principal)
    assert [v.notice.id for v in own] == [view.notice.id]
    assert await allowance.handle(ListProvincialNotices(period_code=period.code), other_province) == []
    listed = await allowance.handle(ListProvincialNotices(period_code=period.code), as_("registry_confirmer"))
    assert [(n.province, n.total_obligation) for n in listed] == [("440000", 99)]


async def test_the_provincial_running_total_equals_the_sum_of_its_notices_and_bounds_the_next(allowance: Svc) -> None:
    period = await active_period(allowance)
    await allowance.handle(
        IssueProvincialNotice(period_code=period.code, province="450000", total_obligation=1_000), MAKER
    )
    units = [await bound_unit(allowance, province="450000") for _ in range(12)]
    obligations = [10 * (i + 1) for i in range(len(units) - 1)]  # 10 + 20 + … + 110 = 660
    for unit, obligation in zip(units, obligations, strict=False):
        await allowance.handle(
            IssueNotice(period_code=period.code, account_id=unit.account_id, obligation=obligation),
            unit.province_staff,
        )

    with pytest.raises(Conflict) as beyond:
        await allowance.handle(
            IssueNotice(period_code=period.code, account_id=units[-1].account_id, obligation=341),
            units[-1].province_staff,
        )
    last = await allowance.handle(
        IssueNotice(period_code=period.code, account_id=units[-1].account_id, obligation=340),
        units[-1].province_staff,
    )

    assert [f.code for f in beyond.value.findings] == ["PROVINCIAL_TOTAL_EXCEEDED"]
    assert last.notice.obligation == 340
    [provincial] = await allowance.handle(
        ListProvincialNotices(period_code=period.code, province="450000"), as_("registry_confirmer")
    )
    listed = await allowance.handle(ListNotices(period_code=period.code, province="450000"), as_("registry_confirmer"))
    assert provincial.issued_total == sum(v.notice.obligation for v in listed) == 1_000
