"""The nightly reconciliation through the allowance registry's scheduler: due at 00:00 on the service
clock, run once whatever the jump, recorded in the audit log, never counted as business work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from services.allowance_registry.adapters.orm import Notice
from shared.reconciliation import NIGHTLY_RECONCILIATION
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest
from tests.unit.service_layer.test_allowance_support import active_period, bound_unit, issue_notice


async def _runs(svc: ServiceUnderTest[Any]) -> list[dict[str, Any]]:
    audit = svc.runtime.infra.audit
    async with svc.runtime.sessions() as session:
        rows = await session.execute(
            select(audit.c.entity_id, audit.c.detail, audit.c.actor)
            .where(audit.c.entity == "reconciliation")
            .order_by(audit.c.id)
        )
        return [{"day": r.entity_id, "actor": r.actor, **r.detail} for r in rows]


async def _pending(svc: ServiceUnderTest[Any]) -> list[datetime]:
    jobs = svc.runtime.infra.jobs
    async with svc.runtime.sessions() as session:
        return list(
            await session.scalars(
                select(jobs.c.due_at).where(jobs.c.kind == NIGHTLY_RECONCILIATION, jobs.c.done_at.is_(None))
            )
        )


async def test_one_occurrence_waits_for_the_next_midnight_and_a_jump_runs_it_once(allowance: Any) -> None:
    # The fixture's clock reads 2025-06-02 09:00.
    assert await _pending(allowance) == [datetime(2025, 6, 3, 0, 0, tzinfo=CST)]
    assert await allowance.set_clock(datetime(2025, 6, 2, 23, 59, 59, tzinfo=CST)) == 0
    assert await _runs(allowance) == []

    # Three nights at once: one run (not counted as business work), the next one pending.
    assert await allowance.set_clock(datetime(2025, 6, 5, 8, 0, tzinfo=CST)) == 0
    [run] = await _runs(allowance)
    assert run["day"] == "2025-06-05" and run["actor"] == "scheduler" and run["consistent"] is True
    assert await _pending(allowance) == [datetime(2025, 6, 6, 0, 0, tzinfo=CST)]


async def test_ccer_registered_above_the_cap_is_reported_by_the_night_after(allowance: Any) -> None:
    unit = await bound_unit(allowance)
    period = await active_period(allowance)
    notice = await issue_notice(allowance, period.code, unit, 10_000)
    async with allowance.runtime.sessions() as session, session.begin():
        await session.execute(update(Notice).where(Notice.id == notice.notice.id).values(ccer_registered=501))

    await allowance.set_clock(datetime(2025, 6, 3, 0, 0, tzinfo=CST))

    [run] = await _runs(allowance)
    # Above the cap, and registered without any offset registration behind it.
    assert run["consistent"] is False and run["discrepancy_count"] == 2
    found = {d["code"]: d for d in run["discrepancies"]}
    assert set(found) == {"NOTICE_OVER_CAP", "NOTICE_REGISTRATIONS"}
    over = found["NOTICE_OVER_CAP"]
    assert (over["objects"]["notice_id"], over["objects"]["cap"]) == (notice.notice.id, 500)
    assert found["NOTICE_REGISTRATIONS"]["objects"]["registrations"] == 0
