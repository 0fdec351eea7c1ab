"""The legacy registry's reconciliation holds after a whole legacy flow and names what breaks it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update

from services.legacy_ccer_registry.adapters.orm import Cancellation, HoldingBlock, SyncApplication
from services.legacy_ccer_registry.domain.accounts import Decision
from services.legacy_ccer_registry.service_layer.commands import DecideSyncApplication, Reconcile
from shared.events.contracts import Reason, SyncRefusedV1
from tests.service_layer import ServiceUnderTest
from tests.unit.service_layer.test_legacy_support import (
    cancel,
    form,
    issue,
    ncsc,
    open_unit,
    record_project,
    to_registry,
)


async def synced_flow(svc: ServiceUnderTest[Any]) -> str:
    """Two issuances, a transfer, a cancellation for 2023 and an approved sync of part of it."""
    unit = await open_unit(svc)
    await record_project(svc, recorded_at=date(2013, 5, 6))
    await issue(svc, unit, 40, recorded_at=date(2015, 1, 1))
    await issue(svc, unit, 60, recorded_at=date(2016, 2, 2))
    await to_registry(svc, unit, 70)
    record = await cancel(svc, unit, 50)
    application = await svc.handle(form(unit, (record.id, "P1001", 30)), unit.me)
    await svc.handle(DecideSyncApplication(application_id=application.id, decision=Decision.approve), ncsc())
    return str(record.id)


async def test_after_issuance_transfer_cancellation_and_sync_every_invariant_holds(
    legacy: ServiceUnderTest[Any],
) -> None:
    await synced_flow(legacy)

    report = await legacy.handle(Reconcile(), ncsc())

    assert report.consistent, report.discrepancies
    assert (report.prefixes_checked, report.cancellations_checked) == (1, 1)


async def test_a_unit_lost_from_the_holdings_and_a_record_that_disagrees_with_its_blocks_are_both_reported(
    legacy: ServiceUnderTest[Any],
) -> None:
    record_id = await synced_flow(legacy)
    async with legacy.runtime.sessions() as session, session.begin():
        # Damage done behind the registry's back: one unit vanishes, and the record's quantity shrinks
        # below its cancelled blocks (the database itself refuses a record synced beyond its quantity).
        lowest = await session.scalar(select(HoldingBlock.id).where(HoldingBlock.first_n == 1))
        await session.execute(update(HoldingBlock).where(HoldingBlock.id == lowest).values(first_n=2))
        await session.execute(update(Cancellation).where(Cancellation.id == record_id).values(quantity=40))

    report = await legacy.handle(Reconcile(), ncsc())

    codes = {d.code for d in report.discrepancies}
    assert {"SERIALS_MISSING", "CANCELLATION_BLOCKS_MISMATCH"} <= codes
    assert not report.consistent


async def test_a_form_awaiting_the_new_registry_is_in_transit_and_a_refused_one_holds_nothing(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy)
    await record_project(legacy)
    await issue(legacy, unit, 30)
    await to_registry(legacy, unit, 30)
    record = await cancel(legacy, unit, 30)
    refused = await legacy.handle(form(unit, (record.id, "P1001", 10)), unit.me)
    waiting = await legacy.handle(form(unit, (record.id, "P1001", 10)), unit.me)
    for application in (refused, waiting):
        await legacy.handle(DecideSyncApplication(application_id=application.id, decision=Decision.approve), ncsc())
    await legacy.deliver(
        SyncRefusedV1(
            sync_application_id=refused.id,
            new_account_id="NA-000000000001",
            reasons=[Reason(code="SYNC_ACCOUNT_MISMATCH", message="not yours", message_zh="不属于本单位")],
            refused_at=legacy.now,
        )
    )
    # The refused form's serials (1-10) go on the next form; the waiting one keeps 11-20.
    again = await legacy.handle(form(unit, (record.id, "P1001", 10)), unit.me)
    await legacy.handle(DecideSyncApplication(application_id=again.id, decision=Decision.approve), ncsc())

    report = await legacy.handle(Reconcile(), ncsc())

    assert report.consistent, report.discrepancies
    async with legacy.runtime.sessions() as session, session.begin():
        # Two forms in transit claiming the same serials would be units synced twice.
        stored = await session.get(SyncApplication, again.id)
        assert stored is not None
        await session.execute(
            update(SyncApplication)
            .where(SyncApplication.id == waiting.id)
            .values(lines=[line | {"serial_ranges": stored.lines[0]["serial_ranges"]} for line in stored.lines])
        )
    codes = {d.code for d in (await legacy.handle(Reconcile(), ncsc())).discrepancies}
    assert codes == {"UNITS_SYNCED_TWICE"}
