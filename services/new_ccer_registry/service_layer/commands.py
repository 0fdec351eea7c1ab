"""Typed commands of the new registry, named imperatively; queries are commands too. Each names
what its handler returns (``Command[Result]``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.new_ccer_registry.adapters.orm import (
    AccountApplication,
    Binding,
    Cancellation,
    FeePayment,
    Issuance,
    LegacySync,
    Movement,
    OffsetLot,
)
from services.new_ccer_registry.domain.account_opening import Decision, Material, OrgForm, ReviewStage, Signatory
from services.new_ccer_registry.domain.fees import FeeKind
from services.new_ccer_registry.domain.holdings import HoldingRow, Origin, TransferDirection
from services.new_ccer_registry.service_layer.views import (
    AccountView,
    FeePaid,
    Listed,
    LotView,
    ProjectView,
    ReconciliationReport,
    SerialHistory,
)
from shared.bus import Command
from shared.domain_types import Holder

__all__ = [
    "AmendAccountApplication",
    "ApplyForAccounts",
    "ConfirmLegacySync",
    "Contact",
    "Contacts",
    "DisputeLegacySync",
    "FreezeLot",
    "GetAccount",
    "GetAccountApplication",
    "GetBinding",
    "GetChecklist",
    "GetHoldings",
    "GetLegacySync",
    "GetLot",
    "GetProject",
    "GetSerialHistory",
    "IssueUnits",
    "ListAccountApplications",
    "ListCancellations",
    "ListFees",
    "ListLegacySyncs",
    "ListLots",
    "MaterialFile",
    "OpenAccount",
    "Organisation",
    "PayFee",
    "Reason",
    "Reconcile",
    "RecordPaperReceived",
    "RegisterProject",
    "RequestBinding",
    "ReviewAccountApplication",
    "SettleTrade",
    "TransferUnits",
]


# --- accounts and binding ------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class OpenAccount(Command[AccountView]):
    """NCSC direct opening (注登机构直接开户): a registry account with its trading account."""

    holder: Holder
    account_type: str
    province: str


@dataclass(frozen=True, kw_only=True)
class GetAccount(Command[AccountView]):
    account_id: str


@dataclass(frozen=True, kw_only=True)
class RequestBinding(Command[Binding]):
    account_id: str
    allowance_account_id: str


@dataclass(frozen=True, kw_only=True)
class GetBinding(Command[Binding]):
    """The account's latest binding."""

    account_id: str


# --- joint account opening (联合开户, seed 004) ------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Organisation:
    name: str
    uscc: str
    org_form: OrgForm
    foreign_invested: bool


@dataclass(frozen=True, kw_only=True)
class Contact:
    name: str
    phone: str
    email: str


@dataclass(frozen=True, kw_only=True)
class Contacts:
    account_representative: Contact  # 账户代表: receives the registry account information by SMS
    trading_representative: Contact  # 交易代表: receives the SMS after the initial review, and by
    # email the trading account information


@dataclass(frozen=True, kw_only=True)
class MaterialFile:
    no: int
    file_name: str
    sha256: str


@dataclass(frozen=True, kw_only=True)
class Reason:
    code: str
    message: str
    message_zh: str | None = None


@dataclass(frozen=True, kw_only=True)
class ApplyForAccounts(Command[AccountApplication]):
    """The joint opening application (联合开户申请) of a registry account and a trading account."""

    org: Organisation
    account_type: str
    province: str
    contacts: Contacts
    materials: tuple[MaterialFile, ...]
    declarations: dict[str, bool | None]
    # Who signed the trading entry agreement (material 12); an authorised person needs 15 and 16.
    agreement_signed_by: Signatory = Signatory.legal_representative


@dataclass(frozen=True, kw_only=True)
class AmendAccountApplication(ApplyForAccounts):
    """Amend an application under the exchange's initial review, or a returned one: a new revision,
    (back) at the exchange's initial review."""

    application_id: str


