"""A legacy cancellation synced into the new registry across the services in one process
(tests/system.py): the unit cancels in the legacy registry, sends the sync form, NCSC approves it,
the new registry accepts or refuses the request it received, and the legacy form follows its answer;
every event is the one a handler really emitted, applied by the receiving service's inbox consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.legacy_ccer_registry.domain.accounts import Decision
from services.legacy_ccer_registry.domain.sync import SyncStatus
from services.legacy_ccer_registry.service_layer.commands import (
    DecideSyncApplication,
    GetCancellation,
    GetSyncApplication,
)
from services.new_ccer_registry.service_layer.commands import ConfirmLegacySync, ListLegacySyncs
from tests.system import System, running_system
from tests.unit.service_layer import test_legacy_support as lgc
from tests.unit.service_layer import test_new_registry_support as ncr

PROVINCE = "440000"


@pytest.fixture
async def system(backend: str) -> AsyncIterator[System]:
    async with running_system(backend, now=lgc.BEFORE_DEADLINE) as s:
        yield s


async def cancelled_for_2023(system: System, quantity: int) -> tuple[lgc.Unit, ncr.Holding, str]:
    """A unit with a legacy account and a new-registry account (same USCC and name), and a record of
    ``quantity`` legacy units cancelled for the 2023 offset."""
    legacy, new = system["legacy"], system["new"]
    unit = await lgc.open_unit(legacy, province=PROVINCE)
    holding = await ncr.open_account(new, province=PROVINCE, org=unit.uscc, name=unit.name)
    await lgc.record_project(legacy)
    record = await lgc.cancelled_units(legacy, unit, quantity)
    await system.drain()
    return unit, holding, record.id


async def sent_and_approved(system: System, command: Any, unit: lgc.Unit) -> tuple[str, list[str]]:
    """The form sent by the unit and approved by NCSC; returns its id and the events that followed."""
    application = await system.handle("legacy", command, unit.me)
    await system.handle(
        "legacy", DecideSyncApplication(application_id=application.id, decision=Decision.approve), lgc.ncsc()
    )
    return application.id, [p.event_type for p in await system.drain()]


async def record_of(system: System, cancellation_id: str) -> tuple[int, int, int]:
    stored = await system.handle("legacy", GetCancellation(cancellation_id=cancellation_id), lgc.ncsc())
    return stored.synced, stored.claimed, stored.in_transit


async def test_a_legacy_cancellation_is_synced_accepted_and_confirmed_in_the_new_registry(system: System) -> None:
    unit, holding, record = await cancelled_for_2023(system, 100)

    command = lgc.form(unit, (record, "P1001", 100), new_account_id=holding.account_id)
    application_id, published = await sent_and_approved(system, command, unit)

    assert published == ["legacy_ccer_registry.sync.approved", "new_ccer_registry.sync.accepted"]
    form = await system.handle("legacy", GetSyncApplication(application_id=application_id), unit.me)
    assert form.status == SyncStatus.synced
    assert await record_of(system, record) == (100, 0, 0)
    [received] = (await system.handle("new", ListLegacySyncs(account_id=holding.account_id), holding.principal)).items
    assert (received.sync_application_id, received.quantity, form.legacy_sync_id) == (
        application_id,
        100,
        received.id,
    )

    confirmed = await system.handle("new", ConfirmLegacySync(sync_id=received.id), holding.principal)
    assert confirmed.status == "confirmed"
    assert await ncr.quantities(system["new"], holding, "P1001") == {
        "trading": 0,
        "available": 100,
        "frozen": 0,
        "cancelled": 0,
    }
    assert await system.drain() == []
    system.assert_no_dead_letters()


async def test_a_form_naming_another_units_account_is_refused_and_its_units_stay_unsynced(system: System) -> None:
    unit, _, record = await cancelled_for_2023(system, 10)
    stranger = await ncr.open_account(system["new"], province=PROVINCE)

    command = lgc.form(unit, (record, "P1001", 10), new_account_id=stranger.account_id)
    application_id, published = await sent_and_approved(system, command, unit)

    assert published == ["legacy_ccer_registry.sync.approved", "new_ccer_registry.sync.refused"]
    form = await system.handle("legacy", GetSyncApplication(application_id=application_id), unit.me)
    assert form.status == SyncStatus.refused_by_new_registry
    assert "SYNC_ACCOUNT_MISMATCH" in [r["code"] for r in form.reasons]
    assert await record_of(system, record) == (0, 0, 0)
    syncs = await system.handle("new", ListLegacySyncs(account_id=stranger.account_id), ncr.NCSC)
    assert syncs.items == []
    assert await ncr.quantities(system["new"], stranger, "P1001") == {
        "trading": 0,
        "available": 0,
        "frozen": 0,
        "cancelled": 0,
    }
    system.assert_no_dead_letters()
