"""Test harness: the services in-process on real PostgreSQL (or SQLite) and a real RabbitMQ vhost.

Every pytest session gets its own RabbitMQ vhost and its own PostgreSQL databases, so parallel
runs on one machine never see each other's data or messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.auth import mint_token
from shared.messaging.topology import consuming_services, dlq_name, queue_name
from shared.runtime import Runtime
from shared.settings import SERVICES, Settings
from shared.uscc import make_uscc

PG_BASE = os.environ.get("CCER_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
AMQP_HOST = os.environ.get("CCER_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672")


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def create_vhost() -> str:
    name = f"ccer-test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return name


def delete_vhost(name: str) -> None:
    with contextlib.suppress(Exception):
        rabbitmqctl("delete_vhost", name)


async def drop_databases(prefix: str) -> None:
    engine = create_async_engine(f"{PG_BASE}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        names = (
            (await conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}%"}))
            .scalars()
            .all()
        )
        for name in names:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


def uscc(seed: str | None = None) -> str:
    """A valid, unique USCC (GB 32100) for fixtures."""
    body = (seed or uuid.uuid4().hex).upper()
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    digits = "".join(c if c in alphabet else "0" for c in body)[:9].ljust(9, "0")
    return make_uscc("91110000" + digits)


@dataclass
class Service:
    name: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime[Any]:
        return self.app.state.runtime


@dataclass
class Stack:
    settings: Settings
    services: dict[str, Service] = field(default_factory=dict)
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def token(self, role: str, **claims: Any) -> dict[str, str]:
        """Authorization header for ``role`` (``sub`` defaults to a fresh user id)."""
        return {"Authorization": f"Bearer {mint_token(self.settings.secret, role, **claims)}"}

    async def start(self, *names: str) -> Stack:
        for name in names or SERVICES:
            module = importlib.import_module(f"services.{name}.entrypoints.app")
            app: FastAPI = module.create_app(self.settings)
            await self._stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            await self._stack.enter_async_context(client)
            self.services[name] = Service(name, app, client)
        for service in self.services.values():
            await asyncio.wait_for(service.runtime.broker.wait_connected(), 30)
        return self

    async def restart(self, name: str) -> Service:
        """Shut one service down (its lifespan ends) and start a fresh instance on the same database."""
        old = self.services.pop(name)
        await old.runtime.shutdown()
        module = importlib.import_module(f"services.{name}.entrypoints.app")
        app: FastAPI = module.create_app(self.settings)
        await self._stack.enter_async_context(app.router.lifespan_context(app))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
        await self._stack.enter_async_context(client)
        self.services[name] = Service(name, app, client)
        await asyncio.wait_for(self.services[name].runtime.broker.wait_connected(), 30)
        return self.services[name]

    async def close(self) -> None:
        await self._stack.aclose()

    async def publish(
        self,
        event_type: str,
        payload: Any,
        *,
        correlation_id: str = "test",
        schema_version: int = 1,
        raw: bytes | None = None,
    ) -> str:
        """Publish one event (or raw bytes) to ``ccer.events`` as a producer service would; returns its event_id."""
        from datetime import datetime

        from shared.events import make_envelope
        from shared.events.contracts import payload_model

        if raw is None:
            model = (
                payload
                if hasattr(payload, "model_dump")
                else payload_model(event_type, schema_version).model_validate(payload)
            )
            envelope = make_envelope(
                event_type,
                model,
                occurred_at=datetime.now().astimezone(),
                correlation_id=correlation_id,
                schema_version=schema_version,
            )
            body, event_id = envelope.model_dump_json().encode(), str(envelope.event_id)
        else:
            body, event_id = raw, str(uuid.uuid4())
        connection = await aio_pika.connect(self.settings.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            exchange = await channel.get_exchange("ccer.events")
            await exchange.publish(
                aio_pika.Message(
                    body,
                    message_id=event_id,
                    type=event_type,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event_type,
                mandatory=True,
            )
        finally:
            await connection.close()
        return event_id

    async def queue_depths(self) -> dict[str, int]:
        connection = await aio_pika.connect(self.settings.amqp_url)
        try:
            channel = await connection.channel()
            depths = {}
            for svc in consuming_services():
                for q in (queue_name(svc), dlq_name(svc)):
                    declared = await channel.declare_queue(q, passive=True)
                    depths[q] = declared.declaration_result.message_count or 0
            return depths
        finally:
            await connection.close()

    async def quiet(self, timeout: float = 30.0) -> None:
        """Wait until every outbox is empty, every queue drained and no consumer holds a message."""
        deadline = asyncio.get_running_loop().time() + timeout
        calm = 0
        while True:
            busy = []
            for s in self.services.values():
                pending, _ = await s.runtime.relay.pending()
                if pending or s.runtime.consumer.in_flight:
                    busy.append(s.name)
            depths = await self.queue_depths()
            busy += [q for q, n in depths.items() if n and not q.endswith(".dlq")]
            calm = 0 if busy else calm + 1
            if calm >= 2:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"system not quiet after {timeout}s: {busy}")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_stack(settings: Settings, *names: str) -> AsyncIterator[Stack]:
    stack = Stack(settings)
    try:
        await stack.start(*names)
        yield stack
    finally:
        await stack.close()


def stack_settings(*, vhost: str, db_prefix: str | None, data_dir: str | None = None, **extra: Any) -> Settings:
    """Settings for one stack: PostgreSQL databases ``{db_prefix}_{service}``, or SQLite in ``data_dir``."""
    values: dict[str, Any] = {
        "amqp_url": f"{AMQP_HOST}/{vhost}",
        "relay_poll_seconds": 0.5,
        "scheduler_retry_seconds": 0.5,
        **extra,
    }
    if db_prefix:
        values["db_url"] = f"{PG_BASE}/{db_prefix}_{{service}}"
    else:
        values["data_dir"] = data_dir
    return Settings(**values)
