"""Repository of holding blocks: locking, reading and moving units by serial range.

Moves follow the pure plan of :func:`plan_take` (lowest serials first, at most one block split) and
write it with guarded updates: each row is changed only if it still is what was read, and the row
count is checked, so a concurrent change can never be silently overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.new_ccer_registry.adapters.orm import Account, HoldingBlock
from services.new_ccer_registry.domain.serials import Block, SerialRange, plan_take
from shared.problems import Problem

__all__ = ["ConcurrentChange", "blocks_in", "held", "labels", "lock_accounts", "move_lowest", "to_range"]

_UNCHANGED: Any = object()


class ConcurrentChange(Problem):
    """A row changed between reading and writing it: nothing is written; the caller may retry (an
    event handler is retried by the consumer)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            409,
            "CONCURRENT_UPDATE",
            f"{what} changed concurrently; nothing was changed, retry",
            f"{what} 被并发修改，未做任何更改，请重试",
        )


def to_range(block: HoldingBlock) -> SerialRange:
    return SerialRange(block.serial_prefix, block.first_n, block.last_n)


def labels(ranges: Sequence[SerialRange]) -> list[list[str]]:
    return [list(r.labels()) for r in ranges]


async def lock_accounts(session: AsyncSession, *account_ids: str) -> dict[str, Account]:
    """The accounts, locked for this transaction, always in id order so two lockers never deadlock.
    PostgreSQL: ``FOR NO KEY UPDATE``, which serialises our writers but, unlike ``FOR UPDATE``, does not
    block the key-share locks taken by foreign-key checks of rows inserted elsewhere. SQLite's
    BEGIN IMMEDIATE already serialises writers."""
    rows = await session.scalars(
        select(Account)
        .where(Account.id.in_(sorted(set(account_ids))))
        .order_by(Account.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {a.id: a for a in rows}


async def blocks_in(
    session: AsyncSession,
    *,
    account_id: str | None = None,
    project_number: str | None = None,
    state: str | None = None,
    origin: str | None = None,
    vintage: int | None = None,
    lot_id: str | None = None,
) -> list[HoldingBlock]:
    """Blocks matching the filters, locked, lowest serials first."""
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
    return list(await session.scalars(query.with_for_update(key_share=True).execution_options(populate_existing=True)))


async def held(session: AsyncSession, **filters: Any) -> int:
    query = select(func.coalesce(func.sum(HoldingBlock.last_n - HoldingBlock.first_n + 1), 0))
    for name, value in filters.items():
        query = query.where(getattr(HoldingBlock, name) == value)
    return int(await session.scalar(query) or 0)


def _guard(block: HoldingBlock) -> list[Any]:
    return [
        HoldingBlock.id == block.id,
        HoldingBlock.state == block.state,
        HoldingBlock.account_id == block.account_id,
        HoldingBlock.first_n == block.first_n,
        HoldingBlock.last_n == block.last_n,
        HoldingBlock.lot_id.is_(None) if block.lot_id is None else HoldingBlock.lot_id == block.lot_id,
    ]


async def _execute_guarded(session: AsyncSession, block: HoldingBlock, values: dict[str, Any]) -> None:
    result = await session.execute(
        update(HoldingBlock).where(*_guard(block)).values(**values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentChange(f"holding block {block.id}")


async def move_lowest(
    session: AsyncSession,
    blocks: Sequence[HoldingBlock],
    quantity: int,
    *,
    to_state: str,
    to_account_id: str | None = None,
    lot_id: str | None = _UNCHANGED,
) -> list[SerialRange]:
    """Move ``quantity`` units from ``blocks`` (read with :func:`blocks_in`) into ``to_state`` (and
    ``to_account_id`` / ``lot_id`` when given), lowest serials first. Returns the moved ranges.
    Raises :class:`InsufficientUnits` when the blocks hold fewer units."""
    by_id = {b.id: b for b in blocks}
    plan = plan_take([Block(b.id, b.vintage, to_range(b)) for b in blocks], quantity)
    changes: dict[str, Any] = {"state": to_state}
    if to_account_id is not None:
        changes["account_id"] = to_account_id
    if lot_id is not _UNCHANGED:
        changes["lot_id"] = lot_id
    for planned in plan.whole:
        await _execute_guarded(session, by_id[planned.key], changes)
    if plan.split is not None:
        source = by_id[plan.split.key]
        # The lower part moves as a new row; the original row keeps the upper part.
        await _execute_guarded(session, source, {"first_n": plan.split.kept.first})
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
        }
        await session.execute(insert(HoldingBlock).values(**(row | changes)))
    return plan.taken
