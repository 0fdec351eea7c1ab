"""Databases: SQLAlchemy 2 async engines (SQLite per service by default, PostgreSQL by URL),
the infrastructure tables every service carries, and Alembic migrations applied at start."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NAMING_CONVENTION",
    "InfraTables",
    "UTCDateTime",
    "create_engine_for",
    "dialect_insert",
    "ensure_database",
    "infra_tables",
    "insert_or_ignore",
    "one_read",
    "one_statement",
    "run_migrations",
    "session_factory",
]

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware timestamps on every backend: stored in UTC, read back aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to an aware column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def dialect_insert(table: Table, dialect: str) -> Any:
    """The ``INSERT`` of PostgreSQL or SQLite, which both know ``ON CONFLICT``."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_or_ignore(table: Table, dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING``: one statement whose rowcount says whether the row is new
    (0: a row with that key exists, or a concurrent transaction committed it first)."""
    return dialect_insert(table, dialect).on_conflict_do_nothing()


@contextlib.asynccontextmanager
async def one_statement(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for statements that each commit on their own: on PostgreSQL in autocommit, which
    spares the BEGIN and COMMIT round trips of a transaction around a single statement."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")
    else:
        async with engine.begin() as conn:
            yield conn


@contextlib.asynccontextmanager
async def one_read(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in autocommit for a single read: no BEGIN or COMMIT round trip, and on SQLite no
    write lock (the ``BEGIN IMMEDIATE`` of a transaction)."""
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class InfraTables:
    outbox: Table
    inbox: Table
    idempotency: Table
    clock: Table
    jobs: Table
    audit: Table

    def all(self) -> list[Table]:
        return [self.outbox, self.inbox, self.idempotency, self.clock, self.jobs, self.audit]


def infra_tables(metadata: MetaData) -> InfraTables:
    """Declare the plumbing tables on a service's own metadata (one database per service)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("correlation_id", String(100), nullable=False, index=True),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("body", Text, nullable=False),
        Column("recorded_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        # The lease of the relay that claimed the row and is publishing it (see shared.messaging.relay).
        Column("claimed_until", UTCDateTime, nullable=True),
        # The W3C traceparent of the request, event or job that wrote the row; sent with the event.
        Column("traceparent", String(55), nullable=True),
        Index("ix_outbox_unpublished", "published_at", "seq"),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("correlation_id", String(100), nullable=False, index=True),
        Column("body", Text, nullable=False),
        Column("received_at", UTCDateTime, nullable=False),
        Column("recorded_at", UTCDateTime, nullable=False),
    )
    idempotency = Table(
        "idempotency_keys",
        metadata,
        Column("key", String(200), primary_key=True),
        Column("caller", String(64), primary_key=True),
        Column("method", String(10), nullable=False),
        Column("path", String(500), nullable=False),
        Column("body_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("content_type", String(100), nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        # The request that holds the key until its answer is stored (see shared.idempotency): its
        # claim id, and the end of its lease (NULL once the answer is stored).
        Column("claim", String(32), nullable=True),
        Column("locked_until", UTCDateTime, nullable=True),
    )
    clock = Table(
        "clock_state",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("now", UTCDateTime, nullable=False),
    )
    jobs = Table(
        "scheduled_jobs",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("kind", String(60), nullable=False),
        Column("key", String(200), nullable=False),
        Column("due_at", UTCDateTime, nullable=False, index=True),
        Column("payload", JSON, nullable=False),
        Column("done_at", UTCDateTime, nullable=True),
        Column("result", Text, nullable=True),
        Index("uq_scheduled_jobs_kind_key", "kind", "key", unique=True),
    )
    audit = Table(
        "audit_log",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("at", UTCDateTime, nullable=False),
        Column("at_wall", UTCDateTime, nullable=False),
        Column("actor", String(120), nullable=False),
        Column("action", String(80), nullable=False),
        Column("entity", String(60), nullable=False),
        Column("entity_id", String(100), nullable=False, index=True),
        Column("detail", JSON, nullable=False),
        Column("cause", String(120), nullable=True),
    )
    return InfraTables(outbox, inbox, idempotency, clock, jobs, audit)


def create_engine_for(url: str, *, pool_size: int = 16, max_overflow: int = 0) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = make_url(url).database
        in_memory = not path or path == ":memory:"
        if path and not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # In memory (the fast service-layer tests): one connection, shared by every session, is the database.
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, **({"poolclass": StaticPool} if in_memory else {})
        )

        # Take the write lock at BEGIN so concurrent writers queue on busy_timeout instead of
        # failing to upgrade a read lock (SQLite's deferred transactions).
        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # A pool kept open (CCER_DB_POOL_SIZE, by default sized to the concurrency: see Settings.pool_size),
    # without pre-ping, which cost one round trip per transaction. Connections open on demand and stay
    # open: an overflow connection (CCER_DB_MAX_OVERFLOW) is closed when returned, and its successor
    # prepares every statement again, so the pool itself must cover the usual peak. Last in, first out:
    # the connections in use are the warm ones, whose statements are prepared already. A connection
    # found dead raises a disconnect error, which invalidates the pool: that request fails (5xx
    # problem) and the next ones reconnect.
    # The asyncpg dialect prepares every statement and keeps 100 per connection by default; a service
    # issues a few hundred distinct ones, so most were prepared again on each use.
    return create_async_engine(
        make_url(url).update_query_dict({"prepared_statement_cache_size": "1000"}),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_use_lifo=True,
        pool_pre_ping=False,
        pool_recycle=1800,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` when it does not exist yet."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            if not exists:
                log.info("creating database %s", parsed.database)
                await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        await admin.dispose()


async def run_migrations(engine: AsyncEngine, migrations_dir: Path) -> None:
    """Apply the service's Alembic migrations up to head on ``engine``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))

    def upgrade(sync_conn: Any) -> None:
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "head")

    from alembic.util.exc import CommandError

    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # One migrator at a time when several replicas start together.
                await conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
            await conn.run_sync(upgrade)
    except CommandError as exc:
        raise RuntimeError(
            f"the database at {engine.url.render_as_string(hide_password=True)} carries a schema revision this "
            f"version does not know ({exc}); it was made by another version of the code. Point the service at "
            "a fresh database (SQLite: delete the file under CCER_DATA_DIR)."
        ) from exc
