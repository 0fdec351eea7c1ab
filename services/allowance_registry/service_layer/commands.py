"""Typed commands of the allowance registry, one per thing a caller asks (queries included), each
named imperatively and typed by what its handler returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.allowance_registry.adapters.orm import (
    Account,
    Allocation,
    Application,
    CompliancePeriod,
    HoldingMovement,
    Instrument,
    OffsetCcerRequest,
    OffsetRegistration,
    PendingOffset,
    ProvincialNotice,
    UnmatchedCancellation,
)
from services.allowance_registry.domain.applications import Item
from services.allowance_registry.service_layer.views import (
    ComplianceStatsView,
    HoldingsView,
    LotBalanceRow,
    NoticeView,
    OverviewView,
    ReconciliationReport,
    SerialHistory,
)
from shared.bus import Command
from shared.domain_types import Holder

__all__ = [
    "AllocateAllowances",
    "ApproveOffsetCcerRequest",
    "ApprovePeriod",
    "CreateInstrument",
    "DraftApplication",
    "GetAccount",
    "GetAccountOverview",
    "GetApplication",
    "GetComplianceStats",
    "GetHoldings",
    "GetNotice",
    "GetOffsetCcerRequest",
    "GetPeriod",
    "GetSerialHistory",
    "IssueNotice",
    "IssueProvincialNotice",
    "ListAccounts",
    "ListApplications",
    "ListHoldingMovements",
    "ListInstruments",
    "ListNotices",
    "ListOffsetCcerRequests",
    "ListOffsetRegistrations",
    "ListPendingOffsets",
    "ListPeriods",
    "ListProvincialNotices",
    "ListReconciliationLots",
    "ListUnmatchedCancellations",
    "OpenAccount",
    "ProposePeriod",
    "Reconcile",
    "RejectOffsetCcerRequest",
    "RejectionReason",
    "ReplaceApplicationItems",
    "SubmitApplication",
    "SubmitOffsetCcerRequest",
    "TransferAllowances",
]


@dataclass(frozen=True, kw_only=True)
class _Listing:
    limit: int = 50
    offset: int = 0


# --- accounts and holdings ----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class OpenAccount(Command[Account]):
    holder: Holder
    province: str
    account_type: str
    sector: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetAccount(Command[Account]):
    account_id: str


@dataclass(frozen=True, kw_only=True)
class ListAccounts(_Listing, Command[list[Account]]):
    province: str | None = None
    uscc: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetHoldings(Command[HoldingsView]):
    """持仓; the CCER rows searched as seed 002's CCER项目持仓查询 does: 项目备案号, 项目类型 and 项目地区
    equal, 标的名称 containing ``name``."""

    account_id: str
    project_number: str | None = None
    name: str | None = None
    project_type: str | None = None
    project_region: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListHoldingMovements(_Listing, Command[list[HoldingMovement]]):
    """持仓流水 of one holding (account and instrument), oldest first; ``kind`` one MovementKind."""

    account_id: str
    instrument: str
    kind: str | None = None


@dataclass(frozen=True, kw_only=True)
class TransferAllowances(Command[HoldingsView]):
    """划转 between the registry side and the trading side; answers with the holdings after it."""

    account_id: str
    instrument: str
    quantity: int
    direction: str  # to_trading | to_registry


@dataclass(frozen=True, kw_only=True)
class AllocateAllowances(Command[Allocation]):
    account_id: str
    instrument: str
    quantity: int
    side: str  # registry | trading


# --- instruments and compliance periods ---------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CreateInstrument(Command[Instrument]):
    code: str
    name: str
    kind: str
    vintage: int | None


@dataclass(frozen=True, kw_only=True)
class ListInstruments(Command[list[Instrument]]):
    pass


@dataclass(frozen=True, kw_only=True)
class ProposePeriod(Command[CompliancePeriod]):
    """A built-in definition with ``overrides`` (only the fields the proposer sent: an explicit null
    clears a built-in value), or a full definition in ``overrides``."""

    builtin: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ApprovePeriod(Command[CompliancePeriod]):
    code: str


@dataclass(frozen=True, kw_only=True)
class GetPeriod(Command[CompliancePeriod]):
    code: str


@dataclass(frozen=True, kw_only=True)
class ListPeriods(_Listing, Command[list[CompliancePeriod]]):
    status: str | None = None


# --- notices ------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class IssueProvincialNotice(Command[ProvincialNotice]):
    period_code: str
    province: str
    total_obligation: int


@dataclass(frozen=True, kw_only=True)
class ListProvincialNotices(_Listing, Command[list[ProvincialNotice]]):
    period_code: str | None = None
    province: str | None = None


@dataclass(frozen=True, kw_only=True)
class IssueNotice(Command[NoticeView]):
    period_code: str
    account_id: str
    obligation: int


@dataclass(frozen=True, kw_only=True)
class GetNotice(Command[NoticeView]):
    notice_id: str


@dataclass(frozen=True, kw_only=True)
class ListNotices(_Listing, Command[list[NoticeView]]):
    """履约清缴任务搜索 (seed 002): issued between two Beijing days (both included), by completion
    status (a ``Completion`` value) and by 年份 (the year of issue)."""

    period_code: str | None = None
    account_id: str | None = None
    province: str | None = None
    status: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    completion: str | None = None
    year: int | None = None


# --- pending offsets and registrations ----------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ListPendingOffsets(_Listing, Command[list[PendingOffset]]):
    account_id: str | None = None
    status: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListOffsetRegistrations(_Listing, Command[list[OffsetRegistration]]):
    """抵销登记: of lots and of generated offset CCER (first period), in the caller's scope."""

    account_id: str | None = None
    application_id: str | None = None
    lot_id: str | None = None
    kind: str | None = None  # lot | offset_ccer
    instrument: str | None = None
    period_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetSerialHistory(Command[SerialHistory]):
    serial: str


