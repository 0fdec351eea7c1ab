"""A new period is added as data alone: every service reads its period dates from the one definitions
file (``shared/data/compliance_periods.yaml``, or ``CCER_PERIODS_FILE``). Here a file with one more
period, "2025" (invented for the test: legacy and new CCER, a form window in March 2026, daily records
until 2026-04-15, applications by the end of 2026, a handling report due 2027-01-15), and each
service's rule follows it without a line of code changed; with the shipped file the same steps are
refused or do nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.legacy_ccer_registry.domain.holdings import Purpose
from services.provincial_review.service_layer.commands import GetHandlingReport
from shared.errors import Conflict, Invalid
from shared.reference import PERIODS_FILE
from shared.timeutil import CST
from tests.service_layer import service_under_test
from tests.unit.service_layer.test_allowance_support import MAKER
from tests.unit.service_layer.test_legacy_support import cancel, issue, open_unit, record_project, to_registry
from tests.unit.service_layer.test_new_registry_legacy import freeze_legacy, item, legacy_holding, legacy_number
from tests.unit.service_layer.test_review_forms_support import Unit as FormUnit

EXTRA = {
    "name": "2025年度配额清缴（测试）",
    "allowance_instruments": ["PE2025000001"],
    "cap_bp": 500,
    "eligibility": {"origins": ["new", "legacy"], "exclude_within_national_ets": True},
    "application_deadline": "2026-12-31T23:59:59+08:00",
    "period_end": "2026-12-31",
    "offset_form": {"opens_at": "2026-03-01T00:00:00+08:00", "deadline": "2026-03-31T23:59:59+08:00"},
    "daily_records": {"first_day": "2026-03-01", "last_day": "2026-04-15"},
    "handling_report_due": "2027-01-15T23:59:59+08:00",
}


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    raw = yaml.safe_load(PERIODS_FILE.read_text(encoding="utf-8"))
    raw["periods"]["2025"] = EXTRA
    path = tmp_path_factory.mktemp("periods") / "compliance_periods.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    yield path


@contextlib.asynccontextmanager
async def service(name: str, backend: str, now: datetime, periods: Path | None) -> AsyncIterator[Any]:
    settings = {"periods_file": periods} if periods is not None else {}
    async with service_under_test(name, backend, now=now, **settings) as svc:
        yield svc


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.mark.parametrize("with_extra", [True, False], ids=["extended", "shipped"])
async def test_the_allowance_registry_offers_the_new_period_as_a_builtin(
    backend: str, extended: Path, with_extra: bool
) -> None:
    from services.allowance_registry.service_layer.commands import ProposePeriod

    async with service("allowance_registry", backend, at(2026, 1, 5, 9), extended if with_extra else None) as svc:
        if with_extra:
            proposed = await svc.handle(ProposePeriod(builtin="2025"), MAKER)
            assert (proposed.code, proposed.application_deadline) == ("2025", at(2026, 12, 31, 23, 59, 59))
        else:
            with pytest.raises(Invalid) as refused:
                await svc.handle(ProposePeriod(builtin="2025"), MAKER)
            assert refused.value.code == "UNKNOWN_BUILTIN_PERIOD"


@pytest.mark.parametrize("with_extra", [True, False], ids=["extended", "shipped"])
async def test_the_province_takes_forms_and_reports_handling_for_the_new_period(
    backend: str, extended: Path, with_extra: bool
) -> None:
    async with service("provincial_review", backend, at(2026, 3, 10, 9), extended if with_extra else None) as svc:
        unit = FormUnit()
        await svc.deliver(
            unit.notice_issued(period_code="2025", deadline=at(2026, 12, 31, 23, 59, 59)),
        )
        if with_extra:
            form = await svc.handle(_form(unit), unit.enterprise())
            assert (form.form.period_code, form.form.status) == ("2025", "submitted")
            report = await svc.handle(GetHandlingReport(period_code="2025"), unit.initiator())
            assert report.due == at(2027, 1, 15, 23, 59, 59)
        else:
            with pytest.raises(Invalid) as refused:
                await svc.handle(_form(unit), unit.enterprise())
            assert [f.code for f in refused.value.findings] == ["FORM_PERIOD_UNKNOWN"]
            with pytest.raises(Conflict):
                await svc.handle(GetHandlingReport(period_code="2025"), unit.initiator())


def _form(unit: FormUnit) -> Any:
    from services.provincial_review.service_layer.commands import SubmitOffsetForm

    return SubmitOffsetForm(**unit.fields(period_code="2025"))


@pytest.mark.parametrize("with_extra", [True, False], ids=["extended", "shipped"])
async def test_ncsc_sends_daily_records_inside_the_new_periods_window(
    backend: str, extended: Path, with_extra: bool
) -> None:
    async with service("legacy_ccer_registry", backend, at(2026, 3, 10, 9), extended if with_extra else None) as svc:
        unit = await open_unit(svc)
        await record_project(svc)
        await issue(svc, unit, 10)
        await to_registry(svc, unit, 10)
        await svc.sent()
        record = await cancel(svc, unit, 10, purpose=Purpose.voluntary)
        await svc.set_clock(at(2026, 3, 10, 17, 0, 1))
        sent = [e.envelope.payload["cancellation_id"] for e in await svc.sent()]
        assert sent == ([record.id] if with_extra else [])


@pytest.mark.parametrize("with_extra", [True, False], ids=["extended", "shipped"])
async def test_the_new_registry_freezes_legacy_units_while_the_new_period_accepts_them(
    backend: str, extended: Path, with_extra: bool
) -> None:
    async with service("new_ccer_registry", backend, at(2026, 6, 1, 9), extended if with_extra else None) as svc:
        project = legacy_number()
        account, _ = await legacy_holding(svc, project, item(project, 1, 100))
        if with_extra:
            assert (await freeze_legacy(svc, account, project, 10)).quantity == 10
        else:
            with pytest.raises(Conflict) as refused:
                await freeze_legacy(svc, account, project, 10)
            assert [f.code for f in refused.value.findings] == ["LEGACY_UNITS_NOT_ACCEPTED"]
