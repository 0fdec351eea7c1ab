"""Pending offsets (待抵销): lots frozen in the new registry, their registration's cancellation,
and the recall of what is still unused at a period's recall instant."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.allowance_registry.adapters.orm import LotRefusal, OffsetRegistration, PendingOffset
from services.allowance_registry.domain.lot_units import (
    UnitState,
    blocks_of_lot,
    lot_serial_findings,
    serial_labels,
)
from services.allowance_registry.domain.offsets import (
    AccountState,
    BindingState,
    LotBalance,
    PendingStatus,
    offset_refusal_findings,
    split_for_recall,
)
from services.allowance_registry.service_layer.commands import (
    GetSerialHistory,
    ListOffsetRegistrations,
    ListPendingOffsets,
)
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from services.allowance_registry.service_layer.views import SerialEvent, SerialHistory
from shared.errors import ConcurrentChange, Finding, InconsistentEvent, Invalid, NotFound
from shared.events import Envelope
from shared.events.contracts import (
    OffsetCancelledV1,
    OffsetFrozenV1,
    OffsetRecalledV1,
    OffsetRefusedV1,
    OffsetReleasedV1,
    Reason,
)
from shared.ids import new_id
from shared.principal import Principal
from shared.serials import parse_serial
from shared.timeutil import local

__all__ = [
    "RECALL_JOB",
    "get_serial_history",
    "list_pending_offsets",
    "list_registrations",
    "on_offset_cancelled",
    "on_offset_frozen",
    "on_offset_released",
    "recall_after_rejection",
    "recall_unused",
]

log = logging.getLogger(__name__)

RECALL_JOB = "recall_pending_offsets"
# Lots one recall job takes in one transaction; it leaves the rest to a job of its own, due at the
# same instant, which the scheduler runs next.
RECALL_CHUNK = 200


async def on_offset_frozen(uow: AllowanceUnitOfWork, envelope: Envelope, payload: OffsetFrozenV1) -> None:
    """Record the lot as pending, or refuse it with every reason (the new registry then releases it)."""
    if await uow.pending_offsets.is_known(payload.lot_id):
        log.info("offset lot %s was already recorded; event %s changes nothing", payload.lot_id, envelope.event_id)
        return
    account = await uow.accounts.find(payload.allowance_account_id)
    binding = await uow.bindings.active(payload.allowance_account_id, payload.registry_account_id)
    recorded = [r.model_dump(mode="json") for r in payload.recorded_ranges] if payload.recorded_ranges else None
    findings = offset_refusal_findings(
        AccountState(account.holder_uscc, account.status) if account else None,
        BindingState(binding.registry_account_id, binding.holder_uscc) if binding else None,
        allowance_account_id=payload.allowance_account_id,
        registry_account_id=payload.registry_account_id,
        holder_uscc=payload.holder.uscc,
    ) + lot_serial_findings(payload.quantity, payload.serial_ranges, recorded)
    if findings:
        _refuse_lot(uow, payload, findings)
        return
    blocks = blocks_of_lot(payload.serial_ranges, recorded, payload.units_recorded_at)
    uow.lot_units.add(payload.lot_id, blocks)
    uow.lot_units.log(
        "pending_offset", payload.lot_id, blocks, uow.now(), frozen_at=local(payload.frozen_at).isoformat()
    )
    uow.pending_offsets.add(
        PendingOffset(
            lot_id=payload.lot_id,
            account_id=payload.allowance_account_id,
            registry_account_id=payload.registry_account_id,
            holder_name=payload.holder.name,
            holder_uscc=payload.holder.uscc,
            project=payload.project.model_dump(mode="json"),
            origin=payload.origin,
            vintage=payload.vintage,
            units_recorded_at=payload.units_recorded_at,
            serial_ranges=[list(r) for r in payload.serial_ranges],
            quantity=payload.quantity,
            reserved=0,
            registered=0,
            recalled=0,
            cancelled=0,
            released=0,
            status=PendingStatus.pending.value,
            frozen_at=payload.frozen_at,
            recorded_at=uow.now(),
        )
    )
    uow.audit(
        "record_pending_offset",
        "pending_offset",
        payload.lot_id,
        quantity=payload.quantity,
        account_id=payload.allowance_account_id,
        origin=payload.origin,
    )


def _refuse_lot(uow: AllowanceUnitOfWork, payload: OffsetFrozenV1, findings: list[Finding]) -> None:
    reasons = [Reason(code=f.code, message=f.message, message_zh=f.message_zh) for f in findings]
    uow.pending_offsets.add(
        LotRefusal(
            lot_id=payload.lot_id,
            allowance_account_id=payload.allowance_account_id,
            registry_account_id=payload.registry_account_id,
            quantity=payload.quantity,
            reasons=[r.model_dump() for r in reasons],
            refused_at=uow.now(),
        )
    )
    uow.emit(
        OffsetRefusedV1(lot_id=payload.lot_id, reasons=reasons),
        correlation_id=payload.lot_id,
    )
    uow.audit("refuse_offset_lot", "pending_offset", payload.lot_id, reasons=[f.code for f in findings])


async def on_offset_cancelled(uow: AllowanceUnitOfWork, envelope: Envelope, payload: OffsetCancelledV1) -> None:
    """The new registry cancelled (注销) a registration's units: the loop is closed."""
    reg = await uow.registrations.lock(payload.registration_id)
    if reg is None or reg.lot_id != payload.lot_id:
        raise InconsistentEvent(
            f"cancellation of unknown registration {payload.registration_id} (lot {payload.lot_id})",
            f"注销的抵销登记 {payload.registration_id}（批次 {payload.lot_id}）不存在",
        )
    if reg.cancelled_at is not None:
        log.info("registration %s was already confirmed cancelled", reg.id)
        return
    if payload.quantity != reg.quantity:
        raise InconsistentEvent(
            f"registration {reg.id}: {reg.quantity} registered but {payload.quantity} cancelled",
            f"抵销登记 {reg.id}：登记 {reg.quantity}，注销 {payload.quantity}",
        )
    reg.cancelled_quantity = payload.quantity
    reg.cancelled_at = payload.cancelled_at
    reg.cancel_serial_ranges = [list(r) for r in payload.serial_ranges]
    if not await uow.pending_offsets.confirm_cancelled(payload.lot_id, payload.quantity):
        raise InconsistentEvent(
            f"lot {payload.lot_id}: cancellation of {payload.quantity} exceeds what was registered",
            f"批次 {payload.lot_id}：注销量 {payload.quantity} 超过已抵销登记量",
        )
    uow.audit("confirm_cancellation", "offset_registration", reg.id, lot_id=payload.lot_id, quantity=payload.quantity)


