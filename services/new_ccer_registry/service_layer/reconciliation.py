"""Reconciliation of the new registry against its own records (domain.md §3 invariants 1 and 2, and
the lot side of 4): per project, holding blocks disjoint and covering exactly the issued ranges; per
lot, blocks, cancellation records and release records agree with the lot's quantities."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from services.new_ccer_registry.adapters.blocks import labels
from services.new_ccer_registry.adapters.orm import Cancellation, HoldingBlock, Issuance, LotRelease, OffsetLot
from services.new_ccer_registry.domain.holdings import UnitState
from services.new_ccer_registry.domain.lots import LotQuantities, lot_consistency_findings
from services.new_ccer_registry.domain.serials import SerialRange, coverage_discrepancies
from shared.uow import UnitOfWork

__all__ = ["ReconciliationReport", "reconcile"]


@dataclass
class ReconciliationReport:
    checked_at: datetime
    projects_checked: int = 0
    lots_checked: int = 0
    discrepancies: list[dict[str, Any]] = field(default_factory=list)


async def reconcile(uow: UnitOfWork, project_number: str | None = None) -> ReconciliationReport:
    """Every discrepancy in the registry (or in one project); an empty list when all invariants hold."""
    report = ReconciliationReport(checked_at=uow.now())
    session = uow.session

    def scoped(query: Any, column: Any) -> Any:
        return query if project_number is None else query.where(column == project_number)

    issued: dict[str, list[SerialRange]] = defaultdict(list)
    for p, prefix, first, last in await session.execute(
        scoped(
            select(Issuance.project_number, Issuance.serial_prefix, Issuance.first_n, Issuance.last_n),
            Issuance.project_number,
        )
    ):
        issued[p].append(SerialRange(prefix, first, last))
    held: dict[str, list[SerialRange]] = defaultdict(list)
    for p, prefix, first, last in await session.execute(
        scoped(
            select(HoldingBlock.project_number, HoldingBlock.serial_prefix, HoldingBlock.first_n, HoldingBlock.last_n),
            HoldingBlock.project_number,
        )
    ):
        held[p].append(SerialRange(prefix, first, last))
    for p in sorted(set(issued) | set(held)):
        report.projects_checked += 1
        for d in coverage_discrepancies(issued[p], held[p]):
            report.discrepancies.append(
                {
                    "code": d.code,
                    "message": d.message,
                    "message_zh": d.message_zh,
                    "project_number": p,
                    "lot_id": None,
                    "serial_ranges": labels(list(d.ranges)),
                }
            )

    # A frozen or cancelled unit belongs to a lot; an available or trading one to none.
    misfiled = await session.execute(
        scoped(
            select(HoldingBlock.project_number, HoldingBlock.id, HoldingBlock.state, HoldingBlock.lot_id).where(
                or_(
                    HoldingBlock.state.in_([UnitState.frozen, UnitState.cancelled]) & HoldingBlock.lot_id.is_(None),
                    HoldingBlock.state.not_in([UnitState.frozen, UnitState.cancelled])
                    & HoldingBlock.lot_id.is_not(None),
                )
            ),
            HoldingBlock.project_number,
        )
    )
    for p, block_id, state, lot_id in misfiled:
        report.discrepancies.append(
            {
                "code": "BLOCK_LOT_MISMATCH",
                "message": f"a {state} block ({block_id}) with lot {lot_id}",
                "message_zh": f"{state} 状态的持仓区间（{block_id}）与抵销批次 {lot_id} 不符",
                "project_number": p,
                "lot_id": lot_id,
                "serial_ranges": [],
            }
        )

    size = func.sum(HoldingBlock.last_n - HoldingBlock.first_n + 1)
    in_blocks: dict[tuple[str, str], int] = {
        (str(lot_id), state): int(n)
        for lot_id, state, n in await session.execute(
            select(HoldingBlock.lot_id, HoldingBlock.state, size)
            .where(HoldingBlock.lot_id.is_not(None))
            .group_by(HoldingBlock.lot_id, HoldingBlock.state)
        )
    }
    cancelled = dict(
        (
            await session.execute(
                select(Cancellation.lot_id, func.sum(Cancellation.quantity)).group_by(Cancellation.lot_id)
            )
        ).all()
    )
    released = dict(
        (
            await session.execute(select(LotRelease.lot_id, func.sum(LotRelease.quantity)).group_by(LotRelease.lot_id))
        ).all()
    )
    for lot in await session.scalars(scoped(select(OffsetLot), OffsetLot.project_number)):
        report.lots_checked += 1
        for f in lot_consistency_findings(
            lot.id,
            LotQuantities(lot.quantity, lot.cancelled, lot.released),
            lot.status,
            frozen_held=in_blocks.get((lot.id, UnitState.frozen.value), 0),
            cancelled_held=in_blocks.get((lot.id, UnitState.cancelled.value), 0),
            cancellations=int(cancelled.get(lot.id, 0)),
            released_records=int(released.get(lot.id, 0)),
        ):
            report.discrepancies.append(
                {
                    "code": f.code,
                    "message": f.message,
                    "message_zh": f.message_zh,
                    "project_number": lot.project_number,
                    "lot_id": lot.id,
                    "serial_ranges": [],
                }
            )
    return report
