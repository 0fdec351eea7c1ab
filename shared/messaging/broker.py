"""aio-pika adapter: one robust connection per service, topology declared idempotently,
a confirming publisher that treats returned (unroutable) messages as failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection, ExchangeType

from shared.messaging.topology import (
    DLQ_ARGUMENTS,
    DLX,
    EXCHANGE,
    bindings_for,
    consuming_services,
    dlq_name,
    queue_arguments,
    queue_name,
)

__all__ = ["Broker", "BrokerPort", "BrokerUnavailable"]

log = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    pass


class BrokerPort(Protocol):
    """What a service needs of a message broker. :class:`Broker` is RabbitMQ; the in-process double
    beside it is ``shared.messaging.memory.InMemoryBroker``."""

    @property
    def ready(self) -> bool: ...

    async def connect_forever(self, stop: asyncio.Event) -> None: ...

    async def wait_connected(self) -> None: ...

    async def publish(
        self, body: bytes, *, event_id: str, event_type: str, occurred_at: datetime, traceparent: str | None = None
    ) -> None:
        """Returns once the event is safely with the broker; raises otherwise. ``traceparent`` travels
        with it (the AMQP header of that name)."""

    async def consume(self, service: str, callback: Callable[[AbstractIncomingMessage], Awaitable[None]]) -> None: ...

    async def close(self) -> None: ...


class Broker:
    def __init__(self, url: str, *, delivery_limit: int = 5, prefetch: int = 200) -> None:
        self.url = url
        self.delivery_limit = delivery_limit
        self.prefetch = prefetch
        self.connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractRobustChannel | None = None
        self._consume_channel: AbstractRobustChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._connected = asyncio.Event()

    @property
    def ready(self) -> bool:
        conn = self.connection
        return conn is not None and not conn.is_closed and bool(getattr(conn, "connected", asyncio.Event()).is_set())

    async def connect(self) -> None:
        self.connection = await aio_pika.connect_robust(self.url, reconnect_interval=1.0, fail_fast=True)
        self._publish_channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        await declare_topology(self._publish_channel, self.delivery_limit)
        self._exchange = await self._publish_channel.get_exchange(EXCHANGE)
        self._connected.set()

    async def connect_forever(self, stop: asyncio.Event) -> None:
        """Keep trying until the broker answers (a service may start before RabbitMQ)."""
        delay = 0.5
        while not stop.is_set():
            try:
                await self.connect()
                log.info("connected to RabbitMQ")
                return
            except Exception as exc:
                log.warning("RabbitMQ not reachable (%s); retrying in %.1fs", exc, delay)
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
                delay = min(delay * 2, 10.0)

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def publish(
        self, body: bytes, *, event_id: str, event_type: str, occurred_at: datetime, traceparent: str | None = None
    ) -> None:
        """Publish persistently; returns once the broker confirmed it. Raises on nack, return or timeout."""
        if self._exchange is None:
            raise BrokerUnavailable("not connected to RabbitMQ")
        message = aio_pika.Message(
            body,
            message_id=event_id,
            type=event_type,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            timestamp=occurred_at,
            # W3C Trace Context: the consumer continues this trace (see shared.tracing).
            headers={"traceparent": traceparent} if traceparent else None,
        )
        await self._exchange.publish(message, routing_key=event_type, mandatory=True, timeout=10)

    async def consume(self, service: str, callback: Callable[[AbstractIncomingMessage], Awaitable[None]]) -> None:
        assert self.connection is not None
        self._consume_channel = await self.connection.channel()
        await self._consume_channel.set_qos(prefetch_count=self.prefetch)
        queue = await self._consume_channel.get_queue(queue_name(service))
        await queue.consume(callback)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
        self.connection = None
        self._exchange = None


async def declare_topology(channel: AbstractRobustChannel, delivery_limit: int) -> None:
    """Declare exchanges, every consuming service's queue, DLQ and bindings (idempotent)."""
    exchange = await channel.declare_exchange(EXCHANGE, ExchangeType.TOPIC, durable=True)
    dlx = await channel.declare_exchange(DLX, ExchangeType.DIRECT, durable=True)
    for service in consuming_services():
        dlq = await channel.declare_queue(dlq_name(service), durable=True, arguments=DLQ_ARGUMENTS)
        await dlq.bind(dlx, routing_key=dlq_name(service))
        queue = await channel.declare_queue(
            queue_name(service), durable=True, arguments=queue_arguments(service, delivery_limit)
        )
        for key in bindings_for(service):
            await queue.bind(exchange, routing_key=key)


def delivery_count(message: AbstractIncomingMessage) -> int:
    headers = message.headers or {}
    value = headers.get("x-delivery-count", 0)
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0