@dataclass(frozen=True, kw_only=True)
class ReviewAccountApplication(Command[AccountApplication]):
    application_id: str
    stage: ReviewStage
    decision: Decision
    reasons: tuple[Reason, ...] = ()
    # The revision the reviewer read; refused if the applicant amended it since (None: the latest).
    revision: int | None = None


@dataclass(frozen=True, kw_only=True)
class RecordPaperReceived(Command[AccountApplication]):
    """The exchange received the paper materials (纸质申请材料)."""

    application_id: str


@dataclass(frozen=True, kw_only=True)
class GetAccountApplication(Command[AccountApplication]):
    application_id: str


@dataclass(frozen=True, kw_only=True)
class ListAccountApplications(Command[Listed[AccountApplication]]):
    status: str | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class GetChecklist(Command[list[Material]]):
    """The materials an application of this type and form carries (seed 004 §三)."""

    account_type: str
    org_form: OrgForm
    foreign_invested: bool
    agreement_signed_by: Signatory = Signatory.legal_representative


@dataclass(frozen=True, kw_only=True)
class PayFee(Command[FeePaid]):
    """The holder pays its trading account's opening or annual fee (yuan)."""

    account_id: str
    kind: FeeKind
    amount: int


@dataclass(frozen=True, kw_only=True)
class ListFees(Command[Listed[FeePayment]]):
    account_id: str
    offset: int = 0
    limit: int = 50


# --- projects and units --------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RegisterProject(Command[ProjectView]):
    number: str
    name: str
    owner_uscc: str
    type: str
    methodology: str
    region: str
    registered_at: date
    within_national_ets: bool = False


@dataclass(frozen=True, kw_only=True)
class GetProject(Command[ProjectView]):
    number: str


@dataclass(frozen=True, kw_only=True)
class IssueUnits(Command[Issuance]):
    """签发 into a general holding account."""

    project_number: str
    vintage: int
    quantity: int
    account_id: str


@dataclass(frozen=True, kw_only=True)
class SettleTrade(Command[Movement]):
    """An exchange trade settled on the trading side (the exchange is the caller's)."""

    seller_account_id: str
    buyer_account_id: str
    project_number: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class TransferUnits(Command[Movement]):
    """划转 between the trading side and the general holding account."""

    account_id: str
    direction: TransferDirection
    project_number: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class GetHoldings(Command[list[HoldingRow]]):
    account_id: str


# --- offset lots ---------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class FreezeLot(Command[OffsetLot]):
    """全国履约抵销: freeze units of a bound account into a lot for the allowance registry."""

    account_id: str
    project_number: str
    origin: Origin
    quantity: int
    vintage: int | None = None


@dataclass(frozen=True, kw_only=True)
class GetLot(Command[LotView]):
    lot_id: str


@dataclass(frozen=True, kw_only=True)
class ListLots(Command[Listed[LotView]]):
    account_id: str | None = None
    status: str | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class ListCancellations(Command[Listed[Cancellation]]):
    account_id: str | None = None
    lot_id: str | None = None
    period_code: str | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class Reconcile(Command[ReconciliationReport]):
    """账实核对 of the whole registry, or of one project."""

    project_number: str | None = None


# --- legacy CCER synced in, and a unit's history ---------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class GetLegacySync(Command[LegacySync]):
    sync_id: str


@dataclass(frozen=True, kw_only=True)
class ListLegacySyncs(Command[Listed[LegacySync]]):
    account_id: str | None = None
    status: str | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class ConfirmLegacySync(Command[LegacySync]):
    """The holder confirms the synced legacy units: they become available (origin legacy)."""

    sync_id: str


@dataclass(frozen=True, kw_only=True)
class DisputeLegacySync(Command[LegacySync]):
    """The holder disputes the synced legacy units: they stay out of circulation; NCSC sees why."""

    sync_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class GetSerialHistory(Command[SerialHistory]):
    """One unit's history in this registry."""

    serial: str
