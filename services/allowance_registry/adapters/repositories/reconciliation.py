"""Reads for reconciliation (账实核对): every notice with its period's cap, every holding, every
pending offset with its registrations, and the lots (pending or refused) page by page. Operators only:
no scope rule applies (the route admits the registry's operators alone)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import (
    AllowanceHolding,
    CcerHolding,
    CompliancePeriod,
    LotRefusal,
    Notice,
    OffsetRegistration,
    PendingOffset,
)
from services.allowance_registry.domain.reconciliation import HoldingFacts, NoticeFacts, PendingFacts

__all__ = ["ReconciliationRepository"]


class ReconciliationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def notices(self) -> list[NoticeFacts]:
        rows = await self._session.execute(
            select(
                Notice.id,
                Notice.account_id,
                Notice.period_code,
                Notice.obligation,
                Notice.fulfilled,
                Notice.ccer_registered,
                CompliancePeriod.cap_bp,
            )
            .join(CompliancePeriod, CompliancePeriod.code == Notice.period_code)
            .order_by(Notice.id)
        )
        return [NoticeFacts(*r) for r in rows]

    async def holdings(self) -> list[HoldingFacts]:
        allowances = await self._session.execute(
            select(
                AllowanceHolding.account_id,
                AllowanceHolding.instrument,
                AllowanceHolding.registry_side,
                AllowanceHolding.trading_side,
                AllowanceHolding.frozen,
            )
        )
        ccer = await self._session.execute(
            select(CcerHolding.account_id, CcerHolding.instrument, CcerHolding.quantity, CcerHolding.frozen)
        )
        return [HoldingFacts(a, i, "allowance", r, t, f) for a, i, r, t, f in allowances] + [
            HoldingFacts(a, i, "ccer", q, 0, f) for a, i, q, f in ccer
        ]

    async def pending(self) -> list[PendingFacts]:
        registrations = dict(
            (
                await self._session.execute(
                    select(OffsetRegistration.lot_id, func.sum(OffsetRegistration.quantity)).group_by(
                        OffsetRegistration.lot_id
                    )
                )
            ).all()
        )
        p = PendingOffset
        rows = await self._session.execute(
            select(p.lot_id, p.quantity, p.reserved, p.registered, p.recalled, p.cancelled, p.released).order_by(
                p.lot_id
            )
        )
        return [PendingFacts(*r, registrations=int(registrations.get(r[0], 0))) for r in rows]

    async def lots(self, *, limit: int, offset: int) -> Sequence[Any]:
        """Pending offsets and refused lots as one list ordered by lot id (refused: no parts)."""
        p, r = PendingOffset, LotRefusal
        zero = literal(0)
        lots = union_all(
            select(
                p.lot_id,
                p.account_id,
                p.quantity,
                p.reserved,
                p.registered,
                p.recalled,
                p.cancelled,
                p.released,
                p.status,
            ),
            select(
                r.lot_id,
                r.allowance_account_id,
                r.quantity,
                zero,
                zero,
                zero,
                zero,
                zero,
                literal("refused"),
            ),
        ).subquery()
        return (await self._session.execute(select(lots).order_by(lots.c.lot_id).limit(limit).offset(offset))).all()
