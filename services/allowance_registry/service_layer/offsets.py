"""Pending offsets (待抵销): lots frozen in the new registry, their registration's cancellation,
and the recall of what is still unused at a period's recall instant."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from services.allowance_registry.adapters.orm import Account, LotRefusal, OffsetRegistration, PendingOffset
from services.allowance_registry.adapters.repository import account_scope, move_lot
from services.allowance_registry.domain.offsets import (
    AccountState,
    BindingState,
    LotBalance,
    offset_refusal_findings,
    split_for_recall,
)
from services.allowance_registry.service_layer.accounts import active_binding
from shared.auth import Principal
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
from shared.uow import UnitOfWork

__all__ = [
    "RECALL_JOB",
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


async def on_offset_frozen(uow: UnitOfWork, envelope: Envelope, payload: OffsetFrozenV1) -> None:
    """Record the lot as pending, or refuse it with every reason (the new registry then releases it)."""
    known = await uow.session.get(PendingOffset, payload.lot_id) is not None
    if known or await uow.session.get(LotRefusal, payload.lot_id) is not None:
        log.info("offset lot %s was already recorded; event %s changes nothing", payload.lot_id, envelope.event_id)
        return
    account = await uow.session.get(Account, payload.allowance_account_id)
    binding = await active_binding(uow, payload.allowance_account_id, payload.registry_account_id)
    findings = offset_refusal_findings(
        AccountState(account.holder_uscc, account.status) if account else None,
        BindingState(binding.registry_account_id, binding.holder_uscc) if binding else None,
        allowance_account_id=payload.allowance_account_id,
        registry_account_id=payload.registry_account_id,
        holder_uscc=payload.holder.uscc,
    )
    if findings:
        reasons = [Reason(code=f.code, message=f.message, message_zh=f.message_zh) for f in findings]
        uow.session.add(
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
            "allowance_registry.offset.refused",
            OffsetRefusedV1(lot_id=payload.lot_id, reasons=reasons),
            correlation_id=payload.lot_id,
        )
        uow.audit("refuse_offset_lot", "pending_offset", payload.lot_id, reasons=[f.code for f in findings])
        return
    uow.session.add(
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
            status="pending",
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


async def on_offset_cancelled(uow: UnitOfWork, envelope: Envelope, payload: OffsetCancelledV1) -> None:
    """The new registry cancelled (注销) a registration's units: the loop is closed."""
    reg = await uow.session.get(OffsetRegistration, payload.registration_id, with_for_update=True)
    if reg is None or reg.lot_id != payload.lot_id:
        log.error("cancellation of unknown registration %s (lot %s) ignored", payload.registration_id, payload.lot_id)
        return
    if reg.cancelled_at is not None:
        log.info("registration %s was already confirmed cancelled", reg.id)
        return
    if payload.quantity != reg.quantity:
        log.error("registration %s: %d registered but %d cancelled", reg.id, reg.quantity, payload.quantity)
    reg.cancelled_quantity = payload.quantity
    reg.cancelled_at = payload.cancelled_at
    reg.cancel_serial_ranges = [list(r) for r in payload.serial_ranges]
    p = PendingOffset
    done = await uow.session.execute(
        update(p)
        .where(p.lot_id == payload.lot_id, p.cancelled + payload.quantity <= p.registered)
        .values(cancelled=p.cancelled + payload.quantity)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        log.error("lot %s: cancellation of %d exceeds what was registered", payload.lot_id, payload.quantity)
    uow.audit("confirm_cancellation", "offset_registration", reg.id, lot_id=payload.lot_id, quantity=payload.quantity)


async def on_offset_released(uow: UnitOfWork, envelope: Envelope, payload: OffsetReleasedV1) -> None:
    """The new registry released recalled units back to the general holding account."""
    p = PendingOffset
    done = await uow.session.execute(
        update(p)
        .where(p.lot_id == payload.lot_id, p.released + payload.quantity <= p.recalled)
        .values(released=p.released + payload.quantity)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        refused = await uow.session.get(LotRefusal, payload.lot_id)
        if refused is None:
            log.error("lot %s: release of %d does not match a recall", payload.lot_id, payload.quantity)
        return
    uow.audit("confirm_release", "pending_offset", payload.lot_id, quantity=payload.quantity)


def _recall(uow: UnitOfWork, lot_id: str, quantity: int, period_code: str, reason: str) -> None:
    uow.emit(
        "allowance_registry.offset.recalled",
        OffsetRecalledV1(
            lot_id=lot_id,
            recall_id=new_id("RCL"),
            quantity=quantity,
            period_code=period_code,
            reason=reason,
            recalled_at=uow.now(),
        ),
        correlation_id=lot_id,
    )
    uow.audit("recall_offset", "pending_offset", lot_id, quantity=quantity, period_code=period_code, reason=reason)


async def recall_unused(uow: UnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """Job at a period's recall instant: every lot pending at that instant gives back its unreserved
    remainder; a lot with quantity reserved in an application under review keeps that part, and is
    marked so that a later rejection recalls it at once."""
    period_code = str(payload["period_code"])
    lots = list(
        await uow.session.scalars(
            select(PendingOffset)
            .where(PendingOffset.status == "pending", PendingOffset.recorded_at < due_at)
            .order_by(PendingOffset.lot_id)
            .with_for_update()
        )
    )
    recalled = held = 0
    for lot in lots:
        split = split_for_recall(LotBalance(lot.quantity, lot.reserved, lot.registered, lot.recalled))
        if split.recall_now > 0:
            if not await move_lot(uow.session, lot.lot_id, recall=split.recall_now):
                raise RuntimeError(f"lot {lot.lot_id} changed under its row lock")
            _recall(
                uow,
                lot.lot_id,
                split.recall_now,
                period_code,
                f"unused {period_code} pending offset recalled at {due_at.isoformat()}",
            )
            recalled += 1
        if split.held_back > 0 and lot.recall_due_at is None:
            await uow.session.execute(
                update(PendingOffset)
                .where(PendingOffset.lot_id == lot.lot_id)
                .values(recall_due_at=due_at, recall_period_code=period_code)
                .execution_options(synchronize_session=False)
            )
            held += 1
    return f"{recalled} lot(s) recalled, {held} with quantity under review held back"


async def recall_after_rejection(uow: UnitOfWork, lot_ids: list[str], reason: str) -> None:
    """A rejection released reservations on lots whose recall instant has passed: recall them now."""
    if not lot_ids:
        return
    lots = await uow.session.scalars(
        select(PendingOffset)
        .where(
            PendingOffset.lot_id.in_(sorted(lot_ids)),
            PendingOffset.recall_due_at.is_not(None),
            PendingOffset.status == "pending",
        )
        .order_by(PendingOffset.lot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for lot in lots:
        available = LotBalance(lot.quantity, lot.reserved, lot.registered, lot.recalled).available
        if available > 0:
            if not await move_lot(uow.session, lot.lot_id, recall=available):
                raise RuntimeError(f"lot {lot.lot_id} changed under its row lock")
            _recall(uow, lot.lot_id, available, lot.recall_period_code or "", reason)


async def list_pending_offsets(
    uow: UnitOfWork, principal: Principal, *, account_id: str | None, status: str | None, limit: int, offset: int
) -> list[PendingOffset]:
    query = select(PendingOffset).join(Account, Account.id == PendingOffset.account_id).where(account_scope(principal))
    if account_id:
        query = query.where(PendingOffset.account_id == account_id)
    if status:
        query = query.where(PendingOffset.status == status)
    query = query.order_by(PendingOffset.recorded_at, PendingOffset.lot_id).limit(limit).offset(offset)
    return list(await uow.session.scalars(query))


async def pending_total(uow: UnitOfWork, account_id: str) -> int:
    p = PendingOffset
    total = await uow.session.scalar(
        select(func.coalesce(func.sum(p.quantity - p.registered - p.recalled), 0)).where(
            p.account_id == account_id, p.status == "pending"
        )
    )
    return int(total or 0)


async def list_registrations(
    uow: UnitOfWork,
    principal: Principal,
    *,
    account_id: str | None,
    application_id: str | None,
    lot_id: str | None,
    limit: int,
    offset: int,
) -> list[OffsetRegistration]:
    r = OffsetRegistration
    query = select(r).join(Account, Account.id == r.account_id).where(account_scope(principal))
    if account_id:
        query = query.where(r.account_id == account_id)
    if application_id:
        query = query.where(r.application_id == application_id)
    if lot_id:
        query = query.where(r.lot_id == lot_id)
    return list(await uow.session.scalars(query.order_by(r.registered_at, r.id).limit(limit).offset(offset)))
