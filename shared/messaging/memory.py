"""An in-process stand-in for RabbitMQ, shipped beside the port it fakes (:class:`BrokerPort`).

Used by the fast service-layer tests: the outbox relay publishes into it, and it keeps every event in
order so a test can assert what a handler sent and hand it to another service's consumer. It does
not claim anything about the real broker: the integration tests use RabbitMQ.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aio_pika.abc import AbstractIncomingMessage

from shared.events import Envelope
from shared.messaging.topology import bindings_for
from shared.settings import SERVICES

__all__ = ["InMemoryBroker", "Published"]


@dataclass(frozen=True)
class Published:
    event_type: str
    envelope: Envelope
    traceparent: str | None = None


class InMemoryBroker:
    def __init__(self) -> None:
        self.published: list[Published] = []
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
        if not any(event_type in bindings_for(s) for s in SERVICES):
            # RabbitMQ returns a mandatory message nobody is bound for; so does this double.
            raise LookupError(f"unroutable event type {event_type}")
        self.published.append(Published(event_type, Envelope.model_validate_json(body), traceparent))

    async def consume(self, service: str, callback: Callable[[AbstractIncomingMessage], Awaitable[None]]) -> None:
        raise NotImplementedError("deliver events with EventConsumer.apply in tests")

    async def close(self) -> None:
        return None

    def take(self) -> list[Published]:
        """Everything published since the last call, in order."""
        out, self.published = self.published, []
        return out
