"""Repository of holding blocks: reading, locking and moving units by serial range.

Moves follow the pure plan of :func:`plan_take` (lowest serials first, at most one block split) and
write it with guarded updates: each row is changed only if it still is what was read, and the row
count is checked, so a concurrent change can never be silently overwritten.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.new_ccer_registry.adapters.orm import HoldingBlock
from services.new_ccer_registry.domain.holdings import ExactPlan, HoldingRow, UnitState, plan_exact, summarise_holdings
from shared.errors import ConcurrentChange
from shared.serials import Block, SerialRange, plan_take

__all__ = ["UNCHANGED", "BlockRepository", "MisfiledBlock", "to_range"]

UNCHANGED: Any = object()  # "leave the lot of the moved units as it is"


def to_range(block: HoldingBlock) -> SerialRange:
    return SerialRange(block.serial_prefix, block.first_n, block.last_n)


MisfiledBlock = tuple[str, int, str, str | None]  # project, block id, state, lot id


def _guard(block: HoldingBlock) -> list[Any]:
    return [
        HoldingBlock.id == block.id,
        HoldingBlock.state == block.state,
        HoldingBlock.account_id == block.account_id,
        HoldingBlock.first_n == block.first_n,
        HoldingBlock.last_n == block.last_n,
        HoldingBlock.lot_id.is_(None) if block.lot_id is None else HoldingBlock.lot_id == block.lot_id,
    ]


class BlockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, block: HoldingBlock) -> None:
        self.session.add(block)

    @staticmethod
    def units_in(blocks: Sequence[HoldingBlock]) -> int:
        return sum(to_range(b).size for b in blocks)

    async def locked(
        self,
        *,
        account_id: str | None = None,
        project_number: str | None = None,
        state: str | None = None,
        origin: str | None = None,
        vintage: int | None = None,
        lot_id: str | None = None,
    ) -> list[HoldingBlock]:
        """Blocks matching the filters, locked for this transaction, lowest serials first."""
        query = select(HoldingBlock)
        for column, value in (
            (HoldingBlock.account_id, account_id),
            (HoldingBlock.project_number, project_number),
            (HoldingBlock.state, state),
            (HoldingBlock.origin, origin),
            (HoldingBlock.vintage, vintage),
            (HoldingBlock.lot_id, lot_id),
        ):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(HoldingBlock.vintage, HoldingBlock.serial_prefix, HoldingBlock.first_n)
        return list(
            await self.session.scalars(query.with_for_update(key_share=True).execution_options(populate_existing=True))
        )

    async def _update_guarded(self, block: HoldingBlock, values: dict[str, Any]) -> None:
        result = await self.session.execute(
            update(HoldingBlock).where(*_guard(block)).values(**values).execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentChange(f"holding block {block.id}")

    async def move_lowest(
        self,
        blocks: Sequence[HoldingBlock],
        quantity: int,
        *,
        to_state: str,
        to_account_id: str | None = None,
        lot_id: str | None = UNCHANGED,
    ) -> list[SerialRange]:
        """Move ``quantity`` units from ``blocks`` (read with :meth:`locked`) into ``to_state`` (and
        ``to_account_id`` / ``lot_id`` when given), lowest serials first. Returns the moved ranges.
        Raises :class:`InsufficientUnits` when the blocks hold fewer units."""
        by_id = {b.id: b for b in blocks}
        plan = plan_take([Block(b.id, b.vintage, to_range(b)) for b in blocks], quantity)
        changes: dict[str, Any] = {"state": to_state}
        if to_account_id is not None:
            changes["account_id"] = to_account_id
        if lot_id is not UNCHANGED:
            changes["lot_id"] = lot_id
        for planned in plan.whole:
            await self._update_guarded(by_id[planned.key], changes)
        if plan.split is not None:
            source = by_id[plan.split.key]
            # The lower part moves as a new row; the original row keeps the upper part.
            await self._update_guarded(source, {"first_n": plan.split.kept.first})
            row = {
                "project_number": source.project_number,
                "vintage": source.vintage,
                "origin": source.origin,
                "account_id": source.account_id,
                "state": source.state,
                "lot_id": source.lot_id,
                "serial_prefix": source.serial_prefix,
                "first_n": plan.split.taken.first,
                "last_n": plan.split.taken.last,
                "units_recorded_at": source.units_recorded_at,
            }
            await self.session.execute(insert(HoldingBlock).values(**(row | changes)))
        return plan.taken

    @staticmethod
    def plan_exact(blocks: Sequence[HoldingBlock], wanted: Sequence[SerialRange]) -> ExactPlan[int]:
        """Which parts of ``blocks`` hold exactly the ``wanted`` serials (``missing``: those they do not)."""
        return plan_exact([(b.id, to_range(b)) for b in blocks], wanted)

    async def move_exact(
        self,
        blocks: Sequence[HoldingBlock],
        plan: ExactPlan[int],
        *,
        to_state: str,
        lot_id: str | None = UNCHANGED,
    ) -> list[SerialRange]:
        """Move the taken parts of ``plan`` (made by :meth:`plan_exact` over ``blocks``, read with
        :meth:`locked`) into ``to_state``; the kept parts stay. Each cut block keeps its row for its
        lowest part; the other parts become new rows. Returns the moved ranges, lowest first."""
        by_id = {b.id: b for b in blocks}
        changes: dict[str, Any] = {"state": to_state}
        if lot_id is not UNCHANGED:
            changes["lot_id"] = lot_id
        for carve in plan.carves:
            source = by_id[carve.key]
            parts = sorted([(r, True) for r in carve.taken] + [(r, False) for r in carve.kept], key=lambda p: p[0])
            (first, first_taken), rest = parts[0], parts[1:]
            await self._update_guarded(
                source, {"first_n": first.first, "last_n": first.last} | (changes if first_taken else {})
            )
            for rng, taken in rest:
                row = {
                    "project_number": source.project_number,
                    "vintage": source.vintage,
                    "origin": source.origin,
                    "account_id": source.account_id,
                    "state": source.state,
                    "lot_id": source.lot_id,
                    "serial_prefix": source.serial_prefix,
                    "first_n": rng.first,
                    "last_n": rng.last,
                    "units_recorded_at": source.units_recorded_at,
                }
                await self.session.execute(insert(HoldingBlock).values(**(row | (changes if taken else {}))))
        return plan.taken

    async def set_state(self, blocks: Sequence[HoldingBlock], to_state: str) -> None:
        """Move whole ``blocks`` (read with :meth:`locked`) into ``to_state``, guarded."""
        for block in blocks:
            await self._update_guarded(block, {"state": to_state})

    async def containing(self, prefix: str, n: int) -> HoldingBlock | None:
        """The block holding the unit ``{prefix}-{n}``, if any."""
        return await self.session.scalar(
            select(HoldingBlock).where(
                HoldingBlock.serial_prefix == prefix, HoldingBlock.first_n <= n, HoldingBlock.last_n >= n
            )
        )

    async def holdings_of(self, account_id: str) -> list[HoldingRow]:
        """The account's holdings per project, origin and vintage, quantities and ranges per state."""
        rows = await self.session.execute(
            select(
                HoldingBlock.project_number,
                HoldingBlock.origin,
                HoldingBlock.vintage,
                HoldingBlock.state,
                HoldingBlock.serial_prefix,
                HoldingBlock.first_n,
                HoldingBlock.last_n,
            ).where(HoldingBlock.account_id == account_id)
        )
        return summarise_holdings(
            (p, o, v, s, SerialRange(prefix, first, last)) for p, o, v, s, prefix, first, last in rows
        )

    # --- reconciliation reads ------------------------------------------------------------------
    async def ranges_by_project(self, project_number: str | None = None) -> dict[str, list[SerialRange]]:
        """Every held range (any state), per project; only ``project_number``'s when given."""
        query = select(
            HoldingBlock.project_number, HoldingBlock.serial_prefix, HoldingBlock.first_n, HoldingBlock.last_n
        )
        if project_number is not None:
            query = query.where(HoldingBlock.project_number == project_number)
        held: dict[str, list[SerialRange]] = defaultdict(list)
        for p, prefix, first, last in await self.session.execute(query):
            held[p].append(SerialRange(prefix, first, last))
        return held

    async def misfiled(self, project_number: str | None = None) -> list[MisfiledBlock]:
        """Blocks whose lot disagrees with their state: a frozen or cancelled unit belongs to a lot,
        an available or trading one to none."""
        in_lot = [UnitState.frozen, UnitState.cancelled]
        query = select(HoldingBlock.project_number, HoldingBlock.id, HoldingBlock.state, HoldingBlock.lot_id).where(
            or_(
                HoldingBlock.state.in_(in_lot) & HoldingBlock.lot_id.is_(None),
                HoldingBlock.state.not_in(in_lot) & HoldingBlock.lot_id.is_not(None),
            )
        )
        if project_number is not None:
            query = query.where(HoldingBlock.project_number == project_number)
        return [(p, block_id, state, lot_id) for p, block_id, state, lot_id in await self.session.execute(query)]

    async def lot_totals(self) -> dict[tuple[str, str], int]:
        """Units per ``(lot id, state)`` over the blocks that name a lot."""
        size = func.sum(HoldingBlock.last_n - HoldingBlock.first_n + 1)
        return {
            (str(lot_id), state): int(n)
            for lot_id, state, n in await self.session.execute(
                select(HoldingBlock.lot_id, HoldingBlock.state, size)
                .where(HoldingBlock.lot_id.is_not(None))
                .group_by(HoldingBlock.lot_id, HoldingBlock.state)
            )
        }
