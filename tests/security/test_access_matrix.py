"""The authorisation matrix (OWASP API1 and API5): every route of the four services × every role,
as the owner of an object and as another enterprise, province or exchange, answers as the service's
access table declares (401, 403, 404, or reached). A route missing from the table fails here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.security import worlds
from tests.security.routes import Route, access_table, routes_of
from tests.security.walk import World, walk
from tests.service_layer import ServiceUnderTest, service_under_test

LAST = ("PUT /api/v1/admin/clock", "POST /api/v1/admin/reset")  # they move or wipe the world: walked last


def _routes(service: str) -> list[Route]:
    return sorted(routes_of(service), key=lambda r: (r.key in LAST, LAST.index(r.key) if r.key in LAST else 0))


async def _world(
    service: str, backend: str, build: Callable[[ServiceUnderTest[Any]], Awaitable[World]], **kw: Any
) -> AsyncIterator[World]:
    async with service_under_test(service, backend, **kw) as svc:
        world = await build(svc)
        assert world.client is not None
        async with world.client:
            yield world


async def _walked(world: World, route: Route) -> None:
    table = access_table(route.service)
    assert route.key in table, f"{route}: not declared in services/{route.service}/entrypoints/api/access.py"
    wrong = await walk(world, route, table[route.key])
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
async def new_world(backend: str) -> AsyncIterator[World]:
    async for world in _world("new_ccer_registry", backend, worlds.new_registry_world):
        yield world


@pytest.mark.parametrize("route", _routes("new_ccer_registry"), ids=str)
async def test_new_registry_route_answers_every_role_as_declared(new_world: World, route: Route) -> None:
    await _walked(new_world, route)


@pytest.fixture(scope="module")
async def legacy_world(backend: str) -> AsyncIterator[World]:
    from tests.unit.service_layer.test_legacy_support import BEFORE_DEADLINE

    async for world in _world("legacy_ccer_registry", backend, worlds.legacy_registry_world, now=BEFORE_DEADLINE):
        yield world


@pytest.mark.parametrize("route", _routes("legacy_ccer_registry"), ids=str)
async def test_legacy_registry_route_answers_every_role_as_declared(legacy_world: World, route: Route) -> None:
    await _walked(legacy_world, route)


@pytest.fixture(scope="module")
async def allowance_world(backend: str) -> AsyncIterator[World]:
    async for world in _world("allowance_registry", backend, worlds.allowance_registry_world):
        yield world


@pytest.mark.parametrize("route", _routes("allowance_registry"), ids=str)
async def test_allowance_registry_route_answers_every_role_as_declared(allowance_world: World, route: Route) -> None:
    await _walked(allowance_world, route)


@pytest.fixture(scope="module")
async def review_world(backend: str) -> AsyncIterator[World]:
    from tests.unit.service_layer.test_review_forms_support import IN_WINDOW

    async for world in _world("provincial_review", backend, worlds.provincial_review_world, now=IN_WINDOW):
        yield world


@pytest.mark.parametrize("route", _routes("provincial_review"), ids=str)
async def test_provincial_review_route_answers_every_role_as_declared(review_world: World, route: Route) -> None:
    await _walked(review_world, route)
