"""What one database statement costs the client, by how it is sent: ``python -m benchmarks.statement_cost``.

The cycle's service CPU is mostly spent sending statements (about 195 per unit). This prints the
client CPU (user + system of this process) per operation, each a transaction of one statement unless
named otherwise, on a scratch database that is dropped afterwards:
raw asyncpg; SQLAlchemy Core prebuilt once (autocommit, then in a transaction); Core built per call on
a connection and on a session; the ORM (select, get, three selects, select + update, add). Read the
figures as ratios to the first line, measured in the same run."""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy import BigInteger, String, Table, bindparam, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from benchmarks.stack import PG_BASE

ROWS = 1000


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "statement_cost_accounts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(6))
    quantity: Mapped[int] = mapped_column(BigInteger)


TABLE: Table = Account.__table__  # type: ignore[assignment]
PREBUILT = select(TABLE).where(TABLE.c.id == bindparam("id"))


def cpu() -> float:
    t = os.times()
    return t.user + t.system


async def measure(label: str, n: int, op: Callable[[int], Awaitable[object]], first: list[float]) -> None:
    for i in range(min(100, n)):  # warm: prepared statements, compiled cache
        await op(i)
    start = cpu()
    for i in range(n):
        await op(i % ROWS)
    micro = 1e6 * (cpu() - start) / n
    if not first:
        first.append(micro)
    print(f"{label:48s} {micro:8.0f} µs CPU/op  {micro / first[0]:5.1f}×")


async def run(engine: AsyncEngine, raw: asyncpg.Connection, n: int) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def raw_asyncpg(i: int) -> object:
        async with raw.transaction():
            return await raw.fetchrow(f"SELECT * FROM {TABLE.name} WHERE id = $1", f"A{i}")

    async def core_prebuilt_autocommit(i: int) -> object:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return (await conn.execute(PREBUILT, {"id": f"A{i}"})).first()

    async def core_prebuilt(i: int) -> object:
        async with engine.begin() as conn:
            return (await conn.execute(PREBUILT, {"id": f"A{i}"})).first()

    async def core_built(i: int) -> object:
        async with engine.begin() as conn:
            return (await conn.execute(select(TABLE).where(TABLE.c.id == f"A{i}"))).first()

    async def core_on_session(i: int) -> object:
        async with sessions() as session, session.begin():
            return (await session.execute(select(TABLE).where(TABLE.c.id == f"A{i}"))).first()

    async def orm_select(i: int) -> object:
        async with sessions() as session, session.begin():
            return await session.scalar(select(Account).where(Account.id == f"A{i}"))

    async def orm_get(i: int) -> object:
        async with sessions() as session, session.begin():
            return await session.get(Account, f"A{i}")

    async def orm_three_selects(i: int) -> object:
        async with sessions() as session, session.begin():
            for k in range(3):
                await session.scalar(select(Account).where(Account.id == f"A{(i + k) % ROWS}"))
        return None

    async def orm_select_update(i: int) -> object:
        async with sessions() as session, session.begin():
            account = await session.scalar(select(Account).where(Account.id == f"A{i}"))
            assert account is not None
            account.quantity += 1
        return None

    async def orm_add(i: int) -> object:
        async with sessions() as session, session.begin():
            session.add(Account(id=uuid.uuid4().hex, name="新账户", province="110000", quantity=1))
        return None

    first: list[float] = []
    for label, op in (
        ("raw asyncpg: BEGIN, SELECT, COMMIT", raw_asyncpg),
        ("Core prebuilt, autocommit connection", core_prebuilt_autocommit),
        ("Core prebuilt, in a transaction", core_prebuilt),
        ("Core built per call, on a connection", core_built),
        ("Core built per call, on an ORM session", core_on_session),
        ("ORM select", orm_select),
        ("ORM get", orm_get),
        ("ORM three selects in one transaction", orm_three_selects),
        ("ORM select + update", orm_select_update),
        ("ORM add (insert)", orm_add),
    ):
        await measure(label, n, op, first)


async def main(n: int) -> None:
    name = f"bench{uuid.uuid4().hex[:8]}_statement_cost"
    admin = await asyncpg.connect(PG_BASE.replace("+asyncpg", "") + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_BASE}/{name}"
    engine = create_async_engine(url + "?prepared_statement_cache_size=1000", pool_size=2)
    raw = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            await conn.execute(
                insert(TABLE),
                [{"id": f"A{i}", "name": "测试账户", "province": "110000", "quantity": i} for i in range(ROWS)],
            )
            assert (await conn.scalar(text(f"SELECT count(*) FROM {TABLE.name}"))) == ROWS
        print(f"{n} operations each, client CPU per operation (this process), PostgreSQL on {PG_BASE.split('@')[-1]}")
        await run(engine, raw, n)
    finally:
        await raw.close()
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.statement_cost", description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="operations per line (100-100000)")
    args = parser.parse_args()
    if not 100 <= args.n <= 100_000:
        parser.error("--n must be within 100-100000")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(args.n))
