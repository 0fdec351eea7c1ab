"""The allowance registry's unit of work: one repository per aggregate, as ``uow.<name>``, bound to
the transaction's session; handlers reach data only through them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.catalogue import Catalogue
from services.allowance_registry.adapters.repositories import (
    AccountRepository,
    ApplicationRepository,
    BindingRepository,
    HoldingRepository,
    InstrumentRepository,
    LotUnitRepository,
    MonitoringRepository,
    MovementRepository,
    NoticeRepository,
    OffsetCcerRequestRepository,
    PendingOffsetRepository,
    PeriodRepository,
    ProvincialNoticeRepository,
    ReconciliationRepository,
    RegistrationRepository,
)
from services.allowance_registry.adapters.repositories.periods import reference_cache
from shared.uow import UnitOfWork

__all__ = ["AllowanceUnitOfWork"]


class AllowanceUnitOfWork(UnitOfWork):
    accounts: AccountRepository
    bindings: BindingRepository
    instruments: InstrumentRepository
    periods: PeriodRepository
    holdings: HoldingRepository  # allowance and offset-CCER holdings, allocations, transfers, surrenders
    movements: MovementRepository  # the holdings' journal (持仓流水)
    provincial_notices: ProvincialNoticeRepository
    notices: NoticeRepository
    pending_offsets: PendingOffsetRepository  # and refused lots
    lot_units: LotUnitRepository  # the serial ranges of pending offsets and their history
    registrations: RegistrationRepository
    applications: ApplicationRepository
    catalogue: Catalogue  # the built-in periods and instruments
    monitoring: MonitoringRepository  # compliance stats, overdue marks, the home page's counts
    # first period: offset-CCER creation requests and unmatched cancellation records
    offset_ccer_requests: OffsetCcerRequestRepository
    reconciliation: ReconciliationRepository  # operators' reads over every notice, holding and lot

    def open_repositories(self, session: AsyncSession) -> None:
        self.accounts = AccountRepository(session)
        self.bindings = BindingRepository(session)
        cache = reference_cache(self._sessions)  # immutable reference data, per runtime
        self.instruments = InstrumentRepository(session, cache)
        self.periods = PeriodRepository(session, cache)
        self.holdings = HoldingRepository(session)
        self.movements = MovementRepository(session)
        self.provincial_notices = ProvincialNoticeRepository(session)
        self.notices = NoticeRepository(session)
        self.pending_offsets = PendingOffsetRepository(session)
        self.lot_units = LotUnitRepository(session)
        self.registrations = RegistrationRepository(session)
        self.applications = ApplicationRepository(session)
        self.catalogue = Catalogue(self.period_definitions)
        self.monitoring = MonitoringRepository(session)
        self.offset_ccer_requests = OffsetCcerRequestRepository(session)
        self.reconciliation = ReconciliationRepository(session)
