"""Compliance applications (履约申请): draft, amend, submit (validate everything, reserve), and the
province's decision: approval surrenders and registers offsets, rejection releases and returns.

The state machine is the domain's (``domain.application_state``); this module loads, asks it, and
applies its answer through guarded updates."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from services.allowance_registry.adapters.orm import (
    Account,
    Application,
    CompliancePeriod,
    Instrument,
    Notice,
    OffsetRegistration,
    PendingOffset,
    Surrender,
)
from services.allowance_registry.domain import application_state as machine
from services.allowance_registry.domain.application_state import ApplicationState, ApplicationStatus, Decision, Step
from services.allowance_registry.domain.applications import (
    Item,
    ItemKind,
    LotState,
    NoticeState,
    PeriodRules,
    item_as_dict,
    items_of,
    submission_findings,
    totals,
)
from services.allowance_registry.domain.lot_units import (
    ItemUnits,
    UnitBlock,
    UnitState,
    plan_items,
    recorded_ranges,
    serial_labels,
)
from services.allowance_registry.domain.movements import HoldingKind, Movement, MovementKind
from services.allowance_registry.domain.notices import NoticeStatus, Progress
from services.allowance_registry.domain.offsets import LotBalance, PendingStatus
from services.allowance_registry.domain.periods import PeriodStatus
from services.allowance_registry.service_layer.commands import (
    DraftApplication,
    GetApplication,
    ListApplications,
    ReplaceApplicationItems,
    SubmitApplication,
)
from services.allowance_registry.service_layer.movements import record_movement, surrender_movement
from services.allowance_registry.service_layer.notices import account_ref
from services.allowance_registry.service_layer.offsets import recall_after_rejection
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from shared.errors import ConcurrentChange, Conflict, Finding, InconsistentEvent, refuse
from shared.events import Envelope
from shared.events.contracts import (
    AllowanceItem,
    ApplicationApprovedV1,
    ApplicationRejectedV1,
    ApplicationSubmittedV1,
    CcerItem,
    ComplianceCompletedV1,
    LegacyProject,
    NoticeRef,
    OffsetCcerItem,
    OffsetProject,
    OffsetRegisteredV1,
    PeriodRef,
)
from shared.ids import new_id
from shared.offset_rules import Eligibility, LotFacts
from shared.principal import Principal
from shared.serials import SerialRange

__all__ = [
    "draft_application",
    "get_application",
    "list_applications",
    "on_application_approved",
    "on_application_rejected",
    "replace_items",
    "submit_application",
]

log = logging.getLogger(__name__)


def _state(application: Application) -> ApplicationState:
    return ApplicationState(application.id, ApplicationStatus(application.status), application.revision)


def _history(uow: AllowanceUnitOfWork, application: Application, step: Step, **extra: Any) -> list[dict[str, Any]]:
    return [*application.history, machine.history_entry(uow.now(), step, uow.actor, **extra)]


async def _move(uow: AllowanceUnitOfWork, application: Application, step: Step, **values: Any) -> None:
    """Apply ``step`` from the status and revision this transaction read; a request that lost a race
    is told to reload (409)."""
    if not await uow.applications.transition(
        application, uow.now(), status=step.status.value, revision=step.revision, **values
    ):
        raise Conflict(
            "APPLICATION_CHANGED",
            f"application {application.id} changed meanwhile; reload it",
            f"履约申请 {application.id} 已被修改，请刷新",
        )


# --- the applicant ------------------------------------------------------------------------------
async def draft_application(uow: AllowanceUnitOfWork, cmd: DraftApplication, principal: Principal) -> Application:
    notice, account, _ = await uow.notices.get(cmd.notice_id, principal)  # NotFound when not the applicant's
    step = machine.draft()
    items = [item_as_dict(i) for i in cmd.items]
    now = uow.now()
    application = Application(
        id=new_id("APP"),
        account_id=account.id,
        notice_id=notice.id,
        period_code=notice.period_code,
        province=account.province,
        holder_uscc=account.holder_uscc,
        status=step.status.value,
        revision=step.revision,
        items=items,
        findings=[],
        history=[machine.history_entry(now, step, uow.actor, items=len(items))],
        created_at=now,
        updated_at=now,
        submitted_at=None,
        decided_at=None,
    )
    uow.applications.add(application)
    uow.audit("create_application", "application", application.id, notice_id=notice.id, items=items)
    return application


async def replace_items(uow: AllowanceUnitOfWork, cmd: ReplaceApplicationItems, principal: Principal) -> Application:
    application = await uow.applications.lock(cmd.application_id, principal)
    step = machine.edit(_state(application))
    items = [item_as_dict(i) for i in cmd.items]
    await _move(uow, application, step, items=items, history=_history(uow, application, step, items=len(items)))
    uow.audit("replace_items", "application", application.id, items=items)
    return application


@dataclass(frozen=True)
class _Submission:
    """What a submission is checked against, rows locked in one order everywhere."""

    notice: Notice
    period: CompliancePeriod
    account: Account
    allowances: dict[str, int]
    offset_ccer: dict[str, int]
    lots: dict[str, PendingOffset]
    # Generated offset-CCER instruments the items name (first period): the project facts they carry.
    instruments: dict[str, Instrument]
    # Per lot item: the units it takes, lowest available serials of its lot first (§6.1 step 6).
    # An item is missing when it takes none, or when its lot's units are not tracked by serial.
    units: dict[int, ItemUnits]


async def _load_submission(uow: AllowanceUnitOfWork, application: Application, items: list[Item]) -> _Submission:
    locked = await uow.notices.lock_with_account(application.notice_id, application.account_id)
    period = await uow.periods.find(application.period_code)
    assert locked is not None and period is not None
    notice, account = locked
    allowance_codes = {i.instrument for i in items if i.kind == ItemKind.allowance and i.instrument}
    ccer_codes = {i.instrument for i in items if i.kind == ItemKind.offset_ccer and i.instrument}
    allowances = await uow.holdings.lock_available_allowances(account.id, sorted(allowance_codes))
    offset_ccer = await uow.holdings.lock_available_offset_ccer(account.id, sorted(ccer_codes))
    instruments = await uow.instruments.of_codes(sorted(ccer_codes))
    lots = await uow.pending_offsets.lock(_lot_ids(items))
    available = await uow.lot_units.available(sorted(lots))
    lot_items = [(n, i.lot_id, i.quantity) for n, i in enumerate(items) if i.kind == ItemKind.ccer and i.lot_id]
    units = plan_items(available, lot_items)
    return _Submission(notice, period, account, allowances, offset_ccer, lots, instruments, units)


def _lot_ids(items: list[Item]) -> list[str]:
    return [i.lot_id for i in items if i.kind == ItemKind.ccer and i.lot_id]


def _findings(s: _Submission, items: list[Item], applicant_uscc: str, uow: AllowanceUnitOfWork) -> list[Finding]:
    n, p = s.notice, s.period
    return submission_findings(
        applicant_uscc=applicant_uscc,
        notice=NoticeState(
            account_id=n.account_id,
            holder_uscc=s.account.holder_uscc,
            obligation=n.obligation,
            fulfilled=n.fulfilled,
            under_review=n.under_review,
            ccer_registered=n.ccer_registered,
            ccer_under_review=n.ccer_under_review,
            complete=n.status == NoticeStatus.complete,
        ),
        period=PeriodRules(
            code=p.code,
            active=p.status == PeriodStatus.active,
            allowance_instruments=frozenset(p.allowance_instruments),
            cap_bp=p.cap_bp,
            eligibility=Eligibility.model_validate(p.eligibility),
            application_deadline=p.application_deadline,
        ),
        items=items,
        allowances_available=s.allowances,
        offset_ccer_available=s.offset_ccer,
        lots={lot_id: _lot_state(lot) for lot_id, lot in s.lots.items()},
        now=uow.now(),
        units_recorded_at={n: units.units_recorded_at for n, units in s.units.items()},
        offset_ccer_facts={
            code: facts for code, i in s.instruments.items() if (facts := _instrument_facts(i)) is not None
        },
    )


def _instrument_facts(instrument: Instrument) -> LotFacts | None:
    """The facts of the legacy project whose cancellation generated an offset-CCER instrument."""
    project = instrument.project
    if instrument.kind != ItemKind.offset_ccer or not project:
        return None
    return LotFacts(
        origin="offset_ccer",
        project_number=str(project.get("number", instrument.code)),
        registered_or_recorded_at=project.get("recorded_at"),
        within_national_ets=bool(project.get("within_national_ets", False)),
    )


async def submit_application(uow: AllowanceUnitOfWork, cmd: SubmitApplication, principal: Principal) -> Application:
    """Validate everything of domain.md §6.3 at once; on success reserve and send it for review."""
    application = await uow.applications.lock(cmd.application_id, principal)
    step = machine.submit(_state(application))
    items = items_of(application.items)
    submission = await _load_submission(uow, application, items)
    refuse(
        _findings(submission, items, principal.org or "", uow),
        "the application cannot be submitted",
        "履约申请无法提交",
        code="APPLICATION_INVALID",
    )
    # The notice as it stood before this submission, so the province can recompute every check.
    notice_before = _notice_ref(submission.notice)
    await _reserve(uow, application, step.revision, items)
    await _reserve_units(uow, application, step.revision, submission, items)
    sums = totals(items)
    if not await uow.notices.reserve(submission.notice, sums.all, sums.ccer):
        raise ConcurrentChange(f"compliance notice {submission.notice.id}")
    enriched = [
        _enrich(d, submission.lots, submission.units.get(n), submission.instruments)
        for n, d in enumerate(application.items)
    ]
    await _move(
        uow,
        application,
        step,
        items=enriched,
        findings=[],
        submitted_at=uow.now(),
        history=_history(uow, application, step),
    )
    uow.emit(
        ApplicationSubmittedV1(
            application_id=application.id,
            revision=step.revision,
            account=account_ref(submission.account),
            period=_period_ref(submission.period),
            notice=notice_before,
            items=[_event_item(d) for d in enriched],
            submitted_at=uow.now(),
        ),
        correlation_id=application.id,
    )
    uow.audit(
        "submit_application",
        "application",
        application.id,
        revision=step.revision,
        allowances=sums.allowances,
        ccer=sums.ccer,
    )
    return application


def _notice_ref(notice: Notice) -> NoticeRef:
    return NoticeRef(
        id=notice.id,
        obligation=notice.obligation,
        fulfilled=notice.fulfilled,
        under_review=notice.under_review,
        ccer_registered=notice.ccer_registered,
        ccer_under_review=notice.ccer_under_review,
        period_code=notice.period_code,
    )


def _period_ref(period: CompliancePeriod) -> PeriodRef:
    return PeriodRef(
        code=period.code,
        cap_bp=period.cap_bp,
        deadline=period.application_deadline,
        eligibility=Eligibility.model_validate(period.eligibility).model_dump(mode="json"),
    )


def _lot_state(lot: PendingOffset) -> LotState:
    project = lot.project
    return LotState(
        account_id=lot.account_id,
        pending=lot.status == PendingStatus.pending,
        available=LotBalance(lot.quantity, lot.reserved, lot.registered, lot.recalled).available,
        facts=LotFacts(
            origin=lot.origin,
            project_number=str(project.get("number", "")),
            registered_or_recorded_at=project.get("registered_or_recorded_at"),
            units_recorded_at=lot.units_recorded_at,
            within_national_ets=bool(project.get("within_national_ets", False)),
        ),
    )


def _enrich(
    raw: dict[str, Any],
    lots: dict[str, PendingOffset],
    units: ItemUnits | None,
    instruments: dict[str, Instrument],
) -> dict[str, Any]:
    """A lot item carries the lot's facts and the units it took with their record dates, and a
    generated offset-CCER item its project's facts, so the province judges eligibility without asking."""
    if raw["kind"] == ItemKind.offset_ccer:
        instrument = instruments.get(raw["instrument"])
        kept = {k: v for k, v in raw.items() if k != "project"}
        return {**kept, "project": instrument.project} if instrument is not None and instrument.project else kept
    if raw["kind"] != ItemKind.ccer:
        return dict(raw)
    lot = lots[raw["lot_id"]]
    # (A resubmitted item carries what it took last time: it takes its units afresh.)
    kept = {k: v for k, v in raw.items() if k not in ("serial_ranges", "recorded_ranges")}
    enriched = {**kept, "project": lot.project, "origin": lot.origin}
    if units is None:  # a lot recorded before its units were tracked by serial
        recorded_at = lot.units_recorded_at
        return {**enriched, "units_recorded_at": recorded_at.isoformat() if recorded_at else None}
    recorded_at = units.units_recorded_at
    return {
        **enriched,
        "units_recorded_at": recorded_at.isoformat() if recorded_at else None,
        "serial_ranges": serial_labels(units.blocks),
        "recorded_ranges": recorded_ranges(units.blocks),
    }


