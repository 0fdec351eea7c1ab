"""What every repository of the allowance registry shares: the scope rule on accounts, the guarded
single-row update, and insert-or-ignore on both backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import Account
from services.allowance_registry.domain.access import OPERATORS
from shared.db import dialect_insert, insert_or_ignore
from shared.principal import Principal
from shared.scope import Scope

__all__ = ["account_scope", "add_unique", "insert_ignore", "one_row", "scope_of", "upsert_add"]


def scope_of(principal: Principal) -> Scope:
    return Scope.of(principal, operators=OPERATORS)


def account_scope(principal: Principal) -> ColumnElement[bool]:
    """The accounts a caller may see (domain.md §2): its own, its province's, or all for the registry."""
    return scope_of(principal).where(org=Account.holder_uscc, province=Account.province)


async def insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any]) -> None:
    await session.execute(insert_or_ignore(model.__table__, session.get_bind().dialect.name).values(**values))


async def upsert_add(
    session: AsyncSession, model: Any, values: dict[str, Any], column: str, quantity: int, returning: Sequence[Any]
) -> tuple[Any, ...]:
    """Insert ``values``, or, when the row exists (its primary key), add ``quantity`` to its ``column``:
    one statement on both backends, returning the row's ``returning`` columns after it."""
    table = model.__table__
    stmt = dialect_insert(table, session.get_bind().dialect.name).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(table.primary_key.columns), set_={column: table.c[column] + quantity}
    )
    return tuple((await session.execute(stmt.returning(*returning))).one())


async def one_row(session: AsyncSession, stmt: Any) -> bool:
    """Run a guarded ``UPDATE … WHERE <the state we expect>``: True when exactly one row matched."""
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def add_unique(session: AsyncSession, row: object) -> bool:
    """Add ``row`` and flush: False when its unique key exists already (a concurrent request created it
    first). The transaction is then unusable; the caller refuses and the unit of work rolls back."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        return False
    return True
