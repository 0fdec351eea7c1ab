"""National compliance offset (全国履约抵销): freezing units into offset lots, and the allowance
registry's answers: registration (cancel, 注销登记), recall and refusal (release)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select, true, update

from services.new_ccer_registry.adapters.blocks import (
    ConcurrentChange,
    blocks_in,
    labels,
    lock_accounts,
    move_lowest,
    to_range,
)
from services.new_ccer_registry.adapters.orm import (
    Account,
    Binding,
    Cancellation,
    HoldingBlock,
    Issuance,
    LotRelease,
    OffsetLot,
    Project,
)
from services.new_ccer_registry.domain.binding import BindingStatus
from services.new_ccer_registry.domain.holdings import Origin, UnitState
from services.new_ccer_registry.domain.lots import (
    LotQuantities,
    LotStatus,
    ReleaseReason,
    cancellation_purpose,
    freeze_findings,
)
from services.new_ccer_registry.domain.serials import SerialRange, merge_ranges
from services.new_ccer_registry.service_layer.units import get_project, raise_findings, record_movement
from shared.auth import Principal
from shared.events import Envelope
from shared.events.contracts import (
    OffsetCancelledV1,
    OffsetFrozenV1,
    OffsetRecalledV1,
    OffsetRefusedV1,
    OffsetRegisteredV1,
    OffsetReleasedV1,
)
from shared.ids import new_id
from shared.problems import Problem
from shared.uow import UnitOfWork

__all__ = [
    "LotEventError",
    "account_scope",
    "freeze_lot",
    "get_lot",
    "list_cancellations",
    "list_lots",
    "lot_ranges_by_state",
    "on_offset_recalled",
    "on_offset_refused",
    "on_offset_registered",
]

log = logging.getLogger(__name__)


class LotEventError(RuntimeError):
    """An event from the allowance registry that disagrees with the lot (unknown lot, more than is
    frozen). It is not applied; after the delivery limit it rests in the DLQ for an operator."""


def account_scope(principal: Principal) -> ColumnElement[bool]:
    """Which accounts the caller may see (domain.md §2): an enterprise its own, a province those
    registered in it, NCSC all; nobody else any."""
    if principal.role == "enterprise":
        return Account.holder_uscc == principal.org
    if principal.is_province:
        return Account.province == principal.province
    if principal.role == "ncsc_operator":
        return true()
    return Account.id.is_(None)


async def freeze_lot(
    uow: UnitOfWork,
    principal: Principal,
    account_id: str,
    project_number: str,
    origin: Origin,
    quantity: int,
    vintage: int | None = None,
) -> OffsetLot:
    """Freeze ``quantity`` available units of the project (lowest serials first) into a new lot and
    send it to the allowance registry. The account row is locked first, so parallel freezes of one
    holding queue behind each other and can never overdraw it."""
    account = (await lock_accounts(uow.session, account_id)).get(account_id)
    if account is None or account.holder_uscc != principal.org:
        raise Problem.not_found("account", "账户", account_id)
    binding = await uow.session.scalar(
        select(Binding).where(Binding.registry_account_id == account_id, Binding.status == BindingStatus.active)
    )
    project = await get_project(uow, project_number)
    blocks = (
        await blocks_in(
            uow.session,
            account_id=account_id,
            project_number=project_number,
            state=UnitState.available,
            origin=origin,
            vintage=vintage,
        )
        if project
        else []
    )
    available = sum(to_range(b).size for b in blocks)
    raise_findings(
        freeze_findings(
            account_active=account.status == "active",
            binding_active=binding is not None,
            project_known=project is not None,
            project_number=project_number,
            requested=quantity,
            available=available,
        ),
        "the national compliance offset is refused",
        "全国履约抵销被拒绝",
    )
    assert binding is not None and project is not None

    lot = OffsetLot(
        id=new_id("LOT"),
        account_id=account_id,
        binding_id=binding.id,
        allowance_account_id=binding.allowance_account_id,
        project_number=project_number,
        origin=origin,
        # The vintage of its lowest serials, always taken first (a lot may span vintages; its ranges say so).
        vintage=min(b.vintage for b in blocks),
        quantity=quantity,
        cancelled=0,
        released=0,
        status=LotStatus.frozen,
        serial_ranges=[],
        frozen_at=uow.now(),
        settled_at=None,
    )
    uow.session.add(lot)
    await uow.session.flush()
    moved = await move_lowest(uow.session, blocks, quantity, to_state=UnitState.frozen, lot_id=lot.id)
    lot.serial_ranges = labels(merge_ranges(moved))
    record_movement(
        uow,
        "freeze",
        project_number,
        quantity,
        moved,
        from_state=UnitState.available,
        to_state=UnitState.frozen,
        from_account=account_id,
        to_account=account_id,
        lot_id=lot.id,
    )
    units_recorded_at = None
    if origin == Origin.legacy:
        units_recorded_at = await uow.session.scalar(
            select(func.max(Issuance.units_recorded_at)).where(
                Issuance.project_number == project_number, Issuance.origin == Origin.legacy
            )
        )
    uow.emit(
        "new_ccer_registry.offset.frozen",
        OffsetFrozenV1(
            lot_id=lot.id,
            registry_account_id=account_id,
            allowance_account_id=binding.allowance_account_id,
            holder={"name": account.holder_name, "uscc": account.holder_uscc},
            project=_project_facts(project),
            origin=origin.value,
            vintage=lot.vintage,
            units_recorded_at=units_recorded_at,
            quantity=quantity,
            serial_ranges=[tuple(r) for r in lot.serial_ranges],
            frozen_at=uow.now(),
        ),
        correlation_id=lot.id,
    )
    uow.audit(
        "freeze_lot",
        "offset_lot",
        lot.id,
        account_id=account_id,
        project_number=project_number,
        origin=str(origin),
        quantity=quantity,
        serial_ranges=lot.serial_ranges,
        allowance_account_id=binding.allowance_account_id,
    )
    return lot


def _project_facts(project: Project) -> dict[str, Any]:
    return {
        "number": project.number,
        "name": project.name,
        "type": project.type,
        "region": project.region,
        "methodology": project.methodology,
        "registered_or_recorded_at": project.registered_at,
        "within_national_ets": project.within_national_ets,
    }


async def _locked_lot(uow: UnitOfWork, lot_id: str) -> OffsetLot:
    """The lot, with its account and then the lot row locked (always in that order)."""
    account_id = await uow.session.scalar(select(OffsetLot.account_id).where(OffsetLot.id == lot_id))
    if account_id is None:
        raise LotEventError(f"offset lot {lot_id} is not known to the new registry")
    await lock_accounts(uow.session, account_id)
    lot = await uow.session.scalar(
        select(OffsetLot)
        .where(OffsetLot.id == lot_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    assert lot is not None
    return lot


async def _take_from_lot(
    uow: UnitOfWork, lot: OffsetLot, quantity: int, *, cancelled: int = 0, released: int = 0
) -> list[SerialRange]:
    """Move ``quantity`` of the lot's frozen units (lowest first) and book it on the lot with a
    guarded update (the lot must still have exactly what was read)."""
    before = LotQuantities(lot.quantity, lot.cancelled, lot.released)
    if quantity > before.frozen:
        raise LotEventError(f"offset lot {lot.id}: {quantity} t asked, only {before.frozen} t still frozen")
    blocks = await blocks_in(uow.session, lot_id=lot.id, state=UnitState.frozen)
    if cancelled:
        moved = await move_lowest(uow.session, blocks, quantity, to_state=UnitState.cancelled)
    else:
        moved = await move_lowest(uow.session, blocks, quantity, to_state=UnitState.available, lot_id=None)
    after = LotQuantities(lot.quantity, lot.cancelled + cancelled, lot.released + released)
    result = await uow.session.execute(
        update(OffsetLot)
        .where(OffsetLot.id == lot.id, OffsetLot.cancelled == before.cancelled, OffsetLot.released == before.released)
        .values(
            cancelled=after.cancelled,
            released=after.released,
            status=after.status,
            settled_at=uow.now() if after.status == LotStatus.settled else None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentChange(f"offset lot {lot.id}")
    return moved


async def on_offset_registered(uow: UnitOfWork, envelope: Envelope, payload: OffsetRegisteredV1) -> None:
    """抵销登记 in the allowance registry → 注销登记 here: cancel exactly that quantity of the lot.
    One registration cancels once, whatever its event id (unique registration_id as the backstop)."""
    if await _cancellation_of(uow, payload.registration_id) is not None:
        log.info(
            "registration %s of lot %s already cancelled; duplicate ignored", payload.registration_id, payload.lot_id
        )
        return
    lot = await _locked_lot(uow, payload.lot_id)
    if await _cancellation_of(uow, payload.registration_id) is not None:  # another replica, while we waited
        return
    moved = await _take_from_lot(uow, lot, payload.quantity, cancelled=payload.quantity)
    ranges = labels(merge_ranges(moved))
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
        serial_ranges=ranges,
        purpose=cancellation_purpose(payload.period_code),
        cancelled_at=uow.now(),
    )
    uow.session.add(cancellation)
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
    uow.emit(
        "new_ccer_registry.offset.cancelled",
        OffsetCancelledV1(
            lot_id=lot.id,
            registration_id=payload.registration_id,
            quantity=payload.quantity,
            serial_ranges=[tuple(r) for r in ranges],
            cancelled_at=uow.now(),
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
        serial_ranges=ranges,
    )


async def _cancellation_of(uow: UnitOfWork, registration_id: str) -> str | None:
    return await uow.session.scalar(select(Cancellation.id).where(Cancellation.registration_id == registration_id))


async def _release(
    uow: UnitOfWork,
    lot: OffsetLot,
    quantity: int,
    reason: ReleaseReason,
    period_code: str | None,
    detail: dict[str, Any],
    *,
    recall_id: str | None = None,
) -> None:
    moved = await _take_from_lot(uow, lot, quantity, released=quantity)
    ranges = labels(merge_ranges(moved))
    release = LotRelease(
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
    uow.session.add(release)
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
        "new_ccer_registry.offset.released",
        OffsetReleasedV1(
            lot_id=lot.id,
            quantity=quantity,
            serial_ranges=[tuple(r) for r in ranges],
            released_at=uow.now(),
        ),
        correlation_id=lot.id,
    )
    uow.audit(f"release_{reason}", "offset_lot", lot.id, quantity=quantity, serial_ranges=ranges, **detail)


async def on_offset_recalled(uow: UnitOfWork, envelope: Envelope, payload: OffsetRecalledV1) -> None:
    """召回: that quantity of the lot goes back to the general holding account."""
    lot = await _locked_lot(uow, payload.lot_id)
    if payload.recall_id is not None:
        seen = await uow.session.scalar(select(LotRelease.id).where(LotRelease.recall_id == payload.recall_id))
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
        {"reason": payload.reason, "recalled_at": payload.recalled_at.isoformat()},
        recall_id=payload.recall_id,
    )


async def on_offset_refused(uow: UnitOfWork, envelope: Envelope, payload: OffsetRefusedV1) -> None:
    """The allowance registry could not record the pending offset: release all that is still frozen."""
    lot = await _locked_lot(uow, payload.lot_id)
    frozen = LotQuantities(lot.quantity, lot.cancelled, lot.released).frozen
    if frozen == 0:
        log.info("lot %s refused but nothing is frozen any more; nothing to release", lot.id)
        return
    await _release(
        uow, lot, frozen, ReleaseReason.refused, None, {"reasons": [r.model_dump(mode="json") for r in payload.reasons]}
    )


# --- queries -------------------------------------------------------------------------------------
async def get_lot(uow: UnitOfWork, principal: Principal, lot_id: str) -> OffsetLot:
    lot = await uow.session.scalar(
        select(OffsetLot)
        .join(Account, Account.id == OffsetLot.account_id)
        .where(OffsetLot.id == lot_id, account_scope(principal))
    )
    if lot is None:
        raise Problem.not_found("offset lot", "抵销批次", lot_id)
    return lot


async def list_lots(
    uow: UnitOfWork, principal: Principal, *, account_id: str | None, status: str | None, offset: int, limit: int
) -> Sequence[OffsetLot]:
    query = select(OffsetLot).join(Account, Account.id == OffsetLot.account_id).where(account_scope(principal))
    if account_id is not None:
        query = query.where(OffsetLot.account_id == account_id)
    if status is not None:
        query = query.where(OffsetLot.status == status)
    query = query.order_by(OffsetLot.frozen_at.desc(), OffsetLot.id).offset(offset).limit(limit)
    return (await uow.session.scalars(query)).all()


async def lot_ranges_by_state(uow: UnitOfWork, lots: Sequence[OffsetLot]) -> dict[str, dict[str, list[list[str]]]]:
    """Per lot: its frozen and cancelled ranges (from the blocks) and released ranges (from releases)."""
    ids = [lot.id for lot in lots]
    raw: dict[str, dict[str, list[SerialRange]]] = {i: {"frozen": [], "cancelled": [], "released": []} for i in ids}
    if not ids:
        return {}
    for lot_id, state, prefix, first, last in await uow.session.execute(
        select(
            HoldingBlock.lot_id,
            HoldingBlock.state,
            HoldingBlock.serial_prefix,
            HoldingBlock.first_n,
            HoldingBlock.last_n,
        ).where(HoldingBlock.lot_id.in_(ids))
    ):
        raw[str(lot_id)][state].append(SerialRange(prefix, first, last))
    for lot_id, ranges in await uow.session.execute(
        select(LotRelease.lot_id, LotRelease.serial_ranges).where(LotRelease.lot_id.in_(ids))
    ):
        raw[lot_id]["released"] += [SerialRange.from_labels(a, b) for a, b in ranges]
    return {i: {s: labels(merge_ranges(rs)) for s, rs in by_state.items()} for i, by_state in raw.items()}


async def list_cancellations(
    uow: UnitOfWork,
    principal: Principal,
    *,
    account_id: str | None,
    lot_id: str | None,
    period_code: str | None,
    offset: int,
    limit: int,
) -> Sequence[Cancellation]:
    query = select(Cancellation).join(Account, Account.id == Cancellation.account_id).where(account_scope(principal))
    for column, value in (
        (Cancellation.account_id, account_id),
        (Cancellation.lot_id, lot_id),
        (Cancellation.period_code, period_code),
    ):
        if value is not None:
            query = query.where(column == value)
    query = query.order_by(Cancellation.cancelled_at.desc(), Cancellation.id).offset(offset).limit(limit)
    return (await uow.session.scalars(query)).all()