def _ranges_of(raw: dict[str, Any]) -> list[SerialRange] | None:
    """The units a stored lot item took; None when its lot's units were not tracked by serial."""
    pairs = raw.get("serial_ranges")
    return None if pairs is None else [SerialRange.from_labels(first, last) for first, last in pairs]


def _event_item(d: dict[str, Any]) -> AllowanceItem | CcerItem | OffsetCcerItem:
    if d["kind"] == ItemKind.allowance:
        return AllowanceItem(instrument=d["instrument"], quantity=d["quantity"])
    if d["kind"] == ItemKind.offset_ccer:
        project = LegacyProject.model_validate(d["project"]) if d.get("project") else None
        return OffsetCcerItem(instrument=d["instrument"], quantity=d["quantity"], project=project)
    return CcerItem(
        lot_id=d["lot_id"],
        project=OffsetProject.model_validate(d["project"]),
        origin=d["origin"],
        units_recorded_at=d.get("units_recorded_at"),
        quantity=d["quantity"],
        serial_ranges=d.get("serial_ranges"),
        recorded_ranges=d.get("recorded_ranges"),
    )


async def _reserve(uow: AllowanceUnitOfWork, application: Application, revision: int, items: list[Item]) -> None:
    """Freeze each item's allowances or CCER, or reserve its part of the lot (rows locked and checked)."""
    account_id = application.account_id
    for item in items:
        if item.kind == ItemKind.allowance:
            ok = await uow.holdings.freeze_allowances(account_id, item.instrument or "", item.quantity)
        elif item.kind == ItemKind.offset_ccer:
            ok = await uow.holdings.freeze_offset_ccer(account_id, item.instrument or "", item.quantity)
        else:
            ok = await uow.pending_offsets.move(item.lot_id or "", reserve=item.quantity)
        if not ok:
            raise ConcurrentChange(f"holding or lot of item {item}")
        await _journal(uow, application, revision, item, MovementKind.frozen)


