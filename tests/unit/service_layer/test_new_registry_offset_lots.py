"""National compliance offsets in the new registry: freezing units into lots, the allowance
registry's answers (registration, recall, refusal), reading lots and cancellations, reconciliation."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from services.new_ccer_registry.adapters.orm import HoldingBlock
from services.new_ccer_registry.domain.holdings import Origin
from services.new_ccer_registry.service_layer.commands import GetLot, ListCancellations, ListLots, Reconcile
from shared.errors import Conflict, InconsistentEvent, Invalid, NotFound
from tests.service_layer import as_
from tests.unit.service_layer.test_new_registry_support import (
    NCSC,
    Holding,
    Svc,
    bound_holding,
    envelope,
    freeze,
    issue,
    new_uscc,
    open_account,
    quantities,
    recalled,
    refused,
    register_project,
    registered,
)

RECALLED = "allowance_registry.offset.recalled"


# --- freezing ------------------------------------------------------------------------------------
async def test_a_freeze_takes_the_lowest_available_serials_and_sends_the_lot_to_the_allowance_registry(
    new_registry: Svc,
) -> None:
    account, project = await bound_holding(new_registry, 1000)

    lot = await freeze(new_registry, account, project, 300)

    assert (lot.quantity, lot.status, lot.allowance_account_id) == (300, "frozen", "ALW-0001")
    assert lot.serial_ranges == [[f"CCER-{project}-2024-1", f"CCER-{project}-2024-300"]]
    (sent,) = await new_registry.sent()
    assert sent.event_type == "new_ccer_registry.offset.frozen"
    payload = sent.envelope.payload
    assert (payload["lot_id"], payload["quantity"], payload["holder"]["uscc"], payload["project"]["number"]) == (
        lot.id,
        300,
        account.org,
        project,
    )
    assert await quantities(new_registry, account, project) == {
        "trading": 0,
        "available": 700,
        "frozen": 300,
        "cancelled": 0,
    }


async def test_a_freeze_beyond_the_available_units_of_an_unbound_account_is_refused_with_every_finding(
    new_registry: Svc,
) -> None:
    account = await open_account(new_registry)
    project = await register_project(new_registry)
    await issue(new_registry, project, account, 100)

    with pytest.raises(Conflict) as refused_:
        await freeze(new_registry, account, project, 1000)

    assert [f.code for f in refused_.value.findings] == ["ACCOUNT_NOT_BOUND", "INSUFFICIENT_AVAILABLE"]
    assert "1000" in refused_.value.findings[1].message
    assert await new_registry.sent_types() == []
    assert (await quantities(new_registry, account, project))["available"] == 100


async def test_a_freeze_of_an_unknown_project_is_invalid_and_from_someone_elses_account_not_found(
    new_registry: Svc,
) -> None:
    account, project = await bound_holding(new_registry)
    someone_else = Holding(new_uscc(), account.account_id, account.province)

    with pytest.raises(Invalid) as unknown:
        await freeze(new_registry, account, "P-none", 10)
    with pytest.raises(NotFound):
        await freeze(new_registry, someone_else, project, 10)

    assert unknown.value.code == "PROJECT_NOT_FOUND"
    assert (await quantities(new_registry, account, project))["frozen"] == 0


async def test_a_freeze_of_one_vintage_takes_only_that_vintages_units_and_legacy_units_are_not_there(
    new_registry: Svc,
) -> None:
    account, project = await bound_holding(new_registry, 100)
    await issue(new_registry, project, account, 50, vintage=2023)

    lot = await freeze(new_registry, account, project, 30, vintage=2024)
    with pytest.raises(Conflict) as no_legacy:
        await freeze(new_registry, account, project, 1, origin=Origin.legacy)

    assert (lot.vintage, lot.serial_ranges) == (2024, [[f"CCER-{project}-2024-1", f"CCER-{project}-2024-30"]])
    assert no_legacy.value.code == "INSUFFICIENT_AVAILABLE"


async def test_a_freeze_without_a_vintage_starts_with_the_earliest_and_may_span_two(new_registry: Svc) -> None:
    account, project = await bound_holding(new_registry, 100)
    await issue(new_registry, project, account, 50, vintage=2023)

    lot = await freeze(new_registry, account, project, 70)

    assert lot.vintage == 2023
    assert lot.serial_ranges == [
        [f"CCER-{project}-2023-1", f"CCER-{project}-2023-50"],
        [f"CCER-{project}-2024-1", f"CCER-{project}-2024-20"],
    ]


# --- the allowance registry's answers ----------------------------------------------------------
async def test_a_registration_cancels_that_quantity_and_delivered_twice_or_resent_cancels_once(
    new_registry: Svc,
) -> None:
    account, project = await bound_holding(new_registry)
    lot = await freeze(new_registry, account, project, 400)
    await new_registry.sent()
    answer = registered(lot.id, 150)
    event = envelope(new_registry, answer)

    first = await new_registry.deliver(envelope=event)
    again = await new_registry.deliver(envelope=event)
    resent = await new_registry.deliver(answer)  # same registration, new event id

    assert (first, again, resent) == ("applied", "duplicate", "applied")
    sent = await new_registry.sent()
    assert [p.event_type for p in sent] == ["new_ccer_registry.offset.cancelled"]
    assert sent[0].envelope.payload["serial_ranges"] == [[f"CCER-{project}-2024-1", f"CCER-{project}-2024-150"]]
    shown = await new_registry.handle(GetLot(lot_id=lot.id), account.principal)
    assert (shown.lot.cancelled, shown.quantities.frozen, shown.lot.status) == (150, 250, "frozen")
    (cancellation,) = (await new_registry.handle(ListCancellations(lot_id=lot.id), NCSC)).items
    assert (cancellation.quantity, cancellation.purpose, cancellation.period_code) == (150, "offset_2024", "2024")
    assert (await quantities(new_registry, account, project))["cancelled"] == 150


async def test_a_registration_for_a_lot_this_registry_does_not_know_is_an_inconsistent_event(
    new_registry: Svc,
) -> None:
    with pytest.raises(InconsistentEvent) as inconsistent:
        await new_registry.deliver(registered("LOT-unknown", 10))

    assert inconsistent.value.code == "LOT_UNKNOWN"
    assert await new_registry.sent_types() == []


async def test_a_registration_of_more_than_is_still_frozen_is_inconsistent_and_changes_nothing(
    new_registry: Svc,
) -> None:
    account, project = await bound_holding(new_registry)
    lot = await freeze(new_registry, account, project, 100)
    await new_registry.sent()

    with pytest.raises(InconsistentEvent) as inconsistent:
        await new_registry.deliver(registered(lot.id, 101))

    assert inconsistent.value.code == "LOT_NOT_ENOUGH_FROZEN"
    assert await new_registry.sent_types() == []
    assert (await quantities(new_registry, account, project))["frozen"] == 100


async def test_a_recall_releases_that_quantity_to_available_once_per_recall(new_registry: Svc) -> None:
    account, project = await bound_holding(new_registry, 500)
    lot = await freeze(new_registry, account, project, 200)
    await new_registry.sent()
    answer = recalled(lot.id, 80)

    await new_registry.deliver(answer)
    await new_registry.deliver(answer)  # the same recall sent again under a new event id

    sent = await new_registry.sent()
    assert [p.event_type for p in sent] == ["new_ccer_registry.offset.released"]
    assert sent[0].envelope.payload["quantity"] == 80
    shown = await new_registry.handle(GetLot(lot_id=lot.id), account.principal)
    assert (shown.lot.released, shown.quantities.frozen) == (80, 120)
    assert [r.labels() for r in shown.released_ranges] == [(f"CCER-{project}-2024-1", f"CCER-{project}-2024-80")]
    held = await quantities(new_registry, account, project)
    assert (held["available"], held["frozen"]) == (380, 120)


async def test_a_refusal_releases_everything_still_frozen_and_settles_the_lot(new_registry: Svc) -> None:
    account, project = await bound_holding(new_registry, 500)
    lot = await freeze(new_registry, account, project, 200)
    await new_registry.deliver(registered(lot.id, 50))
    await new_registry.sent()

    await new_registry.deliver(refused(lot.id))

    sent = await new_registry.sent()
    assert [(p.event_type, p.envelope.payload["quantity"]) for p in sent] == [
        ("new_ccer_registry.offset.released", 150)
    ]
    shown = await new_registry.handle(GetLot(lot_id=lot.id), NCSC)
    assert (shown.lot.cancelled, shown.lot.released, shown.lot.status) == (50, 150, "settled")
    assert shown.lot.settled_at is not None
    held = await quantities(new_registry, account, project)
    assert (held["available"], held["frozen"], held["cancelled"]) == (450, 0, 50)


async def test_a_refusal_after_the_whole_lot_was_cancelled_releases_nothing(new_registry: Svc) -> None:
    account, project = await bound_holding(new_registry)
    lot = await freeze(new_registry, account, project, 60)
    await new_registry.deliver(registered(lot.id, 60))
    await new_registry.sent()

    assert await new_registry.deliver(refused(lot.id)) == "applied"

    assert await new_registry.sent_types() == []
    shown = await new_registry.handle(GetLot(lot_id=lot.id), NCSC)
    assert (shown.lot.cancelled, shown.lot.released, shown.lot.status) == (60, 0, "settled")


# --- reading -----------------------------------------------------------------------------------
async def test_lots_are_listed_newest_first_in_pages_to_the_holder_its_province_and_ncsc_only(
    new_registry: Svc,
) -> None:
    account, project = await bound_holding(new_registry, 1000, province="440000")
    lots = [await freeze(new_registry, account, project, 10) for _ in range(3)]
    other, other_project = await bound_holding(new_registry, 100, province="110000")
    await freeze(new_registry, other, other_project, 10)

    first = await new_registry.handle(ListLots(limit=2), account.principal)
    rest = await new_registry.handle(ListLots(limit=2, offset=2), account.principal)
    province = await new_registry.handle(ListLots(), as_("province_initiator", province="440000"))
    everything = await new_registry.handle(ListLots(status="frozen"), NCSC)
    stranger = await new_registry.handle(ListLots(), as_("enterprise", org=new_uscc()))

    assert first.has_more and not rest.has_more
    assert {v.lot.id for v in first.items + rest.items} == {lot.id for lot in lots}
    assert {v.lot.account_id for v in province.items} == {account.account_id}
    assert len(everything.items) == 4
    assert stranger.items == []
    with pytest.raises(NotFound):
        await new_registry.handle(GetLot(lot_id=lots[0].id), as_("province_confirmer", province="110000"))


async def test_cancellations_are_listed_to_those_who_see_the_account_filtered_by_period(new_registry: Svc) -> None:
    account, project = await bound_holding(new_registry, province="440000")
    lot = await freeze(new_registry, account, project, 100)
    await new_registry.deliver(registered(lot.id, 40))

    mine = await new_registry.handle(ListCancellations(period_code="2024"), account.principal)
    other_period = await new_registry.handle(ListCancellations(period_code="2025"), account.principal)
    other_province = await new_registry.handle(ListCancellations(), as_("province_initiator", province="110000"))

    assert [(c.lot_id, c.quantity) for c in mine.items] == [(lot.id, 40)]
    assert other_period.items == [] and other_province.items == []


# --- reconciliation ----------------------------------------------------------------------------
async def test_reconciliation_of_a_registry_after_freezes_cancellations_and_releases_is_consistent(
    new_registry: Svc,
) -> None:
    account, project = await bound_holding(new_registry, 1000)
    lot = await freeze(new_registry, account, project, 300)
    await new_registry.deliver(registered(lot.id, 100))
    await new_registry.deliver(recalled(lot.id, 50))

    report = await new_registry.handle(Reconcile(), NCSC)

    assert report.consistent, report.discrepancies
    assert (report.projects_checked, report.lots_checked) == (1, 1)


async def test_reconciliation_reports_units_that_went_missing_and_a_lot_that_no_longer_agrees(
    new_registry: Svc,
) -> None:
    account, project = await bound_holding(new_registry, 100)
    lot = await freeze(new_registry, account, project, 40)
    async with new_registry.runtime.sessions() as session, session.begin():  # damage, as a bug would
        await session.execute(
            update(HoldingBlock).where(HoldingBlock.lot_id == lot.id).values(last_n=HoldingBlock.last_n - 5)
        )

    report = await new_registry.handle(Reconcile(project_number=project), NCSC)

    assert {d.code for d in report.discrepancies} == {"SERIALS_MISSING", "LOT_FROZEN_MISMATCH"}
    missing = next(d for d in report.discrepancies if d.code == "SERIALS_MISSING")
    assert missing.serial_ranges == [[f"CCER-{project}-2024-36", f"CCER-{project}-2024-40"]]
    assert not report.consistent
