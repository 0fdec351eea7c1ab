"""Logging (text or JSON, correlation id, and in JSON the trace and span id, attached) and per-app Prometheus metrics."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.tracing import trace_var

__all__ = ["Metrics", "cause_var", "configure_logging", "correlation_var", "db_source_var"]

correlation_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
# What caused the current work ("POST /api/v1/offset-lots"), set by the web edge for the audit trail.
cause_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("cause", default=None)
# Who issues the current database statements (``ccer_db_statements_total{source=…}``): a request, an
# event, a job, the relay, or a probe (outbox depth for /metrics and the admin page).
db_source_var: contextvars.ContextVar[str] = contextvars.ContextVar("db_source", default="request")


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_var.get() or "-"
        # The W3C trace this line belongs to (see shared.tracing): a request, an event, a job.
        traceparent = trace_var.get()
        record.trace_id = traceparent[3:35] if traceparent else "-"
        record.span_id = traceparent[36:52] if traceparent else "-"
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", "-"),
            "trace_id": getattr(record, "trace_id", None) or (tp[3:35] if (tp := trace_var.get()) else "-"),
            "span_id": getattr(record, "span_id", None) or (tp[36:52] if (tp := trace_var.get()) else "-"),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def configure_logging(fmt: str = "text", level: str = "INFO", service: str = "") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_CorrelationFilter())
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        prefix = f"{service} " if service else ""
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s {prefix}%(levelname)s %(name)s [%(correlation_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ccer_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram("ccer_http_request_seconds", "HTTP latency", ["route"], registry=self.registry)
        self.published = Counter("ccer_events_published", "events published", ["event_type"], registry=self.registry)
        self.consumed = Counter(
            "ccer_events_consumed", "events consumed", ["event_type", "outcome"], registry=self.registry
        )
        self.outbox_pending = Gauge("ccer_outbox_pending", "outbox rows not yet published", registry=self.registry)
        self.jobs_run = Counter("ccer_jobs_run", "scheduled jobs run", ["kind"], registry=self.registry)
        self.statements = Counter(
            "ccer_db_statements", "database statements sent, by who sent them", ["source"], registry=self.registry
        )
        self.service = service
