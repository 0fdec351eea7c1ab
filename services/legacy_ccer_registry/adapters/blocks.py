"""Repository of holding blocks and the movement journal: locking, reading and moving units by
serial range.

Moves follow the pure plan of :func:`shared.serials.plan_take` (lowest serials first, at most one
block split) and write it with guarded updates: a row is changed only if it still is what was read
(row count checked, :class:`ConcurrentChange` otherwise), so a concurrent change is never silently
overwritten. Callers lock the accounts first (``AccountRepository.lock``), which serialises movers
of one account on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises every writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.legacy_ccer_registry.adapters.orm import Account, HoldingBlock, Movement, MovementRange
from services.legacy_ccer_registry.domain.holdings import Moved
from shared.errors import ConcurrentChange
from shared.ids import new_id
from shared.scope import Scope
from shared.serials import Block, SerialRange, labels, merge_ranges, plan_take

__all__ = ["BlockRepository", "JournalRepository"]


def _range(block: HoldingBlock) -> SerialRange:
    return SerialRange(block.serial_prefix, block.first_n, block.last_n)


def _guard(block: HoldingBlock) -> list[Any]:
    return [
        HoldingBlock.id == block.id,
        HoldingBlock.account_id == block.account_id,
        HoldingBlock.state == block.state,
        HoldingBlock.first_n == block.first_n,
        HoldingBlock.last_n == block.last_n,
        HoldingBlock.exchange.is_(None) if block.exchange is None else HoldingBlock.exchange == block.exchange,
    ]


class BlockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, block: HoldingBlock) -> None:
        self.session.add(block)

    async def held(
        self, account_id: str, project_number: str, state: str, exchange: str | None = None
    ) -> list[HoldingBlock]:
        """The account's blocks of a project in ``state`` (at ``exchange`` when given), locked,
        lowest serials first."""
        query = select(HoldingBlock).where(
            HoldingBlock.account_id == account_id,
            HoldingBlock.project_number == project_number,
            HoldingBlock.state == state,
        )
        if exchange is not None:
            query = query.where(HoldingBlock.exchange == exchange)
        query = query.order_by(HoldingBlock.vintage, HoldingBlock.serial_prefix, HoldingBlock.first_n)
        return list(
            await self.session.scalars(query.with_for_update(key_share=True).execution_options(populate_existing=True))
        )

    async def of_account(self, account_id: str) -> list[HoldingBlock]:
        query = (
            select(HoldingBlock)
            .where(HoldingBlock.account_id == account_id)
            .order_by(HoldingBlock.project_number, HoldingBlock.serial_prefix, HoldingBlock.first_n)
        )
        return list(await self.session.scalars(query))

    async def holding(self, prefix: str, n: int, scope: Scope) -> tuple[HoldingBlock, Account] | None:
        """The block holding serial ``{prefix}-{n}`` and its account, if ``scope`` sees the account."""
        row = (
            await self.session.execute(
                select(HoldingBlock, Account)
                .join(Account, Account.id == HoldingBlock.account_id)
                .where(
                    HoldingBlock.serial_prefix == prefix,
                    HoldingBlock.first_n <= n,
                    HoldingBlock.last_n >= n,
                    scope.where(org=Account.holder_uscc, province=Account.province),
                )
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def _guarded(self, block: HoldingBlock, values: dict[str, Any]) -> None:
        result = await self.session.execute(
            update(HoldingBlock).where(*_guard(block)).values(**values).execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentChange(f"holding block {block.id}")

    async def move_lowest(self, blocks: Sequence[HoldingBlock], quantity: int, **changes: Any) -> list[Moved]:
        """Move ``quantity`` units of ``blocks`` (read with :meth:`held`) to ``changes`` (state,
        account_id, exchange, cancellation_id), lowest serials first; returns the moved ranges, each
        with its record date. The caller has checked that the blocks hold enough."""
        by_id = {b.id: b for b in blocks}
        plan = plan_take([Block(b.id, b.vintage, _range(b)) for b in blocks], quantity)
        moved = []
        for planned in plan.whole:
            await self._guarded(by_id[planned.key], changes)
            moved.append(Moved(planned.range, by_id[planned.key].units_recorded_at))
        if plan.split is not None:
            source = by_id[plan.split.key]
            # The lower part moves as a new row; the original row keeps the upper part.
            await self._guarded(source, {"first_n": plan.split.kept.first})
            row = {
                "account_id": source.account_id,
                "project_number": source.project_number,
                "vintage": source.vintage,
                "issuance_id": source.issuance_id,
                "serial_prefix": source.serial_prefix,
                "first_n": plan.split.taken.first,
                "last_n": plan.split.taken.last,
                "state": source.state,
                "exchange": source.exchange,
                "cancellation_id": source.cancellation_id,
                "units_recorded_at": source.units_recorded_at,
            }
            await self.session.execute(insert(HoldingBlock).values(**(row | changes)))
            moved.append(Moved(plan.split.taken, source.units_recorded_at))
        return moved

    async def total(self, **filters: Any) -> int:
        query = select(func.coalesce(func.sum(HoldingBlock.last_n - HoldingBlock.first_n + 1), 0))
        for name, value in filters.items():
            query = query.where(getattr(HoldingBlock, name) == value)
        return int(await self.session.scalar(query) or 0)


class JournalRepository:
    """The movement journal: one row per move, its ranges indexed for the history of a serial."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        kind: str,
        *,
        project_number: str,
        ranges: Sequence[SerialRange],
        at: datetime,
        movement_id: str | None = None,
        **values: Any,
    ) -> Movement:
        """One move of ``ranges``; ``values`` are the other columns (accounts, states, exchange,
        reference_id, detail)."""
        movement = Movement(
            id=movement_id or new_id("MV"),
            kind=kind,
            project_number=project_number,
            quantity=sum(r.size for r in ranges),
            serial_ranges=labels(merge_ranges(ranges)),  # as people read them: contiguous ranges joined
            at=at,
            detail=values.pop("detail", {}),
            **values,
        )
        self.session.add(movement)
        await self.session.flush()
        await self.session.execute(
            insert(MovementRange),
            [
                {"movement_id": movement.id, "serial_prefix": r.prefix, "first_n": r.first, "last_n": r.last}
                for r in ranges
            ],
        )
        return movement

    async def of_serial(self, prefix: str, n: int) -> list[Movement]:
        """Every move of serial ``{prefix}-{n}``, oldest first."""
        query = (
            select(Movement)
            .join(MovementRange, MovementRange.movement_id == Movement.id)
            .where(MovementRange.serial_prefix == prefix, MovementRange.first_n <= n, MovementRange.last_n >= n)
            .order_by(Movement.at, MovementRange.id)
        )
        return list((await self.session.scalars(query)).unique())
