"""Steps shared by the new registry's service-layer tests (no tests here): accounts opened by NCSC,
projects, issuance, binding confirmed by the allowance registry, frozen lots and the allowance
registry's answers, all driven through the service's own handlers and consumer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from services.new_ccer_registry.adapters.orm import OffsetLot
from services.new_ccer_registry.domain.holdings import Origin, UnitState
from services.new_ccer_registry.service_layer.commands import (
    FreezeLot,
    GetHoldings,
    IssueUnits,
    OpenAccount,
    RegisterProject,
    RequestBinding,
)
from shared.domain_types import Holder
from shared.events import Envelope
from shared.events.contracts import (
    BindingConfirmedV1,
    Event,
    OffsetRecalledV1,
    OffsetRefusedV1,
    OffsetRegisteredV1,
    Reason,
)
from shared.principal import Principal
from shared.timeutil import CST
from shared.uscc import make_uscc
from tests.service_layer import ServiceUnderTest, as_, changed

Svc = ServiceUnderTest[Any]
NCSC = as_("ncsc_operator", sub="ncsc")
CBGEX = as_("exchange_operator", sub="cbgex", exchange="CBGEX")


def new_uscc() -> str:
    digits = "".join(c for c in uuid.uuid4().hex.upper() if c.isdigit() or c in "ABCDEF")[:9].ljust(9, "0")
    return make_uscc("91110000" + digits)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Holding:
    """A registry account and the enterprise that holds it."""

    org: str
    account_id: str
    province: str

    @property
    def principal(self) -> Principal:
        return as_("enterprise", org=self.org)


async def open_account(
    svc: Svc,
    *,
    province: str = "110000",
    account_type: str = "national_key_emitter",
    org: str | None = None,
    name: str = "测试企业",
) -> Holding:
    org = org or new_uscc()
    view = await svc.handle(
        OpenAccount(holder=Holder(name=name, uscc=org), account_type=account_type, province=province), NCSC
    )
    return Holding(org, view.account.id, province)


async def register_project(svc: Svc, number: str | None = None) -> str:
    number = number or new_id("P")
    await svc.handle(
        RegisterProject(
            number=number,
            name="光伏项目",
            owner_uscc=new_uscc(),
            type="solar",
            methodology="CCER-14-001-V01",
            region="河北",
            registered_at=date(2024, 3, 1),
        ),
        NCSC,
    )
    return number


async def issue(svc: Svc, project: str, account: Holding, quantity: int, vintage: int = 2024) -> list[list[str]]:
    """Issue and return the ranges issued."""
    issuance = await svc.handle(
        IssueUnits(project_number=project, vintage=vintage, quantity=quantity, account_id=account.account_id), NCSC
    )
    return [[f"{issuance.serial_prefix}-{issuance.first_n}", f"{issuance.serial_prefix}-{issuance.last_n}"]]


def envelope(svc: Svc, payload: Event) -> Envelope:
    """One event, to deliver more than once (``svc.deliver(envelope=e)``)."""
    return svc.envelope(payload)


async def bind(svc: Svc, account: Holding, allowance_account_id: str = "ALW-0001") -> str:
    """Request the binding and let the allowance registry confirm it."""
    binding = await svc.handle(
        RequestBinding(account_id=account.account_id, allowance_account_id=allowance_account_id), account.principal
    )
    await svc.deliver(
        BindingConfirmedV1(
            binding_id=binding.id, allowance_account_id=allowance_account_id, registry_account_id=account.account_id
        )
    )
    return binding.id


async def bound_holding(svc: Svc, quantity: int = 1000, *, province: str = "110000") -> tuple[Holding, str]:
    """A bound account holding ``quantity`` available units of a new project."""
    account = await open_account(svc, province=province)
    project = await register_project(svc)
    await issue(svc, project, account, quantity)
    await bind(svc, account)
    await svc.sent()  # what happened so far is not what the test is about
    return account, project


async def freeze(svc: Svc, account: Holding, project: str, quantity: int, **kw: Any) -> OffsetLot:
    command = replace(
        FreezeLot(account_id=account.account_id, project_number=project, origin=Origin.new, quantity=quantity), **kw
    )
    return await svc.handle(command, account.principal)


async def quantities(svc: Svc, account: Holding, project: str) -> dict[str, int]:
    """The account's units of the project per state (all vintages)."""
    rows = await svc.handle(GetHoldings(account_id=account.account_id), NCSC)
    total = dict.fromkeys([UnitState.trading, UnitState.available, UnitState.frozen, UnitState.cancelled], 0)
    for row in rows:
        if row.project_number == project:
            for state in total:
                total[state] += row.quantities[state]
    return {str(k): v for k, v in total.items()}


ANSWERED_AT = datetime(2025, 6, 2, 10, 0, tzinfo=CST)


def registered(lot_id: str, quantity: int, *, registration_id: str | None = None, **changes: Any) -> OffsetRegisteredV1:
    return changed(
        OffsetRegisteredV1(
            registration_id=registration_id or new_id("REG"),
            lot_id=lot_id,
            application_id=new_id("APP"),
            period_code="2024",
            quantity=quantity,
            registered_at=ANSWERED_AT,
        ),
        **changes,
    )


def recalled(lot_id: str, quantity: int, *, recall_id: str | None = None, **changes: Any) -> OffsetRecalledV1:
    return changed(
        OffsetRecalledV1(
            lot_id=lot_id,
            recall_id=recall_id or new_id("RCL"),
            quantity=quantity,
            period_code="2024",
            reason="application returned",
            recalled_at=ANSWERED_AT,
        ),
        **changes,
    )


def refused(lot_id: str) -> OffsetRefusedV1:
    return OffsetRefusedV1(
        lot_id=lot_id, reasons=[Reason(code="NOT_ELIGIBLE", message="not eligible", message_zh="不合格")]
    )
