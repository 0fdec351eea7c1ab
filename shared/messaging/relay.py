"""Outbox relay: publishes committed events with confirms and marks them sent.

Two ways in, one way out:
- **Hand-off.** A unit of work of this process writes its outbox rows already leased to this relay
  (``claimed_until`` a few seconds ahead) and, once committed, hands them over in memory. The relay
  publishes them at once and marks them sent in one statement: no query to find them, no claim.
- **Claim.** Rows nobody holds (written by a process that died before handing them over, released
  after a failed publish, or whose lease ran out) are leased in one statement (``FOR UPDATE SKIP
  LOCKED``), oldest first, polled every ``poll_seconds``. Several relays (replicas) may share one
  outbox: each row goes to one relay at a time.

After a failed publish the relay releases what it holds and drains by claim, in commit order, before
it takes hand-offs again, so a later event never overtakes an earlier one of the same process. No
transaction stays open while the broker confirms. Delivery is at least once; the consumers' inboxes
make it exactly once in effect."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import InfraTables, one_statement
from shared.messaging.broker import BrokerPort
from shared.observability import Metrics, db_source_var
from shared.tracing import SpanKind, start_span

__all__ = ["HANDOFF_LEASE_SECONDS", "MAX_HANDED", "OutboxRelay", "OutboxRow"]

log = logging.getLogger(__name__)

# How long a row written for hand-off stays leased to the process that wrote it. A publish takes
# milliseconds; should the process die first, any relay claims the row once this has passed.
HANDOFF_LEASE_SECONDS = 5.0
# Hand-offs held in memory while the broker is away; beyond this they are given back to the outbox,
# where a claim finds them once the broker is back.
MAX_HANDED = 5000


@dataclass(frozen=True, slots=True)
class OutboxRow:
    event_id: str
    event_type: str
    occurred_at: datetime
    body: str
    # W3C traceparent of the work that wrote it (see shared.tracing), sent as the AMQP header.
    traceparent: str | None = None


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        infra: InfraTables,
        broker: BrokerPort,
        wake: asyncio.Event | None = None,
        *,
        batch: int = 200,
        poll_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        max_handed: int = MAX_HANDED,
        metrics: Metrics | None = None,
    ) -> None:
        self.engine = engine
        self.infra = infra
        self.broker = broker
        self.wake = wake or asyncio.Event()
        self.batch = batch
        self.poll_seconds = poll_seconds
        # Longer than a batch takes to publish (each publish times out after 10 s).
        self.lease_seconds = lease_seconds
        self.max_handed = max_handed
        self.metrics = metrics
        self.lock = asyncio.Lock()
        # Rows committed by this process and handed over, in commit order.
        self.handed: deque[OutboxRow] = deque()
        # Set after a failed publish: drain by claim (commit order) before taking hand-offs again.
        self.backlog = True

    # ------------------------------------------------------------------ the way in
    def handoff(self, rows: Sequence[OutboxRow]) -> None:
        """Called by a unit of work right after it committed ``rows`` (leased to this relay)."""
        self.handed.extend(rows)
        self.wake.set()

    def forget(self) -> None:
        """Drop what was handed over (the data were reset)."""
        self.handed.clear()

    # ------------------------------------------------------------------ the loop
    async def run(self, stop: asyncio.Event) -> None:
        db_source_var.set("relay")
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._wait_connected()
                # Hand-offs as they come; the database only when a claim may find something.
                while (self.handed or self.backlog) and await self.drain_once():
                    pass
                backoff = 0.2
            except Exception as exc:
                log.warning("outbox relay: publish failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if self.handed and not self.backlog:
                continue
            try:
                await asyncio.wait_for(self.wake.wait(), self.poll_seconds)
            except TimeoutError:
                # Nothing handed over for a while: look for rows nobody holds.
                self.backlog = True
            self.wake.clear()

    async def drain_once(self) -> int:
        """Publish one batch and mark it published: hand-offs, unless a failure left a backlog or none
        are waiting, else rows claimed from the outbox. Returns how many were published (0 when
        nothing was due)."""
        async with self.lock:
            rows = await self._next_batch()
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish(r) for r in rows), return_exceptions=True)
            sent = [r for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
            failed = [(r, res) for r, res in zip(rows, results, strict=True) if isinstance(res, BaseException)]
            # After a failure, give back what failed and everything handed over since: the next
            # rounds claim them in commit order.
            await self.settle(sent, failed, self._give_back() if failed else [])
        if self.metrics:
            for r in sent:
                self.metrics.published.labels(r.event_type).inc()
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(rows)} events not confirmed: {failed[0][1]!r}")
        return len(sent)

    async def _publish(self, row: OutboxRow) -> None:
        # A span of the row's trace when spans are recorded; the consumer continues from it.
        publishing = start_span(
            f"publish {row.event_type}",
            parent=row.traceparent,
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "rabbitmq", "messaging.message.id": row.event_id},
        )
        try:
            await self.broker.publish(
                row.body.encode(),
                event_id=row.event_id,
                event_type=row.event_type,
                occurred_at=row.occurred_at,
                traceparent=publishing.traceparent,
            )
        except BaseException as exc:
            publishing.end(exc)
            raise
        publishing.end()

    def _give_back(self) -> list[OutboxRow]:
        """Take back what was handed over, to be released in the outbox and drained by claim first."""
        self.backlog = True
        held = list(self.handed)
        self.handed.clear()
        return held

    async def _wait_connected(self) -> None:
        """Wait for the broker; should hand-offs pile up meanwhile, release them to the outbox so that
        memory stays bounded however long the broker is away."""
        while True:
            try:
                async with asyncio.timeout(self.poll_seconds):
                    await self.broker.wait_connected()
                return
            except TimeoutError:
                if len(self.handed) > self.max_handed:
                    held = self._give_back()
                    await self.settle([], [], held)
                    log.warning("outbox relay: broker away, %d hand-off(s) given back to the outbox", len(held))

    async def _next_batch(self) -> list[OutboxRow]:
        if self.handed and not self.backlog:
            return [self.handed.popleft() for _ in range(min(self.batch, len(self.handed)))]
        rows = await self.claim()
        if rows:
            claimed = {r.event_id for r in rows}
            if self.handed and claimed.intersection(r.event_id for r in self.handed):
                # Their hand-off lease ran out while the backlog drained: they go out with this batch.
                self.handed = deque(r for r in self.handed if r.event_id not in claimed)
            return rows
        self.backlog = False
        return [self.handed.popleft() for _ in range(min(self.batch, len(self.handed)))]

    # ------------------------------------------------------------------ the database
    async def claim(self) -> list[OutboxRow]:
        """Lease the oldest unpublished rows nobody holds (or whose lease ran out: a relay that died
        after claiming) in one statement; another relay on the same database skips them."""
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
        async with one_statement(self.engine) as conn:
            rows = (
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.seq.in_(free.scalar_subquery()))
                    .values(claimed_until=now + timedelta(seconds=self.lease_seconds))
                    .returning(
                        outbox.c.seq,
                        outbox.c.event_id,
                        outbox.c.event_type,
                        outbox.c.occurred_at,
                        outbox.c.body,
                        outbox.c.traceparent,
                    )
                )
            ).all()
        return [
            OutboxRow(r.event_id, r.event_type, r.occurred_at, r.body, r.traceparent)
            for r in sorted(rows, key=lambda r: r.seq)
        ]

    async def settle(
        self,
        sent: list[OutboxRow],
        failed: list[tuple[OutboxRow, BaseException]],
        held: list[OutboxRow] | None = None,
    ) -> None:
        """Mark the confirmed rows published in one statement; release the others for the next round.
        Should this fail, the leases run out and the rows go out again (the consumers' inboxes absorb it)."""
        outbox = self.infra.outbox
        async with one_statement(self.engine) as conn:
            if sent:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.event_id.in_([r.event_id for r in sent]), outbox.c.published_at.is_(None))
                    .values(published_at=datetime.now(UTC), claimed_until=None)
                )
            for r, err in failed:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.event_id == r.event_id)
                    .values(
                        attempts=outbox.c.attempts + 1,
                        last_error=f"{type(err).__name__}: {err}"[:2000],
                        claimed_until=None,
                    )
                )
            if held:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.event_id.in_([r.event_id for r in held]), outbox.c.published_at.is_(None))
                    .values(claimed_until=None)
                )

    async def pending(self) -> tuple[int, datetime | None]:
        outbox = self.infra.outbox
        source = db_source_var.set("probe")
        try:
            async with one_statement(self.engine) as conn:
                row = (
                    await conn.execute(
                        select(func.count(), func.min(outbox.c.recorded_at)).where(outbox.c.published_at.is_(None))
                    )
                ).one()
        finally:
            db_source_var.reset(source)
        return int(row[0]), row[1]
