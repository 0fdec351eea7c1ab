"""The database connection lost mid-request (quality.md "Faults"): the request fails with a 5xx
problem, nothing is half-written, its Idempotency-Key may be used again, and the service recovers
without a restart."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.harness import PG_BASE, Stack, uscc

pytestmark = pytest.mark.integration


WAITING = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
)
TERMINATE = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :db"
    " AND pid NOT IN (pg_backend_pid(), :locker)"
)


def account_body(org: str) -> dict[str, object]:
    return {
        "holder": {"name": "断连测试电厂", "uscc": org},
        "province": "110000",
        "account_type": "national_key_emitter",
        "sector": "power",
    }


async def test_a_request_whose_connection_is_terminated_fails_cleanly_and_its_key_can_be_retried(
    stack: Stack,
) -> None:
    service = stack["allowance_registry"]
    # As a server would: the app's error handler answers, the exception does not reach the client.
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app, raise_app_exceptions=False), base_url="http://allowance"
    )
    database = service.runtime.engine.url.database
    headers = {**stack.token("registry_initiator"), "Idempotency-Key": uuid.uuid4().hex}
    org = uscc()
    admin = create_async_engine(f"{PG_BASE}/{database}", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as locker, admin.connect() as killer:
            locker_pid = await locker.scalar(text("SELECT pg_backend_pid()"))

            async def terminate_the_waiting_backend() -> None:
                """Wait until one of the service's connections waits on our lock, then cut them all."""
                for _ in range(200):
                    if await killer.scalar(WAITING, {"db": database}):
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the service never waited on the lock")
                assert await killer.scalar(TERMINATE, {"db": database, "locker": locker_pid}) >= 1

            # Hold the request inside its handler (after its key was recorded), then cut the
            # service's connections; hold the key table too, so that the answer's bookkeeping
            # meets a cut connection as well.
            await locker.execute(text("BEGIN"))
            await locker.execute(text("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"))
            request = asyncio.create_task(client.post("/api/v1/accounts", json=account_body(org), headers=headers))
            await terminate_the_waiting_backend()
            await locker.execute(text("LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE"))
            await terminate_the_waiting_backend()
            await asyncio.sleep(0.3)
            await locker.execute(text("ROLLBACK"))
            failed = await asyncio.wait_for(request, 30)
        assert failed.status_code >= 500
        assert failed.headers["content-type"].startswith("application/problem+json")
        # Nothing half-written: no account for this holder.
        accounts = await client.get("/api/v1/accounts", params={"uscc": org}, headers=stack.token("registry_initiator"))
        assert accounts.status_code == 200, accounts.text
        assert [a for a in accounts.json()["items"] if a["holder"]["uscc"] == org] == []

        # The same key again: the request runs (the key is not stuck "in progress"), once.
        retried = await client.post("/api/v1/accounts", json=account_body(org), headers=headers)
        assert retried.status_code == 201, retried.text
        replayed = await client.post("/api/v1/accounts", json=account_body(org), headers=headers)
        assert replayed.status_code == 201
        assert replayed.json()["id"] == retried.json()["id"]
        assert replayed.headers.get("idempotent-replay") == "true"
        assert (await client.get("/readyz")).status_code == 200
    finally:
        await client.aclose()
        await admin.dispose()
