"""Provincial notices (省级履约通知书) and enterprise notices (企业履约通知书) with their progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import (
    Account,
    CompliancePeriod,
    Notice,
    NoticeOverdueMark,
    ProvincialNotice,
)
from services.allowance_registry.adapters.repositories._sql import account_scope, add_unique, one_row, scope_of
from services.allowance_registry.domain.notices import IssuedWindow, NoticeStatus
from shared.errors import NotFound
from shared.principal import Principal

__all__ = ["NoticeRepository", "NoticeRow", "ProvincialNoticeRepository"]

# A notice with its account and its period's offset cap (basis points).
NoticeRow = tuple[Notice, Account, int]


class ProvincialNoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def exists(self, period_code: str, province: str) -> bool:
        found = await self._session.scalar(
            select(ProvincialNotice.id).where(
                ProvincialNotice.period_code == period_code, ProvincialNotice.province == province
            )
        )
        return found is not None

    async def add_new(self, notice: ProvincialNotice) -> bool:
        """False when the province already has its notice for the period (a concurrent issue won)."""
        return await add_unique(self._session, notice)

    async def lock(self, period_code: str, province: str) -> ProvincialNotice | None:
        return await self._session.scalar(
            select(ProvincialNotice)
            .where(ProvincialNotice.period_code == period_code, ProvincialNotice.province == province)
            .with_for_update()
        )

    async def search(
        self, principal: Principal, *, period_code: str | None, province: str | None, limit: int, offset: int
    ) -> list[ProvincialNotice]:
        query = select(ProvincialNotice).where(scope_of(principal).where(province=ProvincialNotice.province))
        if period_code:
            query = query.where(ProvincialNotice.period_code == period_code)
        if province:
            query = query.where(ProvincialNotice.province == province)
        query = query.order_by(ProvincialNotice.issued_at, ProvincialNotice.id).limit(limit).offset(offset)
        return list(await self._session.scalars(query))


def _scoped(principal: Principal) -> Select[Notice, Account, int]:
    return (
        select(Notice, Account, CompliancePeriod.cap_bp)
        .join(Account, Account.id == Notice.account_id)
        .join(CompliancePeriod, CompliancePeriod.code == Notice.period_code)
        .where(account_scope(principal))
    )


class NoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_new(self, notice: Notice) -> bool:
        """False when the account already has a notice for the period (a concurrent issue won)."""
        return await add_unique(self._session, notice)

    async def exists_for(self, period_code: str, account_id: str) -> bool:
        found = await self._session.scalar(
            select(Notice.id).where(Notice.period_code == period_code, Notice.account_id == account_id)
        )
        return found is not None

    async def get(self, notice_id: str, principal: Principal) -> NoticeRow:
        row = (await self._session.execute(_scoped(principal).where(Notice.id == notice_id))).first()
        if row is None:
            raise NotFound.of("compliance notice", "履约通知书", notice_id)
        return row[0], row[1], row[2]

    async def search(
        self,
        principal: Principal,
        *,
        period_code: str | None,
        account_id: str | None,
        province: str | None,
        status: str | None,
        limit: int,
        offset: int,
        issued: IssuedWindow | None = None,
        overdue: bool | None = None,
    ) -> list[NoticeRow]:
        """``issued``: issued within the window; ``overdue``: with (True) or without (False) an overdue mark."""
        query = _scoped(principal)
        if period_code:
            query = query.where(Notice.period_code == period_code)
        if account_id:
            query = query.where(Notice.account_id == account_id)
        if province:
            query = query.where(Notice.province == province)
        if status:
            query = query.where(Notice.status == status)
        if issued is not None and issued.start is not None:
            query = query.where(Notice.issued_at >= issued.start)
        if issued is not None and issued.end is not None:
            query = query.where(Notice.issued_at < issued.end)
        if overdue is not None:
            marked = select(NoticeOverdueMark.notice_id).where(NoticeOverdueMark.notice_id == Notice.id).exists()
            query = query.where(marked if overdue else ~marked)
        query = query.order_by(Notice.issued_at, Notice.id).limit(limit).offset(offset)
        return [(r[0], r[1], r[2]) for r in await self._session.execute(query)]

    async def lock(self, notice_id: str) -> Notice | None:
        return await self._session.get(Notice, notice_id, with_for_update=True)

    async def lock_with_account(self, notice_id: str, account_id: str) -> tuple[Notice, Account] | None:
        """The notice, locked, with its account ``account_id`` (read, not locked): one statement;
        None when either is missing (an application's account is always its notice's)."""
        row = (
            await self._session.execute(
                select(Notice, Account)
                .join(Account, Account.id == Notice.account_id)
                .where(Notice.id == notice_id, Account.id == account_id)
                .with_for_update(of=Notice)
                .execution_options(populate_existing=True)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def reserve(self, notice: Notice, quantity: int, ccer: int) -> bool:
        """Put ``quantity`` (``ccer`` of it CCER) under review: only on an open notice with that much room."""
        n = Notice
        return await one_row(
            self._session,
            update(n)
            .where(
                n.id == notice.id,
                n.status == NoticeStatus.open.value,
                n.obligation - n.fulfilled - n.under_review >= quantity,
            )
            .values(under_review=n.under_review + quantity, ccer_under_review=n.ccer_under_review + ccer),
        )

    async def fulfil(
        self, notice: Notice, quantity: int, ccer: int, *, status: NoticeStatus, completed_at: datetime | None
    ) -> bool:
        """Move ``quantity`` from under review to fulfilled, from the fulfilled quantity this transaction read."""
        n = Notice
        values: dict[str, Any] = {
            "fulfilled": n.fulfilled + quantity,
            "under_review": n.under_review - quantity,
            "ccer_registered": n.ccer_registered + ccer,
            "ccer_under_review": n.ccer_under_review - ccer,
            "status": status.value,
        }
        if completed_at is not None:
            values["completed_at"] = completed_at
        return await one_row(
            self._session,
            update(n)
            .where(
                n.id == notice.id,
                n.fulfilled == notice.fulfilled,
                n.under_review >= quantity,
                n.ccer_under_review >= ccer,
            )
            .values(**values),
        )

    async def release(self, notice: Notice, quantity: int, ccer: int) -> bool:
        """Take ``quantity`` (``ccer`` of it CCER) back from under review."""
        n = Notice
        return await one_row(
            self._session,
            update(n)
            .where(n.id == notice.id, n.under_review >= quantity, n.ccer_under_review >= ccer)
            .values(under_review=n.under_review - quantity, ccer_under_review=n.ccer_under_review - ccer),
        )
