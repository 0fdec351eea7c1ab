"""Inbox-guarded consumer: an event's effect and its inbox row commit together; a duplicate is
acknowledged and logged, never applied twice; a payload that does not validate goes straight to the
DLQ.

Errors map to settlements: a :class:`~shared.errors.DomainError` that a retry cannot cure (the event
disagrees with this service's state, or the domain refuses it) is dead-lettered at once for an
operator; a concurrent change, or any other failure (database down, a bug), is retried with back-off
and dead-lettered by the queue's delivery limit."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import ChannelInvalidStateError
from pydantic import BaseModel

from shared.db import insert_or_ignore
from shared.errors import DomainError, ErrorKind
from shared.events import EVENT_TYPES, PAYLOADS, Envelope, Event, InvalidEvent, parse_event
from shared.messaging.broker import delivery_count
from shared.observability import Metrics, correlation_var, db_source_var
from shared.tracing import SpanKind, span
from shared.uow import UnitOfWorkFactory

__all__ = [
    "EventConsumer",
    "EventHandler",
    "EventHandlers",
    "HandlersDisagreeWithBindings",
    "aggregate_key",
    "check_handlers",
    "retry_cannot_cure",
]

log = logging.getLogger(__name__)

# ``(uow, envelope, event)``: the unit of work and the payload are the service's own types (its
# unit of work, the event class it is keyed by), hence ``Any`` here; ``check_handlers`` verifies at
# start that each handler's payload annotation is the class it is keyed by.
EventHandler = Callable[[Any, Envelope, Any], Awaitable[None]]
EventHandlers = Mapping[type[Event], EventHandler]


class HandlersDisagreeWithBindings(RuntimeError):
    """A service's handler table and its queue's bindings differ: it must not start."""


def check_handlers(service: str, handlers: EventHandlers, bound: Iterable[str]) -> None:
    """Refuse a handler table that does not match the queue's bindings, in either direction: an event
    handled but not bound would never arrive; one bound but not handled would be acknowledged unapplied.
    A handler whose payload annotation is another class than its key is refused too."""
    problems: list[str] = []
    bound = set(bound)
    problems += [
        f"handles {key} but its queue is not bound to it"
        for key in sorted({event.routing_key for event in handlers} - bound)
    ]
    # Every version of a bound routing key needs its handler: a v2 beside v1 is a second entry.
    unhandled = [event for (key, _), event in PAYLOADS.items() if key in bound and event not in handlers]
    problems += [
        f"is bound to {event.routing_key} but has no handler for it (v{event.version}, {event.__name__})"
        for event in unhandled
    ]
    problems += [f"is bound to {key}, which no event class declares" for key in sorted(bound - set(EVENT_TYPES))]
    for event, handler in handlers.items():
        declared = _payload_annotation(handler)
        if declared is not None and not (isinstance(declared, type) and issubclass(event, declared)):
            problems.append(f"keys {handler.__qualname__} by {event.__name__} but it takes {declared!r}")
    if problems:
        raise HandlersDisagreeWithBindings(
            f"{service} refuses to start: its event handlers and its queue bindings disagree: " + "; ".join(problems)
        )


def _payload_annotation(handler: EventHandler) -> object | None:
    """The annotation of the handler's third parameter (the event), or None if it has none."""
    try:
        hints = typing.get_type_hints(handler)
        params = list(inspect.signature(handler).parameters)
    except (NameError, TypeError, ValueError):
        return None
    return hints.get(params[2]) if len(params) >= 3 else None


def aggregate_key(payload: BaseModel, event_type: str = "") -> str:
    """The aggregate an event belongs to, by the payload field its class declares: events of one
    aggregate are applied one at a time and in delivery order; different aggregates run side by side."""
    if isinstance(payload, Event):
        return payload.aggregate_key()
    return f"type={event_type}"