# --- applications -------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class DraftApplication(Command[Application]):
    notice_id: str
    items: tuple[Item, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReplaceApplicationItems(Command[Application]):
    """Change a draft, or amend a returned application before resubmitting it."""

    application_id: str
    items: tuple[Item, ...]


@dataclass(frozen=True, kw_only=True)
class SubmitApplication(Command[Application]):
    """Submit a draft, or resubmit an amended returned application (one more revision)."""

    application_id: str


@dataclass(frozen=True, kw_only=True)
class GetApplication(Command[Application]):
    application_id: str


@dataclass(frozen=True, kw_only=True)
class ListApplications(_Listing, Command[list[Application]]):
    account_id: str | None = None
    province: str | None = None
    status: str | None = None
    notice_id: str | None = None


# --- monitoring (seed 001 二, seed 002's home page) ---------------------------------------------
@dataclass(frozen=True, kw_only=True)
class GetComplianceStats(Command[ComplianceStatsView]):
    """A period's compliance: a province's own, or any province (or all) for the registry."""

    period_code: str
    province: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetAccountOverview(Command[OverviewView]):
    account_id: str


# --- first period: offset-CCER creation requests (seed 002 Part 2) ------------------------------
@dataclass(frozen=True, kw_only=True)
class RejectionReason:
    code: str = "REJECTED"
    message: str
    message_zh: str | None = None


@dataclass(frozen=True, kw_only=True)
class SubmitOffsetCcerRequest(Command[OffsetCcerRequest]):
    """发起管理员提交创建申请."""

    request_id: str


@dataclass(frozen=True, kw_only=True)
class ApproveOffsetCcerRequest(Command[OffsetCcerRequest]):
    """确认管理员审核（通过）: generates the instrument and credits the unit."""

    request_id: str


@dataclass(frozen=True, kw_only=True)
class RejectOffsetCcerRequest(Command[OffsetCcerRequest]):
    """确认管理员审核（不通过）, with reasons."""

    request_id: str
    reasons: tuple[RejectionReason, ...] = ()


@dataclass(frozen=True, kw_only=True)
class GetOffsetCcerRequest(Command[OffsetCcerRequest]):
    request_id: str


@dataclass(frozen=True, kw_only=True)
class ListOffsetCcerRequests(_Listing, Command[list[OffsetCcerRequest]]):
    status: str | None = None
    account_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListUnmatchedCancellations(_Listing, Command[list[UnmatchedCancellation]]):
    uscc: str | None = None


# --- reconciliation (账实核对), for operators and the nightly job -------------------------------------
@dataclass(frozen=True, kw_only=True)
class Reconcile(Command[ReconciliationReport]):
    """账实核对 of the whole registry: notices, holdings, pending offsets."""


@dataclass(frozen=True, kw_only=True)
class ListReconciliationLots(_Listing, Command[list[LotBalanceRow]]):
    """Every lot the registry heard of (pending or refused), with its parts: the cross-registry check."""
