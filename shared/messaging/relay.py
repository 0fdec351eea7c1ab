"""Outbox relay: leases batches of committed events, publishes them with confirms, marks them sent.
Wakes at once when a unit of work in this process commits; polls as a fallback for other writers.

Several relays (replicas) may share one outbox: a claim sets ``claimed_until`` on rows nobody holds,
in a transaction of its own (``FOR UPDATE SKIP LOCKED``), so each row goes to one relay; a lease
that runs out (its relay died between claim and mark) makes the rows claimable again. Delivery is
at least once; the consumers' inboxes make it exactly once in effect."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, or_, select, update
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
        lease_seconds: float = 60.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.sessions = sessions
        self.infra = infra
        self.broker = broker
        self.wake = wake
        self.batch = batch
        self.poll_seconds = poll_seconds
        # Longer than a batch takes to publish (each publish times out after 10 s).
        self.lease_seconds = lease_seconds
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
        """Claim one batch, publish it, mark it published; returns how many were published (0 when
        nothing was due). No transaction stays open while the broker confirms."""
        async with self.lock:
            rows = await self.claim()
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
            sent = [r for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
            failed = [(r, res) for r, res in zip(rows, results, strict=True) if isinstance(res, BaseException)]
            await self.settle(sent, failed)
        if self.metrics:
            for r in sent:
                self.metrics.published.labels(r.event_type).inc()
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(rows)} events not confirmed: {failed[0][1]!r}")
        return len(sent)

    async def claim(self) -> list[Row[Any]]:
        """Lease the oldest unpublished rows nobody holds (or whose lease ran out: a relay that died
        after claiming) in one short transaction; another relay on the same database skips them."""
        outbox = self.infra.outbox
        now = datetime.now(UTC)
        free = (
            select(outbox.c.seq)
            .where(
                outbox.c.published_at.is_(None),
                or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .order_by(outbox.c.seq)
            .limit(self.batch)
            .with_for_update(skip_locked=True)
        )
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    update(outbox)
                    .where(outbox.c.seq.in_(free.scalar_subquery()))
                    .values(claimed_until=now + timedelta(seconds=self.lease_seconds))
                    .returning(
                        outbox.c.seq, outbox.c.event_id, outbox.c.event_type, outbox.c.occurred_at, outbox.c.body
                    )
                )
            ).all()
        return sorted(rows, key=lambda r: r.seq)

    async def settle(self, sent: list[Row[Any]], failed: list[tuple[Row[Any], BaseException]]) -> None:
        """Mark the confirmed rows published in one statement; release the others for the next round.
        Should this fail, the lease runs out and the rows go out again (the consumers' inboxes absorb it)."""
        outbox = self.infra.outbox
        async with self.sessions() as session, session.begin():
            if sent:
                await session.execute(
                    update(outbox)
                    .where(outbox.c.seq.in_([r.seq for r in sent]), outbox.c.published_at.is_(None))
                    .values(published_at=datetime.now(UTC), claimed_until=None)
                )
            for r, err in failed:
                await session.execute(
                    update(outbox)
                    .where(outbox.c.seq == r.seq)
                    .values(
                        attempts=outbox.c.attempts + 1,
                        last_error=f"{type(err).__name__}: {err}"[:2000],
                        claimed_until=None,
                    )
                )

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
