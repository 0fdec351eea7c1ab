"""The legacy registry's unit of work. Its repositories (accounts, account applications, projects,
blocks, cancellations, sync applications) arrive with the legacy path; the shape is in place so that
work starts from it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.uow import UnitOfWork

__all__ = ["LegacyUnitOfWork"]


class LegacyUnitOfWork(UnitOfWork):
    def open_repositories(self, session: AsyncSession) -> None:
        return None
