"""One repository per aggregate of the allowance registry: its queries, the access-scope rule on every
read a caller makes, and guarded updates (``UPDATE … WHERE <the state we expect>``, row count checked)."""

from __future__ import annotations

from services.allowance_registry.adapters.repositories.accounts import AccountRepository, BindingRepository
from services.allowance_registry.adapters.repositories.applications import ApplicationRepository
from services.allowance_registry.adapters.repositories.holdings import HoldingRepository
from services.allowance_registry.adapters.repositories.lot_units import LotUnitRepository, SerialRecord
from services.allowance_registry.adapters.repositories.monitoring import MonitoringRepository
from services.allowance_registry.adapters.repositories.movements import MovementRepository
from services.allowance_registry.adapters.repositories.notices import (
    NoticeRepository,
    NoticeRow,
    ProvincialNoticeRepository,
)
from services.allowance_registry.adapters.repositories.offset_ccer import OffsetCcerRequestRepository
from services.allowance_registry.adapters.repositories.offsets import PendingOffsetRepository, RegistrationRepository
from services.allowance_registry.adapters.repositories.periods import InstrumentRepository, PeriodRepository
from services.allowance_registry.adapters.repositories.reconciliation import ReconciliationRepository

__all__ = [
    "AccountRepository",
    "ApplicationRepository",
    "BindingRepository",
    "HoldingRepository",
    "InstrumentRepository",
    "LotUnitRepository",
    "MonitoringRepository",
    "MovementRepository",
    "NoticeRepository",
    "NoticeRow",
    "OffsetCcerRequestRepository",
    "PendingOffsetRepository",
    "PeriodRepository",
    "ProvincialNoticeRepository",
    "ReconciliationRepository",
    "RegistrationRepository",
    "SerialRecord",
]