async def _journal(
    uow: AllowanceUnitOfWork, application: Application, revision: int, item: Item, kind: MovementKind
) -> None:
    """持仓流水 of an allowance or offset-CCER item frozen or released (a lot item holds no instrument)."""
    if item.kind == ItemKind.ccer:
        return
    reference = {"application_id": application.id, "revision": revision, "notice_id": application.notice_id}
    await record_movement(
        uow,
        Movement(application.account_id, item.instrument or "", kind, item.quantity, reference),
        holding=HoldingKind.offset_ccer if item.kind == ItemKind.offset_ccer else HoldingKind.allowance,
    )


async def _reserve_units(
    uow: AllowanceUnitOfWork, application: Application, revision: int, submission: _Submission, items: list[Item]
) -> None:
    """Reserve exactly the units each lot item takes (its lot's counters moved with them)."""
    for n, item in enumerate(items):
        if item.kind != ItemKind.ccer:
            continue
        lot_id = item.lot_id or ""
        units = submission.units.get(n)
        if units is None:
            if await uow.lot_units.tracked(lot_id):
                raise ConcurrentChange(f"units of pending offset {lot_id}")
            continue  # a lot recorded before its units were tracked by serial: counters only
        moved = await uow.lot_units.move(
            lot_id,
            source=UnitState.available,
            target=UnitState.reserved,
            ranges=units.ranges,
            application_id=application.id,
            revision=revision,
        )
        if moved is None or units.quantity != item.quantity:
            raise ConcurrentChange(f"units of pending offset {lot_id}")
        uow.lot_units.log(
            "reserved",
            lot_id,
            moved,
            uow.now(),
            application_id=application.id,
            revision=revision,
            notice_id=application.notice_id,
            period_code=application.period_code,
        )


