"""The legacy registry's unit of work: its repositories, as ``uow.accounts``, ``uow.applications``,
``uow.projects``, ``uow.blocks``, ``uow.journal``, ``uow.cancellations``, ``uow.syncs`` and ``uow.reconciliation``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.legacy_ccer_registry.adapters.blocks import BlockRepository, JournalRepository
from services.legacy_ccer_registry.adapters.reconciliation import ReconciliationRepository
from services.legacy_ccer_registry.adapters.repositories import (
    AccountRepository,
    ApplicationRepository,
    CancellationRepository,
    ProjectRepository,
    SyncRepository,
)
from shared.uow import UnitOfWork

__all__ = ["LegacyUnitOfWork"]


class LegacyUnitOfWork(UnitOfWork):
    accounts: AccountRepository
    applications: ApplicationRepository
    projects: ProjectRepository
    blocks: BlockRepository
    journal: JournalRepository
    cancellations: CancellationRepository
    syncs: SyncRepository
    reconciliation: ReconciliationRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.accounts = AccountRepository(session)
        self.applications = ApplicationRepository(session)
        self.projects = ProjectRepository(session)
        self.blocks = BlockRepository(session)
        self.journal = JournalRepository(session)
        self.cancellations = CancellationRepository(session)
        self.syncs = SyncRepository(session)
        self.reconciliation = ReconciliationRepository(session)
