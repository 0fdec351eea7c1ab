"""Outbox relay: claims batches of committed events, publishes them with confirms, marks them sent.
Wakes at once when a unit of work in this process commits; polls as a fallback for other writers."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import InfraTables
from shared.messaging.broker import BrokerPort
from shared.observability import Metrics, db_source_var

__all__ = ["OutboxRelay"]

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        infra: InfraTables,
        broker: BrokerPort,
        wake: asyncio.Event,
        *,
        batch: int = 200,
        poll_seconds: float = 1.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.sessions = sessions
        self.infra = infra
        self.broker = broker
        self.wake = wake
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.metrics = metrics
        self.lock = asyncio.Lock()

    async def run(self, stop: asyncio.Event) -> None:
        db_source_var.set("relay")
        backoff = 0.2
        while not stop.is_set():
            try:
                await self.broker.wait_connected()
                while await self.drain_once():
                    pass
                backoff = 0.2
            except Exception as exc:
                log.warning("outbox relay: publish failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            try:
                await asyncio.wait_for(self.wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass
            self.wake.clear()

    async def drain_once(self) -> int:
        """Publish one claimed batch; returns how many were published (0 when nothing was due)."""
        outbox = self.infra.outbox
        async with self.lock, self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(outbox.c.seq, outbox.c.event_id, outbox.c.event_type, outbox.c.occurred_at, outbox.c.body)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            results = await asyncio.gather(
                *(
                    self.broker.publish(
                        r.body.encode(), event_id=r.event_id, event_type=r.event_type, occurred_at=r.occurred_at
                    )
                    for r in rows
                ),
                return_exceptions=True,
            )
            now = datetime.now(UTC)
            sent = [r.seq for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
            failed = [(r, res) for r, res in zip(rows, results, strict=True) if isinstance(res, BaseException)]
            if sent:
                await session.execute(update(outbox).where(outbox.c.seq.in_(sent)).values(published_at=now))
            for r, err in failed:
                await session.execute(
                    update(outbox)
                    .where(outbox.c.seq == r.seq)
                    .values(attempts=outbox.c.attempts + 1, last_error=f"{type(err).__name__}: {err}"[:2000])
                )
            if self.metrics:
                for r, res in zip(rows, results, strict=True):
                    if not isinstance(res, BaseException):
                        self.metrics.published.labels(r.event_type).inc()
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(rows)} events not confirmed: {failed[0][1]!r}")
        return len(sent)

    async def pending(self) -> tuple[int, datetime | None]:
        outbox = self.infra.outbox
        source = db_source_var.set("probe")
        try:
            async with self.sessions() as session:
                row = (
                    await session.execute(
                        select(func.count(), func.min(outbox.c.recorded_at)).where(outbox.c.published_at.is_(None))
                    )
                ).one()
        finally:
            db_source_var.reset(source)
        return int(row[0]), row[1]
