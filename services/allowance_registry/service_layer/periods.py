"""Instruments and compliance periods: propose (registry initiator), approve (a different registry
confirmer), and on approval schedule the period's recall of unused pending offsets."""

from __future__ import annotations

from services.allowance_registry.adapters.orm import CompliancePeriod, Instrument
from services.allowance_registry.domain.periods import (
    DefinitionInvalid,
    PeriodDefinition,
    PeriodStatus,
    build_definition,
    recall_instant,
    two_person_finding,
)
from services.allowance_registry.service_layer.commands import (
    ApprovePeriod,
    CreateInstrument,
    GetPeriod,
    ListInstruments,
    ListPeriods,
    ProposePeriod,
)
from services.allowance_registry.service_layer.monitoring import schedule_overdue_marking
from services.allowance_registry.service_layer.offsets import RECALL_JOB
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from shared.errors import Conflict, Finding, Invalid, refuse
from shared.principal import Principal
from shared.workdays import CalendarUnavailable

__all__ = [
    "approve_period",
    "create_instrument",
    "definition_of",
    "get_period",
    "list_instruments",
    "list_periods",
    "propose_period",
]


def _instrument_exists(code: str) -> Conflict:
    return Conflict("INSTRUMENT_EXISTS", f"instrument {code} already exists", f"标的 {code} 已存在")


def _period_exists(code: str) -> Conflict:
    return Conflict("PERIOD_EXISTS", f"compliance period {code} already exists", f"履约期 {code} 已存在")


def _refuse_definition(findings: list[Finding]) -> None:
    refuse(
        findings,
        "the period definition is invalid",
        "履约期定义无效",
        code="PERIOD_DEFINITION_INVALID",
    )


async def create_instrument(uow: AllowanceUnitOfWork, cmd: CreateInstrument, principal: Principal) -> Instrument:
    if await uow.instruments.find(cmd.code) is not None:
        raise _instrument_exists(cmd.code)
    instrument = Instrument(
        code=cmd.code, name=cmd.name, kind=cmd.kind, vintage=cmd.vintage, created_at=uow.now(), created_by=uow.actor
    )
    if not await uow.instruments.add_new(instrument):
        raise _instrument_exists(cmd.code)
    uow.audit("create_instrument", "instrument", cmd.code, name=cmd.name, kind=cmd.kind, vintage=cmd.vintage)
    return instrument


async def list_instruments(uow: AllowanceUnitOfWork, cmd: ListInstruments, principal: Principal) -> list[Instrument]:
    return await uow.instruments.all()


def _definition(uow: AllowanceUnitOfWork, cmd: ProposePeriod) -> PeriodDefinition:
    catalogue = uow.catalogue.periods()
    if cmd.builtin is not None and cmd.builtin not in catalogue:
        known = ", ".join(sorted(catalogue))
        raise Invalid(
            "UNKNOWN_BUILTIN_PERIOD",
            f"no built-in period {cmd.builtin!r} (known: {known})",
            f"没有内置履约期 {cmd.builtin!r}（可选：{known}）",
            field="builtin",
        )
    try:
        return build_definition(catalogue.get(cmd.builtin) if cmd.builtin else None, cmd.builtin, cmd.overrides)
    except DefinitionInvalid as exc:
        _refuse_definition(exc.findings)
        raise  # unreachable: a DefinitionInvalid always carries findings


async def _check_instruments(uow: AllowanceUnitOfWork, definition: PeriodDefinition) -> None:
    """Every allowance instrument of the scope exists (or is built in) and is an allowance."""
    known = uow.catalogue.instruments()
    existing = await uow.instruments.of_codes(definition.allowance_instruments)
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
    _refuse_definition(findings)


async def propose_period(uow: AllowanceUnitOfWork, cmd: ProposePeriod, principal: Principal) -> CompliancePeriod:
    definition = _definition(uow, cmd)
    await _check_instruments(uow, definition)
    if await uow.periods.find(definition.code) is not None:
        raise _period_exists(definition.code)
    period = CompliancePeriod(
        code=definition.code,
        name=definition.name,
        builtin=cmd.builtin,
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
    if not await uow.periods.add_new(period):
        raise _period_exists(definition.code)
    uow.audit(
        "propose_period",
        "compliance_period",
        period.code,
        builtin=cmd.builtin,
        definition=definition.model_dump(mode="json"),
    )
    return period


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


async def approve_period(uow: AllowanceUnitOfWork, cmd: ApprovePeriod, principal: Principal) -> CompliancePeriod:
    period = await uow.periods.lock(cmd.code)
    if period.status != PeriodStatus.pending_approval:
        raise Conflict(
            "PERIOD_NOT_PENDING",
            f"compliance period {cmd.code} is {period.status}, not pending approval",
            f"履约期 {cmd.code} 不在待审核状态",
        )
    same_person = two_person_finding(period.proposed_by, principal.sub)
    refuse([same_person] if same_person else [], "the period cannot be approved", "履约期无法审核")
    definition = definition_of(period)
    try:
        recall_at = recall_instant(uow.calendar, definition)
    except CalendarUnavailable as exc:
        raise Conflict(
            "CALENDAR_UNAVAILABLE",
            str(exc),
            f"缺少 {exc.year} 年的工作日数据，无法计算召回时间；请在 CCER_HOLIDAYS_FILE 中提供",
        ) from exc
    await _create_missing_instruments(uow, definition)
    if not await uow.periods.approve(period, by=principal.sub, at=uow.now(), recall_at=recall_at):
        raise Conflict(
            "PERIOD_NOT_PENDING", f"compliance period {cmd.code} was approved meanwhile", f"履约期 {cmd.code} 已被审核"
        )
    if recall_at is not None:
        await uow.schedule(RECALL_JOB, cmd.code, recall_at, {"period_code": cmd.code})
    await schedule_overdue_marking(uow, period)
    uow.audit("approve_period", "compliance_period", cmd.code, recall_at=recall_at)
    return period


async def _create_missing_instruments(uow: AllowanceUnitOfWork, definition: PeriodDefinition) -> None:
    known = uow.catalogue.instruments()
    for code in definition.allowance_instruments:
        if await uow.instruments.find(code) is None and code in known:
            spec = known[code]
            await uow.instruments.add_if_missing(
                {
                    "code": code,
                    "name": str(spec["name"]),
                    "kind": "allowance",
                    "vintage": spec.get("vintage"),
                    "created_at": uow.now(),
                    "created_by": uow.actor,
                }
            )
            uow.audit("create_instrument", "instrument", code, name=spec["name"], reason="period approved")


async def get_period(uow: AllowanceUnitOfWork, cmd: GetPeriod, principal: Principal) -> CompliancePeriod:
    return await uow.periods.get(cmd.code)


async def list_periods(uow: AllowanceUnitOfWork, cmd: ListPeriods, principal: Principal) -> list[CompliancePeriod]:
    return await uow.periods.search(cmd.status, cmd.limit, cmd.offset)
