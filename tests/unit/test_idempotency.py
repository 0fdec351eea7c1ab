"""The Idempotency-Key middleware on its own (a small app on SQLite): what it does with answers it
cannot keep, failed requests and a database that does not answer."""

from __future__ import annotations

import asyncio
import hashlib
import types
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData, insert, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.db import create_engine_for, infra_tables
from shared.idempotency import CLAIM_LEASE_SECONDS, MAX_STORED_ANSWER_BYTES, IdempotencyMiddleware

BIG = b"x" * (MAX_STORED_ANSWER_BYTES + 10)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, types.SimpleNamespace]]:
    metadata = MetaData()
    infra = infra_tables(metadata)
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'idem.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    runs: dict[str, int] = {}
    go_on, started = asyncio.Event(), asyncio.Event()

    async def handle(request: Request) -> Response:
        what = request.path_params["what"]
        runs[what] = runs.get(what, 0) + 1
        if what == "slow":
            started.set()
            await go_on.wait()
        if what == "big":
            return Response(BIG, status_code=201, media_type="text/plain")
        if what == "fail":
            return JSONResponse({"error": "failed"}, status_code=500)
        if what == "lose-the-database":
            async with engine.begin() as conn:
                await conn.run_sync(infra.idempotency.drop)
        return JSONResponse({"run": runs[what]}, status_code=201)

    web = Starlette(routes=[Route("/{what}", handle, methods=["POST"])], middleware=[Middleware(IdempotencyMiddleware)])
    runtime = types.SimpleNamespace(engine=engine, infra=infra)
    web.state.runtime = runtime
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://t") as client:
        yield client, types.SimpleNamespace(runtime=runtime, runs=runs, go_on=go_on, started=started)
    await engine.dispose()


async def test_an_answer_too_large_to_keep_is_sent_whole_and_a_repeat_runs_nothing(app: tuple) -> None:  # type: ignore[type-arg]
    client, world = app
    headers = {"Idempotency-Key": "big-1"}
    first = await client.post("/big", content=b"{}", headers=headers)
    assert first.status_code == 201 and first.content == BIG
    again = await client.post("/big", content=b"{}", headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "IDEMPOTENT_ANSWER_NOT_STORED"
    assert "201" in again.json()["detail"] and again.json()["errors"][0]["message_zh"]
    assert world.runs["big"] == 1


async def test_a_failed_request_frees_its_key(app: tuple) -> None:  # type: ignore[type-arg]
    client, world = app
    headers = {"Idempotency-Key": "fail-1"}
    assert (await client.post("/fail", content=b"{}", headers=headers)).status_code == 500
    assert (await client.post("/fail", content=b"{}", headers=headers)).status_code == 500
    assert world.runs["fail"] == 2
    async with world.runtime.engine.connect() as conn:
        assert (await conn.execute(select(world.runtime.infra.idempotency))).all() == []


async def test_an_answer_that_cannot_be_stored_does_not_leave_as_if_it_were(app: tuple) -> None:  # type: ignore[type-arg]
    client, _ = app
    answer = await client.post("/lose-the-database", content=b"{}", headers={"Idempotency-Key": "lost-1"})
    assert answer.status_code == 503
    assert answer.json()["code"] == "IDEMPOTENCY_ANSWER_NOT_STORED"
    assert answer.json()["errors"][0]["message_zh"]


async def test_a_twin_sent_while_the_first_runs_is_told_to_retry_in_a_second_then_gets_the_first_answer(
    app: tuple,  # type: ignore[type-arg]
) -> None:
    client, world = app
    headers = {"Idempotency-Key": "slow-1"}
    first = asyncio.create_task(client.post("/slow", content=b"{}", headers=headers))
    await asyncio.wait_for(world.started.wait(), 5)
    twin = await client.post("/slow", content=b"{}", headers=headers)
    assert twin.status_code == 409 and twin.json()["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert twin.headers["retry-after"] == "1"
    world.go_on.set()
    answered = await first
    again = await client.post("/slow", content=b"{}", headers=headers)
    assert (again.status_code, again.content) == (answered.status_code, answered.content) == (201, b'{"run":1}')
    assert world.runs["slow"] == 1


async def test_a_key_whose_request_died_is_taken_over_once_its_lease_ran_out(app: tuple) -> None:  # type: ignore[type-arg]
    client, world = app
    table = world.runtime.infra.idempotency
    dead_at = datetime.now(UTC) - timedelta(minutes=2)
    async with world.runtime.engine.begin() as conn:
        await conn.execute(
            insert(table).values(
                key="dead-1",
                caller=hashlib.sha256(b"").hexdigest(),
                method="POST",
                path="/echo",
                body_hash=hashlib.sha256(b"POST/echo{}").hexdigest(),
                created_at=dead_at,
                claim="died",
                locked_until=dead_at + timedelta(seconds=CLAIM_LEASE_SECONDS),
            )
        )
    first = await client.post("/echo", content=b"{}", headers={"Idempotency-Key": "dead-1"})
    again = await client.post("/echo", content=b"{}", headers={"Idempotency-Key": "dead-1"})
    assert (first.status_code, first.json()) == (201, {"run": 1})
    assert (again.status_code, again.content, again.headers["idempotent-replay"]) == (201, first.content, "true")
    assert world.runs["echo"] == 1
