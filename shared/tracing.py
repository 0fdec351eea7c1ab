"""One trace across the bus: W3C Trace Context for requests, outbox rows, the relay and consumers.

A request continues the trace of its ``traceparent`` header, or starts one when it has none or an
invalid one (the W3C rule: an invalid header is ignored, never refused). The current position in
the trace is a ``traceparent`` string in :data:`trace_var`: every log line carries its trace id and
span id, every outbox row written by a unit of work stores it, the relay sends it as the AMQP
``traceparent`` header, and the consumer that receives it continues the trace with a span of its
own, so the events it emits carry the same trace id. A scheduled job starts a trace of its own.

Spans are recorded only when OpenTelemetry is configured (``OTEL_TRACES_EXPORTER=console`` or
``otlp``, or an ``OTEL_EXPORTER_OTLP_ENDPOINT``): a request, each relay publish and each consumed
event is then a span, linked to its parent across services. Otherwise the cost is a header parse
and two random numbers per request or message; nothing is recorded or exported."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import random
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = [
    "SpanKind",
    "annotate_current_span",
    "configure_tracing",
    "current_traceparent",
    "parse_traceparent",
    "span",
    "span_id_of",
    "start_span",
    "trace_id_of",
    "trace_var",
    "use_tracer_provider",
]

log = logging.getLogger(__name__)

SpanKind = otel.SpanKind

# The current position in the trace, as a W3C ``traceparent`` (``00-<trace id>-<span id>-<flags>``).
trace_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("traceparent", default=None)

_PROPAGATOR = TraceContextTextMapPropagator()
# Set when spans are recorded (an exporter is configured); None: context propagation only.
_tracer: otel.Tracer | None = None


def current_traceparent() -> str | None:
    return trace_var.get()


def trace_id_of(traceparent: str | None) -> str | None:
    return traceparent[3:35] if traceparent else None


def span_id_of(traceparent: str | None) -> str | None:
    return traceparent[36:52] if traceparent else None


def format_traceparent(trace_id: int, span_id: int, flags: int) -> str:
    return f"00-{trace_id:032x}-{span_id:016x}-{flags:02x}"


def parse_traceparent(value: str | bytes | None) -> otel.SpanContext | None:
    """The span context a ``traceparent`` value names, or None when it is absent or invalid (wrong
    length or case, an all-zero id, version ``ff``, extra fields on version 00 …), W3C Trace Context
    as OpenTelemetry's propagator reads it."""
    if not value:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    sc = otel.get_current_span(_PROPAGATOR.extract({"traceparent": value})).get_span_context()
    return sc if sc.is_valid else None


def _random_id(bits: int) -> int:
    while True:
        value = random.getrandbits(bits)
        if value:
            return value


@contextlib.contextmanager
def span(
    name: str,
    *,
    parent: str | bytes | None = None,
    root: bool = False,
    kind: otel.SpanKind = otel.SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """Run the block as a span of the trace and make it current (:data:`trace_var`, and OpenTelemetry's
    context when spans are recorded); yields its ``traceparent``.

    Its parent: the ``parent`` traceparent when that is valid; else, unless ``root``, the current
    span; else none (a new trace)."""
    parent_sc = parse_traceparent(parent) if parent else None
    if parent_sc is None and not root and parent is None:
        parent_sc = parse_traceparent(trace_var.get())
    if _tracer is None:
        if parent_sc is None:
            traceparent = format_traceparent(_random_id(128), _random_id(64), 0)
        else:
            traceparent = format_traceparent(parent_sc.trace_id, _random_id(64), int(parent_sc.trace_flags))
        token = trace_var.set(traceparent)
        try:
            yield traceparent
        finally:
            trace_var.reset(token)
        return
    ctx = (
        otel.set_span_in_context(otel.NonRecordingSpan(parent_sc), otel_context.Context())
        if parent_sc is not None
        else otel_context.Context()
    )
    with _tracer.start_as_current_span(name, context=ctx, kind=kind, attributes=attributes) as current:
        sc = current.get_span_context()
        traceparent = format_traceparent(sc.trace_id, sc.span_id, int(sc.trace_flags))
        token = trace_var.set(traceparent)
        try:
            yield traceparent
        finally:
            trace_var.reset(token)


class _Started:
    """A span started and not made current (the relay publishes many rows at once)."""

    __slots__ = ("_span", "traceparent")

    def __init__(self, traceparent: str | None, otel_span: otel.Span | None) -> None:
        self.traceparent = traceparent
        self._span = otel_span

    def end(self, error: BaseException | None = None) -> None:
        if self._span is None:
            return
        if error is not None:
            self._span.record_exception(error)
            self._span.set_status(otel.Status(otel.StatusCode.ERROR, str(error)[:200]))
        self._span.end()


def start_span(
    name: str, *, parent: str | None, kind: otel.SpanKind, attributes: Mapping[str, Any] | None = None
) -> _Started:
    """Start a span under ``parent`` without making it current; its ``traceparent`` is what to pass on.
    When spans are not recorded this is ``parent`` itself (no hop of its own)."""
    if _tracer is None:
        return _Started(parent, None)
    parent_sc = parse_traceparent(parent)
    ctx = (
        otel.set_span_in_context(otel.NonRecordingSpan(parent_sc), otel_context.Context())
        if parent_sc is not None
        else otel_context.Context()
    )
    started = _tracer.start_span(name, context=ctx, kind=kind, attributes=attributes)
    sc = started.get_span_context()
    return _Started(format_traceparent(sc.trace_id, sc.span_id, int(sc.trace_flags)), started)


def annotate_current_span(name: str | None = None, **attributes: Any) -> None:
    """Rename the current span or add attributes to it, when spans are recorded (a request's span is
    named by its route once routing has found it, as the metrics label it: ``POST /accounts/{account_id}/binding``)."""
    if _tracer is None:
        return
    current = otel.get_current_span()
    if name:
        current.update_name(name)
    if attributes:
        current.set_attributes(attributes)


def use_tracer_provider(provider: otel.TracerProvider | None) -> None:
    """Record spans with ``provider`` (None: stop recording). Tests pass an SDK provider with an
    in-memory exporter."""
    global _tracer
    _tracer = provider.get_tracer("ccer_sim") if provider is not None else None


def configure_tracing(service: str, env: Mapping[str, str] | None = None) -> bool:
    """Record and export spans when the standard OpenTelemetry variables ask for it:
    ``OTEL_TRACES_EXPORTER`` (``console``, ``otlp``, or ``none``), or else an
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (OTLP over HTTP, which
    needs the ``otlp`` extra). ``OTEL_SDK_DISABLED=true`` turns it off. Returns whether spans are
    recorded."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        names = ["otlp"]
    names = [n for n in names if n != "none"]
    if not names:
        return False

    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or service}))
    exporting = 0
    for name in names:
        exporter: SpanExporter
        if name == "console":
            exporter = ConsoleSpanExporter()
        elif name == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError:
                log.warning("OTLP span export asked for, but the otlp extra is not installed: pip install '.[otlp]'")
                continue
            exporter = OTLPSpanExporter()
        else:
            log.warning("unknown OTEL_TRACES_EXPORTER %r ignored", name)
            continue
        provider.add_span_processor(BatchSpanProcessor(exporter))
        exporting += 1
    if not exporting:
        return False
    use_tracer_provider(provider)
    return True
