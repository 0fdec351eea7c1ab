"""Fixtures of the service-layer tests: each service through its ``bootstrap()``, on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.service_layer import BACKENDS, ServiceUnderTest, drop_unit_databases, service_under_test


@pytest.fixture(params=BACKENDS, scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session", autouse=True)
async def _drop_unit_databases() -> AsyncIterator[None]:
    yield
    await drop_unit_databases()


@pytest.fixture
async def new_registry(backend: str) -> AsyncIterator[ServiceUnderTest[Any]]:
    async with service_under_test("new_ccer_registry", backend) as service:
        yield service


@pytest.fixture
async def legacy_registry(backend: str) -> AsyncIterator[ServiceUnderTest[Any]]:
    async with service_under_test("legacy_ccer_registry", backend) as service:
        yield service


@pytest.fixture
async def legacy(backend: str) -> AsyncIterator[ServiceUnderTest[Any]]:
    """The legacy registry in the autumn of 2024, before the sync deadline of 2024-12-23 17:00."""
    from tests.unit.service_layer.test_legacy_support import legacy_at

    async with legacy_at(backend) as service:
        yield service


@pytest.fixture
async def allowance(backend: str) -> AsyncIterator[ServiceUnderTest[Any]]:
    async with service_under_test("allowance_registry", backend) as service:
        yield service


@pytest.fixture
async def review(backend: str) -> AsyncIterator[ServiceUnderTest[Any]]:
    async with service_under_test("provincial_review", backend) as service:
        yield service
