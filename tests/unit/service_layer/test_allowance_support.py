"""Steps shared by the allowance registry's service-layer tests (no tests here): a bound key emitting
unit, an approved period, allocations, notices, frozen lots and the province's decisions, all
driven through the service's own handlers and consumer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.allowance_registry.adapters.orm import Application, CompliancePeriod
from services.allowance_registry.domain.applications import Item, ItemKind
from services.allowance_registry.service_layer.commands import (
    AllocateAllowances,
    ApprovePeriod,
    DraftApplication,
    GetHoldings,
    GetNotice,
    IssueNotice,
    IssueProvincialNotice,
    ListPendingOffsets,
    OpenAccount,
    ProposePeriod,
    SubmitApplication,
)
from services.allowance_registry.service_layer.views import NoticeView
from shared.domain_types import Holder
from shared.events import Envelope
from shared.events.contracts import (
    ApplicationApprovedV1,
    ApplicationRejectedV1,
    BindingRequestedV1,
    Event,
    OffsetFrozenV1,
    OffsetProject,
    ReviewFinding,
)
from shared.events.contracts import (
    Holder as EventHolder,
)
from shared.principal import Principal
from shared.timeutil import CST
from shared.uscc import make_uscc
from tests.service_layer import ServiceUnderTest, as_, changed

INSTRUMENT_2024 = "PE2025000001"
MAKER = as_("registry_initiator", sub="maker")
CHECKER = as_("registry_confirmer", sub="checker")


def new_uscc() -> str:
    digits = "".join(c for c in uuid.uuid4().hex.upper() if c.isdigit() or c in "ABCDEF")[:9].ljust(9, "0")
    return make_uscc("91110000" + digits)


@dataclass(frozen=True)
class Unit:
    """A key emitting unit: its allowance account, bound to its new-registry account."""

    org: str
    account_id: str
    registry_account_id: str
    province: str
    name: str = "火电测试企业"

    @property
    def principal(self) -> Principal:
        return as_("enterprise", org=self.org)

    @property
    def province_staff(self) -> Principal:
        return as_("province_initiator", province=self.province)


async def open_account(
    svc: ServiceUnderTest[Any],
    *,
    org: str | None = None,
    province: str = "110000",
    account_type: str = "national_key_emitter",
    name: str = "火电测试企业",
) -> str:
    account = await svc.handle(
        OpenAccount(
            holder=Holder(name=name, uscc=org or new_uscc()),
            province=province,
            account_type=account_type,
            sector="power",
        ),
        MAKER,
    )
    return account.id


def envelope(svc: ServiceUnderTest[Any], payload: Event) -> Envelope:
    """One event, to deliver twice as RabbitMQ may (``svc.deliver(envelope=same)``)."""
    return svc.envelope(payload)


def binding_requested(
    org: str, account_id: str, registry_account_id: str, binding_id: str | None = None
) -> BindingRequestedV1:
    return BindingRequestedV1(
        binding_id=binding_id or f"BND-{uuid.uuid4().hex[:10]}",
        registry_account_id=registry_account_id,
        holder=EventHolder(name="火电测试企业", uscc=org),
        allowance_account_id=account_id,
    )


async def bound_unit(svc: ServiceUnderTest[Any], *, province: str = "110000") -> Unit:
    org = new_uscc()
    account_id = await open_account(svc, org=org, province=province)
    registry_account_id = f"NCR-{uuid.uuid4().hex[:8]}"
    await svc.deliver(binding_requested(org, account_id, registry_account_id))
    await svc.sent()  # the confirmation: not what the test is about
    return Unit(org, account_id, registry_account_id, province)


async def active_period(svc: ServiceUnderTest[Any], builtin: str = "2024", code: str | None = None) -> CompliancePeriod:
    code = code or f"{builtin}-t{uuid.uuid4().hex[:6]}"
    await svc.handle(ProposePeriod(builtin=builtin, overrides={"code": code}), MAKER)
    return await svc.handle(ApprovePeriod(code=code), CHECKER)


async def allocate(svc: ServiceUnderTest[Any], unit: Unit, quantity: int, side: str = "registry") -> None:
    await svc.handle(
        AllocateAllowances(account_id=unit.account_id, instrument=INSTRUMENT_2024, quantity=quantity, side=side),
        MAKER,
    )


async def issue_notice(svc: ServiceUnderTest[Any], period_code: str, unit: Unit, obligation: int) -> NoticeView:
    await svc.handle(
        IssueProvincialNotice(period_code=period_code, province=unit.province, total_obligation=10**12), MAKER
    )
    notice = await svc.handle(
        IssueNotice(period_code=period_code, account_id=unit.account_id, obligation=obligation), unit.province_staff
    )
    await svc.sent()
    return notice


def frozen_payload(unit: Unit, quantity: int, *, lot_id: str | None = None, **changes: Any) -> OffsetFrozenV1:
    """The lot the new registry froze for ``unit``; ``changes`` replace fields (validated again)."""
    number = f"CCER-{uuid.uuid4().hex[:6].upper()}"
    payload = OffsetFrozenV1(
        lot_id=lot_id or f"LOT-{uuid.uuid4().hex[:10]}",
        registry_account_id=unit.registry_account_id,
        allowance_account_id=unit.account_id,
        holder=EventHolder(name=unit.name, uscc=unit.org),
        project=OffsetProject(
            number=number,
            name="内蒙古某风电项目",
            type="风力发电",
            region="内蒙古自治区",
            methodology="CCER-01-001-V01",
            registered_or_recorded_at=date(2024, 3, 1),
            within_national_ets=False,
        ),
        origin="new",
        vintage=2024,
        units_recorded_at=None,
        quantity=quantity,
        serial_ranges=[(f"{number}-2024-1", f"{number}-2024-{quantity}")],
        frozen_at=datetime(2025, 6, 1, 10, 0, tzinfo=CST),
    )
    return changed(payload, **changes)


async def freeze_lot(svc: ServiceUnderTest[Any], unit: Unit, quantity: int, **changes: Any) -> str:
    payload = frozen_payload(unit, quantity, **changes)
    await svc.deliver(payload)
    return payload.lot_id


def allowances(quantity: int) -> Item:
    return Item(kind=ItemKind.allowance, instrument=INSTRUMENT_2024, quantity=quantity)


def from_lot(lot_id: str, quantity: int) -> Item:
    return Item(kind=ItemKind.ccer, lot_id=lot_id, quantity=quantity)


async def submitted(svc: ServiceUnderTest[Any], unit: Unit, notice_id: str, *items: Item) -> Application:
    draft = await svc.handle(DraftApplication(notice_id=notice_id, items=items), unit.principal)
    application = await svc.handle(SubmitApplication(application_id=draft.id), unit.principal)
    await svc.sent()
    return application


DECIDED_AT = datetime(2025, 6, 3, 10, 0, tzinfo=CST)


def approved(application_id: str, revision: int = 1) -> ApplicationApprovedV1:
    return ApplicationApprovedV1(
        application_id=application_id,
        revision=revision,
        case_id=f"CASE-{uuid.uuid4().hex[:8]}",
        first_reviewer="prov-maker",
        second_reviewer="prov-checker",
        decided_at=DECIDED_AT,
    )


def rejected(application_id: str, revision: int = 1, code: str = "LOT_NOT_ELIGIBLE") -> ApplicationRejectedV1:
    return ApplicationRejectedV1(
        application_id=application_id,
        revision=revision,
        case_id=f"CASE-{uuid.uuid4().hex[:8]}",
        findings=[ReviewFinding(code=code, message="not eligible", message_zh="不符合", item=0)],
        decided_at=DECIDED_AT,
    )


async def holding(svc: ServiceUnderTest[Any], unit: Unit) -> tuple[int, int, int]:
    """(registry side, trading side, frozen) of the 2024 allowances."""
    view = await svc.handle(GetHoldings(account_id=unit.account_id), unit.principal)
    rows = {h.instrument: h for h in view.allowances}
    h = rows.get(INSTRUMENT_2024)
    return (h.registry_side, h.trading_side, h.frozen) if h else (0, 0, 0)


async def lot(svc: ServiceUnderTest[Any], unit: Unit, lot_id: str) -> Any:
    lots = await svc.handle(ListPendingOffsets(account_id=unit.account_id, limit=500), unit.principal)
    return {p.lot_id: p for p in lots}[lot_id]


async def notice_now(svc: ServiceUnderTest[Any], unit: Unit, notice_id: str) -> NoticeView:
    return await svc.handle(GetNotice(notice_id=notice_id), unit.principal)
