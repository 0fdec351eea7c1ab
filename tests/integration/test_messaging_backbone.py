"""The backbone under replicas, on the real PostgreSQL: outbox leases shared by two relays, a lease
that runs out, events handed from a unit of work to its relay (in order through a failed publish,
and claimed by another relay when the process that wrote them died), one event applied by two
consumers at once, due jobs run by one replica, and a unit of work's outbox and audit rows written
together."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import MetaData, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.clock import Clock
from shared.db import InfraTables, create_engine_for, ensure_database, infra_tables, session_factory
from shared.events import Envelope, make_envelope
from shared.events.contracts import payload_model
from shared.messaging.consumer import EventConsumer
from shared.messaging.relay import OutboxRelay
from shared.observability import Metrics
from shared.runtime import count_statements
from shared.scheduler import Scheduler, schedule_job
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.harness import PG_BASE

pytestmark = pytest.mark.integration

EVENT = "allowance_registry.notice.issued"


class RecordingBroker:
    """Stands in for RabbitMQ's confirms (the subject here is the database): records every publish
    and takes a moment to confirm, so two relays overlap."""

    def __init__(self) -> None:
        self.published: list[str] = []
        self.ready = True
        self.connected = asyncio.Event()
        self.connected.set()

    async def connect_forever(self, stop: asyncio.Event) -> None:
        return None

    async def wait_connected(self) -> None:
        await self.connected.wait()

    async def publish(
        self, body: bytes, *, event_id: str, event_type: str, occurred_at: datetime, traceparent: str | None = None
    ) -> None:
        await asyncio.sleep(0.01)
        if not self.ready:
            raise ConnectionError("broker unavailable")
        self.published.append(event_id)

    async def consume(self, service: str, callback: object) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        return None


@pytest.fixture
async def database(db_prefix: str) -> AsyncIterator[tuple[AsyncEngine, InfraTables]]:
    url = f"{PG_BASE}/{db_prefix}_backbone_{uuid.uuid4().hex[:6]}"
    await ensure_database(url)
    metadata = MetaData()
    infra = infra_tables(metadata)
    engine = create_engine_for(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine, infra
    await engine.dispose()


async def fill_outbox(engine: AsyncEngine, infra: InfraTables, n: int) -> list[str]:
    now = datetime.now(UTC)
    ids = [str(uuid.uuid4()) for _ in range(n)]
    async with engine.begin() as conn:
        await conn.execute(
            insert(infra.outbox),
            [
                {
                    "event_id": i,
                    "event_type": EVENT,
                    "correlation_id": "t",
                    "occurred_at": now,
                    "body": "{}",
                    "recorded_at": now,
                }
                for i in ids
            ],
        )
    return ids


def relay(engine: AsyncEngine, infra: InfraTables, broker: RecordingBroker, **kw: float) -> OutboxRelay:
    batch, max_handed = int(kw.pop("batch", 20)), int(kw.pop("max_handed", 5000))
    return OutboxRelay(engine, infra, broker, asyncio.Event(), batch=batch, max_handed=max_handed, **kw)


async def test_two_relays_on_one_outbox_publish_every_row_exactly_once(
    database: tuple[AsyncEngine, InfraTables],
) -> None:
    engine, infra = database
    ids = await fill_outbox(engine, infra, 300)
    broker_a, broker_b = RecordingBroker(), RecordingBroker()
    a, b = relay(engine, infra, broker_a), relay(engine, infra, broker_b)

    async def drain(r: OutboxRelay) -> None:
        while await r.drain_once():
            pass

    await asyncio.gather(drain(a), drain(b))

    counts = Counter(broker_a.published + broker_b.published)
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}
    assert broker_a.published and broker_b.published  # both took a share
    assert await a.pending() == (0, None)


async def test_rows_claimed_by_a_relay_that_died_go_out_once_its_lease_runs_out(
    database: tuple[AsyncEngine, InfraTables],
) -> None:
    engine, infra = database
    ids = await fill_outbox(engine, infra, 5)
    dead = relay(engine, infra, RecordingBroker(), lease_seconds=1.0)
    assert len(await dead.claim()) == 5  # ... and the process dies before publishing
    survivor_broker = RecordingBroker()
    survivor = relay(engine, infra, survivor_broker, lease_seconds=1.0)

    assert await survivor.drain_once() == 0  # the lease still holds
    assert (await survivor.pending())[0] == 5
    await asyncio.sleep(1.2)
    assert await survivor.drain_once() == 5

    assert sorted(survivor_broker.published) == sorted(ids)
    assert await survivor.drain_once() == 0
    assert (await survivor.pending())[0] == 0


async def test_one_event_delivered_to_two_replicas_at_once_is_applied_once(
    database: tuple[AsyncEngine, InfraTables],
) -> None:
    engine, infra = database
    applied: list[str] = []

    async def handler(uow: UnitOfWork, envelope: Envelope, payload: BaseModel) -> None:
        uow.audit("apply", "event", str(envelope.event_id))
        await asyncio.sleep(0.2)  # still uncommitted when the twin delivery arrives
        applied.append(str(envelope.event_id))

    def replica() -> EventConsumer:
        uow = UnitOfWorkFactory(session_factory(engine), infra, Clock(), None)
        return EventConsumer("allowance_registry", uow, {payload_model(EVENT): handler}, concurrency=4)

    payload = payload_model(EVENT, 1).model_validate(
        {
            "notice_id": "NTC-1",
            "period_code": "2024",
            "account": {"id": "A-1", "name": "甲", "uscc": "91110000000000000X", "province": "110000"},
            "obligation": 10,
            "deadline": "2025-12-31T16:00:00+00:00",
        }
    )
    envelope = make_envelope(EVENT, payload, occurred_at=datetime.now(UTC), correlation_id="t")

    outcomes = await asyncio.gather(replica().apply(envelope, payload), replica().apply(envelope, payload))

    assert sorted(outcomes) == ["applied", "duplicate"]
    assert applied == [str(envelope.event_id)]
    async with engine.connect() as conn:
        audits = await conn.scalar(select(func.count()).select_from(infra.audit))
        inbox = await conn.scalar(select(func.count()).select_from(infra.inbox))
    assert (audits, inbox) == (1, 1)


async def test_a_unit_of_work_writes_its_events_and_audit_rows_together(
    database: tuple[AsyncEngine, InfraTables],
) -> None:
    engine, infra = database
    clock = Clock()
    payload = payload_model(EVENT, 1).model_validate(
        {
            "notice_id": "NTC-2",
            "period_code": "2024",
            "account": {"id": "A-2", "name": "乙", "uscc": "91110000000000000X", "province": "110000"},
            "obligation": 7,
            "deadline": "2025-12-31T16:00:00+00:00",
        }
    )
    async with UnitOfWorkFactory(session_factory(engine), infra, clock, None)(actor="tester", cause="test") as uow:
        sent = [uow.emit(payload, correlation_id=f"c{i}") for i in range(3)]
        uow.audit("issue_notice", "notice", "NTC-2", obligation=7, note="通知")
        uow.audit("second", "notice", "NTC-2")
        await uow.commit()

    async with engine.connect() as conn:
        outbox = (await conn.execute(select(infra.outbox).order_by(infra.outbox.c.seq))).all()
        audit = (await conn.execute(select(infra.audit).order_by(infra.audit.c.id))).all()
    assert [(r.event_id, r.correlation_id) for r in outbox] == [(str(e.event_id), f"c{i}") for i, e in enumerate(sent)]
    assert Envelope.model_validate_json(outbox[0].body).payload["obligation"] == 7
    assert outbox[0].occurred_at == sent[0].occurred_at and outbox[0].published_at is None
    assert [(r.actor, r.action, r.entity_id, r.detail, r.cause) for r in audit] == [
        ("tester", "issue_notice", "NTC-2", {"obligation": 7, "note": "通知"}, "test"),
        ("tester", "second", "NTC-2", {}, "test"),
    ]


async def test_two_replicas_run_each_due_job_once_and_in_order(database: tuple[AsyncEngine, InfraTables]) -> None:
    engine, infra = database
    start = datetime(2025, 1, 1, tzinfo=UTC)
    async with session_factory(engine)() as session, session.begin():
        for n in range(6):
            await schedule_job(session, infra, "tick", f"k{n}", start + timedelta(hours=n), {"n": n})
        await schedule_job(session, infra, "tick", "later", start + timedelta(days=9), {"n": 99})
    ran: list[int] = []

    async def tick(uow: UnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
        await asyncio.sleep(0.05)  # the other replica tries meanwhile
        ran.append(payload["n"])
        return f"tick {payload['n']}"

    def replica() -> Scheduler:
        return Scheduler(UnitOfWorkFactory(session_factory(engine), infra, Clock(), None), {"tick": tick})

    counts = await asyncio.gather(
        replica().run_due(start + timedelta(days=1)), replica().run_due(start + timedelta(days=1))
    )

    assert ran == [0, 1, 2, 3, 4, 5]
    assert sum(counts) == 6
    async with engine.connect() as conn:
        results = (await conn.execute(select(infra.jobs.c.key, infra.jobs.c.result).order_by(infra.jobs.c.id))).all()
    assert [tuple(r) for r in results] == [*((f"k{n}", f"tick {n}") for n in range(6)), ("later", None)]


def notice_payload(n: int) -> BaseModel:
    return payload_model(EVENT, 1).model_validate(
        {
            "notice_id": f"NTC-{n}",
            "period_code": "2024",
            "account": {"id": f"A-{n}", "name": "丙", "uscc": "91110000000000000X", "province": "110000"},
            "obligation": n,
            "deadline": "2025-12-31T16:00:00+00:00",
        }
    )


async def commit_events(factory: UnitOfWorkFactory[UnitOfWork], first: int, count: int) -> list[str]:
    async with factory(actor="tester", cause="test") as uow:
        sent = [uow.emit(notice_payload(n)) for n in range(first, first + count)]
        await uow.commit()
    return [str(e.event_id) for e in sent]


async def test_committed_events_are_handed_to_the_relay_and_published_without_a_claim(
    database: tuple[AsyncEngine, InfraTables],
) -> None:
    engine, infra = database
    broker = RecordingBroker()
    r = relay(engine, infra, broker)
    factory = UnitOfWorkFactory(session_factory(engine), infra, Clock(), r.handoff)
    metrics = Metrics("test")
    count_statements(engine, metrics)
    assert await r.drain_once() == 0  # the first round looks in the outbox: nothing there
    ids = await commit_events(factory, 1, 3) + await commit_events(factory, 4, 2)
    before = metrics.statements.labels("request")._value.get()

    assert await r.drain_once() == 5

    # One statement: the rows marked published. Nothing was read to find them.
    assert metrics.statements.labels("request")._value.get() - before == 1
    assert broker.published == ids
    assert await r.pending() == (0, None)
    assert await r.drain_once() == 0


async def test_after_a_failed_publish_hand_offs_wait_until_earlier_events_went_out_in_commit_order(
    database: tuple[AsyncEngine, InfraTables],
) -> None:
    engine, infra = database
    broker = RecordingBroker()
    r = relay(engine, infra, broker, batch=2)
    factory = UnitOfWorkFactory(session_factory(engine), infra, Clock(), r.handoff)
    await r.drain_once()
    first = await commit_events(factory, 1, 3)
    broker.ready = False
    with pytest.raises(RuntimeError, match="not confirmed"):
        await r.drain_once()
    later = await commit_events(factory, 4, 3)  # committed while the broker is away, handed over
    broker.ready = True

    while await r.drain_once():
        pass

    assert broker.published == first + later
    assert await r.pending() == (0, None)
    async with engine.connect() as conn:
        attempts = (await conn.execute(select(infra.outbox.c.attempts).order_by(infra.outbox.c.seq))).scalars().all()
    assert attempts == [1, 1, 0, 0, 0, 0]  # the failed batch of two was counted


async def test_events_written_for_a_relay_that_died_before_the_hand_off_go_out_once_the_lease_ran_out(
    database: tuple[AsyncEngine, InfraTables], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, infra = database
    monkeypatch.setattr("shared.uow.HANDOFF_LEASE_SECONDS", 1.0)
    dead = relay(engine, infra, RecordingBroker())
    ids = await commit_events(UnitOfWorkFactory(session_factory(engine), infra, Clock(), dead.handoff), 1, 4)
    dead.forget()  # ... the process dies before its relay published them
    survivor_broker = RecordingBroker()
    survivor = relay(engine, infra, survivor_broker)

    assert await survivor.drain_once() == 0  # still leased to the writer
    await asyncio.sleep(1.2)
    assert await survivor.drain_once() == 4

    assert survivor_broker.published == ids
    assert (await survivor.pending())[0] == 0


async def test_hand_offs_piling_up_while_the_broker_is_away_go_back_to_the_outbox_and_out_in_commit_order(
    database: tuple[AsyncEngine, InfraTables],
) -> None:
    engine, infra = database
    broker = RecordingBroker()
    broker.connected.clear()
    r = relay(engine, infra, broker, poll_seconds=0.05, max_handed=3)
    factory = UnitOfWorkFactory(session_factory(engine), infra, Clock(), r.handoff)
    stop = asyncio.Event()
    running = asyncio.create_task(r.run(stop))
    try:
        first = await commit_events(factory, 1, 2) + await commit_events(factory, 3, 3)  # 5 held: over 3
        for _ in range(100):
            if not r.handed:
                break
            await asyncio.sleep(0.02)

        # Nothing is held in memory any more, and nothing is leased: the outbox has all five, free to claim.
        assert list(r.handed) == []
        async with engine.connect() as conn:
            free = (
                await conn.execute(
                    select(func.count()).where(
                        infra.outbox.c.published_at.is_(None), infra.outbox.c.claimed_until.is_(None)
                    )
                )
            ).scalar_one()
        assert free == 5
        later = await commit_events(factory, 6, 2)  # under the bound: handed over and kept
        assert len(r.handed) == 2

        broker.connected.set()
        for _ in range(200):
            if (await r.pending())[0] == 0:
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        r.wake.set()
        await asyncio.wait_for(running, 5)

    assert broker.published == first + later
    assert await r.pending() == (0, None)
