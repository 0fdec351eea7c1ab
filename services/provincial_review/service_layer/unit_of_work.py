"""The provincial review's unit of work: its repositories, as ``uow.cases``, ``uow.history``,
``uow.notices`` and ``uow.completions``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.provincial_review.adapters.repositories import (
    CaseRepository,
    CompletionRepository,
    HistoryRepository,
    NoticeRepository,
)
from shared.uow import UnitOfWork

__all__ = ["ReviewUnitOfWork"]


class ReviewUnitOfWork(UnitOfWork):
    cases: CaseRepository
    history: HistoryRepository
    notices: NoticeRepository
    completions: CompletionRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.cases = CaseRepository(session)
        self.history = HistoryRepository(session)
        self.notices = NoticeRepository(session)
        self.completions = CompletionRepository(session)
