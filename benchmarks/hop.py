"""Hop latency at a steady event rate, measured on the real stack before the cycle.

Binding requests are sent at a steady pace (each raises two events: ``binding.requested`` from the
new registry, answered by ``binding.confirmed`` from the allowance registry). A tap queue of the
benchmark's own, bound to the events exchange for those two routing keys, receives a copy of each
event as the services' queues do. Two figures, wall clock in this process:
- hop: from the POST's answer (the new registry has committed the binding and its outbox row) to the
  tap's delivery of ``binding.requested``: commit → relay → broker → a consumer;
- round trip: from the POST's answer to the tap's delivery of ``binding.confirmed``: one hop, the
  allowance registry's consumer commit, and a second hop."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aio_pika

from benchmarks.cycle import Driver, Unit
from shared.messaging.topology import EXCHANGE

REQUESTED = "new_ccer_registry.binding.requested"
CONFIRMED = "allowance_registry.binding.confirmed"


async def hop_latency(driver: Driver, units: list[Unit], rate_per_s: float) -> tuple[list[float], list[float]]:
    """Binds ``units`` (accounts already open) at ``rate_per_s`` requests/s; returns (hop ms, round trip ms)."""
    sent: dict[str, float] = {}
    hops: dict[str, float] = {}
    trips: dict[str, float] = {}
    done = asyncio.Event()
    connection = await aio_pika.connect(driver.stack.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EXCHANGE, ensure=True)
        tap = await channel.declare_queue(f"bench-tap-{uuid.uuid4().hex[:8]}", exclusive=True, auto_delete=True)
        await tap.bind(exchange, REQUESTED)
        await tap.bind(exchange, CONFIRMED)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            now = time.perf_counter()
            await message.ack()
            binding = json.loads(message.body)["payload"]["binding_id"]
            target = hops if message.routing_key == REQUESTED else trips
            if binding in sent:
                target[binding] = now - sent[binding]
            else:  # delivered before the POST's answer reached us: latency ~0
                target[binding] = 0.0
            if len(trips) >= len(units):
                done.set()

        await tap.consume(on_message)
        interval = 1 / rate_per_s
        start = time.perf_counter()

        async def bind(i: int, u: Unit) -> None:
            await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
            body = await driver.call(
                "POST",
                "new",
                f"/accounts/{u.ccer_account}/binding",
                u.token,
                {"allowance_account_id": u.allowance_account},
                202,
            )
            sent.setdefault(body["binding_id"], time.perf_counter())

        await asyncio.gather(*(bind(i, u) for i, u in enumerate(units)))
        try:
            await asyncio.wait_for(done.wait(), timeout=120)
        except TimeoutError:
            pass
    finally:
        await connection.close()
    return [1000 * v for v in hops.values()], [1000 * v for v in trips.values()]
