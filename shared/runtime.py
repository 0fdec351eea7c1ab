"""What a running service is, without the web: its database, clock, unit of work, message bus,
outbox relay, inbox consumer and scheduler. ``services/<name>/bootstrap.py`` builds one from the
service's :class:`ServiceDefinition`; tests pass fakes (a clock, an in-memory broker, an in-memory
database) through the same function."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import MetaData, delete, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.bus import Command, CommandHandler, MessageBus
from shared.clock import Clock
from shared.db import InfraTables, create_engine_for, ensure_database, run_migrations, session_factory
from shared.events import Event
from shared.messaging.broker import Broker, BrokerPort
from shared.messaging.consumer import EventConsumer, EventHandler, check_handlers
from shared.messaging.relay import OutboxRelay
from shared.messaging.topology import bindings_for
from shared.observability import Metrics, db_source_var
from shared.reference import CompliancePeriods
from shared.scheduler import JobHandler, NextDue, Scheduler
from shared.settings import Settings
from shared.uow import UnitOfWork, UnitOfWorkFactory
from shared.workdays import WorkdayCalendar

__all__ = ["Runtime", "ServiceDefinition"]

log = logging.getLogger(__name__)

U = TypeVar("U", bound=UnitOfWork)


@dataclass
class ServiceDefinition(Generic[U]):
    """Everything that makes one service: its tables, its kind of unit of work, and its handlers."""

    name: str
    metadata: MetaData
    infra: InfraTables
    migrations_dir: Path
    unit_of_work: type[U]
    commands: Mapping[type[Command[Any]], CommandHandler] = field(default_factory=dict)
    # Keyed by event class; must match the routing keys the service's queue is bound to.
    event_handlers: Mapping[type[Event], EventHandler] = field(default_factory=dict)
    job_handlers: Mapping[str, JobHandler] = field(default_factory=dict)
    # Jobs that recur (kind → its next instant after now), e.g. the nightly reconciliation.
    recurring_jobs: Mapping[str, NextDue] = field(default_factory=dict)
    # Called after the tables were created/migrated (and after a reset), e.g. to load reference data.
    on_start: Callable[[Runtime[U]], Awaitable[None]] | None = None


def count_statements(engine: AsyncEngine, metrics: Metrics) -> None:
    """Count every statement sent to the database, by source (the round trips a unit of work costs)."""
    children: dict[str, Any] = {}

    def before_cursor_execute(*_: Any) -> None:
        source = db_source_var.get()
        child = children.get(source)
        if child is None:
            child = children[source] = metrics.statements.labels(source)
        child.inc()

    event.listen(engine.sync_engine, "before_cursor_execute", before_cursor_execute)


class Runtime(Generic[U]):
    def __init__(
        self,
        definition: ServiceDefinition[U],
        settings: Settings,
        *,
        clock: Clock | None = None,
        broker: BrokerPort | None = None,
    ) -> None:
        # A handler table that disagrees with the queue's bindings is a wiring bug: refuse to start.
        check_handlers(definition.name, definition.event_handlers, bindings_for(definition.name))
        self.definition = definition
        self.name = definition.name
        self.settings = settings
        self.infra = definition.infra
        self.url = settings.database_url(definition.name)
        self.engine: AsyncEngine = create_engine_for(
            self.url, pool_size=settings.pool_size, max_overflow=settings.db_max_overflow
        )
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.clock = clock or Clock(settings.clock)
        self.calendar = WorkdayCalendar.from_file(settings.holidays_file)
        self.period_definitions = CompliancePeriods.from_file(settings.periods_file)
        self.metrics = Metrics(definition.name)
        count_statements(self.engine, self.metrics)
        self.broker: BrokerPort = broker or Broker(
            settings.amqp_url, delivery_limit=settings.delivery_limit, prefetch=settings.prefetch
        )
        self.relay = OutboxRelay(
            self.engine,
            self.infra,
            self.broker,
            batch=settings.relay_batch,
            poll_seconds=settings.relay_poll_seconds,
            metrics=self.metrics,
        )
        self.uow: UnitOfWorkFactory[U] = UnitOfWorkFactory(
            self.sessions,
            self.infra,
            self.clock,
            self.relay.handoff,
            definition.unit_of_work,
            self.calendar,
            self.period_definitions,
        )
        self.bus: MessageBus[U] = MessageBus(self.uow, definition.commands)
        self.consumer = EventConsumer(
            definition.name,
            self.uow,
            dict(definition.event_handlers),
            metrics=self.metrics,
            concurrency=1 if self.engine.dialect.name == "sqlite" else settings.consumer_concurrency,
        )
        self.scheduler = Scheduler(self.uow, dict(definition.job_handlers), dict(definition.recurring_jobs))
        self.uow.on_schedule = self.scheduler.notice
        # The next scheduler round runs the due jobs and keeps the recurring ones pending whatever
        # the next due instant says (at start, and after a reset emptied the jobs).
        self._full_round = True
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []
        self.clock_lock = asyncio.Lock()

    async def open(self, *, migrated: bool = False) -> None:
        """The database, migrated, with the clock and reference data loaded: enough to run handlers.
        ``migrated``: the schema is at head already (the tests copy a migrated database)."""
        if not migrated:
            await ensure_database(self.url)
            await run_migrations(self.engine, self.definition.migrations_dir)
        await self.clock.load(self.sessions, self.infra)
        if self.definition.on_start:
            await self.definition.on_start(self)

    async def start(self) -> None:
        """:meth:`open`, then connect to the broker, relay the outbox, consume and run due jobs."""
        await self.open()
        self.tasks = [
            asyncio.create_task(self._broker_then_consume(), name=f"{self.name}-broker"),
            asyncio.create_task(self.relay.run(self.stop), name=f"{self.name}-relay"),
            asyncio.create_task(self._scheduler_loop(), name=f"{self.name}-scheduler"),
        ]
        # Start-up is over: what it allocated (modules, tables, compiled statements, the app) stays
        # for the life of the process. Frozen, it is left out of every later garbage collection,
        # which then scans far fewer objects, and forked workers' pages are not dirtied by the
        # collector touching their reference counts (copy-on-write friendly). :meth:`shutdown` thaws
        # them (several services start and stop in one test process).
        gc.collect()
        gc.freeze()

    async def _broker_then_consume(self) -> None:
        await self.broker.connect_forever(self.stop)
        if not self.stop.is_set() and self.definition.event_handlers:
            await self.broker.consume(self.name, self.consumer.on_message)

    async def _scheduler_loop(self) -> None:
        while not self.stop.is_set():
            delay = await self.scheduler_round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.scheduler.wake.wait(), delay)

    async def scheduler_round(self) -> float:
        """Run the jobs that are due, and return how long to sleep: until the next due instant, or
        until woken (:attr:`Scheduler.wake`), at the longest ``scheduler_max_sleep_seconds``. An idle
        round is one statement, the read of the earliest pending job. The bound is what finds a job
        another replica sharing the database scheduled (this process is not told of it)."""
        # Before reading: a job committed from here on (asleep_until None) wakes the next sleep.
        self.scheduler.wake.clear()
        self.scheduler.asleep_until = None
        longest = self.settings.scheduler_max_sleep_seconds
        try:
            async with self.clock_lock:
                now = self.clock.now()
                due = None if self._full_round else await self.scheduler.next_due()
                if self._full_round or (due is not None and due <= now):
                    self._full_round = False
                    await self.scheduler.run_due(now)
                    due = await self.scheduler.next_due()
                self.scheduler.asleep_until = due
        except Exception:
            log.exception("scheduler round failed")
            self._full_round = True
            return self.settings.scheduler_retry_seconds
        if due is None:
            return longest
        if due <= now:  # due jobs another replica holds (or a handler keeps failing): try again soon
            return self.settings.scheduler_retry_seconds
        if self.clock.mode == "simulated" and self.clock.is_set:
            # A set simulated clock stands still: nothing falls due until it is moved, and a move
            # (set_clock) runs what fell due and wakes this loop. Real time says nothing here.
            return longest
        return min(longest, (due - now).total_seconds())

    async def shutdown(self) -> None:
        self.stop.set()
        self.relay.wake.set()
        self.scheduler.wake.set()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.broker.close()
        await self.engine.dispose()
        gc.unfreeze()

    async def set_clock(self, new: datetime) -> int:
        """Move the simulated clock forward and run what fell due; returns the number of jobs run."""
        async with self.clock_lock:
            self.clock.check_forward(new)
            async with self.sessions() as session, session.begin():
                await self.clock.persist(session, self.infra, new)
            self.clock.adopt(new)
            try:
                ran = await self.scheduler.run_due(new)
                self._full_round = False  # run_due kept the recurring jobs pending, too
                return ran
            finally:
                self.scheduler.wake.set()  # the loop's sleep was reckoned on the old instant

    async def reset(self) -> None:
        async with (
            self.clock_lock,
            self.relay.lock,
            self.consumer.locks.exclusive(),
            self.sessions() as session,
            session.begin(),
        ):
            for table in reversed(self.definition.metadata.sorted_tables):
                await session.execute(delete(table))
            self.relay.forget()
        self.clock.reset()
        self._full_round = True
        self.scheduler.wake.set()
        if self.definition.on_start:
            await self.definition.on_start(self)
