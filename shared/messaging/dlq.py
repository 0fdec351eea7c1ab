"""Operator tools for dead-lettered messages: list and inspect them, re-publish them to the queue
they died in. Re-publishing is safe: the consumer's inbox absorbs any duplicate."""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika

from shared.messaging.topology import consuming_services, dlq_name, queue_name

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
    """Move DLQ messages back to their service's own queue (confirmed publish first, then ack).

    Two guards against loops and copies: each DLQ is read at most as many times as it held
    messages when we started (a message that fails again is back in the DLQ before we finish and
    must not be taken a second time), and the message goes to the default exchange with the queue's
    name as routing key, not to ``ccer.events``, whose bindings would hand a copy to every other
    service that consumes the type (and a poison message to their DLQs)."""
    moved = 0
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        for service in services or consuming_services():
            queue = await channel.declare_queue(dlq_name(service), passive=True)
            held = queue.declaration_result.message_count or 0
            skipped = []
            for _ in range(held):
                if moved >= limit:
                    break
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                if event_id is not None and message.message_id != event_id:
                    skipped.append(message)
                    continue
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        message_id=message.message_id,
                        type=message.type,
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        timestamp=message.timestamp,
                        # Still in the trace it was first sent in (see shared.tracing).
                        headers={"traceparent": tp} if (tp := (message.headers or {}).get("traceparent")) else None,
                    ),
                    routing_key=queue_name(service),
                    mandatory=True,
                )
                await message.ack()
                moved += 1
            for message in skipped:
                await message.nack(requeue=True)
    finally:
        await connection.close()
    return moved
