from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.harness import Stack, create_vhost, delete_vhost, drop_databases, running_stack, stack_settings


@pytest.fixture(scope="session")
def vhost() -> Iterator[str]:
    name = create_vhost()
    yield name
    delete_vhost(name)


@pytest.fixture(scope="session")
async def db_prefix() -> AsyncIterator[str]:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    yield prefix
    await drop_databases(prefix)


@pytest.fixture(scope="session")
async def stack(vhost: str, db_prefix: str) -> AsyncIterator[Stack]:
    """All four services on PostgreSQL and RabbitMQ, shared by the session's integration tests
    (tests create their own accounts and never depend on a clean database)."""
    async with running_stack(stack_settings(vhost=vhost, db_prefix=db_prefix)) as s:
        yield s
