"""The units' transaction log: one row per issuance, sync-in, confirmation, trade, transfer, freeze,
cancellation and release, with the serial ranges it moved."""

from __future__ import annotations

from services.new_ccer_registry.adapters.orm import Movement
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from shared.ids import new_id
from shared.serials import SerialRange, labels

__all__ = ["record_movement"]


def record_movement(
    uow: NewRegistryUnitOfWork,
    kind: str,
    project_number: str,
    quantity: int,
    ranges: list[SerialRange],
    *,
    to_state: str,
    from_state: str | None = None,
    from_account: str | None = None,
    to_account: str | None = None,
    lot_id: str | None = None,
    prefix: str = "MOV",
) -> Movement:
    movement = Movement(
        id=new_id(prefix),
        kind=kind,
        project_number=project_number,
        from_account_id=from_account,
        to_account_id=to_account,
        from_state=from_state,
        to_state=to_state,
        quantity=quantity,
        serial_ranges=labels(ranges),
        lot_id=lot_id,
        at=uow.now(),
    )
    uow.movements.add(movement, ranges)
    return movement
