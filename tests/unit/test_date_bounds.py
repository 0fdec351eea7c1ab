"""Dates and instants outside 1990-01-01 .. 2100-12-31 are 422 problems, never 500s (found by hand:
the admin clock set to the year 9999, a period whose deadline or end is in the year 9999), and the
clock at the very end of the range cannot reach a 500 through the date arithmetic it triggers
(recall deadlines counted in working days from a period's end)."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import mint_token
from shared.clock import Clock
from shared.messaging.memory import InMemoryBroker
from shared.settings import SERVICES, Settings
from shared.webapp import create_service_app


class Client:
    def __init__(self, http: httpx.AsyncClient, secret: str) -> None:
        self.http, self.secret = http, secret

    def as_(self, role: str, sub: str = "someone", **claims: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.secret, role, sub=sub, **claims)}"}


@contextlib.asynccontextmanager
async def running(service: str, tmp_path: Path) -> AsyncIterator[Client]:
    """The service in process on SQLite with the in-memory broker, its lifespan started."""
    bootstrap = importlib.import_module(f"services.{service}.bootstrap").bootstrap
    api = importlib.import_module(f"services.{service}.entrypoints.api").API
    settings = Settings(db_url=f"sqlite+aiosqlite:///{tmp_path}/{service}.db")
    app = create_service_app(lambda s: bootstrap(s, clock=Clock("simulated"), broker=InMemoryBroker()), api, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Client(http, settings.secret)


def fields_of(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem["errors"]}


@pytest.mark.parametrize("service", SERVICES)
async def test_a_clock_set_beyond_2100_is_a_422_problem_and_the_clock_stays(service: str, tmp_path: Path) -> None:
    async with running(service, tmp_path) as c:
        admin = c.as_("sim_admin")
        assert (
            await c.http.put("/api/v1/admin/clock", json={"now": "2024-09-02T09:00:00+08:00"}, headers=admin)
        ).is_success
        for far in ("9999-12-31T23:59:59+08:00", "2101-01-01T00:00:00+08:00", "1989-12-31T23:00:00+08:00"):
            answer = await c.http.put("/api/v1/admin/clock", json={"now": far}, headers=admin)
            assert answer.status_code == 422, answer.text
            assert answer.json()["code"] == "VALIDATION_FAILED" and fields_of(answer.json()) == {"now"}
        clock = await c.http.get("/api/v1/admin/clock", headers=admin)
        assert clock.json()["now"] == "2024-09-02T09:00:00+08:00"
        last = await c.http.put("/api/v1/admin/clock", json={"now": "2100-12-31T23:59:59+08:00"}, headers=admin)
        assert last.status_code == 200, last.text
        assert last.json()["now"] == "2100-12-31T23:59:59+08:00"


async def test_period_dates_beyond_2100_are_422_problems_naming_each_field(tmp_path: Path) -> None:
    async with running("allowance_registry", tmp_path) as c:
        proposed = await c.http.post(
            "/api/v1/compliance-periods",
            json={
                "builtin": "2024",
                "code": "far",
                "application_deadline": "9999-12-31T17:00:00+08:00",
                "target_date": "9999-01-01T00:00:00Z",
                "period_end": "9999-12-31",
                "eligibility": {"origins": ["new"], "new_registered_on_or_after": "9999-01-01"},
            },
            headers=c.as_("registry_initiator"),
        )
        assert proposed.status_code == 422, proposed.text
        assert fields_of(proposed.json()) == {
            "application_deadline",
            "target_date",
            "period_end",
            "eligibility.new_registered_on_or_after",
        }
        assert (
            await c.http.get("/api/v1/compliance-periods/far", headers=c.as_("registry_initiator"))
        ).status_code == 404


async def test_a_period_ending_on_the_last_day_of_the_range_is_refused_with_a_409_not_a_500(tmp_path: Path) -> None:
    """Its recall falls N working days after 2100-12-31: no working-day data for 2101."""
    async with running("allowance_registry", tmp_path) as c:
        await c.http.put("/api/v1/admin/clock", json={"now": "2100-12-31T12:00:00+08:00"}, headers=c.as_("sim_admin"))
        proposed = await c.http.post(
            "/api/v1/compliance-periods",
            json={
                "builtin": "2024",
                "code": "last",
                "application_deadline": "2100-12-31T23:59:59+08:00",
                "period_end": "2100-12-31",
                "recall_after_working_days": 250,
            },
            headers=c.as_("registry_initiator", sub="alice"),
        )
        assert proposed.status_code == 201, proposed.text
        approved = await c.http.post(
            "/api/v1/compliance-periods/last/approve", headers=c.as_("registry_confirmer", sub="bob")
        )
        assert approved.status_code == 409, approved.text
        assert approved.json()["code"] == "CALENDAR_UNAVAILABLE"
