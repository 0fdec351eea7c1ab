"""Monitoring reads (compliance stats, the enterprise's home page) and the overdue marks (未按时足额清缴)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import Account, Application, Notice, NoticeOverdueMark
from services.allowance_registry.adapters.repositories._sql import insert_ignore, scope_of
from services.allowance_registry.domain.monitoring import UnitProgress
from shared.errors import NotFound
from shared.principal import Principal

__all__ = ["MonitoringRepository"]


class MonitoringRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def region(principal: Principal, province: str | None) -> str | None:
        """The province whose stats ``principal`` asks for (None: all provinces, for the registry).
        A province sees its own only: another province is not found (404), as for any other object."""
        scope = scope_of(principal)
        if scope.everything:
            return province
        if scope.province is not None and province in (None, scope.province):
            return scope.province
        raise NotFound.of("province", "省份", province or "-")

    async def units(self, period_code: str, province: str | None) -> list[UnitProgress]:
        """Every enterprise notice of the period (in ``province``, or everywhere), with its overdue mark."""
        query = (
            select(Notice, Account, NoticeOverdueMark.overdue_at)
            .join(Account, Account.id == Notice.account_id)
            .outerjoin(NoticeOverdueMark, NoticeOverdueMark.notice_id == Notice.id)
            .where(Notice.period_code == period_code)
            .order_by(Notice.province, Notice.issued_at, Notice.id)
        )
        if province is not None:
            query = query.where(Notice.province == province)
        return [
            UnitProgress(
                notice_id=n.id,
                account_id=a.id,
                name=a.holder_name,
                uscc=a.holder_uscc,
                province=n.province,
                obligation=n.obligation,
                fulfilled=n.fulfilled,
                under_review=n.under_review,
                completed_at=n.completed_at,
                overdue_at=overdue_at,
            )
            for n, a, overdue_at in await self._session.execute(query)
        ]

    async def overdue_at(self, notice_ids: Sequence[str]) -> dict[str, datetime]:
        """When each of these notices became overdue (only those marked)."""
        if not notice_ids:
            return {}
        rows = await self._session.execute(
            select(NoticeOverdueMark.notice_id, NoticeOverdueMark.overdue_at).where(
                NoticeOverdueMark.notice_id.in_(list(notice_ids))
            )
        )
        return {notice_id: at for notice_id, at in rows}

    async def mark_overdue(
        self, unit: UnitProgress, period_code: str, overdue_at: datetime, marked_at: datetime
    ) -> None:
        """Mark a notice overdue, once: a second mark of the same notice changes nothing."""
        await insert_ignore(
            self._session,
            NoticeOverdueMark,
            {
                "notice_id": unit.notice_id,
                "period_code": period_code,
                "account_id": unit.account_id,
                "province": unit.province,
                "obligation": unit.obligation,
                "fulfilled": unit.fulfilled,
                "under_review": unit.under_review,
                "overdue_at": overdue_at,
                "marked_at": marked_at,
            },
        )

    async def application_statuses(self, account_id: str) -> list[str]:
        """The status of every compliance application of the account (the home page's counts)."""
        return list(await self._session.scalars(select(Application.status).where(Application.account_id == account_id)))
