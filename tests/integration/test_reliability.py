"""Nothing lost, nothing twice: duplicates, poison messages, failing handlers, a broker outage,
and the same round trip on SQLite (quality.md "Reliability")."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.allowance_registry import bootstrap as allowance_bootstrap
from services.allowance_registry.entrypoints import app as allowance_app
from shared.events import make_envelope
from shared.events.contracts import BindingRequestedV1
from tests.harness import Stack, create_vhost, delete_vhost, drop_databases, running_stack, stack_settings, uscc
from tests.integration.test_binding_handshake import open_pair, request_binding

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh_vhost() -> Iterator[str]:
    name = create_vhost()
    yield name
    delete_vhost(name)


async def admin_events(stack: Stack, service: str, correlation_id: str) -> list[dict]:
    answer = await stack[service].client.get(
        "/api/v1/admin/events", params={"correlation_id": correlation_id}, headers=stack.token("sim_admin")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def binding_requested(registry_id: str, allowance_id: str, org: str, binding_id: str) -> BindingRequestedV1:
    return BindingRequestedV1(
        binding_id=binding_id,
        registry_account_id=registry_id,
        holder={"name": "华能测试电厂", "uscc": org},  # type: ignore[arg-type]
        allowance_account_id=allowance_id,
    )


async def test_the_same_event_delivered_twice_has_one_effect(stack: Stack) -> None:
    org = uscc()
    registry_id, allowance_id = await open_pair(stack, holder_uscc=org)
    binding_id = f"BND-{uuid.uuid4().hex[:12]}"
    from datetime import datetime

    envelope = make_envelope(
        "new_ccer_registry.binding.requested",
        binding_requested(registry_id, allowance_id, org, binding_id),
        occurred_at=datetime.now().astimezone(),
        correlation_id=binding_id,
    )
    body = envelope.model_dump_json().encode()

    await stack.publish("new_ccer_registry.binding.requested", None, raw=body)
    await stack.publish("new_ccer_registry.binding.requested", None, raw=body)
    await stack.quiet()

    events = await admin_events(stack, "allowance_registry", binding_id)
    consumed = [e for e in events if e["direction"] == "consumed"]
    produced = [e for e in events if e["direction"] == "produced"]
    assert [e["event_id"] for e in consumed] == [str(envelope.event_id)]
    assert [e["event_type"] for e in produced] == ["allowance_registry.binding.confirmed"]
    runtime = stack["allowance_registry"].runtime
    from services.allowance_registry.adapters.orm import Binding

    async with runtime.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(Binding).where(Binding.id == binding_id))
    assert rows == 1


async def test_a_payload_that_fails_validation_lands_in_the_dlq_and_the_next_event_still_flows(stack: Stack) -> None:
    before = (await stack.queue_depths())["allowance_registry.events.dlq"]
    poison = b'{"event_id": "not-a-uuid", "event_type": "new_ccer_registry.binding.requested", "payload": {}}'
    await stack.publish("new_ccer_registry.binding.requested", None, raw=poison)

    org = uscc()
    registry_id, allowance_id = await open_pair(stack, holder_uscc=org)
    binding = await request_binding(stack, org, registry_id, allowance_id)

    assert binding["status"] == "active"
    assert (await stack.queue_depths())["allowance_registry.events.dlq"] == before + 1


async def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered(fresh_vhost: str, db_prefix: str) -> None:
    calls = 0

    async def failing(*_: object) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("simulated handler bug")

    service = allowance_bootstrap.definition()
    service.event_handlers = {**service.event_handlers, BindingRequestedV1: failing}
    settings = stack_settings(vhost=fresh_vhost, db_prefix=f"{db_prefix}f", delivery_limit=2)
    app = allowance_app.create_app(settings, service=service)
    try:
        async with app.router.lifespan_context(app):
            stack = Stack(settings)
            await app.state.runtime.broker.wait_connected()
            await stack.publish(
                "new_ccer_registry.binding.requested",
                binding_requested("NCR-x", "ALA-x", uscc(), "BND-fails"),
                correlation_id="BND-fails",
            )
            for _ in range(200):
                if (await stack.queue_depths())["allowance_registry.events.dlq"] == 1:
                    break
                await asyncio.sleep(0.1)
            depths = await stack.queue_depths()
            async with app.state.runtime.sessions() as session:
                inbox_rows = await session.scalar(select(func.count()).select_from(service.infra.inbox))
    finally:
        await drop_databases(f"{db_prefix}f")
    assert depths["allowance_registry.events.dlq"] == 1
    assert depths["allowance_registry.events"] == 0
    assert calls >= 2  # retried with back-off before dead-lettering
    assert inbox_rows == 0  # a failed handler's transaction left nothing behind


async def test_the_binding_round_trip_also_passes_on_sqlite(fresh_vhost: str, tmp_path: Path) -> None:
    settings = stack_settings(vhost=fresh_vhost, db_prefix=None, data_dir=str(tmp_path))
    async with running_stack(settings, "new_ccer_registry", "allowance_registry") as stack:
        org = uscc()
        registry_id, allowance_id = await open_pair(stack, holder_uscc=org)
        binding = await request_binding(stack, org, registry_id, allowance_id)
    assert binding["status"] == "active"
    assert (tmp_path / "new_ccer_registry.db").exists()
    assert (tmp_path / "allowance_registry.db").exists()


def _rabbit(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
async def broker_outage() -> AsyncIterator[None]:
    """Stops the RabbitMQ application for the test's first part; always restarts it."""
    try:
        yield
    finally:
        _rabbit("start_app")
        _rabbit("await_startup")


