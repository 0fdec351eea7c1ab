"""The units of pending offsets: serial ranges with their record dates and state, and their history.

A range moves in one guarded statement (``UPDATE … WHERE id, state and bounds are what we read``);
a range only partly moved is split, the moved part keeping the row. Callers lock the lot first
(``PendingOffsetRepository.lock``), so the lot's counters and its ranges move together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import (
    Account,
    PendingOffset,
    PendingOffsetUnitEvent,
    PendingOffsetUnits,
)
from services.allowance_registry.adapters.repositories._sql import one_row
from services.allowance_registry.domain.access import SERIAL_READERS
from services.allowance_registry.domain.lot_units import UnitBlock, UnitState, carve
from shared.principal import Principal
from shared.scope import Scope
from shared.serials import SerialRange, total

__all__ = ["LotUnitRepository", "SerialRecord"]

# The references a state carries (the rest are cleared when a range enters it).
_REFS = {
    UnitState.available: (),
    UnitState.reserved: ("application_id", "revision"),
    UnitState.registered: ("application_id", "revision", "registration_id"),
    UnitState.recalled: ("recall_id",),
}
_ALL_REFS = ("application_id", "revision", "registration_id", "recall_id")


@dataclass(frozen=True)
class SerialRecord:
    """One lot's range holding a serial, the lot, and the history of that serial in the lot."""

    unit: PendingOffsetUnits
    lot: PendingOffset
    events: list[PendingOffsetUnitEvent]


def _range(row: PendingOffsetUnits | PendingOffsetUnitEvent) -> SerialRange:
    return SerialRange(row.prefix, row.first, row.last)


class LotUnitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # lot → its available rows as :meth:`available` locked them, for the next :meth:`move` of that
        # lot's available units (used once: a move changes the rows)
        self._available: dict[str, list[PendingOffsetUnits]] = {}

    def add(self, lot_id: str, blocks: Sequence[UnitBlock]) -> None:
        """A newly pending lot's units, all available."""
        for b in blocks:
            self._session.add(
                PendingOffsetUnits(
                    lot_id=lot_id,
                    prefix=b.range.prefix,
                    first=b.range.first,
                    last=b.range.last,
                    units_recorded_at=b.recorded_at,
                    state=UnitState.available.value,
                )
            )

    async def available(self, lot_ids: Sequence[str]) -> dict[str, list[UnitBlock]]:
        """The available units of each lot (lots locked by the caller), lowest serials first; their
        rows locked, and kept for the next :meth:`move` of each lot's available units (no re-read)."""
        if not lot_ids:
            return {}
        u = PendingOffsetUnits
        rows = await self._session.scalars(
            select(u)
            .where(u.lot_id.in_(sorted(set(lot_ids))), u.state == UnitState.available.value)
            .order_by(u.lot_id, u.prefix, u.first)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        found: dict[str, list[UnitBlock]] = {lot_id: [] for lot_id in lot_ids}
        self._available.update({lot_id: [] for lot_id in lot_ids})
        for row in rows:
            found[row.lot_id].append(UnitBlock(_range(row), row.units_recorded_at))
            self._available[row.lot_id].append(row)
        return found

    async def tracked(self, lot_id: str) -> bool:
        """Whether the lot's units are tracked by serial (lots recorded before that are not)."""
        u = PendingOffsetUnits
        return await self._session.scalar(select(u.id).where(u.lot_id == lot_id).limit(1)) is not None

    async def move(
        self,
        lot_id: str,
        *,
        source: UnitState,
        target: UnitState,
        ranges: Sequence[SerialRange] | None = None,
        reserved_by: tuple[str, int] | None = None,
        **refs: Any,
    ) -> list[UnitBlock] | None:
        """Move exactly ``ranges`` (None: every range) of the lot from ``source`` to ``target``, setting
        ``refs`` (application_id, revision, registration_id, recall_id). ``reserved_by``: only ranges
        reserved by that application and revision. Returns the moved units, None when the lot has
        not got all of ``ranges`` in that state (nothing is then to be committed)."""
        u = PendingOffsetUnits
        kept = self._available.pop(lot_id, None)
        if source is UnitState.available and reserved_by is None and kept is not None:
            rows = kept
        else:
            query = select(u).where(u.lot_id == lot_id, u.state == source.value)
            if reserved_by is not None:
                query = query.where(u.application_id == reserved_by[0], u.revision == reserved_by[1])
            rows = list(
                await self._session.scalars(
                    query.order_by(u.prefix, u.first).with_for_update().execution_options(populate_existing=True)
                )
            )
        wanted = list(ranges) if ranges is not None else [_range(r) for r in rows]
        moved: list[UnitBlock] = []
        for row in rows:
            pieces = carve(_range(row), wanted)
            if not any(taken for _, taken in pieces):
                continue
            if not await self._split(row, pieces, target, refs):
                return None
            moved += [UnitBlock(piece, row.units_recorded_at) for piece, taken in pieces if taken]
        if total(b.range for b in moved) != total(wanted):
            return None
        return moved

    async def _split(
        self,
        row: PendingOffsetUnits,
        pieces: list[tuple[SerialRange, bool]],
        target: UnitState,
        refs: dict[str, Any],
    ) -> bool:
        kept = {name: getattr(row, name) for name in _ALL_REFS}
        moved = {name: (refs.get(name, kept[name]) if name in _REFS[target] else None) for name in _ALL_REFS}

        def values(taken: bool) -> dict[str, Any]:
            return {"state": target.value, **moved} if taken else {"state": row.state, **kept}

        (head, head_taken), *rest = pieces
        u = PendingOffsetUnits
        ok = await one_row(
            self._session,
            update(u)
            .where(u.id == row.id, u.state == row.state, u.first == row.first, u.last == row.last)
            .values(first=head.first, last=head.last, **values(head_taken)),
        )
        if not ok:
            return False
        for piece, taken in rest:
            self._session.add(
                PendingOffsetUnits(
                    lot_id=row.lot_id,
                    prefix=piece.prefix,
                    first=piece.first,
                    last=piece.last,
                    units_recorded_at=row.units_recorded_at,
                    **values(taken),
                )
            )
        return True

    def log(self, kind: str, lot_id: str, blocks: Sequence[UnitBlock], at: datetime, **detail: Any) -> None:
        """Append what happened to ``blocks`` of the lot to their history."""
        for b in blocks:
            self._session.add(
                PendingOffsetUnitEvent(
                    lot_id=lot_id,
                    prefix=b.range.prefix,
                    first=b.range.first,
                    last=b.range.last,
                    kind=kind,
                    at=at,
                    detail={**detail, "units_recorded_at": b.recorded_at.isoformat() if b.recorded_at else None},
                )
            )

    async def of_serial(self, prefix: str, n: int, principal: Principal) -> list[SerialRecord]:
        """Every lot in the caller's scope that holds serial ``{prefix}-{n}``, oldest lot first, with the
        serial's history in it."""
        u, e = PendingOffsetUnits, PendingOffsetUnitEvent
        scope = Scope.of(principal, operators=SERIAL_READERS)
        rows = (
            await self._session.execute(
                select(u, PendingOffset)
                .join(PendingOffset, PendingOffset.lot_id == u.lot_id)
                .join(Account, Account.id == PendingOffset.account_id)
                .where(u.prefix == prefix, u.first <= n, u.last >= n)
                .where(scope.where(org=Account.holder_uscc, province=Account.province))
                .order_by(PendingOffset.recorded_at, PendingOffset.lot_id)
            )
        ).all()
        records = []
        for unit, lot in rows:
            events = await self._session.scalars(
                select(e)
                .where(e.lot_id == lot.lot_id, e.prefix == prefix, e.first <= n, e.last >= n)
                .order_by(e.at, e.id)
            )
            records.append(SerialRecord(unit, lot, list(events)))
        return records
