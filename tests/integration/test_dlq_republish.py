"""An operator re-publishes a dead letter (quality.md "poison message"): it goes back once, to the
queue it died in, and a message that fails again lands in that DLQ once more; no loop, no copies."""

from __future__ import annotations

import asyncio

import pytest

from shared.messaging.dlq import list_dead_letters, republish_dead_letters
from tests.harness import Stack

pytestmark = pytest.mark.integration

POISON_TYPE = "legacy_ccer_registry.cancellation.recorded"  # consumed by two services


async def dlq_depths(stack: Stack) -> dict[str, int]:
    return {q: n for q, n in (await stack.queue_depths()).items() if q.endswith(".dlq")}


async def wait_for_depths(stack: Stack, expected: dict[str, int]) -> dict[str, int]:
    for _ in range(200):
        depths = await dlq_depths(stack)
        if depths == expected:
            return depths
        await asyncio.sleep(0.05)
    return await dlq_depths(stack)


async def test_a_republished_poison_message_goes_back_once_to_its_own_queue(stack: Stack) -> None:
    before = await dlq_depths(stack)
    poison_id = await stack.publish(POISON_TYPE, None, raw=b'{"event_type": "' + POISON_TYPE.encode() + b'"}')
    after_poison = dict(before)
    after_poison["allowance_registry.events.dlq"] += 1
    after_poison["provincial_review.events.dlq"] += 1
    assert await wait_for_depths(stack, after_poison) == after_poison
    listed = await list_dead_letters(stack.settings.amqp_url, ["allowance_registry"], limit=1000)
    assert [d.event_type for d in listed if d.message_id == poison_id] == [POISON_TYPE]

    moved = await republish_dead_letters(stack.settings.amqp_url, ["allowance_registry"], limit=100, event_id=poison_id)

    assert moved == 1
    await stack.quiet()
    # It failed validation again and is back in the allowance registry's DLQ, once; the provincial
    # review (which also consumes this type) got no copy.
    assert await wait_for_depths(stack, after_poison) == after_poison
