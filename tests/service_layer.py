"""Harness of the fast service-layer tests: one service, built by its own ``bootstrap()``, on an
in-memory SQLite database (or PostgreSQL, the second backend) with an in-process broker double.

The same tests run on every backend named in ``CCER_UNIT_BACKENDS`` (default ``sqlite``; ``make
test`` and CI add ``postgresql``). No broker is ever needed: events a handler sends are read back
from the in-memory broker, and events a service consumes are handed to its real inbox consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Generic, TypeVar

from shared.bus import Command
from shared.clock import Clock
from shared.db import ensure_database, run_migrations
from shared.events import Envelope, make_envelope, parse_event
from shared.events.contracts import Contract, Event
from shared.messaging.memory import InMemoryBroker, Published
from shared.principal import Principal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.timeutil import CST
from shared.uow import UnitOfWork

__all__ = ["BACKENDS", "ServiceUnderTest", "as_", "changed", "service_under_test"]

BACKENDS = [b.strip() for b in os.environ.get("CCER_UNIT_BACKENDS", "sqlite").split(",") if b.strip()]
PG_BASE = os.environ.get("CCER_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
# One PostgreSQL database per service for the whole session, wiped before each test.
_PG_PREFIX = f"u{uuid.uuid4().hex[:8]}"
DEFAULT_NOW = datetime(2025, 6, 2, 9, 0, tzinfo=CST)

U = TypeVar("U", bound=UnitOfWork)
R = TypeVar("R")
E = TypeVar("E", bound=Contract)


def as_(role: str, **claims: Any) -> Principal:
    """A principal of ``role`` with a fresh user id unless ``sub`` is given."""
    claims.setdefault("sub", f"{role}-{uuid.uuid4().hex[:6]}")
    return Principal(role=role, **claims)


def changed(payload: E, **changes: Any) -> E:
    """``payload`` with ``changes``, validated again by its class; a field the contract does not
    declare is refused (its payloads allow extra fields), so a renamed field breaks the test here."""
    model = type(payload)
    unknown = sorted(set(changes) - set(model.model_fields))
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    return model.model_validate({**payload.model_dump(), **changes})


class ServiceUnderTest(Generic[U]):
    def __init__(self, runtime: Runtime[U], broker: InMemoryBroker, *, serialise: bool = False) -> None:
        self.runtime = runtime
        self.broker = broker
        # In-memory SQLite is one shared connection: two units of work at once would nest
        # transactions on it. Serialising them gives what a real database's row locks give:
        # the second of two racing commands sees the first one's effect and is refused by the domain.
        self._lock = asyncio.Lock() if serialise else contextlib.nullcontext()

    async def handle(self, command: Command[R], principal: Principal) -> R:
        """Run one command through the service's bus, as a route does."""
        async with self._lock:
            return await self.runtime.bus.handle(command, principal)

    def envelope(self, payload: Event, *, correlation_id: str = "test") -> Envelope:
        """One event of ``payload`` (its class's routing key and version), to deliver more than once
        (``deliver(envelope=e)``) as RabbitMQ may."""
        return make_envelope(
            payload.routing_key,
            payload,
            occurred_at=self.runtime.clock.now(),
            correlation_id=correlation_id,
            schema_version=payload.version,
        )

    async def deliver(
        self,
        payload: Event | None = None,
        *,
        envelope: Envelope | None = None,
        correlation_id: str = "test",
    ) -> str:
        """Hand one event to the service's inbox consumer, as RabbitMQ would; returns ``applied``,
        ``duplicate`` or ``ignored``. The payload is the typed contract (its class names the routing
        key), so a contract change breaks the test where the payload is built. Pass ``envelope``
        instead to deliver the very same event again."""
        if envelope is None:
            if payload is None:
                raise TypeError("deliver() needs a payload or an envelope")
            envelope = self.envelope(payload, correlation_id=correlation_id)
        elif payload is not None:
            raise TypeError("deliver() takes a payload or an envelope, not both")
        envelope, parsed = parse_event(envelope.model_dump_json().encode())
        return await self.runtime.consumer.apply(envelope, parsed)

    async def sent(self) -> list[Published]:
        """Events committed since the last call, in order, as the relay publishes them."""
        while await self.runtime.relay.drain_once():
            pass
        return self.broker.take()

    async def sent_types(self) -> list[str]:
        return [p.event_type for p in await self.sent()]

    async def set_clock(self, now: datetime) -> int:
        return await self.runtime.set_clock(now)

    @property
    def now(self) -> datetime:
        return self.runtime.clock.now()