# --- the province's decision --------------------------------------------------------------------
async def _decided(
    uow: AllowanceUnitOfWork, application_id: str, revision: int, decision: Decision
) -> tuple[Application, Step] | None:
    """The application this decision is for, locked, and where the decision takes it; None when it is
    not (or no longer) under review in that revision: a duplicate or stale decision changes nothing."""
    application = await uow.applications.lock_any(application_id)
    if application is None:
        raise InconsistentEvent(
            f"decision {decision} for unknown application {application_id}",
            f"审核结论（{decision}）所针对的履约申请 {application_id} 不存在",
        )
    step = machine.decide(_state(application), revision, decision)
    if step is None:
        log.info(
            "decision %s for application %s revision %d ignored: it is %s in revision %d",
            decision,
            application_id,
            revision,
            application.status,
            application.revision,
        )
        return None
    return application, step


async def _decide(uow: AllowanceUnitOfWork, application: Application, step: Step, **values: Any) -> None:
    if not await uow.applications.transition(
        application, uow.now(), status=step.status.value, revision=step.revision, **values
    ):
        raise ConcurrentChange(f"compliance application {application.id}")


async def on_application_approved(uow: AllowanceUnitOfWork, envelope: Envelope, payload: ApplicationApprovedV1) -> None:
    """Surrender the frozen allowances and CCER, register each lot item's offset, fulfil the notice."""
    decided = await _decided(uow, payload.application_id, payload.revision, Decision.approved)
    if decided is None:
        return
    application, step = decided
    locked = await uow.notices.lock_with_account(application.notice_id, application.account_id)
    assert locked is not None
    notice, account = locked
    reviewers = {
        "case_id": payload.case_id,
        "first_reviewer": payload.first_reviewer,
        "second_reviewer": payload.second_reviewer,
    }
    history = _history(uow, application, step, **reviewers)
    await _decide(uow, application, step, decided_at=payload.decided_at, history=history)
    items = items_of(application.items)
    # Lots in one order everywhere (submission, decisions, recall): no deadlock between replicas.
    await uow.pending_offsets.lock(_lot_ids(items))
    for n, (item, raw) in enumerate(zip(items, application.items, strict=True)):
        if item.kind == ItemKind.ccer:
            await _register_offset(uow, application, n, item, raw, notice, account)
        else:
            surrender = await _surrender(uow, application, n, item, notice, account)
            if item.kind == ItemKind.offset_ccer:
                await _register_offset_ccer(uow, application, n, item, raw, notice, account, surrender)
    await uow.applications.flush_effects()
    sums = totals(items)
    await _fulfil(uow, notice, account, sums.all, sums.ccer)
    uow.audit(
        "approve_application",
        "application",
        application.id,
        revision=application.revision,
        case_id=payload.case_id,
        allowances=sums.allowances,
        ccer=sums.ccer,
    )


