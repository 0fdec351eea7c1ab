"""The allowance registry's answers to an offset lot: registration (抵销登记 there, 注销登记 here:
cancel), recall (召回: release) and refusal (release what is still frozen).

Each is applied once: the inbox drops a redelivered event, and the registration id and recall id
catch the same answer sent again under a new event id. An answer that disagrees with the lot (an
unknown lot, more than is frozen) is an :class:`InconsistentEvent`: it is not applied and goes to
the dead-letter queue for an operator."""

from __future__ import annotations

import logging
from typing import Any

from services.new_ccer_registry.adapters.blocks import UNCHANGED
from services.new_ccer_registry.adapters.orm import Cancellation, LotRelease, OffsetLot
from services.new_ccer_registry.domain.holdings import UnitState
from services.new_ccer_registry.domain.lots import LotQuantities, ReleaseReason, cancellation_purpose
from services.new_ccer_registry.service_layer.movements import record_movement
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from shared.errors import InconsistentEvent
from shared.events import Envelope
from shared.events.contracts import (
    OffsetCancelledV1,
    OffsetRecalledV1,
    OffsetRefusedV1,
    OffsetRegisteredV1,
    OffsetReleasedV1,
)
from shared.ids import new_id
from shared.serials import SerialRange, labels, merge_ranges, overlaps, total
from shared.timeutil import local

__all__ = ["on_offset_recalled", "on_offset_refused", "on_offset_registered"]

log = logging.getLogger(__name__)


async def _locked_lot(uow: NewRegistryUnitOfWork, lot_id: str) -> OffsetLot:
    lot = await uow.lots.lock(lot_id)
    if lot is None:
        raise InconsistentEvent(
            f"offset lot {lot_id} is not known to the new registry",
            f"新CCER注登系统中不存在抵销批次 {lot_id}",
            code="LOT_UNKNOWN",
        )
    return lot


def _wanted(lot: OffsetLot, serial_ranges: list[tuple[str, str]], quantity: int) -> list[SerialRange]:
    """The exact units an answer names: valid ranges, disjoint, as many as its quantity."""
    try:
        wanted = [SerialRange.from_labels(first, last) for first, last in serial_ranges]
    except ValueError as exc:
        raise InconsistentEvent(
            f"offset lot {lot.id}: invalid serial ranges ({exc})",
            f"抵销批次 {lot.id}：序列号区间无效",
            code="LOT_RANGES_INVALID",
        ) from None
    if overlaps(wanted) or total(wanted) != quantity:
        raise InconsistentEvent(
            f"offset lot {lot.id}: the serial ranges hold {total(wanted)} t (or overlap), the quantity is {quantity} t",
            f"抵销批次 {lot.id}：序列号区间合计 {total(wanted)} 吨（或有重叠），数量为 {quantity} 吨",
            code="LOT_RANGES_QUANTITY_MISMATCH",
        )
    return wanted


async def _take_from_lot(
    uow: NewRegistryUnitOfWork,
    lot: OffsetLot,
    quantity: int,
    serial_ranges: list[tuple[str, str]] | None,
    *,
    cancelled: int = 0,
    released: int = 0,
) -> list[SerialRange]:
    """Move ``quantity`` of the lot's frozen units: exactly ``serial_ranges`` when the answer names
    them (each must be frozen in this lot), else the lowest first; cancelled, or released back to
    the general holding account; and book it on the lot (guarded: the lot must still have exactly
    what was read)."""
    before = LotQuantities(lot.quantity, lot.cancelled, lot.released)
    if quantity > before.frozen:
        raise InconsistentEvent(
            f"offset lot {lot.id}: {quantity} t asked, only {before.frozen} t still frozen",
            f"抵销批次 {lot.id}：请求 {quantity} 吨，仅 {before.frozen} 吨仍冻结",
            code="LOT_NOT_ENOUGH_FROZEN",
        )
    blocks = await uow.blocks.locked(lot_id=lot.id, state=UnitState.frozen)
    to_state = UnitState.cancelled if cancelled else UnitState.available
    lot_after = UNCHANGED if cancelled else None
    if serial_ranges is None:
        moved = await uow.blocks.move_lowest(blocks, quantity, to_state=to_state, lot_id=lot_after)
    else:
        plan = uow.blocks.plan_exact(blocks, _wanted(lot, serial_ranges, quantity))
        if plan.missing:
            raise InconsistentEvent(
                f"offset lot {lot.id}: {labels(plan.missing)} are not frozen in this lot",
                f"抵销批次 {lot.id}：{labels(plan.missing)} 未冻结在本批次中",
                code="LOT_RANGES_NOT_FROZEN",
            )
        moved = await uow.blocks.move_exact(blocks, plan, to_state=to_state, lot_id=lot_after)
    await uow.lots.book(lot, LotQuantities(lot.quantity, lot.cancelled + cancelled, lot.released + released), uow.now())
    return moved


