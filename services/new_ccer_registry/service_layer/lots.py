"""National compliance offset (全国履约抵销): freezing units into offset lots, and reading lots and
cancellations. The allowance registry's answers are in :mod:`.lot_events`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.new_ccer_registry.adapters.orm import Account, Binding, Cancellation, OffsetLot
from services.new_ccer_registry.domain.holdings import Origin, UnitState
from services.new_ccer_registry.domain.legacy import recorded_ranges
from services.new_ccer_registry.domain.lots import CONFLICT_CODES, LotStatus, freeze_findings, legacy_use_findings
from services.new_ccer_registry.service_layer.commands import FreezeLot, GetLot, ListCancellations, ListLots
from services.new_ccer_registry.service_layer.movements import record_movement
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import Listed, LotView
from shared.errors import refuse
from shared.events.contracts import OffsetFrozenV1
from shared.ids import new_id
from shared.principal import Principal
from shared.serials import SerialRange, labels, merge_ranges

__all__ = ["freeze_lot", "get_lot", "list_cancellations", "list_lots"]


async def freeze_lot(uow: NewRegistryUnitOfWork, cmd: FreezeLot, principal: Principal) -> OffsetLot:
    """Freeze ``quantity`` available units of the project and origin (lowest serials first) into a
    new lot and send it to the allowance registry. The account row is locked first, so parallel
    freezes of one holding queue behind each other and can never overdraw it. A legacy lot's
    project is the legacy registry's (as its syncs described it), never a new-registry project."""
    account = await uow.accounts.lock_seen_by(cmd.account_id, principal)
    binding = await uow.bindings.active_of(account.id)
    project = await _project_facts(uow, cmd.project_number, cmd.origin)
    blocks = (
        await uow.blocks.locked(
            account_id=account.id,
            project_number=cmd.project_number,
            state=UnitState.available,
            origin=cmd.origin,
            vintage=cmd.vintage,
        )
        if project
        else []
    )
    refuse(
        freeze_findings(
            account_active=account.status == "active",
            binding_active=binding is not None,
            project_known=project is not None or await _known_elsewhere(uow, cmd.project_number, cmd.origin),
            project_number=cmd.project_number,
            requested=cmd.quantity,
            available=uow.blocks.units_in(blocks),
        )
        + legacy_use_findings(cmd.origin, uow.period_definitions, uow.now()),
        "the national compliance offset is refused",
        "全国履约抵销被拒绝",
        conflict_codes=CONFLICT_CODES,
    )
    assert binding is not None and project is not None
    # The vintage of its lowest serials, always taken first (a lot may span vintages; its ranges say so).
    lot = _new_lot(uow, cmd, binding, vintage=min(b.vintage for b in blocks))
    await uow.lots.add(lot)
    sources = [(SerialRange(b.serial_prefix, b.first_n, b.last_n), b.units_recorded_at) for b in blocks]
    moved = await uow.blocks.move_lowest(blocks, cmd.quantity, to_state=UnitState.frozen, lot_id=lot.id)
    lot.serial_ranges = labels(merge_ranges(moved))
    record_movement(
        uow,
        "freeze",
        cmd.project_number,
        cmd.quantity,
        moved,
        from_state=UnitState.available,
        to_state=UnitState.frozen,
        from_account=account.id,
        to_account=account.id,
        lot_id=lot.id,
    )
    _send_frozen(uow, lot, account, project, recorded_ranges(moved, sources))
    uow.audit(
        "freeze_lot",
        "offset_lot",
        lot.id,
        account_id=account.id,
        project_number=cmd.project_number,
        origin=str(cmd.origin),
        quantity=cmd.quantity,
        serial_ranges=lot.serial_ranges,
        allowance_account_id=binding.allowance_account_id,
    )
    return lot


def _new_lot(uow: NewRegistryUnitOfWork, cmd: FreezeLot, binding: Binding, *, vintage: int) -> OffsetLot:
    return OffsetLot(
        id=new_id("LOT"),
        account_id=cmd.account_id,
        binding_id=binding.id,
        allowance_account_id=binding.allowance_account_id,
        project_number=cmd.project_number,
        origin=cmd.origin,
        vintage=vintage,
        quantity=cmd.quantity,
        cancelled=0,
        released=0,
        status=LotStatus.frozen,
        serial_ranges=[],
        frozen_at=uow.now(),
        settled_at=None,
    )


