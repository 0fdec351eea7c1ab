"""The 2023 legacy path in the new registry: approved syncs received awaiting confirmation (once),
confirmed or disputed by the holder; legacy lots frozen lowest first with each range's record date;
registrations and recalls of exact serial ranges; a unit's history; reconciliation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.new_ccer_registry.domain.holdings import Origin, TransferDirection, plan_exact
from services.new_ccer_registry.service_layer.commands import (
    ConfirmLegacySync,
    DisputeLegacySync,
    FreezeLot,
    GetHoldings,
    GetLegacySync,
    GetLot,
    GetSerialHistory,
    ListLegacySyncs,
    Reconcile,
    SettleTrade,
    TransferUnits,
)
from shared.errors import Conflict, InconsistentEvent, NotFound
from shared.events.contracts import Holder, LegacyProject, RecordedRange, SyncApprovedV1, SyncItem
from shared.serials import SerialRange
from shared.timeutil import CST
from tests.service_layer import as_, changed, service_under_test
from tests.unit.service_layer.test_new_registry_support import (
    CBGEX,
    NCSC,
    Holding,
    Svc,
    bind,
    envelope,
    freeze,
    issue,
    new_id,
    new_uscc,
    open_account,
    recalled,
    register_project,
    registered,
)

ACCEPTED = "new_ccer_registry.sync.accepted"
REFUSED = "new_ccer_registry.sync.refused"
RECALLED = "allowance_registry.offset.recalled"
OLD, NEWER = date(2016, 5, 10), date(2016, 11, 20)


# Legacy units are used for the 2023 period only: its applications close after 2024-12-31 23:59:59.
IN_2024 = datetime(2024, 9, 2, 9, 0, tzinfo=CST)
LAST_SECOND = datetime(2024, 12, 31, 23, 59, 59, tzinfo=CST)


@pytest.fixture
async def new_registry(backend: str) -> AsyncIterator[Svc]:
    """The new registry in 2024, while the 2023 period still takes legacy units."""
    async with service_under_test("new_ccer_registry", backend, now=IN_2024) as service:
        yield service


def legacy_number() -> str:
    return f"L{uuid.uuid4().hex[:8].upper()}"


def ver(project: str, n: int, vintage: int = 2015) -> str:
    return f"VER-{project}-{vintage}-{n}"


def item(
    project: str,
    first: int,
    last: int,
    *,
    recorded_at: date = OLD,
    cancellation_id: str | None = None,
    recorded_ranges: list[tuple[int, int, date]] | None = None,
    quantity: int | None = None,
) -> SyncItem:
    return SyncItem(
        cancellation_id=cancellation_id or new_id("LCN"),
        project=LegacyProject(
            number=project,
            name="旧风电项目",
            type="wind",
            region="内蒙古",
            recorded_at=date(2015, 6, 1),
            within_national_ets=False,
        ),
        quantity=quantity if quantity is not None else last - first + 1,
        serial_ranges=[(ver(project, first), ver(project, last))],
        units_recorded_at=max(d for _, _, d in recorded_ranges) if recorded_ranges else recorded_at,
        recorded_ranges=None
        if recorded_ranges is None
        else [
            RecordedRange(first=ver(project, a), last=ver(project, b), units_recorded_at=d)
            for a, b, d in recorded_ranges
        ],
    )


def approved(
    account: Holding, *items: SyncItem, sync_application_id: str | None = None, unit_name: str | None = None
) -> SyncApprovedV1:
    return SyncApprovedV1(
        sync_application_id=sync_application_id or new_id("SYA"),
        holder=Holder(name="测试企业", uscc=account.org),
        legacy_account_id=new_id("LEG"),
        new_account_id=account.account_id,
        purpose="offset_2023",
        items=list(items),
        unit_name=unit_name,
    )


async def synced(svc: Svc, account: Holding, *items: SyncItem) -> str:
    """Deliver an approved sync and return its id in this registry."""
    payload = approved(account, *items)
    await svc.deliver(payload)
    listed = await svc.handle(ListLegacySyncs(account_id=account.account_id), NCSC)
    return next(s.id for s in listed.items if s.sync_application_id == payload.sync_application_id)


async def legacy_holding(svc: Svc, project: str, *items: SyncItem, bound: bool = True) -> tuple[Holding, str]:
    """A (bound) account whose synced legacy units of ``items`` were confirmed."""
    account = await open_account(svc)
    if bound:
        await bind(svc, account)
    sync_id = await synced(svc, account, *items)
    await svc.handle(ConfirmLegacySync(sync_id=sync_id), account.principal)
    await svc.sent()
    return account, sync_id


async def rows(svc: Svc, account: Holding, project: str) -> dict[str, dict[str, Any]]:
    """The account's holding rows of the project, by origin: quantities and ranges per state."""
    out = {}
    for row in await svc.handle(GetHoldings(account_id=account.account_id), NCSC):
        if row.project_number == project:
            out[row.origin] = {str(k): v for k, v in row.quantities.items() if v} | {
                "ranges": {str(k): [list(r.labels()) for r in v] for k, v in row.ranges.items()}
            }
    return out


