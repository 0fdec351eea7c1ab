"""The authorisation walk: one route of a service's route table, called by every role as the owner
of an object and as a stranger to it (another enterprise, province or exchange), checked against
the service's declared access table (``entrypoints/api/access.py``).

A ``World`` is one service on the service-layer harness (in-memory SQLite or PostgreSQL, an
in-process broker) served in process over httpx's ASGI transport, with objects of party A made
through the handlers. Every role's token carries A's claims (``own``); the stranger's token carries
another enterprise's USCC, another province and another exchange. Expected answers:

- no token: 401 (public routes: anything but 401/403);
- a role the route does not admit: 403 ``FORBIDDEN_ROLE``;
- a role that reaches every object, or a scoped role on its own object: neither 401, 403 nor 404
  (a domain answer such as 409 or 422 is fine: the walk is about who may, not about the state);
- a scoped role on someone else's object: the declared answer (404 by default); on a route that
  names no object (a list), a 2xx that shows none of A's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.api_deps import HOLDER, PROVINCE, Allow
from shared.auth import ROLES, mint_token
from shared.webapp import ApiSpec, create_service_app
from tests.security.routes import Route
from tests.service_layer import ServiceUnderTest

__all__ = ["Req", "World", "walk"]


@dataclass(frozen=True)
class Req:
    """What to send: path parameters beyond the world's, a query, a JSON body; ``names_object``
    when the body (not the path) names A's object."""

    params: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    names_object: bool = False


@dataclass
class World:
    svc: ServiceUnderTest[Any]
    api: ApiSpec
    own: dict[str, str]  # A's claims: org, province, exchange
    stranger: dict[str, str]  # another enterprise's, province's and exchange's
    params: dict[str, str] = field(default_factory=dict)  # path parameter → A's object
    # route key → the request a role sends (bodies may differ by role, e.g. a review's stage)
    requests: dict[str, Callable[[str], Req]] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)  # what only A's scope may read
    client: httpx.AsyncClient | None = None

    def __post_init__(self) -> None:
        runtime = self.svc.runtime
        app = create_service_app(lambda _: runtime, self.api, runtime.settings)
        app.state.runtime = runtime  # the harness started it; the app's lifespan does not run here
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    def token(self, role: str, claims: dict[str, str]) -> dict[str, str]:
        wanted = {
            "org": role in HOLDER,
            "province": role in PROVINCE,
            "exchange": role == "exchange_operator",
        }
        kept = {k: v for k, v in claims.items() if wanted.get(k)}
        token = mint_token(self.svc.runtime.settings.secret, role, sub=f"{role}-{uuid.uuid4().hex[:6]}", **kept)
        return {"Authorization": f"Bearer {token}"}

    async def call(self, route: Route, req: Req, headers: dict[str, str]) -> httpx.Response:
        values = {**self.params, **req.params}
        path = route.path.format(**{p: values[p] for p in route.params})
        assert self.client is not None
        return await self.client.request(
            route.method,
            path,
            params=req.query or None,
            json=req.json if route.method in ("POST", "PUT") else None,
            headers=headers,
        )


def _reached(answer: httpx.Response) -> bool:
    return answer.status_code < 500 and answer.status_code not in (401, 403, 404)


async def walk(world: World, route: Route, rule: Allow) -> list[str]:
    """Every role × own and someone else's object on ``route``; the mismatches, described."""
    build = world.requests.get(route.key) or (lambda role: Req())
    missing = [p for p in route.params if p not in {**world.params, **build("enterprise").params}]
    if route.method in ("POST", "PUT") and route.key not in world.requests and not rule.public:
        return [f"{route}: no example request in the walk (add one to the world)"]
    if missing:
        return [f"{route}: the world has no object for {missing}"]
    names_object = bool(route.params) or build("enterprise").names_object
    wrong: list[str] = []

    def check(who: str, answer: httpx.Response, ok: bool, expected: str) -> None:
        if not ok:
            wrong.append(f"{route}: {who} got {answer.status_code}, expected {expected}: {answer.text[:300]}")

    if rule.public:
        answer = await world.call(route, build("sim_admin"), {})
        check("no token", answer, answer.status_code < 500 and answer.status_code not in (401, 403), "an answer")
        return wrong
    answer = await world.call(route, build("sim_admin"), {})
    check("no token", answer, answer.status_code == 401, "401")

    # Strangers first: their attempts must change nothing the owners then act on.
    for role in ROLES:
        if role not in rule.own:
            continue
        answer = await world.call(route, build(role), world.token(role, world.stranger))
        if names_object:
            check(f"{role} (someone else's object)", answer, answer.status_code == rule.others, str(rule.others))
        else:
            leaked = sorted(s for s in world.secrets if s in answer.text)
            check(f"{role} (stranger)", answer, answer.status_code < 300 and not leaked, f"2xx without {leaked}")
    for role in ROLES:
        answer = await world.call(route, build(role), world.token(role, world.own))
        if role in rule.roles:
            check(f"{role} (own)" if role in rule.own else role, answer, _reached(answer), "not 401/403/404")
        else:
            forbidden = answer.status_code == 403 and answer.json().get("code") == "FORBIDDEN_ROLE"
            check(role, answer, forbidden, "403 FORBIDDEN_ROLE")
    return wrong
