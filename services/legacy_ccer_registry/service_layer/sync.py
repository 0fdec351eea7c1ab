"""The sync application (the appendix form of seed 000): submission claims the quantities on the
cancellation records; NCSC's decision (or auto-processing at 17:00 on the SLA day) releases them
or sends the units' serials to the new registry as ``legacy_ccer_registry.sync.approved``, a
request the new registry answers: ``new_ccer_registry.sync.accepted`` (the units are synced) or
``new_ccer_registry.sync.refused`` with its findings (the units are cancelled but unsynced again,
traceable by serial, and may go on a corrected form). Until the answer the form is
``awaiting_new_registry`` and its quantity is ``in_transit`` on each record."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.legacy_ccer_registry.adapters.orm import Cancellation, SyncApplication
from services.legacy_ccer_registry.domain.access import OPERATORS
from services.legacy_ccer_registry.domain.accounts import Decision
from services.legacy_ccer_registry.domain.holdings import Purpose
from services.legacy_ccer_registry.domain.sync import (
    SYNC_CONFLICTS,
    Line,
    RecordFacts,
    SyncStatus,
    auto_approval_at,
    decision_findings,
    sla_due_at,
    sync_findings,
    take_free,
)
from services.legacy_ccer_registry.service_layer.cancellations import legacy_project
from services.legacy_ccer_registry.service_layer.commands import (
    DecideSyncApplication,
    GetSyncApplication,
    ListSyncApplications,
    SubmitSyncApplication,
)
from services.legacy_ccer_registry.service_layer.unit_of_work import LegacyUnitOfWork
from services.legacy_ccer_registry.service_layer.views import SyncPage
from shared.errors import ConcurrentChange, Conflict, InconsistentEvent, refuse
from shared.events import Envelope
from shared.events.contracts import (
    Holder,
    RecordedRange,
    SyncAcceptedV1,
    SyncApprovedV1,
    SyncItem,
    SyncRefusedV1,
)
from shared.ids import new_id
from shared.principal import Principal
from shared.scope import Scope
from shared.serials import SerialRange, labels, merge_ranges
from shared.timeutil import local

__all__ = [
    "AUTO_APPROVE_JOB",
    "auto_approve",
    "decide_sync_application",
    "get_sync_application",
    "list_sync_applications",
    "on_sync_accepted",
    "on_sync_refused",
    "submit_sync_application",
]

log = logging.getLogger(__name__)

AUTO_APPROVE_JOB = "legacy.sync.auto_approve"


def _scope(principal: Principal) -> Scope:
    return Scope.of(principal, operators=OPERATORS)


def _facts(record: Cancellation) -> RecordFacts:
    return RecordFacts(record.project_number, record.purpose, record.quantity, record.synced, record.claimed)


def _sync_deadline(uow: LegacyUnitOfWork) -> datetime | None:
    rule = uow.period_definitions.sync_of(Purpose.offset_2023.value)
    return rule.deadline if rule is not None else None


async def submit_sync_application(
    uow: LegacyUnitOfWork, cmd: SubmitSyncApplication, principal: Principal, *, auto_approve: bool = False
) -> SyncApplication:
    """Check the form (every finding at once), claim each line's quantity on its record, and, in
    auto-processing mode, schedule the approval at 17:00 on the SLA day."""
    account = await uow.accounts.find(cmd.legacy_account_id, _scope(principal))
    lines = [Line(x.cancellation_id, x.project_number, x.quantity) for x in cmd.lines]
    records = {}
    if account is not None:
        records = await uow.cancellations.lock_of_account([x.cancellation_id for x in lines], account.id)
    findings = sync_findings(
        org=principal.org,
        uscc=cmd.uscc,
        account_holder=account.holder_uscc if account is not None else None,
        lines=lines,
        records={k: _facts(r) for k, r in records.items()},
        now=uow.now(),
        unit_name=cmd.unit_name,
        holder_name=account.holder_name if account is not None else None,
        deadline=_sync_deadline(uow),
    )
    refuse(findings, "the sync application is refused", "信息同步申请被拒绝", conflict_codes=SYNC_CONFLICTS)
    assert account is not None  # LEGACY_ACCOUNT_NOT_OWN otherwise
    for n, line in enumerate(lines):
        if not await uow.cancellations.claim(line.cancellation_id, line.quantity):
            raise Conflict(
                "QUANTITY_EXCEEDS_UNSYNCED",
                f"cancellation {line.cancellation_id} was claimed by another sync application meanwhile",
                f"注销记录 {line.cancellation_id} 已被其他同步申请占用",
                field=f"lines.{n}.quantity",
            )
    now = uow.now()
    application = await uow.syncs.add(
        SyncApplication(
            id=new_id("LS"),
            holder_uscc=account.holder_uscc,
            unit_name=cmd.unit_name,
            province=account.province,
            legacy_account_id=account.id,
            new_account_id=cmd.new_account_id,
            contact={k: v for k, v in asdict(cmd.contact).items() if v is not None},
            lines=[asdict(x) for x in cmd.lines],
            quantity=sum(x.quantity for x in lines),
            purpose=cmd.purpose,
            status=SyncStatus.submitted,
            reasons=[],
            sent_at=now,
            sla_due_at=sla_due_at(uow.calendar, now),
            auto_approve_at=auto_approval_at(uow.calendar, now) if auto_approve else None,
        )
    )
    if application.auto_approve_at is not None:
        await uow.schedule(
            AUTO_APPROVE_JOB, application.id, application.auto_approve_at, {"application_id": application.id}
        )
    uow.audit("submit_sync_application", "sync_application", application.id, quantity=application.quantity)
    return application


async def _approve(uow: LegacyUnitOfWork, application: SyncApplication, decided_by: str) -> None:
    """Send each line's lowest serials no other form holds to the new registry, as a request: the
    quantity is in transit on its record, not synced, until the new registry answers."""
    names = [line["cancellation_id"] for line in application.lines]
    records = await uow.cancellations.lock_of_account(names, application.legacy_account_id)
    held = await uow.syncs.held_ranges(application.legacy_account_id, names)
    lines, items = [], []
    for line in application.lines:
        record = records[line["cancellation_id"]]
        taken = take_free(record.recorded_ranges, held.get(record.id, []), line["quantity"])
        if not await uow.cancellations.send(record.id, line["quantity"]):
            raise ConcurrentChange(f"cancellation {record.id}")
        ranges = labels(merge_ranges(r for r, _ in taken))
        recorded = [RecordedRange(first=r.labels()[0], last=r.labels()[1], units_recorded_at=d) for r, d in taken]
        lines.append(line | {"serial_ranges": ranges, "recorded_ranges": [r.model_dump(mode="json") for r in recorded]})
        project = await uow.projects.get(record.project_number)
        items.append(
            SyncItem(
                cancellation_id=record.id,
                project=legacy_project(project),
                quantity=line["quantity"],
                cancellation_quantity=record.quantity,
                serial_ranges=[(a, b) for a, b in ranges],
                units_recorded_at=max(d for _, d in taken),
                recorded_ranges=recorded,
            )
        )
        await _journal(
            uow,
            application,
            "sync_sent",
            record.project_number,
            [r for r, _ in taken],
            decided_by,
            cancellation_id=record.id,
            decision="approved",
        )
    account = await uow.accounts.by_id(application.legacy_account_id)
    if not await uow.syncs.decide(
        application,
        status=SyncStatus.awaiting_new_registry,
        lines=lines,
        decided_at=uow.now(),
        decided_by=decided_by,
    ):
        raise ConcurrentChange(f"sync application {application.id}")
    uow.emit(
        SyncApprovedV1(
            sync_application_id=application.id,
            holder=Holder(name=account.holder_name, uscc=account.holder_uscc),
            legacy_account_id=application.legacy_account_id,
            new_account_id=application.new_account_id,
            purpose=application.purpose,
            items=items,
            unit_name=application.unit_name,
        ),
        correlation_id=application.id,
    )


async def _journal(
    uow: LegacyUnitOfWork,
    application: SyncApplication,
    kind: str,
    project_number: str,
    ranges: list[SerialRange],
    by: str,
    **detail: Any,
) -> None:
    """One step of the form in each unit's history: sent (``sync_sent``), accepted (``sync``) or
    refused (``sync_refused``), with the form's id, so a unit is traceable by serial at every step."""
    await uow.journal.record(
        kind,
        project_number=project_number,
        ranges=ranges,
        at=uow.now(),
        from_account_id=application.legacy_account_id,
        reference_id=application.id,
        detail={
            "sync_application_id": application.id,
            "sent_at": local(application.sent_at).isoformat(),
            "new_account_id": application.new_account_id,
            "by": by,
            **detail,
        },
    )


