"""Steps shared by the service-layer tests of the first period's offset forms (no tests here): the
provincial review in the autumn of 2021, a unit with its 2019-2020 notice, its form submitted,
decided and resubmitted, and NCSC's daily cancellation records, all through the service's own
handlers and consumer."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.provincial_review.domain.offset_forms import FormDecision
from services.provincial_review.service_layer.commands import (
    DecideOffsetForm,
    ResubmitOffsetForm,
    SubmitOffsetForm,
)
from services.provincial_review.service_layer.views import FormView
from shared.events.contracts import AccountRef, CancellationRecordedV1, Holder, LegacyProject, NoticeIssuedV1
from shared.principal import Principal
from shared.timeutil import CST
from tests.harness import uscc
from tests.service_layer import ServiceUnderTest, as_, changed, service_under_test

__all__ = [
    "IN_WINDOW",
    "Unit",
    "confirm",
    "review_at",
    "send_back",
]

# A Tuesday inside the form window (2021-10-26 00:00 to the end of 2021-12-10).
IN_WINDOW = datetime(2021, 11, 2, 9, 0, tzinfo=CST)


@contextlib.asynccontextmanager
async def review_at(backend: str, now: datetime = IN_WINDOW) -> AsyncIterator[ServiceUnderTest[Any]]:
    async with service_under_test("provincial_review", backend, now=now) as service:
        yield service


def legacy_project(**kw: Any) -> LegacyProject:
    """The first period's legacy project of these tests (a Hubei wind farm recorded in 2015)."""
    project = LegacyProject(
        number="001",
        name="某风电项目",
        type="能源工业",
        region="湖北省",
        recorded_at=date(2015, 6, 1),
        within_national_ets=False,
    )
    return changed(project, **kw)


@dataclass
class Unit:
    """A key emitting unit with its 2019-2020 enterprise notice (seed 002's 火电测试企业 by default)."""

    province: str = "420000"
    name: str = "火电测试企业"
    uscc: str = field(default_factory=uscc)
    obligation: int = 1_000_000
    account_id: str = field(default_factory=lambda: f"ALA-{uuid.uuid4().hex[:12]}")
    notice_id: str = field(default_factory=lambda: f"NTC-{uuid.uuid4().hex[:12]}")

    def enterprise(self) -> Principal:
        return as_("enterprise", org=self.uscc)

    def initiator(self) -> Principal:
        return as_("province_initiator", province=self.province)

    def confirmer(self) -> Principal:
        return as_("province_confirmer", province=self.province)

    def notice_issued(self, **kw: Any) -> NoticeIssuedV1:
        notice = NoticeIssuedV1(
            notice_id=self.notice_id,
            period_code="2019-2020",
            account=AccountRef(id=self.account_id, name=self.name, uscc=self.uscc, province=self.province),
            obligation=self.obligation,
            deadline=datetime(2021, 12, 31, 17, 0, tzinfo=CST),
        )
        return changed(notice, **kw)

    def fields(self, **kw: Any) -> dict[str, Any]:
        """The form as the unit fills it in: its notice's facts and 5% of the obligation."""
        return {
            "period_code": "2019-2020",
            "unit_name": self.name,
            "unit_uscc": self.uscc,
            "province": self.province,
            "obligation": self.obligation,
            "requested_quantity": self.obligation * 5 // 100,
            **kw,
        }

    async def issued(self, review: ServiceUnderTest[Any]) -> Unit:
        assert await review.deliver(self.notice_issued()) == "applied"
        return self

    async def submit(self, review: ServiceUnderTest[Any], **kw: Any) -> FormView:
        return await review.handle(SubmitOffsetForm(**self.fields(**kw)), self.enterprise())

    async def resubmit(self, review: ServiceUnderTest[Any], form_id: str, **kw: Any) -> FormView:
        return await review.handle(ResubmitOffsetForm(form_id=form_id, **self.fields(**kw)), self.enterprise())

    def cancellation(self, quantity: int, *, cancellation_id: str | None = None, **kw: Any) -> CancellationRecordedV1:
        """One record of NCSC's daily cancellation records (seed 001 第六步)."""
        record = CancellationRecordedV1(
            cancellation_id=cancellation_id or f"LC-{uuid.uuid4().hex[:12]}",
            legacy_account_id=f"LGA-{self.uscc[-6:]}",
            holder=Holder(name=self.name, uscc=self.uscc),
            project=legacy_project(),
            units_recorded_at=date(2016, 3, 1),
            quantity=quantity,
            serial_ranges=[("CCER-001-2015-1", f"CCER-001-2015-{quantity}")],
            purpose="offset_2019_2020",
            cancelled_at=datetime(2021, 11, 20, 10, 0, tzinfo=CST),
        )
        return changed(record, **kw)


async def confirm(review: ServiceUnderTest[Any], unit: Unit, form_id: str) -> FormView:
    return await review.handle(DecideOffsetForm(form_id=form_id, decision=FormDecision.confirm), unit.initiator())


async def send_back(review: ServiceUnderTest[Any], unit: Unit, form_id: str, *reasons: str) -> FormView:
    command = DecideOffsetForm(form_id=form_id, decision=FormDecision.return_, reasons=reasons)
    return await review.handle(command, unit.confirmer())
