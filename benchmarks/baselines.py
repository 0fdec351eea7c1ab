"""Baselines measured in the same run, just before the cycle, on the same broker and database server:
what the machine can do at all, so the cycle's figures are read as ratios, not as absolute numbers."""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
import asyncpg

PUBLISH_MESSAGES = 5000
IN_FLIGHT = 64
INSERT_CLIENTS = 16
INSERT_SECONDS = 3.0


async def confirmed_publish_rate(amqp_url: str, messages: int = PUBLISH_MESSAGES) -> float:
    """Persistent messages with publisher confirms to a quorum queue, ``IN_FLIGHT`` unconfirmed at most."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            f"bench-publish-{uuid.uuid4().hex[:8]}", durable=True, arguments={"x-queue-type": "quorum"}
        )
        body = b"x" * 600  # about the size of one of our envelopes
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one() -> None:
            async with gate:
                await channel.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue.name
                )

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(messages)))
        elapsed = time.perf_counter() - start
        await queue.delete(if_unused=False, if_empty=False)
        return messages / elapsed
    finally:
        await connection.close()


async def postgres_insert_rate(dsn: str, clients: int = INSERT_CLIENTS, seconds: float = INSERT_SECONDS) -> float:
    """Single-row autocommitted inserts from ``clients`` connections (pgbench's simple-insert shape)."""
    table = f"bench_insert_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE UNLOGGED TABLE {table} (id bigserial primary key, body text)")
        await admin.execute(f"ALTER TABLE {table} SET LOGGED")
        pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
        done = 0
        stop = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal done
            async with pool.acquire() as conn:
                while time.perf_counter() < stop:
                    await conn.execute(f"INSERT INTO {table} (body) VALUES ($1)", "x" * 100)
                    done += 1

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - start
        await pool.close()
        return done / elapsed
    finally:
        await admin.execute(f"DROP TABLE IF EXISTS {table}")
        await admin.close()