class KeyedLocks:
    """One lock per key, created on demand and dropped when nobody holds or waits for it, plus a cap on
    how many keys run at once."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = max(1, concurrency)
        self.gate = asyncio.Semaphore(self.concurrency)
        self.locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """No handler runs while this is held (a reset of the service's data)."""
        taken = 0
        try:
            for _ in range(self.concurrency):
                await self.gate.acquire()
                taken += 1
            yield
        finally:
            for _ in range(taken):
                self.gate.release()

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self.locks.get(key, (asyncio.Lock(), 0))
        self.locks[key] = (lock, users + 1)
        try:
            async with lock, self.gate:
                yield
        finally:
            lock, users = self.locks[key]
            if users == 1:
                del self.locks[key]
            else:
                self.locks[key] = (lock, users - 1)


def retry_cannot_cure(exc: Exception) -> bool:
    """A domain refusal, or an event that disagrees with our state, is the same on every delivery: it
    goes to the DLQ at once. A concurrent change or an infrastructure failure may pass next time."""
    return isinstance(exc, DomainError) and exc.kind != ErrorKind.concurrent


class EventConsumer:
    def __init__(
        self,
        service: str,
        uow: UnitOfWorkFactory,
        handlers: dict[type[Event], EventHandler],
        *,
        metrics: Metrics | None = None,
        max_backoff: float = 5.0,
        concurrency: int = 1,
    ) -> None:
        self.service = service
        self.uow = uow
        self.handlers = handlers
        self.metrics = metrics
        self.max_backoff = max_backoff
        # Up to ``concurrency`` handlers run at once, one per aggregate (per lot, application, binding
        # ...), so one aggregate's events keep their order. Rows two aggregates share (a holding, a
        # notice) are guarded by row locks and guarded updates; a lost race or a deadlock is a retry.
        # One writer (concurrency 1) for SQLite, whose write lock serialises transactions anyway.
        self.locks = KeyedLocks(concurrency)
        # Messages delivered and not yet settled: "quiet" needs this at 0 as well as empty queues.
        self.in_flight = 0

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        self.in_flight += 1
        try:
            # Continue the trace the event was sent in (its ``traceparent`` header) with a span of
            # this consumer: what the handler emits carries the same trace id. None: a new trace.
            with span(
                f"consume {message.type}",
                parent=(message.headers or {}).get("traceparent"),  # type: ignore[arg-type]
                root=True,
                kind=SpanKind.CONSUMER,
                attributes={"messaging.system": "rabbitmq", "ccer.service": self.service},
            ):
                await self._on_message(message)
        finally:
            self.in_flight -= 1

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope, payload = parse_event(message.body)
        except InvalidEvent as exc:
            log.error("poison message %s (%s) sent to the DLQ: %s", message.message_id, message.type, exc)
            self._count(message.type or "unknown", "invalid")
            await self._settle(message.reject(requeue=False))
            return
        token = correlation_var.set(envelope.correlation_id)
        db_source_var.set("event")
        try:
            try:
                outcome = await self.apply(envelope, payload)
            except Exception as exc:
                if retry_cannot_cure(exc):
                    assert isinstance(exc, DomainError)
                    log.error(
                        "%s %s refused and sent to the DLQ: %s %s (%s)",
                        envelope.event_type,
                        envelope.event_id,
                        exc.code,
                        exc.message,
                        ", ".join(f.code for f in exc.findings),
                    )
                    self._count(envelope.event_type, "refused")
                    await self._settle(message.reject(requeue=False))
                else:
                    await self._retry(message, envelope, exc)
                return
        finally:
            correlation_var.reset(token)
        self._count(envelope.event_type, outcome)
        log.debug("%s %s %s", envelope.event_type, envelope.event_id, outcome)
        await self._settle(message.ack())

    async def _retry(self, message: AbstractIncomingMessage, envelope: Envelope, exc: Exception) -> None:
        attempt = delivery_count(message) + 1
        delay = min(0.1 * 2 ** (attempt - 1), self.max_backoff)
        log.warning(
            "%s %s failed on delivery %d (%s: %s); requeue after %.1fs",
            envelope.event_type,
            envelope.event_id,
            attempt,
            type(exc).__name__,
            exc,
            delay,
            exc_info=attempt == 1 and not isinstance(exc, DomainError),
        )
        self._count(envelope.event_type, "failed")
        await asyncio.sleep(delay)
        await self._settle(message.nack(requeue=True))

    async def apply(self, envelope: Envelope, payload: BaseModel) -> str:
        """Apply the event once: returns ``applied``, ``duplicate`` or ``ignored``."""
        inbox = self.uow.infra.inbox
        handler = self.handlers.get(type(payload)) if isinstance(payload, Event) else None
        async with self.locks.hold(aggregate_key(payload, envelope.event_type)):
            async with self.uow(
                actor=f"event:{envelope.producer}",
                cause=f"event:{envelope.event_type}:{envelope.event_id}",
                causation_id=envelope.event_id,
                correlation_id=envelope.correlation_id,
            ) as uow:
                # One statement: the inbox row is new, or this event was applied already. A replica
                # applying the same event concurrently holds the key: this waits for its commit.
                recorded = await uow.session.execute(
                    insert_or_ignore(inbox, uow.session.get_bind().dialect.name).values(
                        event_id=str(envelope.event_id),
                        event_type=envelope.event_type,
                        correlation_id=envelope.correlation_id,
                        body=envelope.model_dump_json(),
                        received_at=uow.now(),
                        recorded_at=datetime.now(UTC),
                    )
                )
                if recorded.rowcount == 0:
                    log.info("duplicate %s %s acknowledged, not applied", envelope.event_type, envelope.event_id)
                    return "duplicate"
                if handler is not None:
                    await handler(uow, envelope, payload)
                await uow.commit()
        if handler is None:
            # Only an event this service is not bound to (start checks the bindings): e.g. a binding
            # an operator added by hand. Recorded in the inbox and acknowledged.
            log.warning("%s %s has no handler in %s: ignored", envelope.event_type, envelope.event_id, self.service)
            return "ignored"
        return "applied"

    def _count(self, event_type: str, outcome: str) -> None:
        if self.metrics:
            self.metrics.consumed.labels(event_type, outcome).inc()

    @staticmethod
    async def _settle(action: Awaitable[object]) -> None:
        try:
            await action
        except ChannelInvalidStateError:
            # The channel was recovered since delivery: the broker redelivers, the inbox absorbs it.
            log.warning("could not settle a message on a closed channel; it will be redelivered")
