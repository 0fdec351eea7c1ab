"""Offset-CCER creation requests (first period) and the cancellation records no account matched.

The scope rule on requests: the registry's operators see every request, an enterprise those of its
own USCC, anybody else none (404)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import OffsetCcerRequest, UnmatchedCancellation
from services.allowance_registry.adapters.repositories._sql import add_unique, one_row, scope_of
from shared.errors import NotFound
from shared.principal import Principal

__all__ = ["OffsetCcerRequestRepository"]


def _not_found(request_id: str) -> NotFound:
    return NotFound.of("offset-CCER creation request", "CCER 创建申请", request_id)


def _scope(principal: Principal) -> ColumnElement[bool]:
    # No province column: a province sees no requests (api.md: registry roles and the holder).
    return scope_of(principal).where(org=OffsetCcerRequest.holder_uscc)


class OffsetCcerRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def is_known(self, cancellation_id: str) -> bool:
        """A request or an unmatched record exists for this cancellation: a second delivery, or the
        same record in another envelope, changes nothing."""
        found = await self._session.scalar(
            select(OffsetCcerRequest.id).where(OffsetCcerRequest.cancellation_id == cancellation_id)
        )
        if found is not None:
            return True
        return await self._session.get(UnmatchedCancellation, cancellation_id) is not None

    async def add_new(self, row: OffsetCcerRequest | UnmatchedCancellation) -> bool:
        """False when the cancellation was recorded meanwhile (the unique key on ``cancellation_id``)."""
        return await add_unique(self._session, row)

    async def find(self, request_id: str) -> OffsetCcerRequest | None:
        """Unscoped: the request an instrument was generated from, for the registration of its surrender."""
        return await self._session.get(OffsetCcerRequest, request_id)

    async def get(self, request_id: str, principal: Principal) -> OffsetCcerRequest:
        row = await self._session.scalar(
            select(OffsetCcerRequest).where(OffsetCcerRequest.id == request_id, _scope(principal))
        )
        if row is None:
            raise _not_found(request_id)
        return row

    async def lock(self, request_id: str, principal: Principal) -> OffsetCcerRequest:
        row = await self._session.scalar(
            select(OffsetCcerRequest).where(OffsetCcerRequest.id == request_id, _scope(principal)).with_for_update()
        )
        if row is None:
            raise _not_found(request_id)
        return row

    async def transition(self, request: OffsetCcerRequest, **values: Any) -> bool:
        """Guarded: only from the status this transaction read; ``request`` is reloaded on success."""
        done = await one_row(
            self._session,
            update(OffsetCcerRequest)
            .where(OffsetCcerRequest.id == request.id, OffsetCcerRequest.status == request.status)
            .values(**values),
        )
        if done:
            await self._session.refresh(request)
        return done

    async def search(
        self, principal: Principal, *, status: str | None, account_id: str | None, limit: int, offset: int
    ) -> list[OffsetCcerRequest]:
        query = select(OffsetCcerRequest).where(_scope(principal))
        if status:
            query = query.where(OffsetCcerRequest.status == status)
        if account_id:
            query = query.where(OffsetCcerRequest.account_id == account_id)
        query = query.order_by(OffsetCcerRequest.drafted_at, OffsetCcerRequest.id).limit(limit).offset(offset)
        return list(await self._session.scalars(query))

    async def unmatched(
        self, principal: Principal, *, uscc: str | None, limit: int, offset: int
    ) -> list[UnmatchedCancellation]:
        query = select(UnmatchedCancellation).where(scope_of(principal).where(org=UnmatchedCancellation.holder_uscc))
        if uscc:
            query = query.where(UnmatchedCancellation.holder_uscc == uscc)
        query = query.order_by(UnmatchedCancellation.received_at, UnmatchedCancellation.cancellation_id)
        return list(await self._session.scalars(query.limit(limit).offset(offset)))
