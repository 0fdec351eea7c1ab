"""The body limit is configurable and holds whatever reads the body (no servers: the app is not
started, and nothing past the limit middleware is reached on a refusal)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from services.allowance_registry.bootstrap import bootstrap
from services.allowance_registry.entrypoints.api import API
from shared.clock import Clock
from shared.messaging.memory import InMemoryBroker
from shared.settings import Settings
from shared.webapp import RequestGate, create_service_app


def test_the_body_limit_and_the_token_lifetime_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().max_body_bytes, Settings().token_max_lifetime_seconds) == (1024 * 1024, 24 * 3600)
    monkeypatch.setenv("CCER_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("CCER_TOKEN_MAX_LIFETIME_SECONDS", "3600")
    assert (Settings().max_body_bytes, Settings().token_max_lifetime_seconds) == (2048, 3600)


async def test_a_service_refuses_a_body_over_its_configured_limit_before_authenticating(tmp_path: Path) -> None:
    settings = Settings(db_url=f"sqlite+aiosqlite:///{tmp_path}/allowance.db", max_body_bytes=100)
    app = create_service_app(lambda s: bootstrap(s, clock=Clock("simulated"), broker=InMemoryBroker()), API, settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        over = await client.post("/api/v1/accounts", content=b" " * 101)
        at = await client.post("/api/v1/accounts", content=b" " * 100)
    assert over.status_code == 413 and over.json()["code"] == "BODY_TOO_LARGE"
    assert "100 bytes" in over.json()["detail"] and over.json()["errors"][0]["message_zh"]
    assert at.status_code == 401  # within the limit: on to authentication


class Note(BaseModel):
    text: str


def _echo_app(limit: int, seen: list[str]) -> RequestGate:
    """A route whose body FastAPI parses itself: a failure to read it is a 400 there, which the
    middleware must replace with its 413."""
    app = FastAPI()

    @app.post("/notes")
    async def add(note: Note) -> dict[str, int]:
        seen.append(note.text)
        return {"length": len(note.text)}

    return RequestGate(app, max_body_bytes=limit)


async def test_a_chunked_body_over_the_limit_never_reaches_the_route_even_when_its_start_is_valid() -> None:
    seen: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "hello"}'
        for _ in range(10):
            yield b" " * 20

    transport = httpx.ASGITransport(app=_echo_app(100, seen))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        refused = await client.post("/notes", content=chunks(), headers={"content-type": "application/json"})
        fine = await client.post(
            "/notes", content=b'{"text": "hi"}' + b" " * 86, headers={"content-type": "application/json"}
        )
    assert refused.status_code == 413 and refused.json()["code"] == "BODY_TOO_LARGE"
    assert fine.status_code == 200 and fine.json() == {"length": 2}
    assert seen == ["hi"]
