"""The provincial review's unit of work: its repositories, as ``uow.cases``, ``uow.history``,
``uow.notices``, ``uow.completions``, and for the first period's offset forms ``uow.forms``,
``uow.form_history``, ``uow.proofs``, ``uow.cancellations`` and ``uow.summaries``; the handling of
overdue units ``uow.handlings``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.provincial_review.adapters.repositories import (
    CancellationRecordRepository,
    CaseRepository,
    CompletionRepository,
    FormHistoryRepository,
    FormRepository,
    HistoryRepository,
    NoticeRepository,
    OverdueHandlingRepository,
    ProofRepository,
    SummaryRepository,
)
from shared.uow import UnitOfWork

__all__ = ["ReviewUnitOfWork"]


class ReviewUnitOfWork(UnitOfWork):
    cases: CaseRepository
    history: HistoryRepository
    notices: NoticeRepository
    completions: CompletionRepository
    forms: FormRepository
    form_history: FormHistoryRepository
    proofs: ProofRepository
    cancellations: CancellationRecordRepository
    summaries: SummaryRepository
    handlings: OverdueHandlingRepository  # how the province handled its overdue units (seed 001 二)

    def open_repositories(self, session: AsyncSession) -> None:
        self.cases = CaseRepository(session)
        self.history = HistoryRepository(session)
        self.notices = NoticeRepository(session)
        self.completions = CompletionRepository(session)
        self.forms = FormRepository(session)
        self.form_history = FormHistoryRepository(session)
        self.proofs = ProofRepository(session)
        self.cancellations = CancellationRecordRepository(session)
        self.summaries = SummaryRepository(session)
        self.handlings = OverdueHandlingRepository(session)