async def _register_offset(
    uow: AllowanceUnitOfWork,
    application: Application,
    n: int,
    item: Item,
    raw: dict[str, Any],
    notice: Notice,
    account: Account,
) -> None:
    """抵销登记 of a lot item: its reserved quantity is registered, and the new registry cancels it."""
    lot_id = item.lot_id or ""
    if not await uow.pending_offsets.move(lot_id, register=item.quantity):
        raise InconsistentEvent(f"lot {lot_id} has not {item.quantity} reserved", f"批次 {lot_id} 预留量不足")
    now = uow.now()
    registration_id = new_id("REG")
    blocks = await _move_reserved(
        uow, application, raw, UnitState.registered, "registered", registration_id=registration_id
    )
    serial_ranges = serial_labels(blocks) if blocks is not None else None
    registration = OffsetRegistration(
        id=registration_id,
        application_id=application.id,
        revision=application.revision,
        item=n,
        notice_id=notice.id,
        period_code=notice.period_code,
        account_id=account.id,
        province=account.province,
        lot_id=lot_id,
        project=raw.get("project", {}),
        origin=raw.get("origin", ""),
        quantity=item.quantity,
        registered_at=now,
        serial_ranges=serial_ranges,
    )
    uow.registrations.add(registration)
    uow.emit(
        OffsetRegisteredV1(
            registration_id=registration.id,
            lot_id=lot_id,
            application_id=application.id,
            period_code=notice.period_code,
            quantity=item.quantity,
            registered_at=now,
            serial_ranges=serial_ranges,
        ),
        correlation_id=lot_id,
    )


