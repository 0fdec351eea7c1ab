"""Scheduled work that falls due on the service clock: runs once, whatever the size of the jump."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import InfraTables
from shared.observability import db_source_var
from shared.uow import UnitOfWork, UnitOfWorkFactory

__all__ = ["JobHandler", "Scheduler", "schedule_job"]

log = logging.getLogger(__name__)

# A job handler runs inside the job's unit of work; ``due_at`` is the instant the work is for.
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
        infra = self.uow.infra
        ran = 0
        while True:
            async with self.uow.sessions() as session:
                row = (
                    await session.execute(
                        select(infra.jobs)
                        .where(infra.jobs.c.done_at.is_(None), infra.jobs.c.due_at <= now)
                        .order_by(infra.jobs.c.due_at, infra.jobs.c.id)
                        .limit(1)
                    )
                ).first()
            if row is None:
                return ran
            handler = self.handlers.get(row.kind)
            async with self.uow(actor="scheduler", cause=f"job:{row.kind}:{row.key}") as uow:
                claimed = await uow.session.execute(
                    update(infra.jobs)
                    .where(infra.jobs.c.id == row.id, infra.jobs.c.done_at.is_(None))
                    .values(done_at=now)
                )
                if claimed.rowcount != 1:
                    continue  # another replica ran it
                result = await handler(uow, dict(row.payload), row.due_at) if handler else "no handler"
                await uow.session.execute(
                    update(infra.jobs).where(infra.jobs.c.id == row.id).values(result=result or "ok")
                )
                await uow.commit()
            log.info("job %s %s due %s ran: %s", row.kind, row.key, row.due_at.isoformat(), result or "ok")
            ran += 1
