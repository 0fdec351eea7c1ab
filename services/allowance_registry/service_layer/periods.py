"""Instruments and compliance periods: propose (registry initiator), approve (a different registry
confirmer), and on approval schedule the period's recall of unused pending offsets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from services.allowance_registry.adapters.catalogue import builtin_instruments, builtin_periods
from services.allowance_registry.adapters.orm import CompliancePeriod, Instrument
from services.allowance_registry.adapters.repository import insert_ignore
from services.allowance_registry.domain.periods import (
    DefinitionInvalid,
    PeriodDefinition,
    PeriodStatus,
    build_definition,
    recall_instant,
    two_person_finding,
)
from services.allowance_registry.service_layer.offsets import RECALL_JOB
from shared.auth import Principal
from shared.findings import Finding
from shared.problems import Problem
from shared.scheduler import schedule_job
from shared.uow import UnitOfWork
from shared.workdays import CalendarUnavailable, WorkdayCalendar

__all__ = [
    "approve_period",
    "create_instrument",
    "definition_of",
    "get_period",
    "list_instruments",
    "list_periods",
    "propose_period",
]


async def create_instrument(uow: UnitOfWork, code: str, name: str, kind: str, vintage: int | None) -> Instrument:
    if await uow.session.get(Instrument, code) is not None:
        raise Problem.conflict("INSTRUMENT_EXISTS", f"instrument {code} already exists", f"标的 {code} 已存在")
    instrument = Instrument(
        code=code, name=name, kind=kind, vintage=vintage, created_at=uow.now(), created_by=uow.actor
    )
    uow.session.add(instrument)
    await _flush_or_conflict(uow, "INSTRUMENT_EXISTS", f"instrument {code} already exists", f"标的 {code} 已存在")
    uow.audit("create_instrument", "instrument", code, name=name, kind=kind, vintage=vintage)
    return instrument


async def list_instruments(uow: UnitOfWork) -> list[Instrument]:
    return list(await uow.session.scalars(select(Instrument).order_by(Instrument.code)))


async def _flush_or_conflict(uow: UnitOfWork, code: str, message: str, message_zh: str) -> None:
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # a concurrent request created it first
        raise Problem.conflict(code, message, message_zh) from exc


async def propose_period(
    uow: UnitOfWork, principal: Principal, builtin_key: str | None, overrides: dict[str, Any]
) -> CompliancePeriod:
    catalogue = builtin_periods()
    if builtin_key is not None and builtin_key not in catalogue:
        known = ", ".join(sorted(catalogue))
        raise Problem.invalid(
            "UNKNOWN_BUILTIN_PERIOD",
            f"no built-in period {builtin_key!r} (known: {known})",
            f"没有内置履约期 {builtin_key!r}（可选：{known}）",
            "builtin",
        )
    try:
        definition = build_definition(catalogue.get(builtin_key) if builtin_key else None, builtin_key, overrides)
    except DefinitionInvalid as exc:
        raise Problem.from_findings(
            422,
            "PERIOD_DEFINITION_INVALID",
            exc.findings,
            f"{len(exc.findings)} problem(s) in the period definition",
            f"履约期定义中有 {len(exc.findings)} 处错误",
        ) from exc
    await _check_instruments(uow, definition)
    if await uow.session.get(CompliancePeriod, definition.code) is not None:
        raise _period_exists(definition.code)
    period = CompliancePeriod(
        code=definition.code,
        name=definition.name,
        builtin=builtin_key,
        allowance_instruments=list(definition.allowance_instruments),
        cap_bp=definition.cap_bp,
        eligibility=definition.eligibility.model_dump(mode="json"),
        application_deadline=definition.application_deadline,
        target_date=definition.target_date,
        recall_after_working_days=definition.recall_after_working_days,
        period_end=definition.period_end,
        recall_at=None,
        status=PeriodStatus.pending_approval.value,
        proposed_by=principal.sub,
        proposed_at=uow.now(),
        approved_by=None,
        approved_at=None,
    )
    uow.session.add(period)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise _period_exists(definition.code) from exc
    uow.audit(
        "propose_period",
        "compliance_period",
        period.code,
        builtin=builtin_key,
        definition=definition.model_dump(mode="json"),
    )
    return period


def _period_exists(code: str) -> Problem:
    return Problem.conflict("PERIOD_EXISTS", f"compliance period {code} already exists", f"履约期 {code} 已存在")


async def _check_instruments(uow: UnitOfWork, definition: PeriodDefinition) -> None:
    known = builtin_instruments()
    existing = {
        i.code: i
        for i in await uow.session.scalars(
            select(Instrument).where(Instrument.code.in_(definition.allowance_instruments))
        )
    }
    findings = []
    for n, code in enumerate(definition.allowance_instruments):
        instrument = existing.get(code)
        if instrument is None and code not in known:
            findings.append(
                Finding(
                    code="INSTRUMENT_UNKNOWN",
                    message=f"instrument {code} does not exist (create it with POST /instruments)",
                    message_zh=f"标的 {code} 不存在（请先创建标的）",
                    field=f"allowance_instruments.{n}",
                )
            )
        elif instrument is not None and instrument.kind != "allowance":
            findings.append(
                Finding(
                    code="INSTRUMENT_NOT_ALLOWANCE",
                    message=f"instrument {code} is not an allowance",
                    message_zh=f"标的 {code} 不是配额",
                    field=f"allowance_instruments.{n}",
                )
            )
    if findings:
        raise Problem.from_findings(
            422,
            "PERIOD_DEFINITION_INVALID",
            findings,
            f"{len(findings)} problem(s) in the period definition",
            f"履约期定义中有 {len(findings)} 处错误",
        )


def definition_of(period: CompliancePeriod) -> PeriodDefinition:
    return PeriodDefinition.model_validate(
        {
            "code": period.code,
            "name": period.name,
            "allowance_instruments": period.allowance_instruments,
            "cap_bp": period.cap_bp,
            "eligibility": period.eligibility,
            "application_deadline": period.application_deadline,
            "target_date": period.target_date,
            "recall_after_working_days": period.recall_after_working_days,
            "period_end": period.period_end,
        }
    )


async def approve_period(
    uow: UnitOfWork, principal: Principal, code: str, calendar: WorkdayCalendar
) -> CompliancePeriod:
    period = await uow.session.get(CompliancePeriod, code, with_for_update=True)
    if period is None:
        raise Problem.not_found("compliance period", "履约期", code)
    if period.status != PeriodStatus.pending_approval:
        raise Problem.conflict(
            "PERIOD_NOT_PENDING",
            f"compliance period {code} is {period.status}, not pending approval",
            f"履约期 {code} 不在待审核状态",
        )
    finding = two_person_finding(period.proposed_by, principal.sub)
    if finding is not None:
        raise Problem(403, finding.code, finding.message, finding.message_zh)
    definition = definition_of(period)
    try:
        recall_at = recall_instant(calendar, definition)
    except CalendarUnavailable as exc:
        raise Problem.conflict(
            "CALENDAR_UNAVAILABLE",
            str(exc),
            f"缺少 {exc.year} 年的工作日数据，无法计算召回时间；请在 CCER_HOLIDAYS_FILE 中提供",
        ) from exc
    await _create_missing_instruments(uow, definition)
    now = uow.now()
    approved = await uow.session.execute(
        update(CompliancePeriod)
        .where(CompliancePeriod.code == code, CompliancePeriod.status == PeriodStatus.pending_approval.value)
        .values(status=PeriodStatus.active.value, approved_by=principal.sub, approved_at=now, recall_at=recall_at)
        .execution_options(synchronize_session=False)
    )
    if approved.rowcount != 1:  # type: ignore[attr-defined]
        raise Problem.conflict(
            "PERIOD_NOT_PENDING", f"compliance period {code} was approved meanwhile", f"履约期 {code} 已被审核"
        )
    if recall_at is not None:
        await schedule_job(uow.session, uow.infra, RECALL_JOB, code, recall_at, {"period_code": code})
    uow.audit("approve_period", "compliance_period", code, recall_at=recall_at)
    await uow.session.refresh(period)
    return period


async def _create_missing_instruments(uow: UnitOfWork, definition: PeriodDefinition) -> None:
    known = builtin_instruments()
    for code in definition.allowance_instruments:
        if await uow.session.get(Instrument, code) is None and code in known:
            spec = known[code]
            # Insert-or-ignore: two periods approved at once may name the same instrument.
            await insert_ignore(
                uow.session,
                Instrument,
                {
                    "code": code,
                    "name": str(spec["name"]),
                    "kind": "allowance",
                    "vintage": spec.get("vintage"),
                    "created_at": uow.now(),
                    "created_by": uow.actor,
                },
            )
            uow.audit("create_instrument", "instrument", code, name=spec["name"], reason="period approved")


async def get_period(uow: UnitOfWork, code: str) -> CompliancePeriod:
    period = await uow.session.get(CompliancePeriod, code)
    if period is None:
        raise Problem.not_found("compliance period", "履约期", code)
    return period


async def list_periods(uow: UnitOfWork, status: str | None, limit: int, offset: int) -> list[CompliancePeriod]:
    query = select(CompliancePeriod).order_by(CompliancePeriod.proposed_at, CompliancePeriod.code)
    if status:
        query = query.where(CompliancePeriod.status == status)
    return list(await uow.session.scalars(query.limit(limit).offset(offset)))
