"""One trace across the bus, over real RabbitMQ and PostgreSQL: the binding round trip (new registry
→ allowance registry → new registry) keeps the trace id of the request's traceparent in the outbox
rows, in the AMQP headers the relays send, and on the JSON log lines of both consumers."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import aio_pika
import pytest
from sqlalchemy import select

from shared.messaging.dlq import republish_dead_letters
from shared.observability import _CorrelationFilter, _JsonFormatter
from tests.harness import Stack, uscc
from tests.integration.test_binding_handshake import open_pair

pytestmark = pytest.mark.integration

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER = f"00-{TRACE_ID}-b7ad6b7169203331-01"
REQUESTED = "new_ccer_registry.binding.requested"
CONFIRMED = "allowance_registry.binding.confirmed"


@pytest.fixture
async def tap(stack: Stack) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    """A queue of our own bound to every event: what the relays sent, headers and all."""
    connection = await aio_pika.connect(stack.settings.amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind("ccer.events", routing_key="#")
        yield queue
    finally:
        await connection.close()


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The JSON log lines of the consumers (each event applied is logged at DEBUG)."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.addFilter(_CorrelationFilter())
    handler.setFormatter(_JsonFormatter())
    consumer_log = logging.getLogger("shared.messaging.consumer")
    level = consumer_log.level
    consumer_log.addHandler(handler)
    consumer_log.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        consumer_log.removeHandler(handler)
        consumer_log.setLevel(level)


async def test_the_binding_round_trip_keeps_the_requests_trace_id_in_rows_headers_and_logs(
    stack: Stack, tap: aio_pika.abc.AbstractQueue, json_lines: io.StringIO
) -> None:
    org = uscc()
    registry_id, allowance_id = await open_pair(stack, holder_uscc=org)

    answer = await stack["new_ccer_registry"].client.post(
        f"/api/v1/accounts/{registry_id}/binding",
        json={"allowance_account_id": allowance_id},
        headers={**stack.token("enterprise", org=org), "traceparent": CALLER},
    )
    assert answer.status_code == 202, answer.text
    await stack.quiet()

    binding = await stack["new_ccer_registry"].client.get(
        f"/api/v1/accounts/{registry_id}/binding", headers=stack.token("enterprise", org=org)
    )
    assert binding.json()["status"] == "active"

    # The rows each unit of work wrote: the request's, then the allowance consumer's.
    stored = {}
    for service, event_type in (("new_ccer_registry", REQUESTED), ("allowance_registry", CONFIRMED)):
        runtime = stack[service].runtime
        outbox = runtime.uow.infra.outbox
        async with runtime.engine.connect() as conn:
            rows = (
                await conn.execute(select(outbox.c.traceparent, outbox.c.body).where(outbox.c.event_type == event_type))
            ).all()
        mine = [r.traceparent for r in rows if allowance_id in r.body]
        assert len(mine) == 1, (service, rows)
        stored[event_type] = mine[0]
    assert {tp[3:35] for tp in stored.values()} == {TRACE_ID}
    assert stored[REQUESTED] == answer.headers["traceresponse"]

    # What the relays sent: each event with the AMQP traceparent header of the same trace.
    headers = {}
    while (message := await tap.get(no_ack=True, fail=False)) is not None:
        if allowance_id in message.body.decode():
            headers[message.type] = (message.headers or {}).get("traceparent")
    assert set(headers) >= {REQUESTED, CONFIRMED}
    assert {str(headers[t])[3:35] for t in (REQUESTED, CONFIRMED)} == {TRACE_ID}

    # Both consumers logged the event they applied in that trace.
    applied = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    traces = {doc["msg"].split()[0]: doc["trace_id"] for doc in applied if doc["msg"].endswith(" applied")}
    assert traces.get(REQUESTED) == TRACE_ID and traces.get(CONFIRMED) == TRACE_ID, applied


async def test_a_dead_letter_republished_by_an_operator_stays_in_its_trace(
    stack: Stack, json_lines: io.StringIO
) -> None:
    event_id = str(uuid.uuid4())
    connection = await aio_pika.connect(stack.settings.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange("ccer.events")
        await exchange.publish(
            aio_pika.Message(
                b'{"event_type": "' + REQUESTED.encode() + b'"}',  # does not validate: straight to the DLQ
                message_id=event_id,
                type=REQUESTED,
                content_type="application/json",
                headers={"traceparent": CALLER},
            ),
            routing_key=REQUESTED,
            mandatory=True,
        )
    finally:
        await connection.close()
    await stack.quiet()

    moved = await republish_dead_letters(stack.settings.amqp_url, ["allowance_registry"], limit=100, event_id=event_id)
    assert moved == 1
    await stack.quiet()

    poison = [json.loads(line) for line in json_lines.getvalue().splitlines() if event_id in line]
    assert len(poison) == 2 and {doc["trace_id"] for doc in poison} == {TRACE_ID}, poison