@pytest.mark.broker_fault
async def test_an_event_committed_while_the_broker_is_down_is_delivered_once_it_is_back(
    stack: Stack, broker_outage: None
) -> None:
    org = uscc()
    registry_id, allowance_id = await open_pair(stack, holder_uscc=org)
    new = stack["new_ccer_registry"]

    await asyncio.to_thread(_rabbit, "stop_app")
    answer = await new.client.post(
        f"/api/v1/accounts/{registry_id}/binding",
        json={"allowance_account_id": allowance_id},
        headers=stack.token("enterprise", org=org),
    )
    assert answer.status_code == 202  # the request commits: the event waits in the outbox
    await asyncio.sleep(1.0)
    pending, _ = await new.runtime.relay.pending()
    assert pending == 1
    ready = await new.client.get("/readyz")
    assert ready.status_code == 503

    await asyncio.to_thread(_rabbit, "start_app")
    await asyncio.to_thread(_rabbit, "await_startup")
    for _ in range(300):
        if new.runtime.broker.ready and stack["allowance_registry"].runtime.broker.ready:
            break
        await asyncio.sleep(0.1)
    await stack.quiet(timeout=60)

    binding = await new.client.get(
        f"/api/v1/accounts/{registry_id}/binding", headers=stack.token("enterprise", org=org)
    )
    assert binding.json()["status"] == "active"
    events = await admin_events(stack, "allowance_registry", answer.json()["binding_id"])
    assert [e["event_type"] for e in events if e["direction"] == "consumed"] == ["new_ccer_registry.binding.requested"]
    assert (await new.client.get("/readyz")).status_code == 200


@pytest.mark.broker_fault
async def test_after_every_connection_is_cut_the_services_reconnect_and_events_flow(stack: Stack) -> None:
    org = uscc()
    registry_id, allowance_id = await open_pair(stack, holder_uscc=org)

    await asyncio.to_thread(_rabbit, "close_all_connections", "fault test: connections cut")
    answer = await stack["new_ccer_registry"].client.post(
        f"/api/v1/accounts/{registry_id}/binding",
        json={"allowance_account_id": allowance_id},
        headers=stack.token("enterprise", org=org),
    )
    assert answer.status_code == 202
    for _ in range(300):
        if all(stack[s].runtime.broker.ready for s in ("new_ccer_registry", "allowance_registry")):
            break
        await asyncio.sleep(0.1)
    await stack.quiet(timeout=60)

    binding = await stack["new_ccer_registry"].client.get(
        f"/api/v1/accounts/{registry_id}/binding", headers=stack.token("enterprise", org=org)
    )
    assert binding.json()["status"] == "active"
    events = await admin_events(stack, "allowance_registry", answer.json()["binding_id"])
    assert [e["event_type"] for e in events if e["direction"] == "consumed"] == ["new_ccer_registry.binding.requested"]


async def test_an_event_committed_by_a_service_killed_before_publishing_goes_out_after_restart(
    fresh_vhost: str, db_prefix: str
) -> None:
    settings = stack_settings(vhost=fresh_vhost, db_prefix=f"{db_prefix}k")
    try:
        async with running_stack(settings, "new_ccer_registry", "allowance_registry") as stack:
            org = uscc()
            registry_id, allowance_id = await open_pair(stack, holder_uscc=org)
            new = stack["new_ccer_registry"]
            relay_task = next(t for t in new.runtime.tasks if t.get_name().endswith("-relay"))
            relay_task.cancel()  # the process "dies" after its commit, before the relay publishes

            answer = await new.client.post(
                f"/api/v1/accounts/{registry_id}/binding",
                json={"allowance_account_id": allowance_id},
                headers=stack.token("enterprise", org=org),
            )
            assert answer.status_code == 202
            assert (await new.runtime.relay.pending())[0] == 1

            # A new instance of the service on the same database publishes what the dead one left.
            await new.client.aclose()
            restarted = await stack.restart("new_ccer_registry")
            await stack.quiet()
            binding = await restarted.client.get(
                f"/api/v1/accounts/{registry_id}/binding", headers=stack.token("enterprise", org=org)
            )
            assert binding.json()["status"] == "active"
            events = await admin_events(stack, "allowance_registry", answer.json()["binding_id"])
            assert [e["event_type"] for e in events if e["direction"] == "consumed"] == [
                "new_ccer_registry.binding.requested"
            ]
    finally:
        await drop_databases(f"{db_prefix}k")