async def on_offset_registered(uow: NewRegistryUnitOfWork, envelope: Envelope, payload: OffsetRegisteredV1) -> None:
    """抵销登记 in the allowance registry → 注销登记 here: cancel exactly that quantity of the lot
    (exactly the registered serial ranges when the event names them, else the lowest frozen).
    One registration cancels once, whatever its event id (unique registration_id as the backstop)."""
    lot = await _locked_lot(uow, payload.lot_id)
    # Checked under the lot's lock: another replica may have cancelled it meanwhile.
    if await uow.cancellations.of_registration(payload.registration_id) is not None:
        log.info(
            "registration %s of lot %s already cancelled; duplicate ignored", payload.registration_id, payload.lot_id
        )
        return
    moved = await _take_from_lot(uow, lot, payload.quantity, payload.serial_ranges, cancelled=payload.quantity)
    cancellation = _record_cancellation(uow, lot, payload, moved)
    uow.emit(
        OffsetCancelledV1(
            lot_id=lot.id,
            registration_id=payload.registration_id,
            quantity=payload.quantity,
            serial_ranges=[tuple(r) for r in cancellation.serial_ranges],
            cancelled_at=cancellation.cancelled_at,
        ),
        correlation_id=lot.id,
    )
    uow.audit(
        "cancel_units",
        "cancellation",
        cancellation.id,
        lot_id=lot.id,
        registration_id=payload.registration_id,
        application_id=payload.application_id,
        period_code=payload.period_code,
        quantity=payload.quantity,
        serial_ranges=cancellation.serial_ranges,
    )


def _record_cancellation(
    uow: NewRegistryUnitOfWork, lot: OffsetLot, payload: OffsetRegisteredV1, moved: list[SerialRange]
) -> Cancellation:
    cancellation = Cancellation(
        id=new_id("CAN"),
        lot_id=lot.id,
        account_id=lot.account_id,
        project_number=lot.project_number,
        origin=lot.origin,
        registration_id=payload.registration_id,
        application_id=payload.application_id,
        period_code=payload.period_code,
        quantity=payload.quantity,
        serial_ranges=labels(merge_ranges(moved)),
        purpose=cancellation_purpose(payload.period_code),
        cancelled_at=uow.now(),
    )
    uow.cancellations.add(cancellation)
    record_movement(
        uow,
        "cancellation",
        lot.project_number,
        payload.quantity,
        moved,
        from_state=UnitState.frozen,
        to_state=UnitState.cancelled,
        from_account=lot.account_id,
        to_account=lot.account_id,
        lot_id=lot.id,
    )
    return cancellation


async def _release(
    uow: NewRegistryUnitOfWork,
    lot: OffsetLot,
    quantity: int,
    reason: ReleaseReason,
    period_code: str | None,
    detail: dict[str, Any],
    *,
    recall_id: str | None = None,
    serial_ranges: list[tuple[str, str]] | None = None,
) -> None:
    """Release ``quantity`` of the lot back to the general holding account, and say so."""
    moved = await _take_from_lot(uow, lot, quantity, serial_ranges, released=quantity)
    ranges = labels(merge_ranges(moved))
    uow.releases.add(
        LotRelease(
            id=new_id("REL"),
            lot_id=lot.id,
            reason=reason,
            recall_id=recall_id,
            period_code=period_code,
            quantity=quantity,
            serial_ranges=ranges,
            detail=detail,
            released_at=uow.now(),
        )
    )
    record_movement(
        uow,
        f"release_{reason}",
        lot.project_number,
        quantity,
        moved,
        from_state=UnitState.frozen,
        to_state=UnitState.available,
        from_account=lot.account_id,
        to_account=lot.account_id,
        lot_id=lot.id,
    )
    uow.emit(
        OffsetReleasedV1(
            lot_id=lot.id, quantity=quantity, serial_ranges=[tuple(r) for r in ranges], released_at=uow.now()
        ),
        correlation_id=lot.id,
    )
    uow.audit(f"release_{reason}", "offset_lot", lot.id, quantity=quantity, serial_ranges=ranges, **detail)


async def on_offset_recalled(uow: NewRegistryUnitOfWork, envelope: Envelope, payload: OffsetRecalledV1) -> None:
    """召回: that quantity of the lot goes back to the general holding account, once per recall."""
    lot = await _locked_lot(uow, payload.lot_id)
    if payload.recall_id is not None:
        seen = await uow.releases.of_recall(payload.recall_id)
        if seen is not None:
            log.info(
                "recall %s of lot %s was already released (%s); not applied again", payload.recall_id, lot.id, seen
            )
            return
    await _release(
        uow,
        lot,
        payload.quantity,
        ReleaseReason.recalled,
        payload.period_code,
        {"reason": payload.reason, "recalled_at": local(payload.recalled_at).isoformat()},
        recall_id=payload.recall_id,
        serial_ranges=payload.serial_ranges,
    )


async def on_offset_refused(uow: NewRegistryUnitOfWork, envelope: Envelope, payload: OffsetRefusedV1) -> None:
    """The allowance registry could not record the pending offset: release all that is still frozen."""
    lot = await _locked_lot(uow, payload.lot_id)
    frozen = LotQuantities(lot.quantity, lot.cancelled, lot.released).frozen
    if frozen == 0:
        log.info("lot %s refused but nothing is frozen any more; nothing to release", lot.id)
        return
    await _release(
        uow, lot, frozen, ReleaseReason.refused, None, {"reasons": [r.model_dump(mode="json") for r in payload.reasons]}
    )