def _line_ranges(line: dict[str, Any]) -> list[SerialRange]:
    return [SerialRange.from_labels(a, b) for a, b in line["serial_ranges"]]


async def _awaiting(uow: LegacyUnitOfWork, application_id: str, status: SyncStatus) -> SyncApplication | None:
    """The form the new registry answers, locked; None when it already took this answer (a
    re-sent event); :class:`InconsistentEvent` when it is unknown or not awaiting an answer."""
    application = await uow.syncs.lock(application_id)
    if application is not None and application.status == status:
        log.info("sync application %s is already %s; answer ignored", application_id, status)
        return None
    if application is None or application.status != SyncStatus.awaiting_new_registry:
        raise InconsistentEvent(
            f"sync application {application_id} is {application.status if application else 'unknown'}, "
            f"not awaiting the new registry's answer ({status})",
            f"同步申请 {application_id} 不在等待新CCER注登系统答复的状态",
        )
    return application


async def on_sync_accepted(uow: LegacyUnitOfWork, envelope: Envelope, payload: SyncAcceptedV1) -> None:
    """The new registry received the units (awaiting the holder's confirmation there): synced."""
    application = await _awaiting(uow, payload.sync_application_id, SyncStatus.synced)
    if application is None:
        return
    if payload.quantity != application.quantity:
        raise InconsistentEvent(
            f"sync application {application.id}: {application.quantity} t sent, {payload.quantity} t accepted",
            f"同步申请 {application.id}：发送 {application.quantity} 吨，新CCER注登系统接收 {payload.quantity} 吨",
        )
    for line in application.lines:
        if not await uow.cancellations.accept(line["cancellation_id"], line["quantity"]):
            raise ConcurrentChange(f"cancellation {line['cancellation_id']}")
        await _journal(
            uow,
            application,
            "sync",
            line["project_number"],
            _line_ranges(line),
            "new_ccer_registry",
            cancellation_id=line["cancellation_id"],
            decision="approved",
            legacy_sync_id=payload.legacy_sync_id,
        )
    if not await uow.syncs.answer(
        application, status=SyncStatus.synced, answered_at=uow.now(), legacy_sync_id=payload.legacy_sync_id
    ):
        raise ConcurrentChange(f"sync application {application.id}")
    uow.audit("sync_accepted", "sync_application", application.id, legacy_sync_id=payload.legacy_sync_id)


