"""An in-process stand-in for RabbitMQ, shipped beside the port it fakes (:class:`BrokerPort`).

Used by the fast tests. The outbox relay publishes into it; it keeps every event in order (``take``,
so a test can assert what a handler sent) and routes each one, as the topic exchange does, to the
queue of every service bound to its type (``topology.bindings_for``). A service's consumer registers
through ``consume`` as it does on RabbitMQ, and the very same callback
(``EventConsumer.on_message``: inbox, per-aggregate ordering, settlement) receives the messages.

Nothing runs in the background: a test drives delivery with :meth:`InMemoryBroker.deliver`, one
message at a time in queue order, so every run is the same. Settlement follows the quorum queues of
the topology: ``ack`` removes the message, ``reject`` (no requeue) dead-letters it, ``nack`` with
requeue hands it back to the head of the queue with ``x-delivery-count`` raised, and past the delivery limit it is
dead-lettered. Dead letters are kept per service in :attr:`InMemoryBroker.dead_letters`.

It claims nothing else about the real broker (connections, confirms, prefetch): the integration
tests use RabbitMQ.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from aio_pika.abc import AbstractIncomingMessage

from shared.events import Envelope
from shared.messaging.dlq import DeadLetter
from shared.messaging.topology import bindings_for
from shared.settings import SERVICES

__all__ = ["InMemoryBroker", "InMemoryMessage", "Published"]

Callback = Callable[[AbstractIncomingMessage], Awaitable[None]]


@dataclass(frozen=True)
class Published:
    event_type: str
    envelope: Envelope
    traceparent: str | None = None


@dataclass
class InMemoryMessage:
    """What a consumer reads of a delivered message, and the three ways it settles it."""

    body: bytes
    message_id: str
    type: str
    timestamp: datetime
    headers: dict[str, Any] = field(default_factory=dict)
    settlement: tuple[str, bool] | None = None  # ("ack" | "reject" | "nack", requeue)

    async def ack(self, multiple: bool = False) -> None:
        self._settle("ack", False)

    async def reject(self, requeue: bool = False) -> None:
        self._settle("reject", requeue)

    async def nack(self, multiple: bool = False, requeue: bool = True) -> None:
        self._settle("nack", requeue)

    def _settle(self, how: str, requeue: bool) -> None:
        if self.settlement is not None:
            raise RuntimeError(f"message {self.message_id} settled twice ({self.settlement[0]}, then {how})")
        self.settlement = (how, requeue)


class InMemoryBroker:
    def __init__(self, *, delivery_limit: int = 5) -> None:
        self.delivery_limit = delivery_limit
        self.published: list[Published] = []
        # One queue per consuming service, as declared by the topology, filled whether or not a
        # consumer is attached (RabbitMQ keeps them too).
        self.queues: dict[str, deque[InMemoryMessage]] = {s: deque() for s in SERVICES if bindings_for(s)}
        self.dead_letters: dict[str, list[DeadLetter]] = {s: [] for s in self.queues}
        self.consumers: dict[str, Callback] = {}
        self._connected = asyncio.Event()
        self._connected.set()

    @property
    def ready(self) -> bool:
        return True

    async def connect_forever(self, stop: asyncio.Event) -> None:
        return None

    async def wait_connected(self) -> None:
        return None

    async def publish(
        self, body: bytes, *, event_id: str, event_type: str, occurred_at: datetime, traceparent: str | None = None
    ) -> None:
        bound = [s for s in self.queues if event_type in bindings_for(s)]
        if not bound:
            # RabbitMQ returns a mandatory message nobody is bound for; so does this double.
            raise LookupError(f"unroutable event type {event_type}")
        try:
            self.published.append(Published(event_type, Envelope.model_validate_json(body), traceparent))
        except ValueError:
            pass  # not an envelope (a poison message of a test): routed all the same, as RabbitMQ does
        headers = {"traceparent": traceparent} if traceparent else {}
        for service in bound:
            self.queues[service].append(InMemoryMessage(body, event_id, event_type, occurred_at, dict(headers)))

    async def consume(self, service: str, callback: Callback) -> None:
        """Attach ``service``'s consumer to its queue; messages reach it when :meth:`deliver` runs."""
        if service not in self.queues:
            raise LookupError(f"{service} consumes no event type")
        self.consumers[service] = callback

    async def close(self) -> None:
        return None

    def take(self) -> list[Published]:
        """Everything published since the last call, in order."""
        out, self.published = self.published, []
        return out

    # ------------------------------------------------------------------ driven delivery
    def waiting(self) -> int:
        """Messages queued for the services that have a consumer attached."""
        return sum(len(self.queues[s]) for s in self.consumers)

    async def deliver(self, service: str | None = None) -> int:
        """Hand every queued message of ``service`` (default: each service with a consumer, in turn)
        to its consumer, one at a time in queue order, and settle it as the consumer says. Messages
        published meanwhile wait for the next call. Returns how many deliveries were made."""
        delivered = 0
        for name in [service] if service else list(self.consumers):
            queue, callback = self.queues[name], self.consumers[name]
            for _ in range(len(queue)):
                if not queue:
                    break
                message = queue.popleft()
                message.settlement = None
                await callback(cast(AbstractIncomingMessage, message))
                delivered += 1
                self._settled(name, message)
        return delivered

    def _settled(self, service: str, message: InMemoryMessage) -> None:
        how, requeue = message.settlement or ("nack", True)  # unsettled: the channel closes, it comes back
        if how == "ack":
            return
        if how == "nack" and requeue:
            count = int(message.headers.get("x-delivery-count", 0)) + 1
            if count <= self.delivery_limit:
                message.headers["x-delivery-count"] = count
                # Back at the head, as a quorum queue returns it: the aggregate's later events wait.
                self.queues[service].appendleft(message)
                return
            self._dead_letter(service, message, "delivery_limit")
            return
        self._dead_letter(service, message, "rejected")

    def _dead_letter(self, service: str, message: InMemoryMessage, reason: str) -> None:
        count = int(message.headers.get("x-delivery-count", 0)) + 1
        self.dead_letters[service].append(
            DeadLetter(service, message.message_id, message.type, reason, count, message.body.decode())
        )