async def freeze_legacy(svc: Svc, account: Holding, project: str, quantity: int) -> Any:
    command = FreezeLot(account_id=account.account_id, project_number=project, origin=Origin.legacy, quantity=quantity)
    return await svc.handle(command, account.principal)


# --- receiving a sync ----------------------------------------------------------------------------
async def test_an_approved_sync_brings_the_units_in_awaiting_confirmation_with_their_legacy_serials(
    new_registry: Svc,
) -> None:
    project = legacy_number()
    account = await open_account(new_registry)

    sync_id = await synced(new_registry, account, item(project, 1, 100), item(project, 201, 250))

    assert await rows(new_registry, account, project) == {
        "legacy": {
            "awaiting_confirmation": 150,
            "ranges": {
                "awaiting_confirmation": [[ver(project, 1), ver(project, 100)], [ver(project, 201), ver(project, 250)]]
            },
        }
    }
    sync = await new_registry.handle(GetLegacySync(sync_id=sync_id), account.principal)
    assert (sync.status, sync.quantity, len(sync.items), sync.history[0]["action"]) == (
        "awaiting_confirmation",
        150,
        2,
        "received",
    )
    assert sync.items[0]["recorded_ranges"][0]["units_recorded_at"] == OLD.isoformat()
    [accepted] = await new_registry.sent()
    assert accepted.event_type == ACCEPTED
    assert {k: accepted.envelope.payload[k] for k in ("legacy_sync_id", "new_account_id", "quantity")} == {
        "legacy_sync_id": sync_id,
        "new_account_id": account.account_id,
        "quantity": 150,
    }


