"""Typed commands of the legacy registry: imperative names, one handler each (queries too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.legacy_ccer_registry.adapters.orm import (
    AccountApplication,
    Cancellation,
    Issuance,
    Movement,
    Project,
    SyncApplication,
)
from services.legacy_ccer_registry.domain.accounts import ApplicationStatus, Decision, ReviewStage
from services.legacy_ccer_registry.domain.holdings import Purpose, TransferDirection
from services.legacy_ccer_registry.domain.sync import SyncStatus
from services.legacy_ccer_registry.service_layer.views import (
    AccountView,
    ApplicationPage,
    CancellationPage,
    Holdings,
    ReconciliationReport,
    SerialHistory,
    SyncPage,
)
from shared.bus import Command

__all__ = [
    "ApplyForAccount",
    "CancelUnits",
    "Contact",
    "DecideSyncApplication",
    "GetAccount",
    "GetAccountApplication",
    "GetCancellation",
    "GetHoldings",
    "GetSerialHistory",
    "GetSyncApplication",
    "IssueUnits",
    "ListAccountApplications",
    "ListCancellations",
    "ListSyncApplications",
    "OpenAccount",
    "Organisation",
    "Reason",
    "Reconcile",
    "RecordProject",
    "ResubmitAccountApplication",
    "ReviewAccountApplication",
    "SettleTrade",
    "SubmitSyncApplication",
    "SyncLine",
    "TransferUnits",
]


@dataclass(frozen=True, kw_only=True)
class Reason:
    code: str
    message: str
    message_zh: str | None = None


@dataclass(frozen=True, kw_only=True)
class Contact:
    name: str
    phone: str
    email: str
    role: str | None = None


@dataclass(frozen=True, kw_only=True)
class Organisation:
    name: str
    uscc: str
    province: str | None = None
    org_form: str | None = None
    address: str | None = None
    legal_representative: str | None = None


# --- accounts --------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class OpenAccount(Command[AccountView]):
    """Direct opening by NCSC (set-up and migrated accounts): trading at every legacy exchange
    unless ``exchanges`` restricts it."""

    holder_name: str
    holder_uscc: str
    province: str
    exchanges: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class GetAccount(Command[AccountView]):
    account_id: str


@dataclass(frozen=True, kw_only=True)
class ApplyForAccount(Command[AccountApplication]):
    """An enterprise applies through one legacy exchange (initial review there, NCSC re-review)."""

    org: Organisation
    exchange: str
    contacts: tuple[Contact, ...]


@dataclass(frozen=True, kw_only=True)
class ResubmitAccountApplication(Command[AccountApplication]):
    """The applicant amends a returned application and sends it to the exchange's review again."""

    application_id: str
    org: Organisation
    exchange: str
    contacts: tuple[Contact, ...]


@dataclass(frozen=True, kw_only=True)
class ReviewAccountApplication(Command[AccountApplication]):
    application_id: str
    stage: ReviewStage
    decision: Decision
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, kw_only=True)
class GetAccountApplication(Command[AccountApplication]):
    application_id: str


@dataclass(frozen=True, kw_only=True)
class ListAccountApplications(Command[ApplicationPage]):
    status: ApplicationStatus | None = None
    offset: int = 0
    limit: int = 50


# --- projects and units ----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RecordProject(Command[Project]):
    number: str
    name: str
    owner_uscc: str
    type: str
    region: str
    recorded_at: date
    within_national_ets: bool = False


@dataclass(frozen=True, kw_only=True)
class IssueUnits(Command[Issuance]):
    """Units onto ``exchange``'s trading side of the account; ``recorded_at`` is the reductions'
    record date (备案), carried by every block of them."""

    project_number: str
    vintage: int
    quantity: int
    account_id: str
    exchange: str
    recorded_at: date


@dataclass(frozen=True, kw_only=True)
class SettleTrade(Command[Movement]):
    """Settled by the operator of the exchange where the units sit (its ``exchange`` claim)."""

    seller_account_id: str
    buyer_account_id: str
    project_number: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class TransferUnits(Command[Movement]):
    """划转 between ``exchange``'s trading side and the general holding account."""

    account_id: str
    direction: TransferDirection
    exchange: str
    project_number: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class GetHoldings(Command[Holdings]):
    account_id: str


@dataclass(frozen=True, kw_only=True)
class GetSerialHistory(Command[SerialHistory]):
    serial: str


# --- cancellations and sync ------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CancelUnits(Command[Cancellation]):
    """自愿注销 from the general holding account, lowest serials first."""

    account_id: str
    project_number: str
    quantity: int
    purpose: Purpose


@dataclass(frozen=True, kw_only=True)
class GetCancellation(Command[Cancellation]):
    cancellation_id: str


@dataclass(frozen=True, kw_only=True)
class ListCancellations(Command[CancellationPage]):
    account_id: str | None = None
    purpose: Purpose | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class SyncLine:
    cancellation_id: str
    project_number: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class SubmitSyncApplication(Command[SyncApplication]):
    """The appendix form of seed 000, sent by the holder."""

    unit_name: str
    uscc: str
    legacy_account_id: str
    new_account_id: str
    contact: Contact
    lines: tuple[SyncLine, ...]
    purpose: Purpose = Purpose.offset_2023


@dataclass(frozen=True, kw_only=True)
class DecideSyncApplication(Command[SyncApplication]):
    application_id: str
    decision: Decision
    reasons: tuple[Reason, ...] = field(default=())


@dataclass(frozen=True, kw_only=True)
class GetSyncApplication(Command[SyncApplication]):
    application_id: str


@dataclass(frozen=True, kw_only=True)
class ListSyncApplications(Command[SyncPage]):
    status: SyncStatus | None = None
    legacy_account_id: str | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class Reconcile(Command[ReconciliationReport]):
    """Check invariants 1-3 of domain.md §3 over the whole registry."""
