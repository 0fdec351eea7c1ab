"""Typed results of the handlers that join several rows (a single row comes back as its ORM row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from services.new_ccer_registry.adapters.orm import Account, Binding, FeePayment, OffsetLot, Project, TradingAccount
from services.new_ccer_registry.domain.lots import LotQuantities
from shared.serials import SerialRange

__all__ = [
    "AccountView",
    "Discrepancy",
    "FeePaid",
    "Listed",
    "LotView",
    "ProjectView",
    "ReconciliationReport",
    "SerialHistory",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """One page of a list, and whether more follow."""

    items: list[T]
    has_more: bool


@dataclass(frozen=True)
class AccountView:
    account: Account
    trading: TradingAccount | None
    binding: Binding | None  # the latest one


@dataclass(frozen=True)
class FeePaid:
    """A fee payment and the trading account after it."""

    payment: FeePayment
    trading: TradingAccount


@dataclass(frozen=True)
class ProjectView:
    project: Project
    issued: int  # units issued so far


@dataclass(frozen=True)
class LotView:
    lot: OffsetLot
    # Merged, lowest first: still frozen and cancelled (from the blocks), released (from the records).
    frozen_ranges: list[SerialRange]
    cancelled_ranges: list[SerialRange]
    released_ranges: list[SerialRange]

    @property
    def quantities(self) -> LotQuantities:
        return LotQuantities(self.lot.quantity, self.lot.cancelled, self.lot.released)


@dataclass(frozen=True)
class Discrepancy:
    code: str
    message: str
    message_zh: str
    project_number: str | None
    lot_id: str | None
    serial_ranges: list[list[str]]


@dataclass(frozen=True)
class ReconciliationReport:
    checked_at: datetime
    projects_checked: int
    lots_checked: int
    discrepancies: list[Discrepancy]

    @property
    def consistent(self) -> bool:
        return not self.discrepancies


@dataclass(frozen=True)
class SerialHistory:
    """One unit in this registry: where it is now and how it got there, oldest first."""

    serial: str
    origin: str
    project_number: str
    vintage: int
    state: str
    account_id: str
    units_recorded_at: date | None  # legacy units: their reductions' 备案 date
    # [{at, kind, …detail}]: issuance | sync_in, confirmation, trade, transfer, frozen, cancellation | release
    events: list[dict[str, Any]]
    registry: str = "new_ccer_registry"
