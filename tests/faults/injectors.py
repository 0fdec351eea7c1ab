"""The faults of quality.md, injected into the running stack of ``benchmarks.stack``.

Broker controls (the node is shared with other work on this machine: keep outages short, always
bring it back): ``CCER_FAULT_RABBITMQCTL`` (default ``rabbitmqctl``), ``CCER_FAULT_RABBIT_NODE``
(``-n`` node name; default the local node), ``CCER_FAULT_BROKER_DOWN_S`` (seconds the node stays
stopped, default 5). The broker's AMQP base URL is the benchmark's ``CCER_BENCH_AMQP``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aio_pika
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.stack import PG_BASE, ROOT, Process, Stack
from shared.messaging.topology import EXCHANGE, bindings_for, consuming_services, queue_name

RABBITMQCTL = os.environ.get("CCER_FAULT_RABBITMQCTL", "rabbitmqctl")
RABBIT_NODE = os.environ.get("CCER_FAULT_RABBIT_NODE", "")
BROKER_DOWN_S = float(os.environ.get("CCER_FAULT_BROKER_DOWN_S", "5"))
CTL_TIMEOUT_S = 60


def _ctl(*args: str, tool: str = RABBITMQCTL) -> subprocess.CompletedProcess[str]:
    node = ["-n", RABBIT_NODE] if RABBIT_NODE else []
    return subprocess.run([tool, *node, *args], capture_output=True, text=True, timeout=CTL_TIMEOUT_S)


def _diagnostics() -> str:
    return str(Path(RABBITMQCTL).with_name("rabbitmq-diagnostics")) if "/" in RABBITMQCTL else "rabbitmq-diagnostics"


def broker_answers() -> bool:
    try:
        return _ctl("-q", "ping", tool=_diagnostics()).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _bring_broker_back() -> None:
    """``start_app``; if the node itself died, start it again; then wait until it answers (bounded)."""
    started = _ctl("start_app")
    if started.returncode != 0:
        subprocess.run(["rabbitmq-server", "-detached"], capture_output=True, timeout=CTL_TIMEOUT_S)
    deadline = time.monotonic() + 90
    while not broker_answers():
        if time.monotonic() > deadline:
            raise RuntimeError("RabbitMQ did not come back within 90 s")
        time.sleep(0.5)
    _ctl("await_startup")


async def stop_broker_for(seconds: float = BROKER_DOWN_S) -> float:
    """Stop the RabbitMQ application, keep it stopped ``seconds``, start it again whatever happens.
    Returns how long the broker was unavailable."""
    start = time.perf_counter()
    try:
        stopped = await asyncio.to_thread(_ctl, "stop_app")
        if stopped.returncode != 0:
            raise RuntimeError(f"rabbitmqctl stop_app: {stopped.stderr}")
        await asyncio.sleep(seconds)
    finally:
        await asyncio.to_thread(_bring_broker_back)
    return time.perf_counter() - start


def vhost_of(stack: Stack) -> str:
    return stack.amqp_url.rsplit("/", 1)[1]


async def cut_broker_connections(stack: Stack) -> None:
    """Close every AMQP connection of this stack's vhost (not the other users of the node)."""
    done = await asyncio.to_thread(_ctl, "close_all_connections", "-p", vhost_of(stack), "fault table: connections cut")
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl close_all_connections: {done.stderr}")


@contextlib.asynccontextmanager
async def unroutable(stack: Stack, producer: str) -> AsyncIterator[None]:
    """The producer's event types lose their bindings for a while: its publishes come back returned
    (``mandatory``), which the relay counts as failures, so its outbox fills up. Bindings restored
    whatever happens."""
    keys = [
        (queue_name(s), key) for s in consuming_services() for key in bindings_for(s) if key.startswith(f"{producer}.")
    ]
    connection = await aio_pika.connect(stack.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EXCHANGE)
        for queue, key in keys:
            await (await channel.get_queue(queue)).unbind(exchange, key)
        try:
            yield
        finally:
            for queue, key in keys:
                await (await channel.get_queue(queue)).bind(exchange, key)
    finally:
        await connection.close()


