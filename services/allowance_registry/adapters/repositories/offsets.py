"""Pending offsets (待抵销), refused lots, and offset registrations (抵销登记).

A lot's quantities move in one guarded statement each (:meth:`PendingOffsetRepository.move`); lots are
always locked in lot-id order (submission, decisions, recall), so replicas never deadlock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import Account, LotRefusal, OffsetRegistration, PendingOffset
from services.allowance_registry.adapters.repositories._sql import account_scope, one_row
from services.allowance_registry.domain.offsets import LotBalance, PendingStatus
from shared.principal import Principal

__all__ = ["PendingOffsetRepository", "RegistrationRepository"]


class PendingOffsetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, lot: PendingOffset | LotRefusal) -> None:
        self._session.add(lot)

    async def is_known(self, lot_id: str) -> bool:
        """Recorded as pending, or refused: either way a second delivery changes nothing (one query)."""
        found = await self._session.scalar(
            union_all(
                select(PendingOffset.lot_id).where(PendingOffset.lot_id == lot_id),
                select(LotRefusal.lot_id).where(LotRefusal.lot_id == lot_id),
            ).limit(1)
        )
        return found is not None

    async def is_refused(self, lot_id: str) -> bool:
        return await self._session.get(LotRefusal, lot_id) is not None

    async def lock(self, lot_ids: Sequence[str]) -> dict[str, PendingOffset]:
        if not lot_ids:
            return {}
        rows = await self._session.scalars(
            select(PendingOffset)
            .where(PendingOffset.lot_id.in_(sorted(lot_ids)))
            .order_by(PendingOffset.lot_id)
            .with_for_update()
        )
        return {r.lot_id: r for r in rows}

    async def move(self, lot_id: str, *, reserve: int = 0, register: int = 0, recall: int = 0) -> bool:
        """Move quantity between a lot's parts in one guarded statement, then restate its status.

        ``reserve`` > 0 takes from available (< 0 gives back), ``register`` takes from reserved,
        ``recall`` takes from available. False when the lot has not got that much."""
        p = PendingOffset
        available = p.quantity - p.reserved - p.registered - p.recalled
        need_available = max(reserve, 0) + recall
        need_reserved = register + max(-reserve, 0)
        stmt = (
            update(p)
            .where(
                p.lot_id == lot_id,
                p.status == PendingStatus.pending.value,
                available >= need_available,
                p.reserved >= need_reserved,
            )
            .values(
                reserved=p.reserved + reserve - register,
                registered=p.registered + register,
                recalled=p.recalled + recall,
            )
            .returning(p.quantity, p.reserved, p.registered, p.recalled, p.status)
            .execution_options(synchronize_session=False)
        )
        row = (await self._session.execute(stmt)).first()
        if row is None:
            return False
        status = LotBalance(row.quantity, row.reserved, row.registered, row.recalled).status.value
        if status != row.status:
            await self._session.execute(
                update(p).where(p.lot_id == lot_id).values(status=status).execution_options(synchronize_session=False)
            )
        return True

    async def confirm_cancelled(self, lot_id: str, quantity: int) -> bool:
        """The new registry cancelled ``quantity`` of what was registered: never more than registered."""
        p = PendingOffset
        return await one_row(
            self._session,
            update(p)
            .where(p.lot_id == lot_id, p.cancelled + quantity <= p.registered)
            .values(cancelled=p.cancelled + quantity),
        )

    async def confirm_released(self, lot_id: str, quantity: int) -> bool:
        """The new registry released ``quantity`` of what was recalled: never more than recalled."""
        p = PendingOffset
        return await one_row(
            self._session,
            update(p)
            .where(p.lot_id == lot_id, p.released + quantity <= p.recalled)
            .values(released=p.released + quantity),
        )

    async def lock_pending_recorded_before(
        self, instant: datetime, *, after: str | None = None, limit: int | None = None
    ) -> list[PendingOffset]:
        """Lots still pending that were recorded before ``instant``, by lot id (those after ``after``;
        at most ``limit``), locked."""
        query = select(PendingOffset).where(
            PendingOffset.status == PendingStatus.pending.value, PendingOffset.recorded_at < instant
        )
        if after is not None:
            query = query.where(PendingOffset.lot_id > after)
        rows = await self._session.scalars(query.order_by(PendingOffset.lot_id).limit(limit).with_for_update())
        return list(rows)

    async def mark_recall_due(self, lot_id: str, due_at: datetime, period_code: str) -> None:
        """Whatever a later rejection releases from this lot is recalled at once."""
        await self._session.execute(
            update(PendingOffset)
            .where(PendingOffset.lot_id == lot_id)
            .values(recall_due_at=due_at, recall_period_code=period_code)
            .execution_options(synchronize_session=False)
        )

    async def lock_recall_due(self, lot_ids: Sequence[str]) -> list[PendingOffset]:
        """The lots among ``lot_ids`` still pending whose recall instant has passed, locked and re-read."""
        if not lot_ids:
            return []
        rows = await self._session.scalars(
            select(PendingOffset)
            .where(
                PendingOffset.lot_id.in_(sorted(lot_ids)),
                PendingOffset.recall_due_at.is_not(None),
                PendingOffset.status == PendingStatus.pending.value,
            )
            .order_by(PendingOffset.lot_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def pending_total(self, account_id: str) -> int:
        """What is pending in the account and not yet registered or recalled."""
        p = PendingOffset
        total = await self._session.scalar(
            select(func.coalesce(func.sum(p.quantity - p.registered - p.recalled), 0)).where(
                p.account_id == account_id, p.status == PendingStatus.pending.value
            )
        )
        return int(total or 0)

    async def search(
        self, principal: Principal, *, account_id: str | None, status: str | None, limit: int, offset: int
    ) -> list[PendingOffset]:
        query = (
            select(PendingOffset).join(Account, Account.id == PendingOffset.account_id).where(account_scope(principal))
        )
        if account_id:
            query = query.where(PendingOffset.account_id == account_id)
        if status:
            query = query.where(PendingOffset.status == status)
        query = query.order_by(PendingOffset.recorded_at, PendingOffset.lot_id).limit(limit).offset(offset)
        return list(await self._session.scalars(query))


class RegistrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, registration: OffsetRegistration) -> None:
        self._session.add(registration)

    async def lock(self, registration_id: str) -> OffsetRegistration | None:
        return await self._session.get(OffsetRegistration, registration_id, with_for_update=True)

    async def search(
        self,
        principal: Principal,
        *,
        account_id: str | None,
        application_id: str | None,
        lot_id: str | None,
        kind: str | None = None,
        instrument: str | None = None,
        period_code: str | None = None,
        limit: int,
        offset: int,
    ) -> list[OffsetRegistration]:
        """Registrations of lots and of generated offset CCER alike: the holder sees its own, a province
        those of its region, the registry's operators all."""
        r = OffsetRegistration
        query = select(r).join(Account, Account.id == r.account_id).where(account_scope(principal))
        if account_id:
            query = query.where(r.account_id == account_id)
        if application_id:
            query = query.where(r.application_id == application_id)
        if lot_id:
            query = query.where(r.lot_id == lot_id)
        if kind:
            query = query.where(r.kind == kind)
        if instrument:
            query = query.where(r.instrument == instrument)
        if period_code:
            query = query.where(r.period_code == period_code)
        return list(await self._session.scalars(query.order_by(r.registered_at, r.id).limit(limit).offset(offset)))
