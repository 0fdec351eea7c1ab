"""Voluntary cancellation (自愿注销): units leave the general holding account for good, lowest
serials first, into a record. NCSC's daily batch just after 17:00 announces the day's records as
``legacy_ccer_registry.cancellation.recorded`` (seed 001 第六步), on the days of a period's
daily-records window only (2019-2020: 2021-10-26 to 2021-12-15)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.legacy_ccer_registry.adapters.orm import Account, Cancellation, Project
from services.legacy_ccer_registry.domain.access import OPERATORS
from services.legacy_ccer_registry.domain.daily_records import (
    CANCELLATION_DEADLINE_PASSED,
    cancellation_deadline_findings,
    daily_batch_after,
)
from services.legacy_ccer_registry.domain.holdings import (
    MOVE_CONFLICTS,
    UnitState,
    cancellation_findings,
    latest_record_date,
    recorded_ranges,
)
from services.legacy_ccer_registry.service_layer.commands import CancelUnits, GetCancellation, ListCancellations
from services.legacy_ccer_registry.service_layer.unit_of_work import LegacyUnitOfWork
from services.legacy_ccer_registry.service_layer.views import CancellationPage
from shared.errors import refuse
from shared.events.contracts import CancellationRecordedV1, Holder, LegacyProject, RecordedRange
from shared.ids import new_id
from shared.principal import Principal
from shared.scope import Scope
from shared.serials import labels, merge_ranges
from shared.timeutil import local

__all__ = [
    "DAILY_RECORDS_JOB",
    "cancel_units",
    "get_cancellation",
    "legacy_project",
    "list_cancellations",
    "send_daily_records",
]

DAILY_RECORDS_JOB = "send_daily_cancellation_records"


def _scope(principal: Principal) -> Scope:
    return Scope.of(principal, operators=OPERATORS)


def legacy_project(project: Project) -> LegacyProject:
    return LegacyProject(
        number=project.number,
        name=project.name,
        type=project.type,
        region=project.region,
        recorded_at=project.recorded_at,
        within_national_ets=project.within_national_ets,
    )


def _recorded(entries: list[dict[str, str]]) -> list[RecordedRange]:
    return [
        RecordedRange(first=e["first"], last=e["last"], units_recorded_at=date.fromisoformat(e["units_recorded_at"]))
        for e in entries
    ]


def _announce(uow: LegacyUnitOfWork, record: Cancellation, account: Account, project: Project) -> None:
    payload = CancellationRecordedV1(
        cancellation_id=record.id,
        legacy_account_id=account.id,
        holder=Holder(name=account.holder_name, uscc=account.holder_uscc),
        project=legacy_project(project),
        units_recorded_at=record.units_recorded_at,
        quantity=record.quantity,
        serial_ranges=[(first, last) for first, last in record.serial_ranges],
        purpose=record.purpose,
        cancelled_at=record.cancelled_at,
        recorded_ranges=_recorded(record.recorded_ranges),
    )
    uow.emit(payload, correlation_id=record.id)


async def cancel_units(uow: LegacyUnitOfWork, cmd: CancelUnits, principal: Principal) -> Cancellation:
    account = await uow.accounts.get(cmd.account_id, _scope(principal))
    project = await uow.projects.get(cmd.project_number)
    await uow.accounts.lock(account.id)
    blocks = await uow.blocks.held(account.id, project.number, UnitState.available)
    findings = cancellation_findings(quantity=cmd.quantity, available=sum(b.last_n - b.first_n + 1 for b in blocks))
    findings += cancellation_deadline_findings(uow.period_definitions, cmd.purpose, uow.now())
    refuse(
        findings,
        "the cancellation is refused",
        "注销被拒绝",
        conflict_codes=MOVE_CONFLICTS | {CANCELLATION_DEADLINE_PASSED},
    )
    record_id = new_id("LC")
    # The record first: the moved blocks refer to it.
    record = Cancellation(
        id=record_id,
        account_id=account.id,
        holder_name=account.holder_name,
        holder_uscc=account.holder_uscc,
        province=account.province,
        project_number=project.number,
        quantity=cmd.quantity,
        purpose=cmd.purpose,
        serial_ranges=[],
        recorded_ranges=[],
        units_recorded_at=date.min,
        synced=0,
        claimed=0,
        in_transit=0,
        cancelled_at=uow.now(),
    )
    await uow.cancellations.add(record)
    moved = await uow.blocks.move_lowest(blocks, cmd.quantity, state=UnitState.cancelled, cancellation_id=record_id)
    record.serial_ranges = labels(merge_ranges(m.range for m in moved))
    record.recorded_ranges = recorded_ranges(moved)
    record.units_recorded_at = latest_record_date(moved)
    await uow.journal.record(
        "cancellation",
        project_number=project.number,
        ranges=[m.range for m in moved],
        at=uow.now(),
        from_account_id=account.id,
        from_state=UnitState.available,
        to_state=UnitState.cancelled,
        reference_id=record.id,
        detail={"purpose": cmd.purpose.value},
    )
    batch = daily_batch_after(uow.period_definitions, record.cancelled_at)
    if batch is not None:  # outside every daily-records window, NCSC sends no record
        await uow.schedule(DAILY_RECORDS_JOB, batch.date().isoformat(), batch, {})
    uow.audit("cancel_units", "cancellation", record.id, quantity=cmd.quantity, purpose=cmd.purpose)
    return record


async def send_daily_records(uow: LegacyUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """NCSC's daily batch (17:00:01): every record made before it and not yet sent goes out, once;
    on a day outside every daily-records window, nothing does."""
    if not uow.period_definitions.daily_records_sent_on(local(due_at).date()):
        return "no daily records on this day"
    sent = 0
    for record in await uow.cancellations.unannounced_before(due_at):
        if not await uow.cancellations.mark_announced(record.id, uow.now()):
            continue  # another replica's batch sent it
        account = await uow.accounts.by_id(record.account_id)
        project = await uow.projects.get(record.project_number)
        _announce(uow, record, account, project)
        sent += 1
    return f"{sent} cancellation record(s) sent"


async def get_cancellation(uow: LegacyUnitOfWork, cmd: GetCancellation, principal: Principal) -> Cancellation:
    return await uow.cancellations.get(cmd.cancellation_id, _scope(principal))


async def list_cancellations(uow: LegacyUnitOfWork, cmd: ListCancellations, principal: Principal) -> CancellationPage:
    rows = await uow.cancellations.search(
        _scope(principal), account_id=cmd.account_id, purpose=cmd.purpose, offset=cmd.offset, limit=cmd.limit + 1
    )
    return CancellationPage(tuple(rows[: cmd.limit]), has_more=len(rows) > cmd.limit)
