"""Reads for reconciliation (账实核对): every notice with its period's cap, every holding, every
pending offset with its registrations, every generated offset-CCER instrument, and the lots (pending or refused) page by page. Operators only:
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
    Instrument,
    LotRefusal,
    Notice,
    OffsetCcerRequest,
    OffsetRegistration,
    PendingOffset,
    Surrender,
)
from services.allowance_registry.domain.reconciliation import HoldingFacts, NoticeFacts, OffsetCcerFacts, PendingFacts

__all__ = ["ReconciliationRepository"]


class ReconciliationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _registered(self, key: Any) -> dict[Any, int]:
        r = OffsetRegistration
        rows = await self._session.execute(select(key, func.sum(r.quantity)).where(key.is_not(None)).group_by(key))
        return {k: int(v) for k, v in rows.all()}

    async def notices(self) -> list[NoticeFacts]:
        registrations = await self._registered(OffsetRegistration.notice_id)
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
        return [NoticeFacts(*r, registrations=registrations.get(r[0], 0)) for r in rows]

    async def offset_ccer(self) -> list[OffsetCcerFacts]:
        """Every generated offset-CCER instrument with its request's quantity, the holding, the
        surrenders and the registrations."""
        i, q, h, s = Instrument, OffsetCcerRequest, CcerHolding, Surrender
        held = {
            (a, c): int(n) for a, c, n in await self._session.execute(select(h.account_id, h.instrument, h.quantity))
        }
        surrendered = {
            c: int(n)
            for c, n in await self._session.execute(
                select(s.instrument, func.sum(s.quantity)).where(s.kind == "offset_ccer").group_by(s.instrument)
            )
        }
        registrations = await self._registered(OffsetRegistration.instrument)
        rows = await self._session.execute(
            select(i.code, i.account_id, q.quantity)
            .join(q, q.id == i.request_id)
            .where(i.kind == "offset_ccer")
            .order_by(i.code)
        )
        return [
            OffsetCcerFacts(
                instrument=code,
                account_id=account_id or "",
                generated=int(generated),
                held=held.get((account_id or "", code), 0),
                surrendered=surrendered.get(code, 0),
                registrations=registrations.get(code, 0),
            )
            for code, account_id, generated in rows
        ]

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
        registrations = await self._registered(OffsetRegistration.lot_id)  # lots only: offset CCER has none
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
