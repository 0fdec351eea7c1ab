"""The holdings' journal (持仓流水): appended in the transaction that moves a holding, read page by page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import HoldingMovement

__all__ = ["MovementRepository"]


class MovementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, movement: HoldingMovement) -> None:
        self._session.add(movement)

    async def of_holding(
        self, account_id: str, instrument: str, *, kind: str | None, limit: int, offset: int
    ) -> list[HoldingMovement]:
        """The movements of one holding, oldest first (the caller's scope is checked on the account)."""
        m = HoldingMovement
        query = select(m).where(m.account_id == account_id, m.instrument == instrument)
        if kind:
            query = query.where(m.kind == kind)
        return list(await self._session.scalars(query.order_by(m.id).limit(limit).offset(offset)))
