"""What the legacy registry's handlers answer when one row is not the whole answer."""

from __future__ import annotations

from dataclasses import dataclass

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
