"""One trace across the bus: a request's W3C traceparent is stored with the outbox rows it writes and
sent with their events; a consumer continues it, so what it emits is in the same trace; an invalid
traceparent is ignored and a new trace started; with an OpenTelemetry exporter the request, the relay's
publish and the consumer are spans linked parent to child; every JSON log line names its trace."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import event, select

from services.new_ccer_registry.bootstrap import bootstrap
from services.new_ccer_registry.entrypoints.api import API
from shared.auth import mint_token
from shared.clock import Clock
from shared.events import Envelope
from shared.messaging.memory import InMemoryBroker
from shared.observability import _CorrelationFilter, _JsonFormatter
from shared.runtime import Runtime
from shared.settings import Settings
from shared.tracing import configure_tracing, span, use_tracer_provider
from shared.webapp import create_service_app
from tests.service_layer import ServiceUnderTest
from tests.unit.service_layer.test_allowance_support import binding_requested, envelope, new_uscc, open_account

Svc = ServiceUnderTest[Any]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$")


def parts(traceparent: str | None) -> tuple[str, str]:
    assert traceparent is not None
    match = TRACEPARENT.match(traceparent)
    assert match, traceparent
    return match.group(1), match.group(2)


class Delivery:
    """A message as RabbitMQ hands it to the consumer: the event's body and its AMQP headers."""

    def __init__(self, envelope: Envelope, traceparent: str | None) -> None:
        self.body = envelope.model_dump_json().encode()
        self.headers = {"traceparent": traceparent} if traceparent else {}
        self.type = envelope.event_type
        self.message_id = str(envelope.event_id)
        self.settled = ""

    async def ack(self) -> None:
        self.settled = "ack"

    async def reject(self, requeue: bool = False) -> None:
        self.settled = "reject"

    async def nack(self, requeue: bool = True) -> None:
        self.settled = "nack"


@contextlib.asynccontextmanager
async def new_registry_app(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime[Any], str]]:
    """The new registry's web app on a SQLite file, its relay publishing into an in-memory broker."""
    settings = Settings(db_url=f"sqlite+aiosqlite:///{tmp_path}/new.db")
    app = create_service_app(lambda s: bootstrap(s, clock=Clock("simulated"), broker=InMemoryBroker()), API, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield http, app.state.runtime, settings.secret


async def open_registry_account(http: httpx.AsyncClient, secret: str, org: str) -> str:
    operator = {"Authorization": f"Bearer {mint_token(secret, 'ncsc_operator', sub='op-1')}"}
    opened = await http.post(
        "/api/v1/accounts",
        json={
            "holder": {"name": "华能测试电厂", "uscc": org},
            "province": "110000",
            "account_type": "national_key_emitter",
        },
        headers=operator,
    )
    assert opened.status_code == 201, opened.text
    return str(opened.json()["id"])


async def bind(
    http: httpx.AsyncClient,
    secret: str,
    org: str,
    account_id: str,
    headers: dict[str, str] | None = None,
    allowance_account_id: str = "ALW-1",
) -> httpx.Response:
    enterprise = {"Authorization": f"Bearer {mint_token(secret, 'enterprise', sub='owner-1', org=org)}"}
    answer = await http.post(
        f"/api/v1/accounts/{account_id}/binding",
        json={"allowance_account_id": allowance_account_id},
        headers={**enterprise, **(headers or {})},
    )
    assert answer.status_code == 202, answer.text
    return answer


async def request_binding(
    http: httpx.AsyncClient, secret: str, org: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await bind(http, secret, org, await open_registry_account(http, secret, org), headers)


async def outbox_traceparents(runtime: Runtime[Any], event_type: str) -> list[str | None]:
    outbox = runtime.uow.infra.outbox
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.traceparent).where(outbox.c.event_type == event_type))
        return [r.traceparent for r in rows]


async def published(runtime: Runtime[Any], event_type: str) -> list[Any]:
    broker = runtime.broker
    assert isinstance(broker, InMemoryBroker)
    while await runtime.relay.drain_once():
        pass
    return [p for p in broker.published if p.event_type == event_type]