# ---------------------------------------------------------------------------------- databases
def process_env(p: Process) -> dict[str, str]:
    raw = Path(f"/proc/{p.popen.pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def database_of(stack: Stack, service: str) -> str:
    return database_of_env(process_env(next(p for p in stack.processes if p.service == service)), service)


async def on_database(database: str, sql: str) -> int:
    engine = create_async_engine(f"{PG_BASE}/{database}", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(sql))
            return int(result.scalar() or 0) if result.returns_rows else result.rowcount
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def table_locked(stack: Stack, service: str, table: str) -> AsyncIterator[None]:
    """Hold an exclusive lock on one of the service's tables: whatever writes it waits."""
    engine = create_async_engine(f"{PG_BASE}/{database_of(stack, service)}")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                await conn.rollback()
    finally:
        await engine.dispose()


async def terminate_backends(stack: Stack, services: list[str]) -> int:
    """``pg_terminate_backend`` of every connection the services hold to their databases."""
    killed = 0
    for service in services:
        killed += await on_database(
            "postgres",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE datname = '{database_of(stack, service)}' AND pid <> pg_backend_pid()",
        )
    return killed


async def unpublish_outboxes(stack: Stack) -> int:
    """Every event each service ever produced goes out again: its outbox forgets it was published."""
    total = 0
    for service in sorted({p.service for p in stack.processes}):
        total += await on_database(
            database_of(stack, service), "UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL"
        )
    return total


# ---------------------------------------------------------------------------------- processes
@dataclass
class Dead:
    index: int
    process: Process
    argv: list[str]
    env: dict[str, str]
    unpublished: int  # events it had committed and not published when it died


def _sigkill(p: Process) -> tuple[list[str], dict[str, str]]:
    """SIGKILL (no shutdown of any kind); returns the command line and environment it ran with."""
    env = process_env(p)
    argv = Path(f"/proc/{p.popen.pid}/cmdline").read_bytes().decode().rstrip("\0").split("\0")
    p.popen.send_signal(signal.SIGKILL)
    p.popen.wait(10)
    return argv, env


async def kill(stack: Stack, service: str) -> Dead:
    index, old = next((i, p) for i, p in enumerate(stack.processes) if p.service == service)
    argv, env = await asyncio.to_thread(_sigkill, old)
    unpublished = await on_database(
        database_of_env(env, service), "SELECT count(*) FROM outbox WHERE published_at IS NULL"
    )
    return Dead(index, old, argv, env, unpublished)


def _start_again(stack: Stack, dead: Dead) -> None:
    old = dead.process
    with (stack.data / f"{old.name}.log").open("ab") as log:
        popen = subprocess.Popen(dead.argv, cwd=ROOT, env=dead.env, stdout=log, stderr=subprocess.STDOUT)
    stack.processes[dead.index] = Process(old.service, old.replica, old.port, popen)


async def restart(stack: Stack, dead: Dead) -> None:
    """The same command, port and environment, on the same database."""
    await asyncio.to_thread(_start_again, stack, dead)


def database_of_env(env: dict[str, str], service: str) -> str:
    database = make_url(env["CCER_DB_URL"].replace("{service}", service)).database
    assert database
    return database


# ---------------------------------------------------------------------------------- messages
async def publish_poison(stack: Stack) -> list[str]:
    """One message that cannot validate into each consuming service's own queue; returns their ids."""
    ids = []
    connection = await aio_pika.connect(stack.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        for service in consuming_services():
            message_id = f"poison-{service}"
            await channel.default_exchange.publish(
                aio_pika.Message(
                    b'{"event_type": "poison", "payload": "not an envelope"}',
                    message_id=message_id,
                    type="poison",
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=queue_name(service),
                mandatory=True,
            )
            ids.append(message_id)
    finally:
        await connection.close()
    return ids