async def _project_facts(uow: NewRegistryUnitOfWork, number: str, origin: Origin) -> dict[str, Any] | None:
    """What the lot tells the allowance registry and the province about its project: a new
    project's registration, or a legacy project's record (备案) as the legacy registry sent it."""
    if origin == Origin.legacy:
        legacy = await uow.legacy_projects.get(number)
        if legacy is None:
            return None
        return {
            "number": legacy.number,
            "name": legacy.name,
            "type": legacy.type,
            "region": legacy.region,
            "methodology": None,
            "registered_or_recorded_at": legacy.recorded_at,
            "within_national_ets": legacy.within_national_ets,
        }
    project = await uow.projects.get(number)
    if project is None:
        return None
    return {
        "number": project.number,
        "name": project.name,
        "type": project.type,
        "region": project.region,
        "methodology": project.methodology,
        "registered_or_recorded_at": project.registered_at,
        "within_national_ets": project.within_national_ets,
    }


async def _known_elsewhere(uow: NewRegistryUnitOfWork, number: str, origin: Origin) -> bool:
    """The number is a project of the other origin here (then the answer is: none of that origin)."""
    if origin == Origin.legacy:
        return await uow.projects.get(number) is not None
    return await uow.legacy_projects.get(number) is not None


def _send_frozen(
    uow: NewRegistryUnitOfWork,
    lot: OffsetLot,
    account: Account,
    project: dict[str, Any],
    recorded: list[tuple[SerialRange, date | None]],
) -> None:
    """The lot, with what the allowance registry and the province check it against. A legacy lot
    carries each frozen range with its own record date, and the latest of them (its own units' only)."""
    legacy = lot.origin == Origin.legacy
    dates = [d for _, d in recorded]
    uow.emit(
        OffsetFrozenV1(
            lot_id=lot.id,
            registry_account_id=account.id,
            allowance_account_id=lot.allowance_account_id,
            holder={"name": account.holder_name, "uscc": account.holder_uscc},
            project=project,
            origin=str(lot.origin),
            vintage=lot.vintage,
            units_recorded_at=max(d for d in dates if d) if legacy and dates and all(dates) else None,
            quantity=lot.quantity,
            serial_ranges=[tuple(r) for r in lot.serial_ranges],
            frozen_at=lot.frozen_at,
            recorded_ranges=[
                {"first": r.labels()[0], "last": r.labels()[1], "units_recorded_at": d} for r, d in recorded if d
            ]
            if legacy
            else None,
        ),
        correlation_id=lot.id,
    )


# --- queries -------------------------------------------------------------------------------------
async def _views(uow: NewRegistryUnitOfWork, lots: Sequence[OffsetLot]) -> list[LotView]:
    ranges = await uow.lots.ranges_by_state([lot.id for lot in lots])
    return [
        LotView(
            lot,
            frozen_ranges=merge_ranges(ranges[lot.id]["frozen"]),
            cancelled_ranges=merge_ranges(ranges[lot.id]["cancelled"]),
            released_ranges=merge_ranges(ranges[lot.id]["released"]),
        )
        for lot in lots
    ]


async def get_lot(uow: NewRegistryUnitOfWork, cmd: GetLot, principal: Principal) -> LotView:
    (view,) = await _views(uow, [await uow.lots.get(cmd.lot_id, principal)])
    return view


async def list_lots(uow: NewRegistryUnitOfWork, cmd: ListLots, principal: Principal) -> Listed[LotView]:
    lots = await uow.lots.list_seen_by(
        principal, account_id=cmd.account_id, status=cmd.status, offset=cmd.offset, limit=cmd.limit + 1
    )
    return Listed(await _views(uow, lots[: cmd.limit]), has_more=len(lots) > cmd.limit)


async def list_cancellations(
    uow: NewRegistryUnitOfWork, cmd: ListCancellations, principal: Principal
) -> Listed[Cancellation]:
    rows = await uow.cancellations.list_seen_by(
        principal,
        account_id=cmd.account_id,
        lot_id=cmd.lot_id,
        period_code=cmd.period_code,
        offset=cmd.offset,
        limit=cmd.limit + 1,
    )
    return Listed(list(rows[: cmd.limit]), has_more=len(rows) > cmd.limit)
