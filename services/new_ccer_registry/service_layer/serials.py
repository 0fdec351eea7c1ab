"""One unit's history in the new registry (api.md ``serials``): how it came in (issuance, or sync-in
from the legacy registry), its confirmation, trades and transfers, offset lots, and its cancellation
or release — read from the movement journal by containment of the serial, oldest first."""

from __future__ import annotations

from typing import Any

from services.new_ccer_registry.adapters.orm import Issuance, LegacySync, Movement
from services.new_ccer_registry.domain.access import SERIAL_READERS
from services.new_ccer_registry.service_layer.commands import GetSerialHistory
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import SerialHistory
from shared.errors import NotFound
from shared.principal import Principal
from shared.serials import SerialRange, parse_serial
from shared.timeutil import local

__all__ = ["get_serial_history"]

TRANSFERS = {"transfer_to_trading": "to_trading", "transfer_to_registry": "to_registry"}


async def get_serial_history(uow: NewRegistryUnitOfWork, cmd: GetSerialHistory, principal: Principal) -> SerialHistory:
    """The unit's history, for its holder, NCSC and the registry roles; 404 for anyone else and for
    a serial this registry does not hold."""
    unknown = NotFound.of("serial", "序列号", cmd.serial)
    try:
        prefix, n = parse_serial(cmd.serial)
    except ValueError:
        raise unknown from None
    block = await uow.blocks.containing(prefix, n)
    if block is None:
        raise unknown
    try:
        await uow.accounts.held_by_or_operated(block.account_id, principal, SERIAL_READERS)
    except NotFound:
        raise unknown from None
    issuance = await uow.issuances.containing(prefix, n)
    sync = await uow.legacy_syncs.by_id(issuance.legacy_sync_id) if issuance and issuance.legacy_sync_id else None
    events = [await _event(uow, m, prefix, n, issuance, sync) for m in await uow.movements.touching(prefix, n)]
    return SerialHistory(
        serial=cmd.serial,
        origin=block.origin,
        project_number=block.project_number,
        vintage=block.vintage,
        state=block.state,
        account_id=block.account_id,
        units_recorded_at=block.units_recorded_at,
        events=events,
    )


def _holds(ranges: list[list[str]], prefix: str, n: int) -> bool:
    return any(
        r.prefix == prefix and r.first <= n <= r.last for r in (SerialRange.from_labels(a, b) for a, b in ranges)
    )


async def _event(
    uow: NewRegistryUnitOfWork,
    m: Movement,
    prefix: str,
    n: int,
    issuance: Issuance | None,
    sync: LegacySync | None,
) -> dict[str, Any]:
    """One movement of the unit as an event of its history, with what explains it."""
    base: dict[str, Any] = {"at": local(m.at), "kind": m.kind, "movement_id": m.id}
    if m.kind == "issuance":
        return base | {"account_id": m.to_account_id, "issuance_id": issuance.id if issuance else None}
    if m.kind == "sync_in":
        return base | {
            "account_id": m.to_account_id,
            "sync_id": sync.id if sync else None,
            "sync_application_id": sync.sync_application_id if sync else None,
            "legacy_account_id": sync.legacy_account_id if sync else None,
            "cancellation_id": issuance.cancellation_id if issuance else None,
            "units_recorded_at": issuance.units_recorded_at if issuance else None,
        }
    if m.kind == "confirmation":
        return base | {"account_id": m.to_account_id, "sync_id": sync.id if sync else None}
    if m.kind == "trade":
        return base | {"from_account_id": m.from_account_id, "to_account_id": m.to_account_id}
    if m.kind in TRANSFERS:
        return base | {"kind": "transfer", "direction": TRANSFERS[m.kind], "account_id": m.to_account_id}
    if m.kind == "freeze":
        return base | {"kind": "frozen", "lot_id": m.lot_id, "frozen_at": local(m.at), "account_id": m.to_account_id}
    if m.kind == "cancellation" and m.lot_id is not None:
        found = [c for c in await uow.cancellations.of_lot(m.lot_id) if _holds(c.serial_ranges, prefix, n)]
        c = found[0] if found else None
        return base | {
            "lot_id": m.lot_id,
            "cancellation_id": c.id if c else None,
            "registration_id": c.registration_id if c else None,
            "application_id": c.application_id if c else None,
            "period_code": c.period_code if c else None,
        }
    if m.kind.startswith("release") and m.lot_id is not None:
        released = [r for r in await uow.releases.of_lot(m.lot_id) if _holds(r.serial_ranges, prefix, n)]
        r = released[-1] if released else None
        return base | {
            "kind": "release",
            "lot_id": m.lot_id,
            "reason": r.reason if r else m.kind.removeprefix("release_"),
            "recall_id": r.recall_id if r else None,
            "period_code": r.period_code if r else None,
        }
    return base
