"""The PostgreSQL pool covers the requests, event handlers, relay and scheduler a process runs at
once: under that load no connection is opened again (each new one prepares its statements again)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text

from shared.settings import Settings
from tests.service_layer import service_under_test


def test_the_pool_is_sized_to_the_concurrency() -> None:
    settings = Settings()
    # the event handlers, the relay and the scheduler, with room for requests; no overflow to churn
    assert settings.pool_size == 16 > settings.consumer_concurrency + 2
    assert settings.db_max_overflow == 0
    assert Settings(db_pool_size=5).pool_size == 5  # the operator's number wins


async def test_waves_of_concurrent_work_reuse_the_pooled_connections(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite keeps its one connection (one writer)")
    async with service_under_test("new_ccer_registry", backend) as service:
        engine = service.runtime.engine
        await engine.dispose()
        opened: list[Any] = []
        event.listen(engine.sync_engine, "connect", lambda *_: opened.append(1))
        settings = service.runtime.settings
        in_flight = 32 + settings.consumer_concurrency + 2  # the benchmark's requests, handlers, relay, scheduler

        async def unit_of_work() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_sleep(0.05)"))

        await asyncio.gather(*(unit_of_work() for _ in range(in_flight)))
        first_wave = len(opened)
        for _ in range(3):
            await asyncio.gather(*(unit_of_work() for _ in range(in_flight)))
        assert first_wave <= in_flight
        assert len(opened) == first_wave  # no connection closed and opened again
