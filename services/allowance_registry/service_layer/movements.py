"""The holdings' journal (持仓流水): each handler that moves a holding records the movement here, with
the holding's parts just after it; and the journal of one holding, page by page."""

from __future__ import annotations

from services.allowance_registry.adapters.orm import HoldingMovement, Surrender
from services.allowance_registry.domain.movements import HoldingKind, Movement, MovementKind
from services.allowance_registry.service_layer.commands import ListHoldingMovements
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from shared.principal import Principal

__all__ = ["list_movements", "record_movement", "surrender_movement"]


async def record_movement(uow: AllowanceUnitOfWork, movement: Movement, *, holding: HoldingKind) -> None:
    """Append ``movement`` to the journal, after the holding moved in this same transaction (nothing
    moved: nothing to journal)."""
    if movement.quantity <= 0:
        return
    registry, frozen, trading = await uow.holdings.balance(
        movement.account_id, movement.instrument, offset_ccer=holding is HoldingKind.offset_ccer
    )
    uow.movements.add(
        HoldingMovement(
            account_id=movement.account_id,
            instrument=movement.instrument,
            holding=holding.value,
            kind=movement.kind.value,
            quantity=movement.quantity,
            registry_after=registry,
            frozen_after=frozen,
            trading_after=trading,
            at=uow.now(),
            reference=movement.reference,
        )
    )


def surrender_movement(surrender: Surrender, registration_id: str | None) -> Movement:
    reference = {
        "application_id": surrender.application_id,
        "revision": surrender.revision,
        "notice_id": surrender.notice_id,
        "surrender_id": surrender.id,
    }
    if registration_id is not None:
        reference["registration_id"] = registration_id
    return Movement(surrender.account_id, surrender.instrument, MovementKind.surrendered, surrender.quantity, reference)


async def list_movements(
    uow: AllowanceUnitOfWork, cmd: ListHoldingMovements, principal: Principal
) -> list[HoldingMovement]:
    account = await uow.accounts.get(cmd.account_id, principal)  # NotFound outside the caller's scope
    return await uow.movements.of_holding(account.id, cmd.instrument, kind=cmd.kind, limit=cmd.limit, offset=cmd.offset)
