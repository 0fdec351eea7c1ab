"""The scheduler sleeps until its next due job or until woken (a clock move, a job this process
scheduled, stop); an idle service costs one statement per wake-up, counted on the engine."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from tests.service_layer import ServiceUnderTest, service_under_test

MAX_SLEEP = 60.0


@contextlib.contextmanager
def statements(service: ServiceUnderTest[Any]) -> Iterator[list[str]]:
    """Every statement sent to the service's database while the block runs (BEGIN included)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = service.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def schedule(service: ServiceUnderTest[Any], key: str, due_at: datetime) -> None:
    """A unit of work of the service schedules a job (kind without a handler: it is simply run)."""
    async with service.runtime.uow(actor="test") as uow:
        await uow.schedule("test-job", key, due_at, {})
        await uow.commit()


async def done(service: ServiceUnderTest[Any], key: str) -> bool:
    jobs = service.runtime.infra.jobs
    async with service.runtime.sessions() as session:
        return await session.scalar(select(jobs.c.done_at).where(jobs.c.key == key)) is not None


async def test_an_idle_scheduler_runs_one_statement_per_wake_up(backend: str) -> None:
    async with service_under_test("new_ccer_registry", backend, scheduler_max_sleep_seconds=MAX_SLEEP) as service:
        runtime = service.runtime
        with statements(service) as seen:
            # An idle simulated hour: the clock stands still, each wake-up is the bound's.
            delays = [await runtime.scheduler_round() for _ in range(60)]
        assert delays == [MAX_SLEEP] * 60
        assert len(seen) == 60, seen[:5]
        # The old loop ran a whole round (run_due) every 2 s: 30 a minute, each more than one statement.
        with statements(service) as seen:
            await runtime.scheduler.run_due(runtime.clock.now())
        assert len(seen) > 1


async def test_a_job_scheduled_sooner_than_the_sleep_wakes_the_scheduler(backend: str) -> None:
    async with service_under_test("new_ccer_registry", backend, scheduler_max_sleep_seconds=MAX_SLEEP) as service:
        runtime, now = service.runtime, service.now
        await runtime.scheduler_round()
        nightly = runtime.scheduler.asleep_until
        assert nightly is not None and nightly > now  # the nightly reconciliation is the next job
        assert not runtime.scheduler.wake.is_set()

        await schedule(service, "later", nightly + timedelta(hours=1))
        assert not runtime.scheduler.wake.is_set()  # after the instant it sleeps until: no wake-up

        await schedule(service, "soon", now + timedelta(hours=1))
        assert runtime.scheduler.wake.is_set()
        with statements(service) as seen:
            assert await runtime.scheduler_round() == MAX_SLEEP  # the simulated clock stands still
        assert len(seen) == 1
        assert runtime.scheduler.asleep_until == now + timedelta(hours=1)

        # A clock move runs what fell due at once, and wakes the loop to reckon its sleep again.
        assert await runtime.set_clock(now + timedelta(hours=2)) == 1
        assert await done(service, "soon") and not await done(service, "later")
        assert runtime.scheduler.wake.is_set()


async def test_a_job_due_now_runs_without_waiting_for_the_bound(backend: str) -> None:
    async with service_under_test("new_ccer_registry", backend, scheduler_max_sleep_seconds=MAX_SLEEP) as service:
        runtime = service.runtime
        loop = asyncio.create_task(runtime._scheduler_loop())
        try:
            await asyncio.sleep(0.05)  # the loop's first round; it then sleeps for the bound (60 s)
            await schedule(service, "now", service.now)
            for _ in range(100):
                if await done(service, "now"):
                    break
                await asyncio.sleep(0.05)
            assert await done(service, "now")
        finally:
            runtime.stop.set()
            runtime.scheduler.wake.set()
            await loop


async def test_on_the_wall_clock_the_scheduler_sleeps_until_the_next_due_job(backend: str) -> None:
    async with service_under_test("new_ccer_registry", backend, scheduler_max_sleep_seconds=MAX_SLEEP) as service:
        runtime = service.runtime
        runtime.clock.reset()  # simulated, not set: the wall clock
        await runtime.scheduler_round()  # the nightly reconciliation, moved to the wall clock's night
        await schedule(service, "wall", datetime.now(UTC) + timedelta(seconds=30))
        with statements(service) as seen:
            delay = await runtime.scheduler_round()
        assert 0 < delay <= 30
        assert len(seen) == 1
        await schedule(service, "far", datetime.now(UTC) + timedelta(days=3))
        assert await runtime.scheduler_round() <= 30  # the bound and the next job still rule
