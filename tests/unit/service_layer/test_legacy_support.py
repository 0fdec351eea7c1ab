"""Steps shared by the legacy registry's service-layer tests (no tests here): accounts opened by
NCSC, a recorded project, units issued onto an exchange, moved to the general holding account and
cancelled, all driven through the service's own handlers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.legacy_ccer_registry.adapters.orm import Cancellation, Issuance
from services.legacy_ccer_registry.domain.holdings import Purpose, TransferDirection
from services.legacy_ccer_registry.service_layer.commands import (
    CancelUnits,
    Contact,
    IssueUnits,
    OpenAccount,
    RecordProject,
    SubmitSyncApplication,
    SyncLine,
    TransferUnits,
)
from shared.principal import Principal
from shared.timeutil import CST
from tests.harness import uscc
from tests.service_layer import ServiceUnderTest, as_, service_under_test

__all__ = [
    "BEFORE_DEADLINE",
    "Unit",
    "cancel",
    "form",
    "issue",
    "legacy_at",
    "ncsc",
    "open_unit",
    "record_project",
    "to_registry",
]

# Sync applications are accepted until 2024-12-23 17:00: those tests start in the autumn of 2024.
BEFORE_DEADLINE = datetime(2024, 9, 2, 9, 0, tzinfo=CST)


@contextlib.asynccontextmanager
async def legacy_at(
    backend: str, now: datetime = BEFORE_DEADLINE, **settings: Any
) -> AsyncIterator[ServiceUnderTest[Any]]:
    async with service_under_test("legacy_ccer_registry", backend, now=now, **settings) as service:
        yield service


def ncsc() -> Principal:
    return as_("ncsc_operator")


@dataclass(frozen=True)
class Unit:
    """A key emitting unit with a legacy account: its USCC, account id and who acts for it."""

    uscc: str
    account_id: str
    name: str
    province: str

    @property
    def me(self) -> Principal:
        return as_("enterprise", org=self.uscc)


async def open_unit(
    svc: ServiceUnderTest[Any], *, province: str = "440000", exchanges: tuple[str, ...] | None = None, name: str = ""
) -> Unit:
    code = uscc()
    view = await svc.handle(
        OpenAccount(holder_name=name or f"单位{code[-4:]}", holder_uscc=code, province=province, exchanges=exchanges),
        ncsc(),
    )
    return Unit(code, view.account.id, view.account.holder_name, province)


async def record_project(svc: ServiceUnderTest[Any], number: str = "P1001", **fields: Any) -> str:
    values: dict[str, Any] = {
        "number": number,
        "name": "某风电项目",
        "owner_uscc": uscc(),
        "type": "wind",
        "region": "440000",
        "recorded_at": date(2015, 3, 2),
        "within_national_ets": False,
    }
    await svc.handle(RecordProject(**(values | fields)), ncsc())
    return number


async def issue(
    svc: ServiceUnderTest[Any],
    unit: Unit,
    quantity: int,
    *,
    project: str = "P1001",
    exchange: str = "TCX",
    vintage: int = 2015,
    recorded_at: date = date(2016, 5, 10),
) -> Issuance:
    command = IssueUnits(
        project_number=project,
        vintage=vintage,
        quantity=quantity,
        account_id=unit.account_id,
        exchange=exchange,
        recorded_at=recorded_at,
    )
    return await svc.handle(command, ncsc())


async def to_registry(
    svc: ServiceUnderTest[Any], unit: Unit, quantity: int, *, project: str = "P1001", exchange: str = "TCX"
) -> Any:
    command = TransferUnits(
        account_id=unit.account_id,
        direction=TransferDirection.to_registry,
        exchange=exchange,
        project_number=project,
        quantity=quantity,
    )
    return await svc.handle(command, unit.me)


async def cancel(
    svc: ServiceUnderTest[Any],
    unit: Unit,
    quantity: int,
    *,
    project: str = "P1001",
    purpose: Purpose = Purpose.offset_2023,
) -> Cancellation:
    command = CancelUnits(account_id=unit.account_id, project_number=project, quantity=quantity, purpose=purpose)
    return await svc.handle(command, unit.me)


async def cancelled_units(
    svc: ServiceUnderTest[Any],
    unit: Unit,
    quantity: int,
    *,
    project: str = "P1001",
    purpose: Purpose = Purpose.offset_2023,
) -> Cancellation:
    """Issue, transfer and cancel ``quantity`` units of ``project`` (recorded already)."""
    await issue(svc, unit, quantity, project=project)
    await to_registry(svc, unit, quantity, project=project)
    return await cancel(svc, unit, quantity, project=project, purpose=purpose)


def form(unit: Unit, *lines: tuple[str, str, int], **overrides: Any) -> SubmitSyncApplication:
    """The appendix form of ``unit`` with lines ``(cancellation_id, project_number, quantity)``."""
    values: dict[str, Any] = {
        "unit_name": unit.name,
        "uscc": unit.uscc,
        "legacy_account_id": unit.account_id,
        "new_account_id": "NA-000000000001",
        "contact": Contact(name="张三", phone="010-12345678", email="zhang@example.cn"),
        "lines": tuple(SyncLine(cancellation_id=c, project_number=p, quantity=q) for c, p, q in lines),
    }
    return SubmitSyncApplication(**(values | overrides))
