"""Scheduled work that falls due on the service clock: runs once, whatever the size of the jump."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import InfraTables, one_read
from shared.observability import db_source_var
from shared.timeutil import local, start_of_day_after
from shared.tracing import span
from shared.uow import UnitOfWork, UnitOfWorkFactory

__all__ = ["JobHandler", "NextDue", "Scheduler", "next_midnight", "schedule_job"]

log = logging.getLogger(__name__)

# A job handler runs inside the job's unit of work; ``due_at`` is the instant the work is for.
# The advisory lock (transaction-scoped) of the replica running the due jobs of its service.
SCHEDULER_LOCK = 727275

JobHandler = Callable[[UnitOfWork, dict[str, Any], datetime], Awaitable[str | None]]
# A recurring job's next instant strictly after ``now`` (e.g. the next midnight).
NextDue = Callable[[datetime], datetime]


def next_midnight(now: datetime) -> datetime:
    """00:00 (Asia/Shanghai) of the day after ``now``'s: the nightly jobs' instant."""
    return start_of_day_after(local(now).date())


async def schedule_job(
    session: AsyncSession, infra: InfraTables, kind: str, key: str, due_at: datetime, payload: dict[str, Any]
) -> bool:
    """Schedule ``kind``/``key`` once outside a unit of work (tests, tooling); handlers call
    ``uow.schedule``. A second call with the same key changes nothing."""
    exists = await session.scalar(select(infra.jobs.c.id).where(infra.jobs.c.kind == kind, infra.jobs.c.key == key))
    if exists is not None:
        return False
    await session.execute(insert(infra.jobs).values(kind=kind, key=key, due_at=due_at, payload=payload))
    return True


class Scheduler:
    def __init__(
        self, uow: UnitOfWorkFactory, handlers: dict[str, JobHandler], recurring: dict[str, NextDue] | None = None
    ) -> None:
        self.uow = uow
        self.handlers = handlers
        # Housekeeping that recurs (the nightly reconciliation): one occurrence is always pending, at
        # the next instant after the clock; a jump over several nights runs it once. Not counted in
        # what :meth:`run_due` returns, which is the business work that fell due.
        self.recurring = recurring or {}
        # Set to wake the scheduler loop before its sleep ends: a clock move, a job this process
        # scheduled due sooner than the instant it sleeps until, or stop.
        self.wake = asyncio.Event()
        # The due instant (service clock) the loop sleeps until; None: it knows of no pending job.
        self.asleep_until: datetime | None = None

    def notice(self, due_at: datetime) -> None:
        """A unit of work of this process committed a job due at ``due_at``: wake the loop if it
        sleeps past that instant."""
        if self.asleep_until is None or due_at < self.asleep_until:
            self.wake.set()

    async def next_due(self) -> datetime | None:
        """The instant of the earliest pending job, in one statement (None: no job is pending)."""
        jobs = self.uow.infra.jobs
        engine = self.uow.sessions.kw["bind"]
        async with one_read(engine) as conn:
            due: datetime | None = await conn.scalar(
                select(jobs.c.due_at).where(jobs.c.done_at.is_(None)).order_by(jobs.c.due_at).limit(1)
            )
        return due

    async def ensure_recurring(self, now: datetime) -> None:
        """Keep one pending occurrence of each recurring job, no later than its next instant after
        ``now`` (a simulated clock first set to a date before the wall clock pulls it back)."""
        jobs = self.uow.infra.jobs
        for kind, next_due in self.recurring.items():
            due = next_due(now)
            # Another replica scheduling the same occurrence at the same moment: theirs stands.
            with contextlib.suppress(IntegrityError):
                async with self.uow.sessions() as session, session.begin():
                    pending = (
                        await session.execute(
                            select(jobs.c.id, jobs.c.due_at).where(jobs.c.kind == kind, jobs.c.done_at.is_(None))
                        )
                    ).all()
                    if any(row.due_at <= due for row in pending):
                        continue
                    await session.execute(delete(jobs).where(jobs.c.id.in_([row.id for row in pending])))
                    await schedule_job(session, self.uow.infra, kind, due.isoformat(), due, {})

    async def run_due(self, now: datetime) -> int:
        """Run every job due at or before ``now``, oldest first, each in its own transaction."""
        source = db_source_var.set("job")
        try:
            await self.ensure_recurring(now)
            ran, housekeeping = await self._run_due(now)
            if housekeeping:
                await self.ensure_recurring(now)  # the next occurrence
            return ran
        finally:
            db_source_var.reset(source)

    async def _run_due(self, now: datetime) -> tuple[int, int]:
        jobs = self.uow.infra.jobs
        ran = housekeeping = 0
        while True:
            async with self.uow(actor="scheduler") as uow:
                due = (
                    select(jobs)
                    .where(jobs.c.done_at.is_(None), jobs.c.due_at <= now)
                    .order_by(jobs.c.due_at, jobs.c.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                if uow.session.get_bind().dialect.name == "postgresql":
                    # One replica runs the due jobs, oldest first; the others find none while it does.
                    due = due.where(func.pg_try_advisory_xact_lock(SCHEDULER_LOCK))
                row = (await uow.session.execute(due)).first()
                if row is None:
                    return ran, housekeeping
                # Each job run is a trace of its own (see shared.tracing): its log lines and events carry it.
                with span(f"job {row.kind}", root=True):
                    uow.cause = f"job:{row.kind}:{row.key}"
                    handler = self.handlers.get(row.kind)
                    result = await handler(uow, dict(row.payload), row.due_at) if handler else "no handler"
                    await uow.session.execute(
                        update(jobs).where(jobs.c.id == row.id).values(done_at=now, result=result or "ok")
                    )
                    await uow.commit()
                    log.info("job %s %s due %s ran: %s", row.kind, row.key, row.due_at.isoformat(), result or "ok")
            if row.kind in self.recurring:
                housekeeping += 1
            else:
                ran += 1
