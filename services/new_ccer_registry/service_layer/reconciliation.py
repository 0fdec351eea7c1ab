"""Reconciliation of the new registry against its own records (domain.md §3 invariants 1 and 2, and
the lot side of 4): per project, holding blocks disjoint and covering exactly the issued ranges; per
lot, blocks, cancellation records and release records agree with the lot's quantities."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.new_ccer_registry.domain.holdings import UnitState
from services.new_ccer_registry.domain.legacy import SyncedPart, parts_discrepancies
from services.new_ccer_registry.domain.lots import LotQuantities, lot_consistency_findings
from services.new_ccer_registry.service_layer.commands import Reconcile
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import Discrepancy, ReconciliationReport
from shared.principal import Principal
from shared.reconciliation import SCHEDULER, record_reconciliation
from shared.serials import coverage_discrepancies, labels

__all__ = ["nightly_reconciliation", "reconcile"]


async def reconcile(uow: NewRegistryUnitOfWork, cmd: Reconcile, principal: Principal) -> ReconciliationReport:
    """Every discrepancy in the registry (or in one project); an empty list when all invariants hold."""
    checked_at = uow.now()
    projects_checked, coverage = await _coverage(uow, cmd.project_number)
    lots_checked, lots = await _lots(uow, cmd.project_number)
    return ReconciliationReport(
        checked_at=checked_at,
        projects_checked=projects_checked,
        lots_checked=lots_checked,
        discrepancies=coverage
        + await _misfiled(uow, cmd.project_number)
        + lots
        + await _syncs(uow, cmd.project_number),
    )


async def _coverage(uow: NewRegistryUnitOfWork, project_number: str | None) -> tuple[int, list[Discrepancy]]:
    """Invariant 1, per project: the held blocks (awaiting confirmation included) are disjoint and
    cover exactly what was issued; for legacy units, what was issued here is what was synced in."""
    issued = await uow.issuances.ranges_by_project(project_number)
    held = await uow.blocks.ranges_by_project(project_number)
    projects = sorted(set(issued) | set(held))
    found = [
        Discrepancy(d.code, d.message, d.message_zh, p, None, labels(d.ranges))
        for p in projects
        for d in coverage_discrepancies(issued.get(p, []), held.get(p, []))
    ]
    return len(projects), found


async def _misfiled(uow: NewRegistryUnitOfWork, project_number: str | None) -> list[Discrepancy]:
    """A frozen or cancelled unit belongs to a lot; an available or trading one to none."""
    return [
        Discrepancy(
            "BLOCK_LOT_MISMATCH",
            f"a {state} block ({block_id}) with lot {lot_id}",
            f"{state} 状态的持仓区间（{block_id}）与抵销批次 {lot_id} 不符",
            p,
            lot_id,
            [],
        )
        for p, block_id, state, lot_id in await uow.blocks.misfiled(project_number)
    ]


async def _lots(uow: NewRegistryUnitOfWork, project_number: str | None) -> tuple[int, list[Discrepancy]]:
    """Each lot agrees with its blocks, its cancellation records and its release records."""
    in_blocks = await uow.blocks.lot_totals()
    cancelled = await uow.cancellations.totals_by_lot()
    released = await uow.releases.totals_by_lot()
    lots = await uow.lots.every(project_number)
    found = [
        Discrepancy(f.code, f.message, f.message_zh, lot.project_number, lot.id, [])
        for lot in lots
        for f in lot_consistency_findings(
            lot.id,
            LotQuantities(lot.quantity, lot.cancelled, lot.released),
            lot.status,
            frozen_held=in_blocks.get((lot.id, UnitState.frozen.value), 0),
            cancelled_held=in_blocks.get((lot.id, UnitState.cancelled.value), 0),
            cancellations=cancelled.get(lot.id, 0),
            released_records=released.get(lot.id, 0),
        )
    ]
    return len(lots), found


async def _syncs(uow: NewRegistryUnitOfWork, project_number: str | None) -> list[Discrepancy]:
    """Invariant 3's records: each legacy sync brought in exactly its quantity, each part of a legacy
    cancellation exactly its own, and a cancellation synced in over several parts no more than was
    cancelled (that no serial came in twice is the coverage's check: the ranges synced in are disjoint)."""
    if project_number is not None:
        return []
    synced = await uow.issuances.synced_by_sync()
    parts: dict[str, list[SyncedPart]] = defaultdict(list)
    for p in await uow.legacy_syncs.every_part():
        parts[p.cancellation_id].append(SyncedPart(p.sync_id, p.quantity, p.cancellation_quantity))
    by_part = [
        Discrepancy(f.code, f.message, f.message_zh, None, None, [])
        for f in parts_discrepancies(parts, await uow.issuances.synced_by_part())
    ]
    return by_part + [
        Discrepancy(
            "LEGACY_SYNC_MISMATCH",
            f"legacy sync {s.id}: {s.quantity} t approved, {synced.get(s.id, 0)} t synced in",
            f"旧有CCER同步 {s.id}：批准 {s.quantity} 吨，已同步 {synced.get(s.id, 0)} 吨",
            None,
            None,
            [],
        )
        for s in await uow.legacy_syncs.every()
        if synced.get(s.id, 0) != s.quantity
    ]


async def nightly_reconciliation(uow: NewRegistryUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """The whole registry, nightly on the service clock: recorded in the audit log, logged on discrepancy."""
    report = await reconcile(uow, Reconcile(), SCHEDULER)
    return record_reconciliation(
        uow,
        checked={"projects": report.projects_checked, "lots": report.lots_checked},
        discrepancies=[asdict(d) for d in report.discrepancies],
    )
