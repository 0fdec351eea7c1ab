"""The in-memory broker delivers through the services' real consumer, and settles as the queues of
the topology do: a duplicate is acknowledged and not applied again, a message that cannot be read or
a refusal goes to the dead letters at once, a failure is retried with ``x-delivery-count`` raised
and dead-lettered past the delivery limit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from services.new_ccer_registry.service_layer.commands import GetBinding, RequestBinding
from shared.errors import Conflict
from shared.messaging.memory import Published
from tests.system import System, SystemDidNotSettle, running_system
from tests.unit.service_layer import test_allowance_support as alw
from tests.unit.service_layer import test_new_registry_support as ncr

CONFIRMED = "allowance_registry.binding.confirmed"


@pytest.fixture
async def system(backend: str) -> AsyncIterator[System]:
    async with running_system(backend) as s:
        yield s


async def handshake(system: System) -> tuple[ncr.Holding, Published]:
    """A binding requested and confirmed; returns the account and the confirmation as published."""
    org = ncr.new_uscc()
    allowance_account = await alw.open_account(system["allowance"], org=org)
    holding = await ncr.open_account(system["new"], org=org, name="火电测试企业")
    await system.handle(
        "new", RequestBinding(account_id=holding.account_id, allowance_account_id=allowance_account), holding.principal
    )
    [confirmed] = [p for p in await system.drain() if p.event_type == CONFIRMED]
    return holding, confirmed


async def publish_again(system: System, event: Published) -> None:
    body = event.envelope.model_dump_json().encode()
    await system.broker.publish(
        body, event_id=str(event.envelope.event_id), event_type=event.event_type, occurred_at=datetime.now()
    )


def failing(system: System, times: int, error: Exception) -> list[int]:
    """Make the new registry's consumer fail ``times`` times before applying; returns the delivery
    counts it saw."""
    consumer = system["new"].runtime.consumer
    original: Callable[..., Awaitable[str]] = consumer.apply
    seen: list[int] = []

    async def apply(*args: Any) -> str:
        seen.append(len(seen))
        if len(seen) <= times:
            raise error
        return await original(*args)

    consumer.apply = apply  # type: ignore[method-assign]
    return seen


async def test_a_redelivered_event_is_acknowledged_and_not_applied_twice(system: System) -> None:
    holding, confirmed = await handshake(system)
    await publish_again(system, confirmed)
    assert await system.broker.deliver("new_ccer_registry") == 1
    binding = await system.handle("new", GetBinding(account_id=holding.account_id), holding.principal)
    assert binding.status == "active"
    # Nothing but the redelivered event itself was published: the duplicate sent nothing.
    assert [p.event_type for p in await system.drain()] == [CONFIRMED]
    system.assert_no_dead_letters()


async def test_a_message_that_is_not_an_event_is_dead_lettered_at_once(system: System) -> None:
    await system.broker.publish(b"{not json", event_id="poison-1", event_type=CONFIRMED, occurred_at=datetime.now())
    await system.drain()
    [dead] = system.dead_letters()
    assert (dead.service, dead.message_id, dead.reason, dead.count) == ("new_ccer_registry", "poison-1", "rejected", 1)
    with pytest.raises(AssertionError, match=re.escape(f"new_ccer_registry {CONFIRMED} (rejected)")):
        system.assert_no_dead_letters()


async def test_a_refusal_is_dead_lettered_without_a_retry(system: System) -> None:
    _, confirmed = await handshake(system)
    seen = failing(system, 99, Conflict("TEST_REFUSAL", "refused", "拒绝"))
    await publish_again(system, confirmed)
    await system.drain()
    assert seen == [0]
    assert [(d.event_type, d.reason) for d in system.dead_letters()] == [(CONFIRMED, "rejected")]


async def test_a_failure_is_retried_and_the_event_applied_when_it_passes(system: System) -> None:
    holding, confirmed = await handshake(system)
    seen = failing(system, 2, RuntimeError("database away"))
    await publish_again(system, confirmed)
    await system.drain()
    assert seen == [0, 1, 2]  # two failures, then applied (here: a duplicate, acknowledged)
    binding = await system.handle("new", GetBinding(account_id=holding.account_id), holding.principal)
    assert binding.status == "active"
    system.assert_no_dead_letters()


async def test_a_failure_that_persists_is_dead_lettered_past_the_delivery_limit(system: System) -> None:
    _, confirmed = await handshake(system)
    seen = failing(system, 99, RuntimeError("database away"))
    await publish_again(system, confirmed)
    await system.drain()
    assert len(seen) == system.broker.delivery_limit + 1
    [dead] = system.dead_letters()
    assert (dead.event_type, dead.reason, dead.count) == (CONFIRMED, "delivery_limit", system.broker.delivery_limit + 1)


async def test_drain_raises_when_events_keep_flowing(system: System) -> None:
    _, confirmed = await handshake(system)
    consumer = system["new"].runtime.consumer

    async def echo(message: Any) -> None:  # a loop: every delivery publishes the event again
        await message.ack()
        await publish_again(system, confirmed)

    system.broker.consumers["new_ccer_registry"] = echo
    await publish_again(system, confirmed)
    with pytest.raises(SystemDidNotSettle):
        await system.drain()
    assert consumer.in_flight == 0