@contextlib.asynccontextmanager
async def service_under_test(
    name: str,
    backend: str = "sqlite",
    *,
    now: datetime = DEFAULT_NOW,
    broker: InMemoryBroker | None = None,
    **settings: Any,
) -> AsyncIterator[ServiceUnderTest[Any]]:
    """One service at ``now``; pass ``broker`` to share one in-process broker between services
    (``tests/system.py``)."""
    if backend == "sqlite":
        url = "sqlite+aiosqlite:///:memory:"
    elif backend == "postgresql":
        url = f"{PG_BASE}/{_PG_PREFIX}_{name}"
    else:
        raise ValueError(f"unknown backend {backend!r} (CCER_UNIT_BACKENDS: sqlite, postgresql)")
    broker = broker or InMemoryBroker()
    bootstrap = importlib.import_module(f"services.{name}.bootstrap").bootstrap
    runtime: Runtime[Any] = bootstrap(Settings(db_url=url, **settings), clock=Clock("simulated"), broker=broker)
    _share_compiled_statements(runtime, backend)
    try:
        await _migrate(runtime, backend)
        await runtime.open(migrated=True)
        if backend == "postgresql":
            await runtime.reset()
        await runtime.set_clock(now)
        yield ServiceUnderTest(runtime, broker, serialise=backend == "sqlite")
    finally:
        await runtime.engine.dispose()


_SHARED: dict[str, tuple[Any, Any]] = {}


def _share_compiled_statements(runtime: Runtime[Any], backend: str) -> None:
    """SQLAlchemy caches compiled statements per engine, keyed by its dialect: the tests' engines of
    one backend share both, so a statement is compiled once per session rather than once per test."""
    engine = runtime.engine.sync_engine
    shared = _SHARED.setdefault(backend, (engine.dialect, engine._compiled_cache))
    engine.dialect, engine._compiled_cache = shared
    engine.pool._dialect = shared[0]


# Alembic runs once per service and backend in a session, not once per test: an in-memory SQLite
# database is migrated once and copied (SQLite's backup API) into each test's fresh database; a
# PostgreSQL database is migrated once and wiped by ``Runtime.reset`` before each test.
_SQLITE_TEMPLATES: dict[str, sqlite3.Connection] = {}
_PG_MIGRATED: set[str] = set()


async def _driver_connection(runtime: Runtime[Any]) -> Any:
    """The aiosqlite connection under the engine's one pooled connection."""
    async with runtime.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        return raw.driver_connection


async def _migrate(runtime: Runtime[Any], backend: str) -> None:
    name = runtime.name
    if backend == "postgresql":
        if name not in _PG_MIGRATED:
            await ensure_database(runtime.url)
            await run_migrations(runtime.engine, runtime.definition.migrations_dir)
            _PG_MIGRATED.add(name)
        return
    # In-memory SQLite is one connection (StaticPool), driven by aiosqlite's thread, which is idle
    # between awaits: the template is copied into it directly.
    target = await _driver_connection(runtime)
    template = _SQLITE_TEMPLATES.get(name)
    if template is None:
        await run_migrations(runtime.engine, runtime.definition.migrations_dir)
        template = sqlite3.connect(":memory:", check_same_thread=False)
        await target.backup(template)  # on aiosqlite's thread, which owns the source
        _SQLITE_TEMPLATES[name] = template
    else:
        template.backup(target._conn)  # the target's thread is not checked, only the source's


async def drop_unit_databases() -> None:
    """Remove this session's PostgreSQL databases (called once at the end of the session)."""
    if "postgresql" not in BACKENDS:
        return
    from tests.harness import drop_databases

    await drop_databases(_PG_PREFIX)
