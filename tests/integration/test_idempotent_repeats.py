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
import hashlib
import importlib
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, insert, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.new_ccer_registry.adapters.orm import Account
from shared.auth import mint_token
from shared.settings import Settings
from tests.harness import Stack, stack_settings, uscc

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


def caller_of(headers: dict[str, str]) -> str:
    return hashlib.sha256(headers["Authorization"].encode()).hexdigest()


async def leave_claim(
    stack: Stack, key: str, headers: dict[str, str], body: bytes, locked_until: datetime | None
) -> None:
    """The row a request leaves when its process stops between claiming the key and answering."""
    runtime = stack["new_ccer_registry"].runtime
    table = runtime.infra.idempotency
    async with runtime.engine.begin() as conn:
        await conn.execute(
            insert(table).values(
                key=key,
                caller=caller_of(headers),
                method="POST",
                path="/api/v1/accounts",
                body_hash=hashlib.sha256(b"POST/api/v1/accounts" + body).hexdigest(),
                created_at=datetime.now(UTC) - timedelta(minutes=5),
                claim=None if locked_until is None else "a-process-that-died",
                locked_until=locked_until,
            )
        )


async def holder_accounts(stack: Stack, org: str) -> int:
    async with stack["new_ccer_registry"].runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Account).where(Account.holder_uscc == org)) or 0


@pytest.mark.parametrize("lease", ["ran out", "never given (a key claimed before leases)"])
async def test_a_key_whose_request_died_before_answering_is_taken_over_once_its_lease_ran_out(
    stack: Stack, lease: str
) -> None:
    client = stack["new_ccer_registry"].client
    org, key = uscc(), uuid.uuid4().hex
    headers = {**stack.token("ncsc_operator"), "Idempotency-Key": key, "content-type": "application/json"}
    body = json.dumps(account_body(org, {})).encode()
    await leave_claim(
        stack, key, headers, body, datetime.now(UTC) - timedelta(seconds=1) if lease == "ran out" else None
    )

    retried = await client.post("/api/v1/accounts", content=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replay" not in retried.headers
    again = await client.post("/api/v1/accounts", content=body, headers=headers)
    assert (again.status_code, again.content, again.headers.get("idempotent-replay")) == (201, retried.content, "true")
    assert await holder_accounts(stack, org) == 1


async def test_a_key_whose_request_may_still_run_answers_409_with_retry_after_and_runs_nothing(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    org, key = uscc(), uuid.uuid4().hex
    headers = {**stack.token("ncsc_operator"), "Idempotency-Key": key, "content-type": "application/json"}
    body = json.dumps(account_body(org, {})).encode()
    await leave_claim(stack, key, headers, body, datetime.now(UTC) + timedelta(seconds=40))

    refused = await client.post("/api/v1/accounts", content=body, headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert refused.headers["content-type"] == "application/problem+json"
    assert 38 <= int(refused.headers["retry-after"]) <= 40
    assert refused.json()["errors"][0]["message_zh"]
    assert await holder_accounts(stack, org) == 0
