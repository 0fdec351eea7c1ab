"""A system runner for tests: the four services in one process, each built by its own
``bootstrap()`` on in-memory SQLite (or PostgreSQL, per ``CCER_UNIT_BACKENDS``), sharing one
in-process broker that routes every event to the services bound to it and hands it to their real
inbox consumers (the code RabbitMQ feeds). One simulated time is moved for all of them together.

Nothing runs in the background: ``await system.drain()`` relays every outbox and delivers every
queued message, round after round, until nothing is left, so a cross-service flow reads as a
sequence of commands and its outcome is the same on every run.

    async with running_system(backend, now=...) as system:
        binding = await system.handle("new", RequestBinding(...), plant)
        await system.drain()
        ...
        system.assert_no_dead_letters()
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from shared.bus import Command
from shared.messaging.dlq import DeadLetter
from shared.messaging.memory import InMemoryBroker, Published
from shared.observability import db_source_var
from shared.principal import Principal
from tests.service_layer import DEFAULT_NOW, ServiceUnderTest, service_under_test

__all__ = ["ALIASES", "System", "SystemDidNotSettle", "running_system"]

R = TypeVar("R")

# Short names a test uses for the four services.
ALIASES = {
    "new": "new_ccer_registry",
    "legacy": "legacy_ccer_registry",
    "allowance": "allowance_registry",
    "review": "provincial_review",
}


class SystemDidNotSettle(AssertionError):
    """Events kept flowing after the allowed number of rounds (a loop between services)."""


@dataclass
class System:
    broker: InMemoryBroker
    services: dict[str, ServiceUnderTest[Any]]
    max_rounds: int = 50

    def __getitem__(self, name: str) -> ServiceUnderTest[Any]:
        return self.services[ALIASES.get(name, name)]

    @property
    def now(self) -> datetime:
        return next(iter(self.services.values())).now

    async def handle(self, service: str, command: Command[R], principal: Principal) -> R:
        """Run one command on ``service`` as ``principal``, as its route does (events wait for :meth:`drain`)."""
        return await self[service].handle(command, principal)

    async def relay(self) -> int:
        """Publish every committed outbox row of every service; returns how many."""
        published = 0
        source = db_source_var.set("relay")  # as the relay's own task is
        try:
            for svc in self.services.values():
                published += await self._relay(svc)
        finally:
            db_source_var.reset(source)
        return published

    @staticmethod
    async def _relay(svc: ServiceUnderTest[Any]) -> int:
        # As the relay's loop does: hand-offs as they come, a claim only when one may find something
        # (after a failure, or the first round), so draining an idle system sends no statement and a
        # step's count does not depend on how many rounds it took.
        published, relay = 0, svc.runtime.relay
        while (relay.handed or relay.backlog) and (sent := await relay.drain_once()):
            published += sent
        return published

    async def drain(self) -> list[Published]:
        """Relay and deliver until no outbox row and no queued message is left; returns the events
        published meanwhile, in order. Raises :class:`SystemDidNotSettle` after ``max_rounds``."""
        for _ in range(self.max_rounds):
            moved = await self.relay()
            # In a task of its own, as each delivery of RabbitMQ's is: what the consumer sets in its
            # context (``db_source_var`` = event, the correlation id) stays there.
            moved += await asyncio.create_task(self.broker.deliver())
            if not moved and not self.broker.waiting():
                return self.broker.take()
        raise SystemDidNotSettle(f"events still flowing after {self.max_rounds} rounds: {self.broker.take()[-5:]}")

    async def set_clock(self, now: datetime) -> int:
        """Move every service's clock to ``now`` (jobs that fell due run), then drain; returns the jobs run."""
        ran = 0
        for svc in self.services.values():
            ran += await svc.set_clock(now)
        await self.drain()
        return ran

    def dead_letters(self) -> list[DeadLetter]:
        return [d for letters in self.broker.dead_letters.values() for d in letters]

    def assert_no_dead_letters(self) -> None:
        dead = self.dead_letters()
        assert not dead, "dead-lettered: " + "; ".join(f"{d.service} {d.event_type} ({d.reason})" for d in dead)


@contextlib.asynccontextmanager
async def running_system(backend: str = "sqlite", *, now: datetime = DEFAULT_NOW) -> AsyncIterator[System]:
    """The four services at ``now``, consumers attached to one in-memory broker."""
    broker = InMemoryBroker()
    async with contextlib.AsyncExitStack() as stack:
        services: dict[str, ServiceUnderTest[Any]] = {}
        for name in ALIASES.values():
            svc = await stack.enter_async_context(service_under_test(name, backend, now=now, broker=broker))
            # Retries are driven by drain(), not by the clock of the test run.
            svc.runtime.consumer.max_backoff = 0.0
            if svc.runtime.definition.event_handlers:
                await broker.consume(name, svc.runtime.consumer.on_message)
            services[name] = svc
        system = System(broker, services)
        await system.drain()  # the relays' first claim (nothing is left over), before the test
        yield system
