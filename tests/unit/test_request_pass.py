"""What one request costs before it reaches a route: how many middleware layers it crosses, and how
many times its body is handed from one layer to the next. The body is read from the server once,
checked (size, NUL), hashed for its Idempotency-Key and given to the route from that one buffer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.allowance_registry.bootstrap import bootstrap
from services.allowance_registry.entrypoints.api import API
from shared.clock import Clock
from shared.messaging.memory import InMemoryBroker
from shared.settings import Settings
from shared.webapp import create_service_app

CHUNKS = 16
CHUNK = b" " * 1000


class _Probe:
    """Counts the body messages handed across one layer boundary (each ``receive`` call made through
    the callable it passes inwards, by the layer below or by any layer further in)."""

    def __init__(self, app: ASGIApp, counts: dict[str, int], below: str) -> None:
        self.app, self.counts, self.below = app, counts, below
        counts[below] = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.counts[self.below] += 1
            return message

        await self.app(scope, counted, send)


def _layers(app: Any) -> list[Any]:
    """All the middlewares (FastAPI's own and ours) between Starlette's outermost (server errors) and innermost (exceptions) ones."""
    layer = app.middleware_stack
    assert isinstance(layer, ServerErrorMiddleware)
    found = []
    layer = layer.app
    while not isinstance(layer, ExceptionMiddleware):
        found.append(layer)
        layer = layer.app
    return found


async def test_a_request_body_is_read_once_and_handed_on_once(tmp_path: Path) -> None:
    settings = Settings(db_url=f"sqlite+aiosqlite:///{tmp_path}/allowance.db")
    app = create_service_app(lambda s: bootstrap(s, clock=Clock("simulated"), broker=InMemoryBroker()), API, settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        assert (await client.get("/healthz")).status_code == 200  # builds the middleware stack
        layers = _layers(app)
        # A probe below every layer (and below the server's own error layer): each counts the body
        # messages that cross it.
        crossings: dict[str, int] = {}
        for layer in [app.middleware_stack, *layers]:
            layer.app = _Probe(layer.app, crossings, below=type(layer).__name__)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(CHUNKS):
                yield CHUNK

        answer = await client.post("/api/v1/accounts", content=chunks(), headers={"Idempotency-Key": "count-1"})
    assert answer.status_code == 401  # read whole, then refused for want of a token
    ours = [type(layer).__name__ for layer in layers if type(layer).__module__.startswith("shared.")]
    print(f"our layers {ours}; body messages crossing below each layer {crossings}")
    # The server's messages (the chunks, and an empty one that ends the body), each read once.
    assert crossings["ServerErrorMiddleware"] == CHUNKS + 1
    # One layer of ours, which hands the route the whole body in one message.
    assert ours == ["RequestGate"]
    assert crossings["RequestGate"] == 1
    assert sum(crossings.values()) == len(layers) * (CHUNKS + 1) + 1
