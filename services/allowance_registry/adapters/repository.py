"""Guarded writes on holdings and pending offsets, and the caller's scope as a query condition.

Every change of a quantity is one ``UPDATE … WHERE <enough is there>``; the caller checks the row
count, so concurrent requests and replicas never overdraw or apply an effect twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import Account, AllowanceHolding, CcerHolding, PendingOffset
from services.allowance_registry.domain.offsets import LotBalance
from shared.auth import Principal

__all__ = [
    "REGISTRY_ROLES",
    "account_scope",
    "credit_allowances",
    "ensure_allowance_holding",
    "freeze_allowances",
    "freeze_offset_ccer",
    "insert_ignore",
    "lots_for_update",
    "move_lot",
    "release_allowances",
    "release_offset_ccer",
    "surrender_allowances",
    "surrender_offset_ccer",
    "transfer_allowances",
]

REGISTRY_ROLES = ("registry_initiator", "registry_confirmer")


def account_scope(principal: Principal) -> ColumnElement[bool]:
    """The accounts a caller may see (domain.md §2): its own, its province's, or all for the registry."""
    if principal.role == "enterprise":
        return Account.holder_uscc == principal.org
    if principal.is_province:
        return Account.province == principal.province
    if principal.role in REGISTRY_ROLES:
        return true()
    return false()


async def insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model).values(**values)
    await session.execute(stmt.on_conflict_do_nothing())


async def ensure_allowance_holding(session: AsyncSession, account_id: str, instrument: str) -> None:
    await insert_ignore(
        session,
        AllowanceHolding,
        {"account_id": account_id, "instrument": instrument, "registry_side": 0, "trading_side": 0, "frozen": 0},
    )


def _holding(account_id: str, instrument: str) -> ColumnElement[bool]:
    return (AllowanceHolding.account_id == account_id) & (AllowanceHolding.instrument == instrument)


async def _one_row(session: AsyncSession, stmt: Any) -> bool:
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def credit_allowances(session: AsyncSession, account_id: str, instrument: str, side: str, quantity: int) -> None:
    await ensure_allowance_holding(session, account_id, instrument)
    column = AllowanceHolding.registry_side if side == "registry" else AllowanceHolding.trading_side
    await session.execute(
        update(AllowanceHolding)
        .where(_holding(account_id, instrument))
        .values({column: column + quantity})
        .execution_options(synchronize_session=False)
    )


async def transfer_allowances(
    session: AsyncSession, account_id: str, instrument: str, quantity: int, direction: str
) -> bool:
    h = AllowanceHolding
    if direction == "to_trading":
        stmt = (
            update(h)
            .where(_holding(account_id, instrument), h.registry_side - h.frozen >= quantity)
            .values(registry_side=h.registry_side - quantity, trading_side=h.trading_side + quantity)
        )
    else:
        stmt = (
            update(h)
            .where(_holding(account_id, instrument), h.trading_side >= quantity)
            .values(registry_side=h.registry_side + quantity, trading_side=h.trading_side - quantity)
        )
    return await _one_row(session, stmt)


async def freeze_allowances(session: AsyncSession, account_id: str, instrument: str, quantity: int) -> bool:
    h = AllowanceHolding
    return await _one_row(
        session,
        update(h)
        .where(_holding(account_id, instrument), h.registry_side - h.frozen >= quantity)
        .values(frozen=h.frozen + quantity),
    )


async def release_allowances(session: AsyncSession, account_id: str, instrument: str, quantity: int) -> bool:
    h = AllowanceHolding
    return await _one_row(
        session,
        update(h).where(_holding(account_id, instrument), h.frozen >= quantity).values(frozen=h.frozen - quantity),
    )


async def surrender_allowances(session: AsyncSession, account_id: str, instrument: str, quantity: int) -> bool:
    """Frozen allowances leave the holding: gone exactly once."""
    h = AllowanceHolding
    return await _one_row(
        session,
        update(h)
        .where(_holding(account_id, instrument), h.frozen >= quantity)
        .values(frozen=h.frozen - quantity, registry_side=h.registry_side - quantity),
    )


def _ccer(account_id: str, instrument: str) -> ColumnElement[bool]:
    return (CcerHolding.account_id == account_id) & (CcerHolding.instrument == instrument)


async def freeze_offset_ccer(session: AsyncSession, account_id: str, instrument: str, quantity: int) -> bool:
    c = CcerHolding
    return await _one_row(
        session,
        update(c)
        .where(_ccer(account_id, instrument), c.quantity - c.frozen >= quantity)
        .values(frozen=c.frozen + quantity),
    )


async def release_offset_ccer(session: AsyncSession, account_id: str, instrument: str, quantity: int) -> bool:
    c = CcerHolding
    return await _one_row(
        session, update(c).where(_ccer(account_id, instrument), c.frozen >= quantity).values(frozen=c.frozen - quantity)
    )


async def surrender_offset_ccer(session: AsyncSession, account_id: str, instrument: str, quantity: int) -> bool:
    c = CcerHolding
    return await _one_row(
        session,
        update(c)
        .where(_ccer(account_id, instrument), c.frozen >= quantity)
        .values(frozen=c.frozen - quantity, quantity=c.quantity - quantity),
    )


async def move_lot(session: AsyncSession, lot_id: str, *, reserve: int = 0, register: int = 0, recall: int = 0) -> bool:
    """Move quantity between a lot's parts in one guarded statement, then restate its status.

    ``reserve`` > 0 takes from available (< 0 gives back), ``register`` takes from reserved,
    ``recall`` takes from available. False when the lot has not got that much."""
    p = PendingOffset
    available = p.quantity - p.reserved - p.registered - p.recalled
    need_available = max(reserve, 0) + recall
    need_reserved = register + max(-reserve, 0)
    stmt = (
        update(p)
        .where(p.lot_id == lot_id, p.status == "pending", available >= need_available, p.reserved >= need_reserved)
        .values(
            reserved=p.reserved + reserve - register, registered=p.registered + register, recalled=p.recalled + recall
        )
        .returning(p.quantity, p.reserved, p.registered, p.recalled, p.status)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return False
    status = LotBalance(row.quantity, row.reserved, row.registered, row.recalled).status.value
    if status != row.status:
        await session.execute(
            update(p).where(p.lot_id == lot_id).values(status=status).execution_options(synchronize_session=False)
        )
    return True


async def lots_for_update(session: AsyncSession, lot_ids: list[str]) -> dict[str, PendingOffset]:
    if not lot_ids:
        return {}
    rows = await session.scalars(
        select(PendingOffset)
        .where(PendingOffset.lot_id.in_(sorted(lot_ids)))
        .order_by(PendingOffset.lot_id)
        .with_for_update()
    )
    return {r.lot_id: r for r in rows}
