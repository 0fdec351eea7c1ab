"""Fixtures of the authorisation walk: each service on the service-layer harness, on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.service_layer import BACKENDS, drop_unit_databases


@pytest.fixture(params=BACKENDS, scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session", autouse=True)
async def _drop_unit_databases() -> AsyncIterator[None]:
    yield
    await drop_unit_databases()