async def _register_offset_ccer(
    uow: AllowanceUnitOfWork,
    application: Application,
    n: int,
    item: Item,
    raw: dict[str, Any],
    notice: Notice,
    account: Account,
    surrender: Surrender,
) -> None:
    """CCER 抵销配额清缴登记 of a generated offset-CCER item (seed 001 第七步), queryable by the unit and
    its province (第八步). Its units were cancelled in the voluntary registry before they were generated
    here: the registration is cancelled from the start, no event asks another registry to cancel."""
    code = item.instrument or ""
    instrument = await uow.instruments.find(code)
    request = (
        await uow.offset_ccer_requests.find(instrument.request_id) if instrument and instrument.request_id else None
    )
    registration = OffsetRegistration(
        id=new_id("REG"),
        application_id=application.id,
        revision=application.revision,
        item=n,
        notice_id=notice.id,
        period_code=notice.period_code,
        account_id=account.id,
        province=account.province,
        kind=ItemKind.offset_ccer.value,
        lot_id=None,
        instrument=code,
        project=raw.get("project") or (instrument.project if instrument else None) or {},
        origin=ItemKind.offset_ccer.value,
        quantity=item.quantity,
        registered_at=uow.now(),
        serial_ranges=None,  # generated CCER are held by quantity here, not by serial
        offset_ccer_request_id=request.id if request else None,
        cancellation_id=request.cancellation_id if request else None,
        source_quantity=request.quantity if request else None,
        source_serial_ranges=request.serial_ranges if request else None,
        cancelled_quantity=item.quantity,
        cancelled_at=request.cancelled_at if request else None,
    )
    uow.registrations.add(registration)
    await record_movement(uow, surrender_movement(surrender, registration.id), holding=HoldingKind.offset_ccer)
    uow.audit(
        "register_offset_ccer",
        "offset_registration",
        registration.id,
        application_id=application.id,
        instrument=code,
        cancellation_id=registration.cancellation_id,
        quantity=item.quantity,
    )


async def _surrender(
    uow: AllowanceUnitOfWork, application: Application, n: int, item: Item, notice: Notice, account: Account
) -> Surrender:
    """Frozen allowances (or generated offset CCER) leave the holding, once per item and revision."""
    instrument = item.instrument or ""
    if item.kind == ItemKind.allowance:
        done = await uow.holdings.surrender_allowances(account.id, instrument, item.quantity)
    else:
        done = await uow.holdings.surrender_offset_ccer(account.id, instrument, item.quantity)
    if not done:
        raise InconsistentEvent(
            f"{instrument}: {item.quantity} not frozen in account {account.id}",
            f"账户 {account.id} 中 {instrument} 冻结量不足 {item.quantity}",
        )
    surrender = Surrender(
        id=new_id("SUR"),
        application_id=application.id,
        revision=application.revision,
        item=n,
        account_id=account.id,
        notice_id=notice.id,
        kind=item.kind.value,
        instrument=instrument,
        quantity=item.quantity,
        surrendered_at=uow.now(),
    )
    uow.holdings.add(surrender)
    if item.kind == ItemKind.allowance:  # (offset CCER: journalled with its registration)
        await record_movement(uow, surrender_movement(surrender, None), holding=HoldingKind.allowance)
    return surrender


async def _fulfil(uow: AllowanceUnitOfWork, notice: Notice, account: Account, quantity: int, ccer: int) -> None:
    """Move the application's quantity from under review to fulfilled; announce a notice completed now."""
    progress = Progress(notice.obligation, notice.fulfilled + quantity)
    complete = progress.status == NoticeStatus.complete
    was_complete = notice.status == NoticeStatus.complete
    now = uow.now()
    if not await uow.notices.fulfil(
        notice, quantity, ccer, status=progress.status, completed_at=now if complete else None
    ):
        raise InconsistentEvent(
            f"notice {notice.id} has less under review than the approved application",
            f"履约通知书 {notice.id} 的待审核量少于审核通过的申请量",
        )
    if complete and not was_complete:
        uow.emit(
            ComplianceCompletedV1(
                notice_id=notice.id,
                period_code=notice.period_code,
                account=account_ref(account),
                completed_at=now,
            ),
            correlation_id=notice.id,
        )


