"""Reconciliation (账实核对) of the legacy registry: invariants 1-3 of domain.md §3 over every serial
prefix, cancellation record and sync sent to the new registry (a form awaiting its answer is in
transit, not a discrepancy: its units are on no other form; a refused one holds no units)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.legacy_ccer_registry.domain.reconciliation import RecordProblem, record_problems, sync_overlaps
from services.legacy_ccer_registry.service_layer.commands import Reconcile
from services.legacy_ccer_registry.service_layer.unit_of_work import LegacyUnitOfWork
from services.legacy_ccer_registry.service_layer.views import Discrepancy, ReconciliationReport
from shared.principal import Principal
from shared.reconciliation import SCHEDULER, record_reconciliation
from shared.serials import coverage_discrepancies, labels

__all__ = ["nightly_reconciliation", "reconcile"]


async def reconcile(uow: LegacyUnitOfWork, cmd: Reconcile, principal: Principal) -> ReconciliationReport:
    """Every discrepancy in the registry; an empty list when all three invariants hold."""
    issued = await uow.reconciliation.issued_by_prefix()
    held = await uow.reconciliation.held_by_prefix()
    prefixes = sorted(set(issued) | set(held))
    coverage = [
        Discrepancy(d.code, d.message, d.message_zh, p, None, labels(d.ranges))
        for p in prefixes
        for d in coverage_discrepancies(issued.get(p, []), held.get(p, []))
    ]
    records = await uow.reconciliation.records()
    problems = [p for r in records for p in record_problems(r)]
    problems += sync_overlaps(await uow.reconciliation.sent_sync_ranges())
    return ReconciliationReport(
        checked_at=uow.now(),
        prefixes_checked=len(prefixes),
        cancellations_checked=len(records),
        discrepancies=coverage + [_of(p) for p in problems],
    )


def _of(problem: RecordProblem) -> Discrepancy:
    return Discrepancy(
        problem.code, problem.message, problem.message_zh, None, problem.cancellation_id, labels(problem.ranges)
    )


async def nightly_reconciliation(uow: LegacyUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """The whole registry, nightly on the service clock: recorded in the audit log, logged on discrepancy."""
    report = await reconcile(uow, Reconcile(), SCHEDULER)
    return record_reconciliation(
        uow,
        checked={"serial_prefixes": report.prefixes_checked, "cancellations": report.cancellations_checked},
        discrepancies=[asdict(d) for d in report.discrepancies],
    )
