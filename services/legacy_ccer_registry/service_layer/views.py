"""What the legacy registry's handlers answer when one row is not the whole answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.legacy_ccer_registry.adapters.orm import (
    Account,
    AccountApplication,
    Cancellation,
    HoldingBlock,
    Movement,
    SyncApplication,
    TradingAccount,
)
from services.legacy_ccer_registry.domain.holdings import HoldingRow

__all__ = [
    "AccountView",
    "ApplicationPage",
    "CancellationPage",
    "Holdings",
    "SerialHistory",
    "SyncPage",
]


@dataclass(frozen=True)
class AccountView:
    """A registry account with its trading accounts (one per exchange it may trade at)."""

    account: Account
    trading_accounts: tuple[TradingAccount, ...]


@dataclass(frozen=True)
class Holdings:
    account_id: str
    rows: tuple[HoldingRow, ...]


@dataclass(frozen=True)
class ApplicationPage:
    applications: tuple[AccountApplication, ...]
    has_more: bool


@dataclass(frozen=True)
class CancellationPage:
    cancellations: tuple[Cancellation, ...]
    has_more: bool


@dataclass(frozen=True)
class SyncPage:
    applications: tuple[SyncApplication, ...]
    has_more: bool


@dataclass(frozen=True)
class SerialHistory:
    """One unit: where it is now and every move it made in this registry, oldest first."""

    serial: str
    block: HoldingBlock
    account: Account
    movements: tuple[Movement, ...]


@dataclass(frozen=True)
class Discrepancy:
    code: str
    message: str
    message_zh: str
    serial_prefix: str | None
    cancellation_id: str | None
    serial_ranges: list[list[str]]


@dataclass(frozen=True)
class ReconciliationReport:
    checked_at: datetime
    prefixes_checked: int
    cancellations_checked: int
    discrepancies: list[Discrepancy]

    @property
    def consistent(self) -> bool:
        return not self.discrepancies
