"""Scheduled work that falls due on the service clock: runs once, whatever the size of the jump."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import InfraTables
from shared.observability import db_source_var
from shared.uow import UnitOfWork, UnitOfWorkFactory

__all__ = ["JobHandler", "Scheduler", "schedule_job"]

log = logging.getLogger(__name__)

# A job handler runs inside the job's unit of work; ``due_at`` is the instant the work is for.
# The advisory lock (transaction-scoped) of the replica running the due jobs of its service.
SCHEDULER_LOCK = 727275

JobHandler = Callable[[UnitOfWork, dict[str, Any], datetime], Awaitable[str | None]]


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
    def __init__(self, uow: UnitOfWorkFactory, handlers: dict[str, JobHandler]) -> None:
        self.uow = uow
        self.handlers = handlers

    async def run_due(self, now: datetime) -> int:
        """Run every job due at or before ``now``, oldest first, each in its own transaction."""
        source = db_source_var.set("job")
        try:
            return await self._run_due(now)
        finally:
            db_source_var.reset(source)

    async def _run_due(self, now: datetime) -> int:
        jobs = self.uow.infra.jobs
        ran = 0
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
                    return ran
                uow.cause = f"job:{row.kind}:{row.key}"
                handler = self.handlers.get(row.kind)
                result = await handler(uow, dict(row.payload), row.due_at) if handler else "no handler"
                await uow.session.execute(
                    update(jobs).where(jobs.c.id == row.id).values(done_at=now, result=result or "ok")
                )
                await uow.commit()
            log.info("job %s %s due %s ran: %s", row.kind, row.key, row.due_at.isoformat(), result or "ok")
            ran += 1
