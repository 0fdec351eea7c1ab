"""Instruments (标的) and compliance periods (履约范围 / 抵销规则).

Reference data every business step reads, cached per process (per session factory, so one per
service runtime and database): only what can no longer change is cached, so two replicas never
disagree. An instrument row is never updated once written (created by an operator, by a period's
approval or by an offset-CCER request), and an active period is never updated either (approval is
the only change a period row sees, from ``pending_approval`` to ``active``); a period still pending
approval is always read from the database. A miss reads the database, so a row another replica has
just written is found there. Each read hands the session its own copy (merged without a query), so
a handler never shares an object with another transaction.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import make_transient_to_detached

from services.allowance_registry.adapters.orm import CompliancePeriod, Instrument
from services.allowance_registry.adapters.repositories._sql import add_unique, insert_ignore, one_row
from services.allowance_registry.domain.periods import PeriodStatus
from shared.errors import NotFound

__all__ = ["InstrumentRepository", "PeriodRepository", "ReferenceCache", "reference_cache"]

R = TypeVar("R", Instrument, CompliancePeriod)


def _detached_copy(row: R) -> R:
    """A copy of ``row``'s columns, detached with its identity (no session, no pending change)."""
    values = {a.key: copy.deepcopy(getattr(row, a.key)) for a in inspect(type(row)).column_attrs}
    clone = type(row)(**values)
    make_transient_to_detached(clone)
    return clone


class ReferenceCache:
    """Instruments and active periods by code, as detached copies."""

    def __init__(self) -> None:
        self.instruments: dict[str, Instrument] = {}
        self.periods: dict[str, CompliancePeriod] = {}

    def clear(self) -> None:
        """Forget everything: after a reset (simulation mode) the rows are gone and may come back otherwise."""
        self.instruments.clear()
        self.periods.clear()

    def keep(self, row: Instrument | CompliancePeriod | None) -> None:
        if isinstance(row, Instrument):
            self.instruments[row.code] = _detached_copy(row)
        elif isinstance(row, CompliancePeriod) and row.status == PeriodStatus.active.value:
            self.periods[row.code] = _detached_copy(row)


_CACHES: weakref.WeakKeyDictionary[async_sessionmaker[AsyncSession], ReferenceCache] = weakref.WeakKeyDictionary()


def reference_cache(sessions: async_sessionmaker[AsyncSession]) -> ReferenceCache:
    """The cache of the runtime whose session factory is ``sessions``."""
    cache = _CACHES.get(sessions)
    if cache is None:
        cache = _CACHES[sessions] = ReferenceCache()
    return cache


async def _attach(session: AsyncSession, cached: R) -> R:
    """The session's own instance of a cached row, without a statement."""
    return await session.merge(_detached_copy(cached), load=False)


class InstrumentRepository:
    def __init__(self, session: AsyncSession, cache: ReferenceCache | None = None) -> None:
        self._session = session
        self._cache = cache or ReferenceCache()

    async def find(self, code: str) -> Instrument | None:
        if (cached := self._cache.instruments.get(code)) is not None:
            return await _attach(self._session, cached)
        instrument = await self._session.get(Instrument, code)
        self._cache.keep(instrument)
        return instrument

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
        found = {c: await _attach(self._session, i) for c in codes if (i := self._cache.instruments.get(c)) is not None}
        missing = [c for c in codes if c not in found]
        if missing:
            for i in await self._session.scalars(select(Instrument).where(Instrument.code.in_(missing))):
                self._cache.keep(i)
                found[i.code] = i
        return found


class PeriodRepository:
    def __init__(self, session: AsyncSession, cache: ReferenceCache | None = None) -> None:
        self._session = session
        self._cache = cache or ReferenceCache()

    async def find(self, code: str) -> CompliancePeriod | None:
        if (cached := self._cache.periods.get(code)) is not None:
            return await _attach(self._session, cached)
        period = await self._session.get(CompliancePeriod, code)
        self._cache.keep(period)
        return period

    async def of_codes(self, codes: Sequence[str]) -> dict[str, CompliancePeriod]:
        found = {c: await _attach(self._session, p) for c in codes if (p := self._cache.periods.get(c)) is not None}
        missing = [c for c in codes if c not in found]
        if missing:
            for p in await self._session.scalars(select(CompliancePeriod).where(CompliancePeriod.code.in_(missing))):
                self._cache.keep(p)
                found[p.code] = p
        return found

    async def get(self, code: str) -> CompliancePeriod:
        period = await self.find(code)
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
