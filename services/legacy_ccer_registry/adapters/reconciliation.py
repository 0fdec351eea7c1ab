"""Reads for reconciliation: every issued range, block, cancellation record and the lines of every
sync sent to the new registry (awaiting its answer or synced)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.legacy_ccer_registry.adapters.orm import Cancellation, HoldingBlock, Issuance, SyncApplication
from services.legacy_ccer_registry.domain.holdings import UnitState
from services.legacy_ccer_registry.domain.reconciliation import RecordFacts
from services.legacy_ccer_registry.domain.sync import HOLDING_SERIALS
from shared.serials import SerialRange

__all__ = ["ReconciliationRepository"]


class ReconciliationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issued_by_prefix(self) -> dict[str, list[SerialRange]]:
        out: dict[str, list[SerialRange]] = defaultdict(list)
        for prefix, first, last in await self.session.execute(
            select(Issuance.serial_prefix, Issuance.first_n, Issuance.last_n)
        ):
            out[prefix].append(SerialRange(prefix, first, last))
        return out

    async def held_by_prefix(self) -> dict[str, list[SerialRange]]:
        out: dict[str, list[SerialRange]] = defaultdict(list)
        for prefix, first, last in await self.session.execute(
            select(HoldingBlock.serial_prefix, HoldingBlock.first_n, HoldingBlock.last_n)
        ):
            out[prefix].append(SerialRange(prefix, first, last))
        return out

    async def records(self) -> list[RecordFacts]:
        blocks: dict[str | None, list[SerialRange]] = defaultdict(list)
        for record_id, prefix, first, last in await self.session.execute(
            select(
                HoldingBlock.cancellation_id, HoldingBlock.serial_prefix, HoldingBlock.first_n, HoldingBlock.last_n
            ).where(HoldingBlock.state == UnitState.cancelled)
        ):
            blocks[record_id].append(SerialRange(prefix, first, last))
        records = [
            RecordFacts(
                c.id,
                c.quantity,
                c.synced,
                c.claimed,
                tuple(SerialRange.from_labels(a, b) for a, b in c.serial_ranges),
                tuple(blocks.pop(c.id, [])),
                c.in_transit,
            )
            for c in await self.session.scalars(select(Cancellation).order_by(Cancellation.id))
        ]
        # Cancelled blocks that no record owns.
        records += [RecordFacts(str(k), 0, 0, 0, (), tuple(v)) for k, v in blocks.items()]
        return records

    async def sent_sync_ranges(self) -> list[list[SerialRange]]:
        """Per line of every form sent to the new registry: awaiting its answer (in transit) or synced."""
        lines = await self.session.scalars(
            select(SyncApplication.lines).where(SyncApplication.status.in_([s.value for s in HOLDING_SERIALS]))
        )
        return [
            [SerialRange.from_labels(a, b) for a, b in line.get("serial_ranges", [])]
            for app_lines in lines
            for line in app_lines
        ]