async def on_application_rejected(uow: AllowanceUnitOfWork, envelope: Envelope, payload: ApplicationRejectedV1) -> None:
    """Return the application with the province's findings and release everything it reserved."""
    decided = await _decided(uow, payload.application_id, payload.revision, Decision.rejected)
    if decided is None:
        return
    application, step = decided
    notice = await uow.notices.lock(application.notice_id)
    assert notice is not None
    findings = [f.model_dump(mode="json") for f in payload.findings]
    history = _history(uow, application, step, case_id=payload.case_id, findings=findings)
    await _decide(uow, application, step, decided_at=payload.decided_at, findings=findings, history=history)
    items = items_of(application.items)
    lots = _lot_ids(items)
    await uow.pending_offsets.lock(lots)
    for item, raw in zip(items, application.items, strict=True):
        await _release(uow, application, item, raw)
    sums = totals(items)
    if not await uow.notices.release(notice, sums.all, sums.ccer):
        raise InconsistentEvent(
            f"notice {notice.id} has less under review than application {application.id} reserved",
            f"履约通知书 {notice.id} 的待审核量少于履约申请 {application.id} 的预留量",
        )
    await recall_after_rejection(uow, lots, f"review of application {application.id} rejected after the recall instant")
    uow.audit(
        "return_application",
        "application",
        application.id,
        revision=application.revision,
        case_id=payload.case_id,
        findings=[f["code"] for f in findings],
    )


async def _release(uow: AllowanceUnitOfWork, application: Application, item: Item, raw: dict[str, Any]) -> None:
    if item.kind == ItemKind.ccer:
        await _move_reserved(uow, application, raw, UnitState.available, "released")
    if item.kind == ItemKind.allowance:
        done = await uow.holdings.release_allowances(application.account_id, item.instrument or "", item.quantity)
    elif item.kind == ItemKind.offset_ccer:
        done = await uow.holdings.release_offset_ccer(application.account_id, item.instrument or "", item.quantity)
    else:
        done = await uow.pending_offsets.move(item.lot_id or "", reserve=-item.quantity)
    if not done:
        raise InconsistentEvent(
            f"could not release {item} of application {application.id}",
            f"无法释放履约申请 {application.id} 的预留",
        )
    await _journal(uow, application, application.revision, item, MovementKind.released)


async def _move_reserved(
    uow: AllowanceUnitOfWork, application: Application, raw: dict[str, Any], target: UnitState, kind: str, **refs: Any
) -> list[UnitBlock] | None:
    """Move exactly the units a lot item reserved (registered, or released); None when its lot's units
    were not tracked by serial when it was submitted."""
    ranges = _ranges_of(raw)
    if ranges is None:
        return None
    lot_id = str(raw["lot_id"])
    moved = await uow.lot_units.move(
        lot_id,
        source=UnitState.reserved,
        target=target,
        ranges=ranges,
        reserved_by=(application.id, application.revision),
        **refs,
    )
    if moved is None:
        raise InconsistentEvent(
            f"lot {lot_id}: the units application {application.id} reserved are no longer reserved by it",
            f"批次 {lot_id}：履约申请 {application.id} 预留的序列号已不在预留状态",
        )
    detail = {"application_id": application.id, "revision": application.revision, **refs}
    uow.lot_units.log(kind, lot_id, moved, uow.now(), period_code=application.period_code, **detail)
    return moved


# --- queries ------------------------------------------------------------------------------------
async def get_application(uow: AllowanceUnitOfWork, cmd: GetApplication, principal: Principal) -> Application:
    return await uow.applications.get(cmd.application_id, principal)


async def list_applications(uow: AllowanceUnitOfWork, cmd: ListApplications, principal: Principal) -> list[Application]:
    return await uow.applications.search(
        principal,
        account_id=cmd.account_id,
        province=cmd.province,
        status=cmd.status,
        notice_id=cmd.notice_id,
        limit=cmd.limit,
        offset=cmd.offset,
    )
