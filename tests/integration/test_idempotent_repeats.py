"""A repeat of a request with the same ``Idempotency-Key`` and body, sent the moment the first
answer arrived, returns that first answer: never 409 "in progress". The services run under uvicorn
on a free port (real HTTP: the answer reaches the client as soon as the app sends it), on SQLite and
on PostgreSQL.

Whatever a service does after its answer has left is held back until the client has its answer to
the repeat: the schedule of a busy host, or of two replicas, where the repeat is served before the
first request's process runs again. A service that stored the first answer only after sending it
answers such a repeat 409 ``IDEMPOTENCY_KEY_IN_USE``."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import mint_token
from shared.settings import Settings
from tests.harness import stack_settings, uscc

pytestmark = pytest.mark.integration

PAIRS_PER_SERVICE = 100

# The account-opening POST of each registry that opens accounts, and a role that may send it.
OPENERS: dict[str, tuple[str, dict[str, Any]]] = {
    "new_ccer_registry": ("ncsc_operator", {}),
    "allowance_registry": ("registry_initiator", {"sector": "power"}),
}


def account_body(org: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "holder": {"name": "幂等重放测试单位", "uscc": org},
        "province": "110000",
        "account_type": "national_key_emitter",
        **extra,
    }


class AfterAnswer:
    """An ASGI wrapper that holds each request's remaining work once its answer is sent, until
    :meth:`release` (the held requests have then answered; only what follows the answer waits)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.held: list[asyncio.Event] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_then_hold(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                gate = asyncio.Event()
                self.held.append(gate)
                await gate.wait()

        await self.app(scope, receive, send_then_hold)

    def release(self) -> None:
        for gate in self.held:
            gate.set()
        self.held.clear()


@contextlib.asynccontextmanager
async def serve(name: str, settings: Settings) -> AsyncIterator[tuple[str, AfterAnswer]]:
    app = AfterAnswer(importlib.import_module(f"services.{name}.entrypoints.app").create_app(settings))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", http="httptools"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(600):
            if server.started or task.done():
                break
            await asyncio.sleep(0.1)
        assert server.started, f"{name} did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        app.release()
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        sock.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_repeat_sent_as_soon_as_the_answer_arrives_returns_the_first_answer(
    backend: str, vhost: str, db_prefix: str, tmp_path: Path
) -> None:
    settings = stack_settings(
        vhost=vhost, db_prefix=db_prefix if backend == "postgresql" else None, data_dir=str(tmp_path)
    )
    mismatches: list[tuple[str, int, int, str]] = []
    for service, (role, extra) in OPENERS.items():
        token = {"Authorization": f"Bearer {mint_token(settings.secret, role)}"}
        # A connection per request: a request never waits behind a held one on the same connection.
        fresh = httpx.Limits(max_keepalive_connections=0)
        async with (
            serve(service, settings) as (base, held),
            httpx.AsyncClient(base_url=base, timeout=30, limits=fresh) as client,
        ):
            for _ in range(PAIRS_PER_SERVICE):
                headers = {**token, "Idempotency-Key": uuid.uuid4().hex}
                body = account_body(uscc(), extra)
                first = await client.post("/api/v1/accounts", json=body, headers=headers)
                again = await client.post("/api/v1/accounts", json=body, headers=headers)
                held.release()
                assert first.status_code == 201, first.text
                if again.status_code != first.status_code or again.content != first.content:
                    mismatches.append((service, first.status_code, again.status_code, again.text[:200]))
                elif again.headers.get("idempotent-replay") != "true":
                    mismatches.append((service, first.status_code, again.status_code, "not marked as a replay"))
    assert mismatches == [], f"{len(mismatches)} of {2 * PAIRS_PER_SERVICE} repeats differ: {mismatches[:5]}"
