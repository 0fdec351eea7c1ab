"""The 2023 legacy path on the new registry's side (domain.md §6.1 step 5, seed 000 §一 第三步/第四步):
an approved sync application brings cancelled legacy units into the enterprise's account, awaiting
its confirmation; the enterprise confirms them (available, origin legacy) or disputes them (they
stay out of circulation, awaiting confirmation, and NCSC sees the dispute).

The approval is a request the new registry answers by event: accepted (``sync.accepted``, the units
are here awaiting confirmation) or refused with every finding (``sync.refused``) when the form names
an account that is not the unit's, a name that is not its holder's, serials of a legacy cancellation
synced in already, or more of a cancellation than was cancelled. A cancellation record may come in
in parts over several syncs (the legacy registry lets a unit sync it over several forms): invariant 3
holds per serial. A sync is applied once: the inbox drops a redelivered event and the sync
application id catches the same approval sent again under another event id. Serials the legacy
registry computed that disagree with themselves, or that are here already from another cancellation
or an issuance, make the event inconsistent: it is not applied and goes to the dead-letter queue for
an operator."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from services.new_ccer_registry.adapters.orm import HoldingBlock, Issuance, LegacyProject, LegacySync
from services.new_ccer_registry.domain.holdings import Origin, UnitState
from services.new_ccer_registry.domain.legacy import (
    SYNC_CONFLICT_CODES,
    AccountFacts,
    SyncBlock,
    SyncLine,
    SyncStatus,
    part_findings,
    request_findings,
    sync_in_blocks,
    sync_not_awaiting,
    synced_of_own_cancellation,
)
from services.new_ccer_registry.service_layer.commands import (
    ConfirmLegacySync,
    DisputeLegacySync,
    GetLegacySync,
    ListLegacySyncs,
)
from services.new_ccer_registry.service_layer.movements import record_movement
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import Listed
from shared.errors import ConcurrentChange, InconsistentEvent, refuse
from shared.events import Envelope
from shared.events.contracts import Reason, SyncAcceptedV1, SyncApprovedV1, SyncItem, SyncRefusedV1
from shared.findings import Finding
from shared.ids import new_id
from shared.principal import Principal
from shared.serials import SerialRange, labels, merge_ranges

__all__ = ["confirm_legacy_sync", "dispute_legacy_sync", "get_legacy_sync", "list_legacy_syncs", "on_sync_approved"]

log = logging.getLogger(__name__)


# --- the legacy registry's approval: a request, accepted or refused by event --------------------
async def on_sync_approved(uow: NewRegistryUnitOfWork, envelope: Envelope, payload: SyncApprovedV1) -> None:
    """Receive the approved sync's units into the enterprise's account, awaiting confirmation, and
    tell the legacy registry (``sync.accepted``); or refuse it with every finding (``sync.refused``)
    when the form names another unit's account, another name, serials of a cancellation synced in
    already or more of it than was cancelled. Nothing a person typed ends in the dead-letter queue."""
    if await uow.legacy_syncs.of_application(payload.sync_application_id) is not None:
        log.info("sync application %s already received; duplicate ignored", payload.sync_application_id)
        return
    account = (await uow.accounts.lock(payload.new_account_id)).get(payload.new_account_id)
    if await uow.legacy_syncs.of_application(payload.sync_application_id) is not None:  # another replica, meanwhile
        return
    findings = request_findings(
        new_account_id=payload.new_account_id,
        account=AccountFacts(account.holder_uscc, account.holder_name) if account is not None else None,
        holder_uscc=payload.holder.uscc,
        unit_name=payload.unit_name,
    )
    lines = _lines(payload)
    blocks, inconsistent = sync_in_blocks(lines)
    here = await uow.issuances.synced_overlapping([b.range for b in blocks])
    earlier = await uow.legacy_syncs.parts_of([line.cancellation_id for line in lines])
    findings += part_findings(lines, earlier, synced_of_own_cancellation(blocks, here))
    if findings:
        _refuse(uow, payload, findings)
        return
    _inconsistent(payload, inconsistent, [r for r, _, _ in here])
    sync = _new_sync(uow, payload, blocks, str(envelope.event_id))
    await uow.legacy_syncs.add(
        sync, [(item.cancellation_id, item.quantity, item.cancellation_quantity) for item in payload.items]
    )
    for item in payload.items:
        p = item.project
        await uow.legacy_projects.keep(
            LegacyProject(
                number=p.number,
                name=p.name,
                type=p.type,
                region=p.region,
                recorded_at=p.recorded_at,
                within_national_ets=p.within_national_ets,
                first_synced_at=uow.now(),
            )
        )
    await _receive(uow, sync, blocks)
    uow.emit(
        SyncAcceptedV1(
            sync_application_id=sync.sync_application_id,
            legacy_sync_id=sync.id,
            new_account_id=sync.account_id,
            quantity=sync.quantity,
            accepted_at=uow.now(),
        ),
        correlation_id=sync.sync_application_id,
    )
    uow.audit(
        "sync_in",
        "legacy_sync",
        sync.id,
        sync_application_id=sync.sync_application_id,
        account_id=sync.account_id,
        quantity=sync.quantity,
        cancellations=[item.cancellation_id for item in payload.items],
    )


def _refuse(uow: NewRegistryUnitOfWork, payload: SyncApprovedV1, findings: list[Finding]) -> None:
    """Nothing comes in; the legacy registry hears why. A refusal keeps no row here: the same
    request sent again is checked again (and refused again, unless the account changed)."""
    log.info("sync application %s refused: %s", payload.sync_application_id, ", ".join(f.code for f in findings))
    uow.emit(
        SyncRefusedV1(
            sync_application_id=payload.sync_application_id,
            new_account_id=payload.new_account_id,
            reasons=[Reason(code=f.code, message=f.message, message_zh=f.message_zh) for f in findings],
            refused_at=uow.now(),
        ),
        correlation_id=payload.sync_application_id,
    )
    uow.audit(
        "refuse_sync",
        "sync_application",
        payload.sync_application_id,
        new_account_id=payload.new_account_id,
        codes=[f.code for f in findings],
    )


def _lines(payload: SyncApprovedV1) -> list[SyncLine]:
    return [
        SyncLine(
            cancellation_id=item.cancellation_id,
            project_number=item.project.number,
            quantity=item.quantity,
            serial_ranges=item.serial_ranges,
            units_recorded_at=item.units_recorded_at,
            recorded=None
            if item.recorded_ranges is None
            else [(r.first, r.last, r.units_recorded_at) for r in item.recorded_ranges],
            cancellation_quantity=item.cancellation_quantity,
        )
        for item in payload.items
    ]


def _inconsistent(payload: SyncApprovedV1, findings: list[Finding], overlapping: list[SerialRange]) -> None:
    """:class:`InconsistentEvent` with every reason when the sync's blocks cannot come in (the legacy
    registry computed these serials itself: a disagreement is for an operator). ``overlapping``: the
    ranges here sharing a serial with the sync (another cancellation's or issued here: a part's own
    cancellation's are refused before)."""
    findings = list(findings)
    here = merge_ranges(overlapping)
    if here:
        findings.append(
            Finding(
                code="SYNC_SERIALS_ALREADY_HERE",
                message=f"serials already in the new registry: {labels(here)}",
                message_zh=f"序列号已在新CCER注登系统中：{labels(here)}",
            )
        )
    if findings:
        raise InconsistentEvent(
            f"sync application {payload.sync_application_id}: " + "; ".join(f.message for f in findings),
            f"同步申请 {payload.sync_application_id}：" + "；".join(f.message_zh or f.message for f in findings),
            code=findings[0].code,
        )


def _item_record(item: SyncItem, blocks: list[SyncBlock]) -> dict[str, Any]:
    mine = [b for b in blocks if b.cancellation_id == item.cancellation_id]
    latest = max((b.units_recorded_at for b in mine if b.units_recorded_at), default=None)
    return {
        "cancellation_id": item.cancellation_id,
        "project_number": item.project.number,
        "project_name": item.project.name,
        "quantity": item.quantity,
        "serial_ranges": labels(merge_ranges(b.range for b in mine)),
        "recorded_ranges": [
            {
                "first": b.range.labels()[0],
                "last": b.range.labels()[1],
                "units_recorded_at": b.units_recorded_at.isoformat() if b.units_recorded_at else None,
            }
            for b in mine
        ],
        "units_recorded_at": latest.isoformat() if latest else None,
    }


def _new_sync(
    uow: NewRegistryUnitOfWork, payload: SyncApprovedV1, blocks: list[SyncBlock], event_id: str
) -> LegacySync:
    now = uow.now()
    items = [_item_record(item, blocks) for item in payload.items]
    return LegacySync(
        id=new_id("LGS"),
        sync_application_id=payload.sync_application_id,
        account_id=payload.new_account_id,
        holder_name=payload.holder.name,
        holder_uscc=payload.holder.uscc,
        legacy_account_id=payload.legacy_account_id,
        purpose=payload.purpose,
        status=SyncStatus.awaiting_confirmation,
        quantity=sum(item.quantity for item in payload.items),
        items=items,
        history=[{"at": now.isoformat(), "action": "received", "by": "legacy_ccer_registry", "event_id": event_id}],
        dispute_reason=None,
        received_at=now,
        decided_at=None,
    )


async def _receive(uow: NewRegistryUnitOfWork, sync: LegacySync, blocks: list[SyncBlock]) -> None:
    """Each block: an issuance-like record of what came in (the ranges reconciliation checks), a
    holding block awaiting confirmation with its record date, and one movement per cancellation."""
    moved: dict[tuple[str, str], list[SerialRange]] = defaultdict(list)
    for b in blocks:
        await uow.issuances.add(
            Issuance(
                id=new_id("SYN"),
                project_number=b.project_number,
                origin=Origin.legacy,
                vintage=b.vintage,
                serial_prefix=b.range.prefix,
                first_n=b.range.first,
                last_n=b.range.last,
                quantity=b.range.size,
                account_id=sync.account_id,
                units_recorded_at=b.units_recorded_at,
                issued_at=uow.now(),
                legacy_sync_id=sync.id,
                cancellation_id=b.cancellation_id,
            )
        )
        uow.blocks.add(
            HoldingBlock(
                project_number=b.project_number,
                vintage=b.vintage,
                origin=Origin.legacy,
                account_id=sync.account_id,
                state=UnitState.awaiting_confirmation,
                lot_id=None,
                serial_prefix=b.range.prefix,
                first_n=b.range.first,
                last_n=b.range.last,
                units_recorded_at=b.units_recorded_at,
            )
        )
        moved[(b.cancellation_id, b.project_number)].append(b.range)
    for (_, project_number), ranges in moved.items():
        record_movement(
            uow,
            "sync_in",
            project_number,
            sum(r.size for r in ranges),
            merge_ranges(ranges),
            to_state=UnitState.awaiting_confirmation,
            to_account=sync.account_id,
            prefix="SYI",
        )


# --- the enterprise's answer ---------------------------------------------------------------------
async def _locked_awaiting(uow: NewRegistryUnitOfWork, sync_id: str, principal: Principal) -> LegacySync:
    """The sync, its account locked (404 outside the caller's scope), still awaiting confirmation (409)."""
    sync = await uow.legacy_syncs.get(sync_id, principal)
    await uow.accounts.lock_seen_by(sync.account_id, principal)
    sync = await uow.legacy_syncs.get(sync_id, principal)  # as it is now that the account is ours
    if sync.status != SyncStatus.awaiting_confirmation:
        refuse(
            [sync_not_awaiting(sync.id, sync.status)],
            "the legacy sync cannot be answered",
            "旧有CCER同步无法确认或提出异议",
            conflict_codes=SYNC_CONFLICT_CODES,
        )
    return sync


async def _decide(
    uow: NewRegistryUnitOfWork, sync: LegacySync, status: SyncStatus, principal: Principal, **detail: Any
) -> LegacySync:
    entry = {"at": uow.now().isoformat(), "action": str(status), "by": principal.sub, **detail}
    if not await uow.legacy_syncs.decide(sync, status, uow.now(), entry, detail.get("reason")):
        raise ConcurrentChange(f"legacy sync {sync.id}")
    return await uow.legacy_syncs.get(sync.id, principal)


async def confirm_legacy_sync(uow: NewRegistryUnitOfWork, cmd: ConfirmLegacySync, principal: Principal) -> LegacySync:
    """The enterprise checked the units: they become available in its general holding account."""
    sync = await _locked_awaiting(uow, cmd.sync_id, principal)
    ranges = [SerialRange(i.serial_prefix, i.first_n, i.last_n) for i in await uow.issuances.of_sync(sync.id)]
    awaiting = await uow.blocks.locked(
        account_id=sync.account_id, state=UnitState.awaiting_confirmation, origin=Origin.legacy
    )
    blocks = [
        b
        for b in awaiting
        if any(r.prefix == b.serial_prefix and r.first <= b.first_n and b.last_n <= r.last for r in ranges)
    ]
    if uow.blocks.units_in(blocks) != sync.quantity:
        raise ConcurrentChange(f"units of legacy sync {sync.id}")
    await uow.blocks.set_state(blocks, UnitState.available)
    by_project: dict[str, list[SerialRange]] = defaultdict(list)
    for b in blocks:
        by_project[b.project_number].append(SerialRange(b.serial_prefix, b.first_n, b.last_n))
    for project_number, moved in sorted(by_project.items()):
        record_movement(
            uow,
            "confirmation",
            project_number,
            sum(r.size for r in moved),
            merge_ranges(moved),
            from_state=UnitState.awaiting_confirmation,
            to_state=UnitState.available,
            from_account=sync.account_id,
            to_account=sync.account_id,
            prefix="CNF",
        )
    uow.audit("confirm_legacy_sync", "legacy_sync", sync.id, quantity=sync.quantity)
    return await _decide(uow, sync, SyncStatus.confirmed, principal)


async def dispute_legacy_sync(uow: NewRegistryUnitOfWork, cmd: DisputeLegacySync, principal: Principal) -> LegacySync:
    """The enterprise disputes the units: they stay awaiting confirmation (out of circulation) and
    the sync is ``disputed`` for NCSC to resolve."""
    sync = await _locked_awaiting(uow, cmd.sync_id, principal)
    uow.audit("dispute_legacy_sync", "legacy_sync", sync.id, reason=cmd.reason)
    return await _decide(uow, sync, SyncStatus.disputed, principal, reason=cmd.reason)


# --- queries -------------------------------------------------------------------------------------
async def get_legacy_sync(uow: NewRegistryUnitOfWork, cmd: GetLegacySync, principal: Principal) -> LegacySync:
    return await uow.legacy_syncs.get(cmd.sync_id, principal)


async def list_legacy_syncs(
    uow: NewRegistryUnitOfWork, cmd: ListLegacySyncs, principal: Principal
) -> Listed[LegacySync]:
    rows = await uow.legacy_syncs.list_seen_by(
        principal, account_id=cmd.account_id, status=cmd.status, offset=cmd.offset, limit=cmd.limit + 1
    )
    return Listed(list(rows[: cmd.limit]), has_more=len(rows) > cmd.limit)