@contextlib.contextmanager
def recorded_spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)
    try:
        yield exporter
    finally:
        use_tracer_provider(None)


REQUESTED = "new_ccer_registry.binding.requested"


async def test_a_request_with_a_traceparent_writes_and_publishes_its_events_in_that_trace(tmp_path: Path) -> None:
    async with new_registry_app(tmp_path) as (http, runtime, secret):
        answer = await request_binding(http, secret, new_uscc(), {"traceparent": CALLER})

        stored = await outbox_traceparents(runtime, REQUESTED)
        sent = await published(runtime, REQUESTED)
        operator = {"Authorization": f"Bearer {mint_token(secret, 'ncsc_operator', sub='op-1')}"}
        thread = await http.get(
            "/api/v1/admin/events", params={"correlation_id": sent[0].envelope.correlation_id}, headers=operator
        )

    # The request's own span: the caller's trace, a span id of its own, named in the answer.
    request_trace, request_span = parts(answer.headers["traceresponse"])
    assert request_trace == TRACE_ID and request_span != CALLER_SPAN
    assert stored == [answer.headers["traceresponse"]]
    assert [p.traceparent for p in sent] == stored
    # Operators see it with the events of the thread.
    assert [e["traceparent"] for e in thread.json() if e["event_type"] == REQUESTED] == stored


async def test_the_outbox_insert_stays_one_statement_and_an_untraced_span_costs_microseconds(tmp_path: Path) -> None:
    async with new_registry_app(tmp_path) as (http, runtime, secret):
        org = new_uscc()
        account_id = await open_registry_account(http, secret, org)
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
        try:
            await bind(http, secret, org, account_id, {"traceparent": CALLER})
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)

    # The traceparent rides in the one INSERT of the outbox row; no statement is added for it.
    outbox_inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO OUTBOX")]
    assert len(outbox_inserts) == 1 and "traceparent" in outbox_inserts[0]
    started = time.perf_counter()
    for _ in range(2000):
        with span("GET /", parent=CALLER, root=True):
            pass
    assert (time.perf_counter() - started) / 2000 < 50e-6


@pytest.mark.parametrize(
    "invalid",
    [
        f"00-{TRACE_ID.upper()}-{CALLER_SPAN}-01",  # upper case
        f"00-{'0' * 32}-{CALLER_SPAN}-01",  # all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent id
        f"ff-{TRACE_ID}-{CALLER_SPAN}-01",  # version ff
        f"00-{TRACE_ID}-{CALLER_SPAN}-01-extra",  # version 00 has four fields
        f"00-{TRACE_ID[:-1]}-{CALLER_SPAN}-01",  # too short
        f"00-{TRACE_ID[:-1]}g-{CALLER_SPAN}-01",  # not hex
        "garbage",
    ],
)
async def test_an_invalid_traceparent_is_ignored_and_the_request_starts_a_new_trace(
    tmp_path: Path, invalid: str
) -> None:
    async with new_registry_app(tmp_path) as (http, runtime, secret):
        answer = await request_binding(http, secret, new_uscc(), {"traceparent": invalid})
        stored = await outbox_traceparents(runtime, REQUESTED)

    new_trace, _ = parts(answer.headers["traceresponse"])
    assert new_trace not in (TRACE_ID, TRACE_ID.upper(), "0" * 32)
    assert stored == [answer.headers["traceresponse"]]


async def test_a_consumer_continues_the_trace_of_the_event_and_its_events_carry_it(allowance: Svc) -> None:
    org = new_uscc()
    account_id = await open_account(allowance, org=org)
    await allowance.sent()
    message = Delivery(envelope(allowance, binding_requested(org, account_id, "NCR-T1")), CALLER)
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.addFilter(_CorrelationFilter())
    handler.setFormatter(_JsonFormatter())
    consumer_log = logging.getLogger("shared.messaging.consumer")
    consumer_log.addHandler(handler)
    level = consumer_log.level
    consumer_log.setLevel(logging.DEBUG)
    try:
        await allowance.runtime.consumer.on_message(message)  # type: ignore[arg-type]
    finally:
        consumer_log.removeHandler(handler)
        consumer_log.setLevel(level)

    assert message.settled == "ack"
    confirmed = [p for p in await allowance.sent() if p.event_type == "allowance_registry.binding.confirmed"]
    assert len(confirmed) == 1
    trace_id, span_id = parts(confirmed[0].traceparent)
    assert trace_id == TRACE_ID and span_id != CALLER_SPAN
    logged = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert logged and all((doc["trace_id"], doc["span_id"]) == (TRACE_ID, span_id) for doc in logged), logged


