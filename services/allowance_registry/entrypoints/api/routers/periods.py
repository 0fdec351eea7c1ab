"""Compliance periods (履约范围 / 抵销规则): proposed by one registry operator, approved by another."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import CompliancePeriod
from services.allowance_registry.domain.periods import PeriodStatus
from services.allowance_registry.entrypoints.api.deps import (
    CSV,
    AnyPrincipal,
    BusDep,
    Page,
    RegistryConfirmer,
    RegistryInitiator,
)
from services.allowance_registry.entrypoints.api.schemas import PeriodIn, PeriodOut
from services.allowance_registry.service_layer.commands import ApprovePeriod, GetPeriod, ListPeriods, ProposePeriod
from shared.bounds import Id
from shared.listing import Page as PageOf
from shared.listing import respond_list

__all__ = ["router"]

router = APIRouter(prefix="/compliance-periods", tags=["compliance periods"])


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


@router.post(
    "", status_code=201, response_model=PeriodOut, summary="Propose a compliance period — 设置履约范围（发起）"
)
async def propose_period(body: PeriodIn, bus: BusDep, principal: RegistryInitiator) -> PeriodOut:
    # Only the fields sent: an explicit null clears a built-in value.
    overrides = body.model_dump(exclude_unset=True, exclude={"builtin"})
    if "eligibility" in overrides and body.eligibility is not None:
        overrides["eligibility"] = body.eligibility.model_dump()
    return period_out(await bus.handle(ProposePeriod(builtin=body.builtin, overrides=overrides), principal))


@router.post(
    "/{code}/approve",
    response_model=PeriodOut,
    summary="Approve a compliance period (another person) — 审核履约范围（确认）",
)
async def approve_period(code: Id, bus: BusDep, principal: RegistryConfirmer) -> PeriodOut:
    return period_out(await bus.handle(ApprovePeriod(code=code), principal))


@router.get("", response_model=PageOf[PeriodOut], responses=CSV, summary="Compliance periods — 履约期列表")
async def list_periods(
    bus: BusDep,
    principal: AnyPrincipal,
    page: Page,
    request: Request,
    status: Annotated[PeriodStatus | None, Query(description="pending_approval — 待审核; active — 已生效")] = None,
) -> Any:
    command = ListPeriods(status=status.value if status else None, limit=page.limit + 1, offset=page.offset)
    rows = await bus.handle(command, principal)
    return respond_list(request, [period_out(p) for p in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/{code}", response_model=PeriodOut, summary="Compliance period — 履约期")
async def get_period(code: Id, bus: BusDep, principal: AnyPrincipal) -> PeriodOut:
    return period_out(await bus.handle(GetPeriod(code=code), principal))