async def test_the_same_sync_delivered_twice_even_under_another_event_id_has_one_effect(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    payload = approved(account, item(project, 1, 100))
    event = envelope(new_registry, payload)

    first = await new_registry.deliver(envelope=event)
    again = await new_registry.deliver(envelope=event)
    under_another_id = await new_registry.deliver(payload)

    assert (first, again, under_another_id) == ("applied", "duplicate", "applied")
    assert (await rows(new_registry, account, project))["legacy"]["awaiting_confirmation"] == 100
    assert len((await new_registry.handle(ListLegacySyncs(), NCSC)).items) == 1


async def test_a_cancellation_synced_in_two_parts_over_two_forms_comes_in_whole_and_an_overlapping_part_is_refused(
    new_registry: Svc,
) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    # 50 t cancelled in one record: a form for 30 t now, another for the other 20 t later.
    first = approved(account, changed(item(project, 1, 30, cancellation_id="LCN-parts"), cancellation_quantity=50))
    second = approved(account, changed(item(project, 31, 50, cancellation_id="LCN-parts"), cancellation_quantity=50))

    await new_registry.deliver(first)
    await new_registry.deliver(second)

    answers = await new_registry.sent()
    assert [
        (a.event_type, a.envelope.payload["sync_application_id"], a.envelope.payload["quantity"]) for a in answers
    ] == [
        (ACCEPTED, first.sync_application_id, 30),
        (ACCEPTED, second.sync_application_id, 20),
    ]
    for answer in answers:
        await new_registry.handle(
            ConfirmLegacySync(sync_id=answer.envelope.payload["legacy_sync_id"]), account.principal
        )
    assert await rows(new_registry, account, project) == {
        "legacy": {"available": 50, "ranges": {"available": [[ver(project, 1), ver(project, 50)]]}}
    }

    # A third part whose serials came in already (45..50) is refused by event, with the serials and,
    # the record being whole here, the quantity it would exceed: every finding.
    third = approved(account, item(project, 45, 60, cancellation_id="LCN-parts"))
    assert await new_registry.deliver(third) == "applied"
    [refused] = await new_registry.sent()
    assert refused.event_type == REFUSED
    overlap, exceeded = refused.envelope.payload["reasons"]
    assert (overlap["code"], exceeded["code"]) == (
        "SYNC_CANCELLATION_ALREADY_SYNCED",
        "SYNC_CANCELLATION_QUANTITY_EXCEEDED",
    )
    assert ver(project, 45) in overlap["message"] and ver(project, 50) in overlap["message"]
    assert (await rows(new_registry, account, project))["legacy"]["available"] == 50
    assert len((await new_registry.handle(ListLegacySyncs(account_id=account.account_id), NCSC)).items) == 2
    report = await new_registry.handle(Reconcile(), NCSC)
    assert report.consistent, report.discrepancies


async def test_a_part_that_would_bring_in_more_than_its_cancellation_is_refused_by_event(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    await synced(
        new_registry, account, changed(item(project, 1, 30, cancellation_id="LCN-50"), cancellation_quantity=50)
    )
    await new_registry.sent()

    # New serials, but 30 t + 30 t is more than the 50 t cancelled.
    await new_registry.deliver(approved(account, item(project, 31, 60, cancellation_id="LCN-50")))

    [refused] = await new_registry.sent()
    assert refused.event_type == REFUSED
    assert [r["code"] for r in refused.envelope.payload["reasons"]] == ["SYNC_CANCELLATION_QUANTITY_EXCEEDED"]
    assert (await rows(new_registry, account, project))["legacy"]["awaiting_confirmation"] == 30


async def test_serials_already_here_or_overlapping_within_the_sync_are_inconsistent(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    await synced(new_registry, account, item(project, 1, 100))

    with pytest.raises(InconsistentEvent) as already_here:
        await new_registry.deliver(approved(account, item(project, 90, 120)))
    with pytest.raises(InconsistentEvent) as overlapping:
        await new_registry.deliver(approved(account, item(project, 300, 350), item(project, 340, 360)))

    assert already_here.value.code == "SYNC_SERIALS_ALREADY_HERE"
    assert overlapping.value.code == "SYNC_RANGES_OVERLAP"
    assert (await rows(new_registry, account, project))["legacy"]["awaiting_confirmation"] == 100


async def test_a_sync_naming_another_units_account_or_an_unknown_one_is_refused_by_event_and_changes_nothing(
    new_registry: Svc,
) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    other = await open_account(new_registry)
    # The form names the other unit's account (its USCC is the applicant's own), or no account at all.
    others_account = Holding(account.org, other.account_id, account.province)
    nowhere = Holding(account.org, "NCR-unknown", account.province)

    for target in (others_account, nowhere):
        payload = approved(target, item(project, 1, 10), unit_name="别的企业")
        assert await new_registry.deliver(payload) == "applied"  # answered, not dead-lettered
        [refused] = await new_registry.sent()
        assert refused.event_type == REFUSED
        answer = refused.envelope.payload
        assert (answer["sync_application_id"], answer["new_account_id"]) == (
            payload.sync_application_id,
            target.account_id,
        )
        # The account is not the unit's: its holder's name is not compared (nor told).
        assert [r["code"] for r in answer["reasons"]] == ["SYNC_ACCOUNT_MISMATCH"]
        assert all(r["message"] and r["message_zh"] for r in answer["reasons"])
    for holding in (account, other):
        assert await rows(new_registry, holding, project) == {}
    assert (await new_registry.handle(ListLegacySyncs(), NCSC)).items == []


async def test_a_sync_whose_unit_name_is_not_the_account_holders_is_refused_but_width_and_spaces_are_forgiven(
    new_registry: Svc,
) -> None:
    project = legacy_number()
    account = await open_account(new_registry, name="华能（北京）热电有限公司")

    await new_registry.deliver(approved(account, item(project, 1, 10), unit_name="华能北京热电有限公司"))
    [refused] = await new_registry.sent()
    assert [r["code"] for r in refused.envelope.payload["reasons"]] == ["SYNC_UNIT_NAME_MISMATCH"]
    assert "华能（北京）热电有限公司" in refused.envelope.payload["reasons"][0]["message_zh"]
    assert await rows(new_registry, account, project) == {}

    await new_registry.deliver(approved(account, item(project, 1, 10), unit_name=" 华能(北京)热电有限公司　"))
    assert await new_registry.sent_types() == [ACCEPTED]
    assert (await rows(new_registry, account, project))["legacy"]["awaiting_confirmation"] == 10


async def test_a_sync_whose_quantity_or_serials_disagree_with_its_project_is_inconsistent(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    wrong_project = item(project, 1, 10)
    wrong_project = changed(wrong_project, serial_ranges=[("VER-OTHER-2015-1", "VER-OTHER-2015-10")])

    with pytest.raises(InconsistentEvent) as quantity:
        await new_registry.deliver(approved(account, item(project, 1, 10, quantity=11)))
    with pytest.raises(InconsistentEvent) as serials:
        await new_registry.deliver(approved(account, wrong_project))

    assert quantity.value.code == "SYNC_QUANTITY_MISMATCH"
    assert serials.value.code == "SYNC_SERIALS_NOT_OF_PROJECT"


# --- confirming and disputing --------------------------------------------------------------------
async def test_confirming_makes_the_units_available_with_origin_legacy(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    sync_id = await synced(new_registry, account, item(project, 1, 100))

    sync = await new_registry.handle(ConfirmLegacySync(sync_id=sync_id), account.principal)

    assert (sync.status, [h["action"] for h in sync.history]) == ("confirmed", ["received", "confirmed"])
    assert sync.decided_at is not None
    assert await rows(new_registry, account, project) == {
        "legacy": {"available": 100, "ranges": {"available": [[ver(project, 1), ver(project, 100)]]}}
    }


async def test_disputed_units_stay_out_of_circulation_and_ncsc_sees_the_dispute(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    await bind(new_registry, account)
    sync_id = await synced(new_registry, account, item(project, 1, 100))

    sync = await new_registry.handle(DisputeLegacySync(sync_id=sync_id, reason="数量与注销记录不符"), account.principal)

    assert (sync.status, sync.dispute_reason) == ("disputed", "数量与注销记录不符")
    assert (await rows(new_registry, account, project))["legacy"]["awaiting_confirmation"] == 100
    disputes = await new_registry.handle(ListLegacySyncs(status="disputed"), NCSC)
    assert [s.id for s in disputes.items] == [sync_id]
    with pytest.raises(Conflict) as not_available:
        await freeze_legacy(new_registry, account, project, 1)
    assert not_available.value.code == "INSUFFICIENT_AVAILABLE"


async def test_only_a_sync_awaiting_confirmation_may_be_confirmed_or_disputed(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    confirmed = await synced(new_registry, account, item(project, 1, 10))
    disputed = await synced(new_registry, account, item(project, 11, 20))
    await new_registry.handle(ConfirmLegacySync(sync_id=confirmed), account.principal)
    await new_registry.handle(DisputeLegacySync(sync_id=disputed, reason="wrong"), account.principal)

    for command in (
        ConfirmLegacySync(sync_id=confirmed),
        DisputeLegacySync(sync_id=confirmed, reason="late"),
        ConfirmLegacySync(sync_id=disputed),
        DisputeLegacySync(sync_id=disputed, reason="again"),
    ):
        with pytest.raises(Conflict) as refused:
            await new_registry.handle(command, account.principal)
        assert refused.value.code == "SYNC_NOT_AWAITING_CONFIRMATION"
    assert (await rows(new_registry, account, project))["legacy"] == {
        "available": 10,
        "awaiting_confirmation": 10,
        "ranges": {
            "available": [[ver(project, 1), ver(project, 10)]],
            "awaiting_confirmation": [[ver(project, 11), ver(project, 20)]],
        },
    }


async def test_another_holders_sync_is_not_found_and_lists_show_each_holder_its_own(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    other = await open_account(new_registry)
    sync_id = await synced(new_registry, account, item(project, 1, 10))
    await synced(new_registry, other, item(project, 11, 20))

    for command in (
        GetLegacySync(sync_id=sync_id),
        ConfirmLegacySync(sync_id=sync_id),
        DisputeLegacySync(sync_id=sync_id, reason="not mine"),
    ):
        with pytest.raises(NotFound):
            await new_registry.handle(command, other.principal)

    mine = await new_registry.handle(ListLegacySyncs(), account.principal)
    everyone = await new_registry.handle(ListLegacySyncs(status="awaiting_confirmation"), NCSC)
    assert [s.id for s in mine.items] == [sync_id]
    assert len(everyone.items) == 2
    assert (await rows(new_registry, account, project))["legacy"]["awaiting_confirmation"] == 10


# --- freezing legacy units -----------------------------------------------------------------------
async def test_a_legacy_lot_takes_the_lowest_serials_and_carries_each_ranges_record_date(new_registry: Svc) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(
        new_registry, project, item(project, 1, 100, recorded_ranges=[(1, 60, OLD), (61, 100, NEWER)])
    )

    lot = await freeze_legacy(new_registry, account, project, 80)

    assert (lot.origin, lot.serial_ranges) == ("legacy", [[ver(project, 1), ver(project, 80)]])
    (sent,) = await new_registry.sent()
    payload = sent.envelope.payload
    assert payload["recorded_ranges"] == [
        {"first": ver(project, 1), "last": ver(project, 60), "units_recorded_at": OLD.isoformat()},
        {"first": ver(project, 61), "last": ver(project, 80), "units_recorded_at": NEWER.isoformat()},
    ]
    assert payload["units_recorded_at"] == NEWER.isoformat()
    assert (payload["project"]["name"], payload["project"]["registered_or_recorded_at"]) == ("旧风电项目", "2015-06-01")


async def test_a_legacy_lot_of_only_the_older_units_reports_the_older_record_date(new_registry: Svc) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(new_registry, project, item(project, 1, 100, recorded_at=OLD))
    second = await synced(new_registry, account, item(project, 101, 200, recorded_at=NEWER))
    await new_registry.handle(ConfirmLegacySync(sync_id=second), account.principal)
    await new_registry.sent()

    older = await freeze_legacy(new_registry, account, project, 100)
    (sent,) = await new_registry.sent()
    newer = await freeze_legacy(new_registry, account, project, 50)
    (sent_newer,) = await new_registry.sent()

    assert older.serial_ranges == [[ver(project, 1), ver(project, 100)]]
    assert sent.envelope.payload["units_recorded_at"] == OLD.isoformat()
    assert sent_newer.envelope.payload["units_recorded_at"] == NEWER.isoformat()
    assert newer.serial_ranges == [[ver(project, 101), ver(project, 150)]]


async def test_a_legacy_project_number_equal_to_a_new_projects_is_not_mixed_up(new_registry: Svc) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(new_registry, project, item(project, 1, 50))
    await register_project(new_registry, project)  # a new-registry project of the same number
    await issue(new_registry, project, account, 30)
    await new_registry.sent()

    new_lot = await freeze(new_registry, account, project, 10)
    (new_sent,) = await new_registry.sent()
    legacy_lot = await freeze_legacy(new_registry, account, project, 10)
    (legacy_sent,) = await new_registry.sent()

    assert new_lot.serial_ranges == [[f"CCER-{project}-2024-1", f"CCER-{project}-2024-10"]]
    assert legacy_lot.serial_ranges == [[ver(project, 1), ver(project, 10)]]
    assert new_sent.envelope.payload["project"]["name"] == "光伏项目"
    assert new_sent.envelope.payload.get("recorded_ranges") is None
    assert legacy_sent.envelope.payload["project"]["name"] == "旧风电项目"


# --- exact units on registration and recall ------------------------------------------------------
async def test_a_registration_naming_serial_ranges_cancels_exactly_those(new_registry: Svc) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(new_registry, project, item(project, 1, 100))
    lot = await freeze_legacy(new_registry, account, project, 100)
    await new_registry.sent()
    event = registered(lot.id, 20, serial_ranges=[[ver(project, 41), ver(project, 60)]])

    await new_registry.deliver(event)
    await new_registry.deliver(event)  # the same registration again: once

    (cancelled,) = await new_registry.sent()
    assert cancelled.envelope.payload["serial_ranges"] == [[ver(project, 41), ver(project, 60)]]
    view = await new_registry.handle(GetLot(lot_id=lot.id), NCSC)
    assert [r.labels() for r in view.cancelled_ranges] == [(ver(project, 41), ver(project, 60))]
    assert [r.labels() for r in view.frozen_ranges] == [
        (ver(project, 1), ver(project, 40)),
        (ver(project, 61), ver(project, 100)),
    ]
    await new_registry.deliver(registered(lot.id, 45))  # no ranges: lowest frozen first
    view = await new_registry.handle(GetLot(lot_id=lot.id), NCSC)
    assert [r.labels() for r in view.frozen_ranges] == [(ver(project, 66), ver(project, 100))]
    assert view.lot.cancelled == 65


async def test_a_recall_naming_serial_ranges_releases_exactly_those_across_blocks(new_registry: Svc) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(
        new_registry, project, item(project, 1, 100, recorded_ranges=[(1, 50, OLD), (51, 100, NEWER)])
    )
    lot = await freeze_legacy(new_registry, account, project, 100)
    await new_registry.sent()

    await new_registry.deliver(recalled(lot.id, 20, serial_ranges=[[ver(project, 41), ver(project, 60)]]))

    (released,) = await new_registry.sent()
    assert released.envelope.payload["serial_ranges"] == [[ver(project, 41), ver(project, 60)]]
    legacy = (await rows(new_registry, account, project))["legacy"]
    assert (legacy["available"], legacy["frozen"]) == (20, 80)
    assert legacy["ranges"]["available"] == [[ver(project, 41), ver(project, 60)]]
    # The released units keep their own record dates: a new lot of them carries both.
    await freeze_legacy(new_registry, account, project, 20)
    (frozen,) = await new_registry.sent()
    assert [r["units_recorded_at"] for r in frozen.envelope.payload["recorded_ranges"]] == [
        OLD.isoformat(),
        NEWER.isoformat(),
    ]


async def test_serial_ranges_not_frozen_in_the_lot_are_an_inconsistent_event_and_change_nothing(
    new_registry: Svc,
) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(new_registry, project, item(project, 1, 100))
    lot = await freeze_legacy(new_registry, account, project, 50)
    await new_registry.sent()

    with pytest.raises(InconsistentEvent) as outside:
        await new_registry.deliver(registered(lot.id, 20, serial_ranges=[[ver(project, 41), ver(project, 60)]]))
    with pytest.raises(InconsistentEvent) as wrong_total:
        await new_registry.deliver(recalled(lot.id, 5, serial_ranges=[[ver(project, 1), ver(project, 10)]]))

    assert outside.value.code == "LOT_RANGES_NOT_FROZEN"
    assert ver(project, 51) in outside.value.message
    assert wrong_total.value.code == "LOT_RANGES_QUANTITY_MISMATCH"
    assert await new_registry.sent_types() == []
    legacy = (await rows(new_registry, account, project))["legacy"]
    assert (legacy["frozen"], legacy["available"]) == (50, 50)


# --- a unit's history ----------------------------------------------------------------------------
async def test_the_history_of_a_legacy_unit_runs_from_its_sync_to_its_cancellation(new_registry: Svc) -> None:
    project = legacy_number()
    account, sync_id = await legacy_holding(new_registry, project, item(project, 1, 100, cancellation_id="LCN-h1"))
    lot = await freeze_legacy(new_registry, account, project, 30)
    registration = registered(lot.id, 30)
    await new_registry.deliver(registration)

    history = await new_registry.handle(GetSerialHistory(serial=ver(project, 7)), account.principal)

    assert (history.origin, history.project_number, history.vintage, history.state) == (
        "legacy",
        project,
        2015,
        "cancelled",
    )
    assert [e["kind"] for e in history.events] == ["sync_in", "confirmation", "frozen", "cancellation"]
    assert history.units_recorded_at == OLD
    sync_in, _, frozen, cancellation = history.events
    assert (sync_in["sync_id"], sync_in["cancellation_id"], sync_in["units_recorded_at"]) == (sync_id, "LCN-h1", OLD)
    assert sync_in["sync_application_id"].startswith("SYA-")
    assert frozen["lot_id"] == lot.id
    assert (cancellation["registration_id"], cancellation["application_id"], cancellation["period_code"]) == (
        registration.registration_id,
        registration.application_id,
        "2024",
    )


async def test_the_history_of_a_new_unit_shows_issuance_trades_transfers_and_a_release(new_registry: Svc) -> None:
    seller = await open_account(new_registry)
    buyer = await open_account(new_registry)
    await bind(new_registry, buyer)
    project = await register_project(new_registry)
    await issue(new_registry, project, seller, 10)
    serial = f"CCER-{project}-2024-3"
    move = TransferDirection.to_trading
    await new_registry.handle(
        TransferUnits(account_id=seller.account_id, direction=move, project_number=project, quantity=10),
        seller.principal,
    )
    await new_registry.handle(
        SettleTrade(
            seller_account_id=seller.account_id, buyer_account_id=buyer.account_id, project_number=project, quantity=5
        ),
        CBGEX,
    )
    await new_registry.handle(
        TransferUnits(
            account_id=buyer.account_id,
            direction=TransferDirection.to_registry,
            project_number=project,
            quantity=5,
        ),
        buyer.principal,
    )
    lot = await freeze(new_registry, buyer, project, 5)
    await new_registry.deliver(recalled(lot.id, 5))

    history = await new_registry.handle(GetSerialHistory(serial=serial), buyer.principal)

    assert [e["kind"] for e in history.events] == ["issuance", "transfer", "trade", "transfer", "frozen", "release"]
    assert (history.origin, history.state, history.account_id) == ("new", "available", buyer.account_id)
    assert history.events[2]["to_account_id"] == buyer.account_id
    assert (history.events[-1]["lot_id"], history.events[-1]["reason"]) == (lot.id, "recalled")


async def test_a_units_history_is_for_its_holder_ncsc_and_the_registry_roles_only(new_registry: Svc) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(new_registry, project, item(project, 1, 10), bound=False)
    serial = ver(project, 5)

    for reader in (NCSC, as_("registry_initiator"), as_("registry_confirmer"), account.principal):
        assert (await new_registry.handle(GetSerialHistory(serial=serial), reader)).serial == serial
    for stranger, asked in (
        (as_("enterprise", org=new_uscc()), serial),
        (as_("province_initiator", province=account.province), serial),
        (NCSC, ver(project, 11)),
        (NCSC, "not-a-serial"),
    ):
        with pytest.raises(NotFound):
            await new_registry.handle(GetSerialHistory(serial=asked), stranger)


# --- reconciliation ------------------------------------------------------------------------------
async def test_reconciliation_is_clean_after_a_legacy_flow(new_registry: Svc) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(
        new_registry, project, item(project, 1, 100, recorded_ranges=[(1, 40, OLD), (41, 100, NEWER)])
    )
    awaiting = await synced(new_registry, account, item(project, 101, 120))
    await synced(new_registry, account, item(project, 121, 130))
    await new_registry.handle(DisputeLegacySync(sync_id=awaiting, reason="check"), account.principal)
    lot = await freeze_legacy(new_registry, account, project, 90)
    await new_registry.deliver(registered(lot.id, 30, serial_ranges=[[ver(project, 31), ver(project, 60)]]))
    await new_registry.deliver(recalled(lot.id, 10))

    report = await new_registry.handle(Reconcile(), NCSC)
    one_project = await new_registry.handle(Reconcile(project_number=project), NCSC)

    assert report.consistent, report.discrepancies
    assert one_project.consistent, one_project.discrepancies
    assert (report.projects_checked, report.lots_checked) == (1, 1)


async def test_a_recall_naming_serial_ranges_sent_twice_is_released_once(new_registry: Svc) -> None:
    project = legacy_number()
    account, _ = await legacy_holding(new_registry, project, item(project, 1, 50))
    lot = await freeze_legacy(new_registry, account, project, 50)
    await new_registry.sent()
    recall = recalled(lot.id, 10, serial_ranges=[[ver(project, 21), ver(project, 30)]])

    await new_registry.deliver(recall)
    await new_registry.deliver(recall)

    assert await new_registry.sent_types() == ["new_ccer_registry.offset.released"]
    view = await new_registry.handle(GetLot(lot_id=lot.id), NCSC)
    assert (view.lot.released, [r.labels() for r in view.released_ranges]) == (
        10,
        [(ver(project, 21), ver(project, 30))],
    )


async def test_recorded_ranges_that_do_not_cover_the_serial_ranges_are_inconsistent(new_registry: Svc) -> None:
    project = legacy_number()
    account = await open_account(new_registry)
    gap = item(project, 1, 100, recorded_ranges=[(1, 40, OLD), (51, 100, NEWER)])

    with pytest.raises(InconsistentEvent) as inconsistent:
        await new_registry.deliver(approved(account, gap))

    assert inconsistent.value.code == "SYNC_RECORDED_RANGES_MISMATCH"
    assert await rows(new_registry, account, project) == {}


def test_an_exact_plan_cuts_each_block_into_taken_and_kept_parts_and_names_what_is_missing() -> None:
    blocks = [(1, SerialRange("VER-P-2015", 1, 50)), (2, SerialRange("VER-P-2015", 51, 100))]

    plan = plan_exact(blocks, [SerialRange("VER-P-2015", 41, 60), SerialRange("VER-P-2015", 99, 105)])

    assert [(c.key, c.taken, c.kept) for c in plan.carves] == [
        (1, [SerialRange("VER-P-2015", 41, 50)], [SerialRange("VER-P-2015", 1, 40)]),
        (
            2,
            [SerialRange("VER-P-2015", 51, 60), SerialRange("VER-P-2015", 99, 100)],
            [SerialRange("VER-P-2015", 61, 98)],
        ),
    ]
    assert plan.missing == [SerialRange("VER-P-2015", 101, 105)]


async def test_legacy_units_freeze_until_the_last_second_of_2024_and_are_refused_at_once_after_it(
    new_registry: Svc,
) -> None:
    """Seed 000 一 第四步: legacy CCER offset 2023 obligations only, "应于2024年12月31日前…完成"; after
    that no period accepts them, so a freeze is refused with a finding instead of waiting for a recall."""
    project = legacy_number()
    account, _ = await legacy_holding(new_registry, project, item(project, 1, 100))

    await new_registry.set_clock(LAST_SECOND + timedelta(microseconds=999_999))
    assert (await freeze_legacy(new_registry, account, project, 10)).quantity == 10
    await new_registry.sent()

    await new_registry.set_clock(LAST_SECOND + timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        await freeze_legacy(new_registry, account, project, 10)
    [finding] = refused.value.findings
    assert (finding.code, finding.field) == ("LEGACY_UNITS_NOT_ACCEPTED", "origin")
    assert "2024-12-31T23:59:59+08:00" in finding.message and "2023" in finding.message
    assert await new_registry.sent_types() == []
    assert (await rows(new_registry, account, project))["legacy"]["available"] == 90
