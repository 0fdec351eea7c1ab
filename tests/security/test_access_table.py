"""Every route of every service is declared in its access table (``entrypoints/api/access.py``),
and its role dependencies admit exactly the declared roles (OWASP API5, function-level
authorisation). What the roles then get is walked request by request in ``test_access_matrix``."""

from __future__ import annotations

import pytest

from tests.security.routes import SERVICES, access_table, routes_of


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_is_declared_and_every_declaration_names_a_route(service: str) -> None:
    routes = {r.key for r in routes_of(service)}
    declared = set(access_table(service))

    assert sorted(routes - declared) == [], "routes without a declaration in entrypoints/api/access.py"
    assert sorted(declared - routes) == [], "declarations of routes that do not exist"


@pytest.mark.parametrize("service", SERVICES)
def test_each_route_admits_exactly_the_declared_roles(service: str) -> None:
    table = access_table(service)
    wrong = [
        f"{route.key}: admits {sorted(route.admits or [])}, declared {sorted(table[route.key].roles)}"
        for route in routes_of(service)
        if route.key in table
        and (
            (route.admits is None) != table[route.key].public
            or (route.admits is not None and route.admits != table[route.key].roles)
        )
    ]
    assert not wrong, "\n".join(wrong)
