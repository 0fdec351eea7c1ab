"""Instruments (标的) and compliance periods (履约范围 / 抵销规则)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import CompliancePeriod, Instrument
from services.allowance_registry.adapters.repositories._sql import add_unique, insert_ignore, one_row
from services.allowance_registry.domain.periods import PeriodStatus
from shared.errors import NotFound

__all__ = ["InstrumentRepository", "PeriodRepository"]


class InstrumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(self, code: str) -> Instrument | None:
        return await self._session.get(Instrument, code)

    async def add_new(self, instrument: Instrument) -> bool:
        return await add_unique(self._session, instrument)

    async def add_if_missing(self, values: dict[str, Any]) -> None:
        """Insert-or-ignore: two periods approved at once may name the same instrument."""
        await insert_ignore(self._session, Instrument, values)

    async def all(self) -> list[Instrument]:
        return list(await self._session.scalars(select(Instrument).order_by(Instrument.code)))

    async def codes_of_kind(self, kind: str) -> list[str]:
        return list(await self._session.scalars(select(Instrument.code).where(Instrument.kind == kind)))

    async def of_codes(self, codes: Sequence[str]) -> dict[str, Instrument]:
        rows = await self._session.scalars(select(Instrument).where(Instrument.code.in_(codes)))
        return {i.code: i for i in rows}


class PeriodRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(self, code: str) -> CompliancePeriod | None:
        return await self._session.get(CompliancePeriod, code)

    async def of_codes(self, codes: Sequence[str]) -> dict[str, CompliancePeriod]:
        rows = await self._session.scalars(select(CompliancePeriod).where(CompliancePeriod.code.in_(codes)))
        return {p.code: p for p in rows}

    async def get(self, code: str) -> CompliancePeriod:
        period = await self._session.get(CompliancePeriod, code)
        if period is None:
            raise NotFound.of("compliance period", "履约期", code)
        return period

    async def lock(self, code: str) -> CompliancePeriod:
        period = await self._session.get(CompliancePeriod, code, with_for_update=True)
        if period is None:
            raise NotFound.of("compliance period", "履约期", code)
        return period

    async def add_new(self, period: CompliancePeriod) -> bool:
        return await add_unique(self._session, period)

    async def approve(self, period: CompliancePeriod, *, by: str, at: datetime, recall_at: datetime | None) -> bool:
        """Guarded: only a period still pending approval becomes active (then ``period`` is reloaded)."""
        done = await one_row(
            self._session,
            update(CompliancePeriod)
            .where(CompliancePeriod.code == period.code, CompliancePeriod.status == PeriodStatus.pending_approval.value)
            .values(status=PeriodStatus.active.value, approved_by=by, approved_at=at, recall_at=recall_at),
        )
        if done:
            await self._session.refresh(period)
        return done

    async def search(self, status: str | None, limit: int, offset: int) -> list[CompliancePeriod]:
        query = select(CompliancePeriod).order_by(CompliancePeriod.proposed_at, CompliancePeriod.code)
        if status:
            query = query.where(CompliancePeriod.status == status)
        return list(await self._session.scalars(query.limit(limit).offset(offset)))