async def on_sync_refused(uow: LegacyUnitOfWork, envelope: Envelope, payload: SyncRefusedV1) -> None:
    """The new registry refused the form as written: its findings are shown on the form, the claims
    are released (cancelled, unsynced, traceable by serial), and a corrected form may be sent."""
    application = await _awaiting(uow, payload.sync_application_id, SyncStatus.refused_by_new_registry)
    if application is None:
        return
    reasons = [r.model_dump(exclude_none=True) for r in payload.reasons]
    codes = [r.code for r in payload.reasons]
    for line in application.lines:
        if not await uow.cancellations.give_back(line["cancellation_id"], line["quantity"]):
            raise ConcurrentChange(f"cancellation {line['cancellation_id']}")
        await _journal(
            uow,
            application,
            "sync_refused",
            line["project_number"],
            _line_ranges(line),
            "new_ccer_registry",
            cancellation_id=line["cancellation_id"],
            codes=codes,
        )
    if not await uow.syncs.answer(
        application, status=SyncStatus.refused_by_new_registry, answered_at=uow.now(), reasons=reasons
    ):
        raise ConcurrentChange(f"sync application {application.id}")
    uow.audit("sync_refused", "sync_application", application.id, codes=codes)


async def _reject(uow: LegacyUnitOfWork, application: SyncApplication, decided_by: str, reasons: list[Any]) -> None:
    if not await uow.syncs.decide(
        application, status=SyncStatus.rejected, reasons=reasons, decided_at=uow.now(), decided_by=decided_by
    ):
        raise ConcurrentChange(f"sync application {application.id}")
    for line in application.lines:
        if not await uow.cancellations.release(line["cancellation_id"], line["quantity"]):
            raise ConcurrentChange(f"cancellation {line['cancellation_id']}")


async def decide_sync_application(
    uow: LegacyUnitOfWork, cmd: DecideSyncApplication, principal: Principal
) -> SyncApplication:
    """NCSC approves (units go to the new registry) or rejects with reasons (claims released)."""
    application = await uow.syncs.get(cmd.application_id, _scope(principal))
    findings = decision_findings(
        status=application.status, decision_is_reject=cmd.decision is Decision.reject, reason_count=len(cmd.reasons)
    )
    refuse(findings, "the decision is refused", "同步申请未处理", conflict_codes=SYNC_CONFLICTS)
    if cmd.decision is Decision.approve:
        await _approve(uow, application, principal.actor)
    else:
        reasons = [{k: v for k, v in asdict(r).items() if v is not None} for r in cmd.reasons]
        await _reject(uow, application, principal.actor, reasons)
    uow.audit("decide_sync_application", "sync_application", application.id, decision=cmd.decision)
    return application


async def auto_approve(uow: LegacyUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """Auto-processing: approve a form still waiting at 17:00 on its SLA day; nothing if decided."""
    application = await uow.syncs.find(str(payload["application_id"]))
    if application is None or application.status != SyncStatus.submitted:
        return "already decided"
    await _approve(uow, application, "auto-processing")
    uow.audit("auto_approve_sync_application", "sync_application", application.id, due_at=due_at)
    return "approved"


async def get_sync_application(uow: LegacyUnitOfWork, cmd: GetSyncApplication, principal: Principal) -> SyncApplication:
    return await uow.syncs.get(cmd.application_id, _scope(principal))


async def list_sync_applications(uow: LegacyUnitOfWork, cmd: ListSyncApplications, principal: Principal) -> SyncPage:
    rows = await uow.syncs.search(
        _scope(principal),
        status=cmd.status,
        legacy_account_id=cmd.legacy_account_id,
        offset=cmd.offset,
        limit=cmd.limit + 1,
    )
    return SyncPage(tuple(rows[: cmd.limit]), has_more=len(rows) > cmd.limit)
