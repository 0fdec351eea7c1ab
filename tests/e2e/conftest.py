"""One service in-process under uvicorn on a free port: real HTTP, the session's PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn

from services.new_ccer_registry.entrypoints.app import create_app
from tests.harness import stack_settings


@pytest.fixture
async def served(vhost: str, db_prefix: str) -> AsyncIterator[str]:
    """The new CCER registry on http://127.0.0.1:<free port>."""
    app = create_app(stack_settings(vhost=vhost, db_prefix=db_prefix))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", http="httptools"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(600):
            if server.started or task.done():
                break
            await asyncio.sleep(0.1)
        assert server.started, "the service did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        sock.close()
