"""The new registry's unit of work: one repository per aggregate, as ``uow.<name>``, bound to the
transaction's session; handlers reach data only through them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.new_ccer_registry.adapters.blocks import BlockRepository
from services.new_ccer_registry.adapters.repositories import (
    AccountApplicationRepository,
    AccountRepository,
    BindingRepository,
    CancellationRepository,
    FeeRepository,
    IssuanceRepository,
    LegacyProjectRepository,
    LegacySyncRepository,
    LotRepository,
    MovementRepository,
    ProjectRepository,
    ReleaseRepository,
)
from shared.uow import UnitOfWork

__all__ = ["NewRegistryUnitOfWork"]


class NewRegistryUnitOfWork(UnitOfWork):
    accounts: AccountRepository  # registry accounts and their trading accounts
    applications: AccountApplicationRepository  # joint opening applications (联合开户)
    fees: FeeRepository  # the trading accounts' fee ledger
    bindings: BindingRepository
    projects: ProjectRepository
    issuances: IssuanceRepository  # issued units, and legacy units received by sync
    blocks: BlockRepository  # holdings by serial range
    lots: LotRepository  # offset lots
    cancellations: CancellationRepository
    releases: ReleaseRepository  # lot units released on recall or refusal
    movements: MovementRepository  # the units' transaction log
    legacy_projects: LegacyProjectRepository  # projects recorded in the legacy registry
    legacy_syncs: LegacySyncRepository  # approved sync applications received from it

    def open_repositories(self, session: AsyncSession) -> None:
        self.accounts = AccountRepository(session)
        self.applications = AccountApplicationRepository(session)
        self.fees = FeeRepository(session)
        self.bindings = BindingRepository(session)
        self.projects = ProjectRepository(session)
        self.issuances = IssuanceRepository(session)
        self.blocks = BlockRepository(session)
        self.lots = LotRepository(session)
        self.cancellations = CancellationRepository(session)
        self.releases = ReleaseRepository(session)
        self.movements = MovementRepository(session)
        self.legacy_projects = LegacyProjectRepository(session)
        self.legacy_syncs = LegacySyncRepository(session)