async def on_offset_released(uow: AllowanceUnitOfWork, envelope: Envelope, payload: OffsetReleasedV1) -> None:
    """The new registry released recalled (or refused) units back to the general holding account."""
    if await uow.pending_offsets.confirm_released(payload.lot_id, payload.quantity):
        uow.audit("confirm_release", "pending_offset", payload.lot_id, quantity=payload.quantity)
        return
    if await uow.pending_offsets.is_refused(payload.lot_id):
        return  # the release of a lot this registry refused: nothing was pending
    raise InconsistentEvent(
        f"lot {payload.lot_id}: release of {payload.quantity} does not match a recall",
        f"批次 {payload.lot_id}：解冻量 {payload.quantity} 与召回量不符",
    )


async def _recall(uow: AllowanceUnitOfWork, lot_id: str, quantity: int, period_code: str, reason: str) -> None:
    """Recall exactly the lot's available units (``quantity`` of them), counters and ranges together."""
    if not await uow.pending_offsets.move(lot_id, recall=quantity):
        raise ConcurrentChange(f"pending offset {lot_id}")
    recall_id = new_id("RCL")
    serial_ranges = None
    if await uow.lot_units.tracked(lot_id):
        blocks = await uow.lot_units.move(
            lot_id, source=UnitState.available, target=UnitState.recalled, recall_id=recall_id
        )
        if blocks is None or sum(b.size for b in blocks) != quantity:
            raise ConcurrentChange(f"units of pending offset {lot_id}")
        uow.lot_units.log("recalled", lot_id, blocks, uow.now(), recall_id=recall_id, period_code=period_code)
        serial_ranges = serial_labels(blocks)
    uow.emit(
        OffsetRecalledV1(
            lot_id=lot_id,
            recall_id=recall_id,
            quantity=quantity,
            period_code=period_code,
            reason=reason,
            recalled_at=uow.now(),
            serial_ranges=serial_ranges,
        ),
        correlation_id=lot_id,
    )
    uow.audit("recall_offset", "pending_offset", lot_id, quantity=quantity, period_code=period_code, reason=reason)


