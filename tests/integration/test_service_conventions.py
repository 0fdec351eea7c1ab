"""Conventions every service shares (api.md "Conventions"): auth, errors, idempotency, ops and
admin endpoints, the clock and scheduled work."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import func, select

from services.legacy_ccer_registry import bootstrap as legacy_bootstrap
from services.legacy_ccer_registry.entrypoints import app as legacy_app
from services.new_ccer_registry.adapters.orm import Account
from shared.scheduler import schedule_job
from shared.settings import SERVICES, Settings
from shared.timeutil import CST
from tests.harness import Stack, create_vhost, delete_vhost, stack_settings, uscc

pytestmark = pytest.mark.integration


def account_body(org: str | None = None) -> dict[str, Any]:
    return {
        "holder": {"name": "测试单位", "uscc": org or uscc()},
        "province": "110000",
        "account_type": "national_key_emitter",
    }


async def test_every_service_answers_health_readiness_metrics_and_openapi(stack: Stack) -> None:
    for name in SERVICES:
        client = stack[name].client
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "broker": True}
        metrics = await client.get("/metrics")
        assert "ccer_outbox_pending" in metrics.text
        spec = (await client.get("/openapi.json")).json()
        assert "/api/v1/admin/clock" in spec["paths"]
        assert (await client.get("/docs")).status_code == 200


async def test_no_token_bad_token_and_expired_token_answer_401_problems(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    expired = jwt.encode(
        {"sub": "u", "role": "ncsc_operator", "exp": int(time.time()) - 10}, stack.settings.secret, algorithm="HS256"
    )
    forged = jwt.encode(
        {"sub": "u", "role": "ncsc_operator", "exp": int(time.time()) + 60}, "x" * 32, algorithm="HS256"
    )
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {forged}"},
    ):
        answer = await client.post("/api/v1/accounts", json=account_body(), headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        body = answer.json()
        assert body["errors"] and body["errors"][0]["message_zh"]


async def test_a_wrong_role_answers_403(stack: Stack) -> None:
    for role in ("enterprise", "registry_initiator", "sim_admin"):
        claims = {"org": uscc()} if role == "enterprise" else {}
        answer = await stack["new_ccer_registry"].client.post(
            "/api/v1/accounts", json=account_body(), headers=stack.token(role, **claims)
        )
        assert answer.status_code == 403, role
        assert answer.json()["code"] == "FORBIDDEN_ROLE"


async def test_bad_input_lists_every_problem_in_english_and_chinese_and_changes_nothing(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    good = uscc()
    bad_uscc = good[:-1] + ("0" if good[-1] != "0" else "1")  # a wrong check character
    answer = await client.post(
        "/api/v1/accounts",
        headers=stack.token("ncsc_operator"),
        json={"holder": {"name": "", "uscc": bad_uscc}, "province": "999999", "account_type": "bank"},
    )
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert {e["field"] for e in errors} == {"holder.name", "holder.uscc", "province", "account_type"}
    assert all(e["message"] and e["message_zh"] for e in errors)
    runtime = stack["new_ccer_registry"].runtime
    async with runtime.sessions() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Account).where(Account.holder_uscc == bad_uscc)) == 0
        )


async def test_unparsable_json_is_a_4xx_problem_not_a_500(stack: Stack) -> None:
    answer = await stack["new_ccer_registry"].client.post(
        "/api/v1/accounts",
        content=b"{not json",
        headers={**stack.token("ncsc_operator"), "content-type": "application/json"},
    )
    assert 400 <= answer.status_code < 500
    assert answer.json()["errors"]


async def test_a_repeated_idempotency_key_returns_the_first_answer_and_changes_nothing(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    org = uscc()
    headers = {**stack.token("ncsc_operator", sub="ops-1"), "Idempotency-Key": f"open-{org}"}
    first = await client.post("/api/v1/accounts", json=account_body(org), headers=headers)
    again = await client.post("/api/v1/accounts", json=account_body(org), headers=headers)
    other = await client.post("/api/v1/accounts", json=account_body(uscc()), headers=headers)

    assert first.status_code == 201
    assert again.status_code == 201 and again.json() == first.json()
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    async with stack["new_ccer_registry"].runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Account).where(Account.holder_uscc == org)) == 1


async def test_outbox_and_events_are_for_operators_only(stack: Stack) -> None:
    client = stack["allowance_registry"].client
    assert (await client.get("/api/v1/admin/outbox", headers=stack.token("registry_confirmer"))).status_code == 200
    answer = await client.get("/api/v1/admin/outbox", headers=stack.token("enterprise", org=uscc()))
    assert answer.status_code == 403


@pytest.fixture
async def lone_service(tmp_path: Path) -> AsyncIterator[tuple[Any, Stack, list[tuple[str, datetime]]]]:
    """legacy_ccer_registry alone on SQLite, with a test job handler that records what it ran."""
    vhost = create_vhost()
    ran: list[tuple[str, datetime]] = []

    async def record(uow: Any, payload: dict[str, Any], due_at: datetime) -> str:
        ran.append((payload["name"], due_at))
        return "recorded"

    service = legacy_bootstrap.definition()
    service.job_handlers = {**service.job_handlers, "test.record": record}
    settings = stack_settings(vhost=vhost, db_prefix=None, data_dir=str(tmp_path))
    app = legacy_app.create_app(settings, service=service)
    try:
        async with app.router.lifespan_context(app):
            import httpx

            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                yield client, Stack(settings), ran
    finally:
        delete_vhost(vhost)


async def test_the_clock_moves_only_forward_and_due_jobs_run_once(lone_service: Any) -> None:
    client, stack, ran = lone_service
    admin = stack.token("sim_admin")
    runtime = client._transport.app.state.runtime
    # Set the clock before scheduling: an unset simulated clock reads the wall clock (2026 or later),
    # and the scheduler's own round would run the jobs by it.
    assert (await client.get("/api/v1/admin/clock", headers=admin)).json()["mode"] == "simulated"
    first = await client.put("/api/v1/admin/clock", json={"now": "2025-01-22T23:59:59+08:00"}, headers=admin)
    assert first.json() == {"now": "2025-01-22T23:59:59+08:00", "jobs_run": 0}
    async with runtime.sessions() as session, session.begin():
        await schedule_job(
            session,
            runtime.infra,
            "test.record",
            "recall-2023",
            datetime(2025, 1, 23, 0, 0, tzinfo=CST),
            {"name": "recall-2023"},
        )
        await schedule_job(
            session,
            runtime.infra,
            "test.record",
            "recall-2024",
            datetime(2026, 1, 23, 0, 0, tzinfo=CST),
            {"name": "recall-2024"},
        )
        # Scheduling the same key again changes nothing.
        assert not await schedule_job(
            session,
            runtime.infra,
            "test.record",
            "recall-2023",
            datetime(2030, 1, 1, tzinfo=CST),
            {"name": "duplicate"},
        )

    # One big jump past both instants runs both, oldest first, each once.
    jump = await client.put("/api/v1/admin/clock", json={"now": "2026-06-01T00:00:00+08:00"}, headers=admin)
    assert jump.json()["jobs_run"] == 2
    again = await client.put("/api/v1/admin/clock", json={"now": "2026-07-01T00:00:00+08:00"}, headers=admin)
    assert again.json()["jobs_run"] == 0
    assert [name for name, _ in ran] == ["recall-2023", "recall-2024"]
    assert ran[0][1] == datetime(2025, 1, 23, 0, 0, tzinfo=CST)

    back = await client.put("/api/v1/admin/clock", json={"now": "2026-01-01T00:00:00+08:00"}, headers=admin)
    assert back.status_code == 409 and back.json()["code"] == "CLOCK_BACKWARDS"
    naive = await client.put("/api/v1/admin/clock", json={"now": "2026-08-01T00:00:00"}, headers=admin)
    assert naive.status_code == 422
    not_admin = await client.put(
        "/api/v1/admin/clock", json={"now": "2026-08-01T00:00:00+08:00"}, headers=stack.token("registry_initiator")
    )
    assert not_admin.status_code == 403
    now = (await client.get("/api/v1/admin/clock", headers=admin)).json()["now"]
    assert now == "2026-07-01T00:00:00+08:00"


async def test_reset_wipes_data_and_returns_the_clock_to_wall_time(lone_service: Any) -> None:
    client, stack, _ = lone_service
    admin = stack.token("sim_admin")
    await client.put("/api/v1/admin/clock", json={"now": "2019-01-01T00:00:00+08:00"}, headers=admin)
    assert (await client.post("/api/v1/admin/reset", headers=admin)).status_code == 200
    now = datetime.fromisoformat((await client.get("/api/v1/admin/clock", headers=admin)).json()["now"])
    assert now.year >= 2026
    # After a reset the first PUT may set any instant again.
    assert (
        await client.put("/api/v1/admin/clock", json={"now": "2019-01-01T00:00:00+08:00"}, headers=admin)
    ).status_code == 200


def test_a_real_clock_without_a_configured_secret_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="CCER_JWT_SECRET"):
        Settings(clock="real", jwt_secret=None)
    with pytest.raises(ValueError, match="CCER_JWT_SECRET"):
        Settings(clock="real", jwt_secret="ccer-sim-dev-secret")
    assert Settings(clock="real", jwt_secret="a-real-secret-of-some-length-000").secret.startswith("a-real")


async def test_a_nul_character_anywhere_is_a_422_problem_not_a_500(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    headers = stack.token("ncsc_operator")
    in_path = await client.get("/api/v1/accounts/a%00b", headers=headers)
    in_query = await client.get(
        "/api/v1/admin/events", params={"correlation_id": "a\x00b"}, headers=stack.token("sim_admin")
    )
    body = account_body()
    body["holder"]["name"] = "测试\u0000单位"
    in_body = await client.post("/api/v1/accounts", json=body, headers=headers)
    for answer in (in_path, in_query, in_body):
        assert answer.status_code == 422
        assert answer.json()["code"] == "NUL_CHARACTER"
        assert answer.json()["errors"][0]["message_zh"]
