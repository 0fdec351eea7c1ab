"""Operator tools for dead-lettered messages: list and inspect them, re-publish them to ccer.events.
Re-publishing is safe: the consumers' inboxes absorb any duplicate."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aio_pika

from shared.messaging.topology import EXCHANGE, consuming_services, dlq_name

__all__ = ["DeadLetter", "list_dead_letters", "republish_dead_letters"]


@dataclass
class DeadLetter:
    service: str
    message_id: str | None
    event_type: str | None
    reason: str | None
    count: int
    body: str


def _death(message: aio_pika.abc.AbstractIncomingMessage) -> tuple[str | None, int]:
    deaths = (message.headers or {}).get("x-death") or []
    if isinstance(deaths, list) and deaths:
        first = deaths[0]
        if isinstance(first, dict):
            return str(first.get("reason")), int(str(first.get("count", 1)))
    return None, 0


async def list_dead_letters(amqp_url: str, services: list[str] | None = None, limit: int = 100) -> list[DeadLetter]:
    """Peek at DLQ messages without removing them (they are returned to the queue)."""
    out: list[DeadLetter] = []
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for service in services or consuming_services():
            queue = await channel.declare_queue(dlq_name(service), passive=True)
            held: list[aio_pika.abc.AbstractIncomingMessage] = []
            while len(held) < limit:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                held.append(message)
                reason, count = _death(message)
                out.append(
                    DeadLetter(
                        service,
                        message.message_id,
                        message.type,
                        reason,
                        count,
                        message.body.decode("utf-8", "replace"),
                    )
                )
            for message in held:
                await message.nack(requeue=True)
    finally:
        await connection.close()
    return out


async def republish_dead_letters(
    amqp_url: str, services: list[str] | None = None, limit: int = 100, event_id: str | None = None
) -> int:
    """Move DLQ messages back to ``ccer.events`` (confirmed publish first, then ack)."""
    moved = 0
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(EXCHANGE)
        for service in services or consuming_services():
            queue = await channel.declare_queue(dlq_name(service), passive=True)
            skipped = []
            while moved < limit:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                if event_id is not None and message.message_id != event_id:
                    skipped.append(message)
                    continue
                routing_key = message.type or json.loads(message.body).get("event_type")
                await exchange.publish(
                    aio_pika.Message(
                        message.body,
                        message_id=message.message_id,
                        type=message.type,
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        timestamp=message.timestamp,
                    ),
                    routing_key=routing_key,
                    mandatory=True,
                )
                await message.ack()
                moved += 1
            for message in skipped:
                await message.nack(requeue=True)
    finally:
        await connection.close()
    return moved
