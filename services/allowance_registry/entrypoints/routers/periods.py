"""Instruments and compliance periods (履约范围 / 抵销规则)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import CompliancePeriod, Instrument
from services.allowance_registry.domain.periods import PeriodStatus
from services.allowance_registry.entrypoints.deps import CSV, Anyone, Confirmer, Initiator, Page
from services.allowance_registry.entrypoints.schemas import InstrumentIn, InstrumentOut, PeriodIn, PeriodOut
from services.allowance_registry.service_layer import periods as svc
from shared.listing import Page as PageOf
from shared.listing import respond_list
from shared.webapp import RuntimeDep, uow_for

router = APIRouter(tags=["compliance periods"])


def instrument_out(i: Instrument) -> InstrumentOut:
    return InstrumentOut(code=i.code, name=i.name, kind=i.kind, vintage=i.vintage)


def period_out(p: CompliancePeriod) -> PeriodOut:
    return PeriodOut(
        code=p.code,
        name=p.name,
        status=p.status,
        builtin=p.builtin,
        allowance_instruments=p.allowance_instruments,
        cap_bp=p.cap_bp,
        eligibility=p.eligibility,
        application_deadline=p.application_deadline,
        target_date=p.target_date,
        recall_after_working_days=p.recall_after_working_days,
        period_end=p.period_end,
        recall_at=p.recall_at,
        proposed_by=p.proposed_by,
        proposed_at=p.proposed_at,
        approved_by=p.approved_by,
        approved_at=p.approved_at,
    )


@router.post("/instruments", status_code=201, response_model=InstrumentOut, summary="Create an instrument — 创建标的")
async def create_instrument(
    body: InstrumentIn, runtime: RuntimeDep, principal: Initiator, request: Request
) -> InstrumentOut:
    async with uow_for(runtime, principal, request) as uow:
        instrument = await svc.create_instrument(uow, body.code, body.name, body.kind, body.vintage)
        await uow.commit()
    return instrument_out(instrument)


@router.get("/instruments", response_model=list[InstrumentOut], summary="Instruments — 标的列表")
async def list_instruments(runtime: RuntimeDep, principal: Anyone) -> list[InstrumentOut]:
    async with runtime.uow(actor=principal.sub) as uow:
        return [instrument_out(i) for i in await svc.list_instruments(uow)]


@router.post(
    "/compliance-periods",
    status_code=201,
    response_model=PeriodOut,
    summary="Propose a compliance period — 设置履约范围（发起）",
)
async def propose_period(body: PeriodIn, runtime: RuntimeDep, principal: Initiator, request: Request) -> PeriodOut:
    overrides = body.model_dump(exclude_unset=True, exclude={"builtin"})
    if "eligibility" in overrides and body.eligibility is not None:
        overrides["eligibility"] = body.eligibility.model_dump()
    async with uow_for(runtime, principal, request) as uow:
        period = await svc.propose_period(uow, principal, body.builtin, overrides)
        await uow.commit()
    return period_out(period)


@router.post(
    "/compliance-periods/{code}/approve",
    response_model=PeriodOut,
    summary="Approve a compliance period (another person) — 审核履约范围（确认）",
)
async def approve_period(code: str, runtime: RuntimeDep, principal: Confirmer, request: Request) -> PeriodOut:
    async with uow_for(runtime, principal, request) as uow:
        period = await svc.approve_period(uow, principal, code, runtime.calendar)
        await uow.commit()
    return period_out(period)


@router.get(
    "/compliance-periods", response_model=PageOf[PeriodOut], responses=CSV, summary="Compliance periods — 履约期列表"
)
async def list_periods(
    runtime: RuntimeDep,
    principal: Anyone,
    page: Page,
    request: Request,
    status: Annotated[PeriodStatus | None, Query(description="pending_approval — 待审核; active — 已生效")] = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        rows = await svc.list_periods(uow, status.value if status else None, page.limit + 1, page.offset)
        return respond_list(request, [period_out(p) for p in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/compliance-periods/{code}", response_model=PeriodOut, summary="Compliance period — 履约期")
async def get_period(code: str, runtime: RuntimeDep, principal: Anyone) -> PeriodOut:
    async with runtime.uow(actor=principal.sub) as uow:
        return period_out(await svc.get_period(uow, code))