async def recall_unused(uow: AllowanceUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """Job at a period's recall instant: every lot pending at that instant gives back its unreserved
    remainder; a lot with quantity reserved in an application under review keeps that part, and is
    marked so that a later rejection recalls it at once.

    The lots go by lot id, ``RECALL_CHUNK`` per transaction: each chunk commits its recalls with
    their events (the new registry releases them while the next chunk runs), and leaves the lots
    after its last one to a job of its own (``after``), due at the same instant, which the scheduler
    runs next. A chunk is done once, like any job; a crash resumes after the last chunk committed."""
    period_code = str(payload["period_code"])
    after = payload.get("after")
    recalled = held = 0
    lots = await uow.pending_offsets.lock_pending_recorded_before(due_at, after=after, limit=RECALL_CHUNK)
    for lot in lots:
        split = split_for_recall(LotBalance(lot.quantity, lot.reserved, lot.registered, lot.recalled))
        if split.recall_now > 0:
            reason = f"unused {period_code} pending offset recalled at {local(due_at).isoformat()}"
            await _recall(uow, lot.lot_id, split.recall_now, period_code, reason)
            recalled += 1
        if split.held_back > 0 and lot.recall_due_at is None:
            await uow.pending_offsets.mark_recall_due(lot.lot_id, due_at, period_code)
            held += 1
    result = f"{recalled} lot(s) recalled, {held} with quantity under review held back"
    if len(lots) == RECALL_CHUNK:
        last = lots[-1].lot_id
        await uow.schedule(
            RECALL_JOB, f"{period_code} after {last}", due_at, {"period_code": period_code, "after": last}
        )
        result += f"; the lots after {last} in the next job"
    return result


async def recall_after_rejection(uow: AllowanceUnitOfWork, lot_ids: Sequence[str], reason: str) -> None:
    """A rejection released reservations on lots whose recall instant has passed: recall them now."""
    for lot in await uow.pending_offsets.lock_recall_due(lot_ids):
        available = LotBalance(lot.quantity, lot.reserved, lot.registered, lot.recalled).available
        if available > 0:
            await _recall(uow, lot.lot_id, available, lot.recall_period_code or "", reason)


async def list_pending_offsets(
    uow: AllowanceUnitOfWork, cmd: ListPendingOffsets, principal: Principal
) -> list[PendingOffset]:
    return await uow.pending_offsets.search(
        principal, account_id=cmd.account_id, status=cmd.status, limit=cmd.limit, offset=cmd.offset
    )


async def list_registrations(
    uow: AllowanceUnitOfWork, cmd: ListOffsetRegistrations, principal: Principal
) -> list[OffsetRegistration]:
    return await uow.registrations.search(
        principal,
        account_id=cmd.account_id,
        application_id=cmd.application_id,
        lot_id=cmd.lot_id,
        kind=cmd.kind,
        instrument=cmd.instrument,
        period_code=cmd.period_code,
        limit=cmd.limit,
        offset=cmd.offset,
    )


async def get_serial_history(uow: AllowanceUnitOfWork, cmd: GetSerialHistory, principal: Principal) -> SerialHistory:
    """A unit's history here: the lots that held it as pending offsets, the applications that
    reserved it, its registration or recall. Outside the caller's scope it is unknown (404)."""
    try:
        prefix, n = parse_serial(cmd.serial)
    except ValueError:
        raise Invalid(
            "SERIAL_MALFORMED",
            f"{cmd.serial!r} is not a serial number ({{prefix}}-{{n}})",
            f"{cmd.serial!r} 不是有效的序列号",
            field="serial",
        ) from None
    records = await uow.lot_units.of_serial(prefix, n, principal)
    if not records:
        raise NotFound.of("serial", "序列号", cmd.serial)
    events = sorted(
        (SerialEvent(e.at, e.kind, e.lot_id, dict(e.detail)) for r in records for e in r.events),
        key=lambda e: e.at,
    )
    latest = records[-1]
    return SerialHistory(cmd.serial, latest.lot.lot_id, latest.lot.account_id, latest.unit.state, events)