async def test_an_event_without_a_traceparent_is_consumed_in_a_new_trace(allowance: Svc) -> None:
    org = new_uscc()
    account_id = await open_account(allowance, org=org)
    await allowance.sent()
    message = Delivery(envelope(allowance, binding_requested(org, account_id, "NCR-T2")), None)

    await allowance.runtime.consumer.on_message(message)  # type: ignore[arg-type]

    (confirmed,) = [p for p in await allowance.sent() if p.event_type == "allowance_registry.binding.confirmed"]
    assert parts(confirmed.traceparent)[0] != TRACE_ID


def by_kind(spans: tuple[ReadableSpan, ...], kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in spans if s.kind == kind]


async def test_with_an_exporter_the_request_publish_and_consume_are_spans_linked_parent_to_child(
    tmp_path: Path, allowance: Svc
) -> None:
    org = new_uscc()
    account_id = await open_account(allowance, org=org)
    await allowance.sent()
    with recorded_spans() as exporter:
        async with new_registry_app(tmp_path) as (http, runtime, secret):
            registry_id = await open_registry_account(http, secret, org)
            answer = await bind(http, secret, org, registry_id, {"traceparent": CALLER}, account_id)
            (sent,) = await published(runtime, REQUESTED)
        # The allowance registry receives it as RabbitMQ would deliver it, with its AMQP header.
        message = Delivery(sent.envelope, sent.traceparent)
        await allowance.runtime.consumer.on_message(message)  # type: ignore[arg-type]
        (confirmed,) = [p for p in await allowance.sent() if p.event_type == "allowance_registry.binding.confirmed"]
        spans = exporter.get_finished_spans()

    # The request's span is named by its route, not by the account id in its path.
    binding = next(s for s in by_kind(spans, SpanKind.SERVER) if s.name.endswith("/binding"))
    assert binding.name == "POST /accounts/{account_id}/binding"  # the route, as the metrics label it
    assert binding.attributes is not None and binding.attributes["http.response.status_code"] == 202
    publish = next(s for s in by_kind(spans, SpanKind.PRODUCER) if s.name == f"publish {REQUESTED}")
    consume = next(s for s in by_kind(spans, SpanKind.CONSUMER) if s.name == f"consume {REQUESTED}")
    reply = next(
        s for s in by_kind(spans, SpanKind.PRODUCER) if s.name == "publish allowance_registry.binding.confirmed"
    )
    chain = [binding, publish, consume, reply]
    assert {f"{s.context.trace_id:032x}" for s in chain} == {TRACE_ID}
    assert binding.parent is not None and f"{binding.parent.span_id:016x}" == CALLER_SPAN and binding.parent.is_remote
    for child, parent in zip(chain[1:], chain, strict=False):
        assert child.parent is not None and child.parent.span_id == parent.context.span_id, (child.name, parent.name)
    assert parts(answer.headers["traceresponse"])[1] == f"{binding.context.span_id:016x}"
    assert parts(confirmed.traceparent) == (TRACE_ID, f"{reply.context.span_id:016x}")


def test_spans_are_recorded_only_when_an_exporter_is_configured() -> None:
    try:
        assert configure_tracing("new_ccer_registry", {}) is False
        assert configure_tracing("new_ccer_registry", {"OTEL_TRACES_EXPORTER": "none"}) is False
        assert (
            configure_tracing("new_ccer_registry", {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"})
            is False
        )
        assert configure_tracing("new_ccer_registry", {"OTEL_TRACES_EXPORTER": "console"}) is True
    finally:
        use_tracer_provider(None)
