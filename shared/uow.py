"""Unit of work: the only place that commits. State changes, their events (outbox rows) and
their audit rows go into one transaction.

Each service subclasses :class:`UnitOfWork` and attaches its repositories in
:meth:`UnitOfWork.open_repositories` (``uow.lots``, ``uow.accounts`` …); handlers reach data only
through them. ``uow.session`` is for repositories and the backbone (inbox, scheduler), not handlers."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import TextClause, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock
from shared.db import InfraTables
from shared.events import Envelope, Event, make_envelope
from shared.messaging.relay import HANDOFF_LEASE_SECONDS, OutboxRow
from shared.observability import cause_var, correlation_var
from shared.reference import CompliancePeriods
from shared.timeutil import json_default
from shared.tracing import trace_var
from shared.workdays import WorkdayCalendar

__all__ = ["Handoff", "U", "UnitOfWork", "UnitOfWorkFactory"]

# The relay of this process: takes the outbox rows a unit of work has just committed.
Handoff = Callable[[Sequence[OutboxRow]], None]


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        infra: InfraTables,
        clock: Clock,
        handoff: Handoff | None,
        *,
        calendar: WorkdayCalendar | None = None,
        period_definitions: CompliancePeriods | None = None,
        actor: str,
        cause: str | None = None,
        causation_id: uuid.UUID | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self._sessions = sessions
        self.infra = infra
        self.clock = clock
        self._handoff = handoff
        self.calendar = calendar or WorkdayCalendar()
        # The compliance periods and their dates (reference data; a new period is a new entry).
        self.period_definitions = period_definitions or CompliancePeriods.from_file()
        self.actor = actor
        self.cause = cause if cause is not None else cause_var.get()
        self.causation_id = causation_id
        self.correlation_id = correlation_id
        self.events: list[Envelope] = []
        self._audit: list[dict[str, Any]] = []
        # The due instants of the jobs this unit of work scheduled, and who to tell once they are
        # committed (the scheduler of this process, which may sleep past them).
        self._scheduled: list[datetime] = []
        self.on_schedule: Callable[[datetime], None] | None = None
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.open_repositories(self.session)
        return self

    def open_repositories(self, session: AsyncSession) -> None:
        """Attach this service's repositories, bound to ``session`` (overridden per service)."""

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    def now(self) -> datetime:
        return self.clock.now()

    def emit(self, payload: Event, *, correlation_id: str | None = None) -> Envelope:
        """Send ``payload`` when this unit of work commits (the outbox), under its class's routing key
        and version."""
        envelope = make_envelope(
            payload.routing_key,
            payload,
            occurred_at=self.now(),
            correlation_id=correlation_id or self.correlation_id or correlation_var.get() or "none",
            causation_id=self.causation_id,
            schema_version=payload.version,
        )
        self.events.append(envelope)
        return envelope

    async def schedule(self, kind: str, key: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        """Schedule job ``kind``/``key`` at ``due_at`` on this service's clock, once: a second call with
        the same key changes nothing. Returns whether it was new."""
        jobs = self.infra.jobs
        if await self.session.scalar(select(jobs.c.id).where(jobs.c.kind == kind, jobs.c.key == key)) is not None:
            return False
        await self.session.execute(insert(jobs).values(kind=kind, key=key, due_at=due_at, payload=payload))
        self._scheduled.append(due_at)
        return True

    def audit(self, action: str, entity: str, entity_id: str, **detail: Any) -> None:
        self._audit.append(
            {
                "at": self.now(),
                "at_wall": datetime.now(UTC),
                "actor": self.actor,
                "action": action,
                "entity": entity,
                "entity_id": str(entity_id),
                "detail": json.loads(json.dumps(detail, default=json_default)),
                "cause": self.cause,
            }
        )

    async def commit(self) -> None:
        wall = datetime.now(UTC)
        # Where in its trace the work that emitted the events stands: the relay sends it on.
        traceparent = trace_var.get()
        rows = [
            OutboxRow(str(e.event_id), e.event_type, e.occurred_at, e.model_dump_json(), traceparent)
            for e in self.events
        ]
        events: list[dict[str, Any]] = [
            {
                "event_id": r.event_id,
                "event_type": r.event_type,
                "correlation_id": e.correlation_id,
                "occurred_at": r.occurred_at,
                "body": r.body,
                "recorded_at": wall,
                # Leased to this process's relay, which publishes them as soon as this commits.
                "claimed_until": wall + timedelta(seconds=HANDOFF_LEASE_SECONDS) if self._handoff else None,
                "traceparent": traceparent,
            }
            for e, r in zip(self.events, rows, strict=True)
        ]
        if events and self._audit and self.session.get_bind().dialect.name == "postgresql":
            # Both in one round trip: a data-modifying CTE over arrays (the statement never changes,
            # so asyncpg keeps it prepared).
            await self.session.execute(
                outbox_and_audit(self.infra),
                {
                    **{f"e_{k}": [e[k] for e in events] for k in OUTBOX_COLUMNS},
                    **{f"a_{k}": [a[k] for a in self._audit] for k in AUDIT_COLUMNS if k != "detail"},
                    "a_detail": [json.dumps(a["detail"]) for a in self._audit],
                },
            )
        else:
            if events:
                await self.session.execute(insert(self.infra.outbox), events)
            if self._audit:
                await self.session.execute(insert(self.infra.audit), self._audit)
        await self.session.commit()
        if rows and self._handoff is not None:
            self._handoff(rows)
        if self._scheduled and self.on_schedule is not None:
            self.on_schedule(min(self._scheduled))
        self._scheduled = []


OUTBOX_COLUMNS = {
    "event_id": "VARCHAR",
    "event_type": "VARCHAR",
    "correlation_id": "VARCHAR",
    "occurred_at": "TIMESTAMPTZ",
    "body": "TEXT",
    "recorded_at": "TIMESTAMPTZ",
    "claimed_until": "TIMESTAMPTZ",
    "traceparent": "VARCHAR",
}
AUDIT_COLUMNS = {
    "at": "TIMESTAMPTZ",
    "at_wall": "TIMESTAMPTZ",
    "actor": "VARCHAR",
    "action": "VARCHAR",
    "entity": "VARCHAR",
    "entity_id": "VARCHAR",
    "detail": "TEXT",
    "cause": "VARCHAR",
}


@functools.cache
def outbox_and_audit(infra: InfraTables) -> TextClause:
    """``INSERT`` the outbox rows and the audit rows of a unit of work in one PostgreSQL statement."""

    def unnest(prefix: str, columns: dict[str, str]) -> str:
        return ", ".join(f"CAST(:{prefix}_{name} AS {kind}[])" for name, kind in columns.items())

    audit_values = ", ".join(f"CAST({c} AS JSON)" if c == "detail" else c for c in AUDIT_COLUMNS)
    return text(
        f"WITH o AS (INSERT INTO {infra.outbox.name} ({', '.join(OUTBOX_COLUMNS)}) "
        f"SELECT * FROM unnest({unnest('e', OUTBOX_COLUMNS)})) "
        f"INSERT INTO {infra.audit.name} ({', '.join(AUDIT_COLUMNS)}) "
        f"SELECT {audit_values} FROM unnest({unnest('a', AUDIT_COLUMNS)}) AS a({', '.join(AUDIT_COLUMNS)})"
    )


U = TypeVar("U", bound=UnitOfWork)


class UnitOfWorkFactory(Generic[U]):
    """Bound to one service's database, clock and relay's hand-off; makes that service's kind of
    unit of work (``kind``)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        infra: InfraTables,
        clock: Clock,
        handoff: Handoff | None,
        kind: type[U] = UnitOfWork,  # type: ignore[assignment]
        calendar: WorkdayCalendar | None = None,
        period_definitions: CompliancePeriods | None = None,
    ) -> None:
        self.sessions = sessions
        self.infra = infra
        self.clock = clock
        self.handoff = handoff
        self.kind = kind
        self.calendar = calendar
        self.period_definitions = period_definitions
        # Told the earliest due instant of the jobs a unit of work committed (the scheduler's wake).
        self.on_schedule: Callable[[datetime], None] | None = None

    def __call__(
        self,
        *,
        actor: str,
        cause: str | None = None,
        causation_id: uuid.UUID | None = None,
        correlation_id: str | None = None,
    ) -> U:
        uow = self.kind(
            self.sessions,
            self.infra,
            self.clock,
            self.handoff,
            calendar=self.calendar,
            period_definitions=self.period_definitions,
            actor=actor,
            cause=cause,
            causation_id=causation_id,
            correlation_id=correlation_id,
        )
        uow.on_schedule = self.on_schedule
        return uow
