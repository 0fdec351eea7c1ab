"""API schemas of the new CCER registry (kept apart from ORM rows and event contracts)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

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
from services.new_ccer_registry.domain.account_opening import Material
from services.new_ccer_registry.domain.holdings import HoldingRow, UnitState
from services.new_ccer_registry.domain.projects import PROJECT_NUMBER_PATTERN
from services.new_ccer_registry.service_layer.views import (
    AccountView,
    FeePaid,
    LotView,
    ProjectView,
    ReconciliationReport,
    SerialHistory,
)
from shared.bounds import Day, Id, Name, Quantity, Reason, ReasonCode, Remark, Year
from shared.domain_types import AccountType, Holder, ProvinceCode, Uscc
from shared.serials import SerialRange
from shared.timeutil import LocalDateTime, LocalJSONList, local


class OpenAccountIn(BaseModel):
    holder: Holder
    account_type: AccountType = Field(description="account type — 账户类型")
    province: ProvinceCode


TRADING_STATUS_DESC = "active — 正常; awaiting_fees — 待缴费（开户费及首年年费）; suspended — 暂停（年费期满未缴纳）"


class TradingAccountOut(BaseModel):
    id: str
    status: Literal["active", "awaiting_fees", "suspended"] = Field(description=TRADING_STATUS_DESC)
    annual_fee_valid_until: LocalDateTime | None = Field(
        None,
        description="the annual fee covers the account until this instant (exclusive: at it, the fee has lapsed): "
        "24:00 of the fee's last day, moved to the next working day's 24:00 if the last day is a rest day — "
        "年费有效期截止时刻（不含；最后一日为法定休假日的顺延）",
    )


class BindingOut(BaseModel):
    binding_id: str
    allowance_account_id: str
    status: Literal["requested", "active", "rejected"] = Field(
        description="requested — 绑定申请中; active — 已绑定; rejected — 绑定被拒绝"
    )
    reasons: list[dict[str, Any]] = []


class AccountOut(BaseModel):
    id: str
    holder: Holder
    account_type: AccountType
    province: str
    status: str = Field(description="active — 正常")
    trading_account: TradingAccountOut | None = None
    binding: BindingOut | None = None


class BindingIn(BaseModel):
    allowance_account_id: str = Field(
        min_length=1, max_length=40, description="allowance-registry account id — 配额注登系统账户"
    )


class BindingRequestedOut(BaseModel):
    binding_id: str
    status: Literal["requested"] = "requested"


# --- joint account opening (联合开户, seed 004) and fees ---------------------------------------------
APPLICATION_STATUS_DESC = (
    "submitted — 待交易机构初审; awaiting_paper — 初审通过，待邮寄纸质材料; paper_received — 纸质材料已收到，待交易机构复审; "
    "awaiting_registry_review — 待注册登记机构审核; opened — 已开户; returned — 已退回（可修改后重新提交）"
)
ApplicationStatusName = Literal[
    "submitted", "awaiting_paper", "paper_received", "awaiting_registry_review", "opened", "returned"
]
OrgFormName = Literal["legal_person", "other_org"]
ORG_FORM_DESC = "legal_person — 法人; other_org — 其他组织"
SignatoryName = Literal["legal_representative", "authorised_person"]
SIGNATORY_DESC = (
    "who signed the trading entry agreement (material 12): legal_representative — 法定代表人或负责人; "
    "authorised_person — 被授权人（须补充第 15 项授权委托书、第 16 项被授权人身份证明）"
)
STAGE_DESC = "exchange_initial — 交易机构初审; exchange_re — 交易机构复审（纸质材料）; registry — 注册登记机构审核"
FEE_KIND_DESC = "opening — 开户费（2,000 元）; annual — 年费（1,000 元）"
Phone = Annotated[str, Field(max_length=30, pattern=r"^[0-9+\-() ]{5,30}$", description="phone — 手机号")]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="email — 邮箱")]


class OrgIn(BaseModel):
    name: Name = Field(description="unit name — 申请机构名称")
    uscc: Uscc
    org_form: OrgFormName = Field(description=ORG_FORM_DESC)
    foreign_invested: bool = Field(description="foreign-invested or joint venture — 是否外资、合资企业")


class ContactIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="name — 姓名")
    phone: Phone
    email: Email


class ContactsIn(BaseModel):
    account_representative: ContactIn = Field(
        description="receives the registry account information by SMS — 账户代表（注册登记账户信息发送至其手机）"
    )
    trading_representative: ContactIn = Field(
        description="receives the SMS after the initial review and the trading account information by email — "
        "交易代表（初审短信及交易账户信息发送至其手机、邮箱）"
    )


class MaterialIn(BaseModel):
    no: int = Field(
        strict=True,
        ge=1,
        le=16,
        description="number in the materials list (1-14; 15 letter of authorisation, 16 the authorised "
        "person's identity) — 材料序号",
    )
    file_name: str = Field(min_length=1, max_length=255, description="uploaded file — 附件文件名")
    sha256: str = Field(max_length=64, pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file, hex — 文件摘要")


class DeclarationsIn(BaseModel):
    """Seed 004 §一.4, required (all true) for an ``other`` participant."""

    registered_in_prc: bool | None = Field(None, description="registered in the PRC — 在中华人民共和国境内登记注册")
    good_credit_3y: bool | None = Field(None, description="good credit, three years — 近三年无不良诚信记录")
    not_prohibited: bool | None = Field(None, description="not prohibited from trading — 不存在禁止或限制交易的情形")


class AccountApplicationIn(BaseModel):
    org: OrgIn
    account_type: AccountType = Field(description="account type — 账户类型")
    province: ProvinceCode
    contacts: ContactsIn
    materials: list[MaterialIn] = Field(max_length=30, description="uploaded materials by number — 附件申请材料")
    declarations: DeclarationsIn = Field(default_factory=DeclarationsIn)
    agreement_signed_by: SignatoryName = Field("legal_representative", description=SIGNATORY_DESC)


class ReasonIn(BaseModel):
    code: ReasonCode = Field("REJECTED", description="stable code — 原因代码")
    message: Reason = Field(description="reason — 原因")
    message_zh: Reason | None = Field(None, description="reason in Chinese — 原因（中文）")


class ApplicationReviewIn(BaseModel):
    stage: Literal["exchange_initial", "exchange_re", "registry"] = Field(description=STAGE_DESC)
    decision: Literal["approve", "reject"] = Field(description="approve — 通过; reject — 不通过（退回）")
    reasons: list[ReasonIn | Reason] = Field(
        [], max_length=20, description="reasons of a rejection (objects or plain text) — 退回理由"
    )
    revision: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=10_000,
        description="the revision reviewed; refused (APPLICATION_REVISION_SUPERSEDED) if amended since — 所审核的版本",
    )


class NotificationOut(BaseModel):
    at: LocalDateTime
    channel: Literal["sms", "email"] = Field(description="sms — 短信; email — 邮件")
    to: Literal["account_representative", "trading_representative"]
    address: str
    message: str
    message_zh: str


class AccountApplicationOut(BaseModel):
    id: str
    status: ApplicationStatusName = Field(description=APPLICATION_STATUS_DESC)
    revision: int
    org: dict[str, Any]
    account_type: AccountType
    province: str
    exchange: str = Field(description="the CCER exchange reviewing it — 受理的交易机构")
    contacts: dict[str, Any]
    materials: list[dict[str, Any]]
    declarations: dict[str, Any]
    agreement_signed_by: SignatoryName = Field(description=SIGNATORY_DESC)
    reasons: list[dict[str, Any]]
    registry_account_id: str | None = None
    trading_account_id: str | None = None
    notifications: list[NotificationOut]
    history: LocalJSONList
    submitted_at: LocalDateTime
    updated_at: LocalDateTime


class ChecklistItemOut(BaseModel):
    no: int
    name: str
    name_zh: str
    applies_to: str
    applies_to_zh: str
    paper_copies: int = Field(
        description="copies posted on paper after the initial review (2: 一式两份; 0: uploaded only) — 纸质份数"
    )


class FeeIn(BaseModel):
    kind: Literal["opening", "annual"] = Field(description=FEE_KIND_DESC)
    amount: int = Field(strict=True, gt=0, le=10**9, description="yuan — 金额（元）")


class FeeOut(BaseModel):
    id: str
    account_id: str
    trading_account_id: str
    kind: Literal["opening", "annual"] = Field(description=FEE_KIND_DESC)
    amount: int = Field(description="yuan — 金额（元）")
    paid_at: LocalDateTime
    valid_from: LocalDateTime | None = Field(None, description="annual fee: validity from — 年费有效期起")
    valid_until: LocalDateTime | None = Field(None, description="annual fee: validity until (exclusive) — 年费有效期止")
    paid_by: str


class FeePaidOut(FeeOut):
    trading_account: TradingAccountOut


# --- projects, units, offset lots ----------------------------------------------------------------
Serials = list[tuple[str, str]]
SERIALS_DESC = "serial ranges [[first, last], …], lowest first — 序列号区间（首号, 末号）"
ORIGIN_DESC = "new — 新CCER（新CCER注登系统登记）; legacy — 旧有CCER（同步自旧CCER注登系统）"
STATE_DESC = (
    "trading — 交易持仓; available — 可用（一般持有账户）; frozen — 已冻结（抵销批次）; "
    "cancelled — 已注销; awaiting_confirmation — 待确认（旧有CCER同步）"
)
LOT_STATUS_DESC = "frozen — 已冻结（待抵销）; settled — 已了结（全部注销或解冻）"
UnitStateName = Literal["trading", "available", "frozen", "cancelled", "awaiting_confirmation"]
OriginName = Literal["new", "legacy"]
ProjectNumber = Annotated[
    str, Field(max_length=40, pattern=PROJECT_NUMBER_PATTERN, description="project number — 项目编号")
]
AccountId = Annotated[Id, Field(max_length=40)]  # account ids of this registry: at most 40 characters


class ProjectIn(BaseModel):
    number: ProjectNumber
    name: Name = Field(description="project name — 项目名称")
    owner_uscc: Uscc
    type: str = Field(min_length=1, max_length=100, description="project type — 项目类型")
    methodology: str = Field(min_length=1, max_length=100, description="methodology — 方法学")
    region: str = Field(min_length=1, max_length=100, description="region — 项目所在地区")
    registered_at: Day = Field(description="date registered in the new registry — 项目登记日期")
    within_national_ets: bool = Field(
        False, description="under national ETS allowance management — 是否属于全国碳市场配额管理范围"
    )


class ProjectOut(ProjectIn):
    issued: int = Field(0, description="units issued so far — 累计签发量")
    created_at: LocalDateTime


class IssuanceIn(BaseModel):
    vintage: Year = Field(ge=2000, description="vintage (year of the reductions) — 减排量年份")
    quantity: Quantity
    account_id: AccountId = Field(description="registry account receiving the units — 接收减排量的登记账户")


class IssuanceOut(BaseModel):
    issuance_id: str
    project_number: str
    vintage: int
    quantity: int
    account_id: str
    state: UnitStateName = Field("available", description=STATE_DESC)
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    issued_at: LocalDateTime


class TradeIn(BaseModel):
    seller_account_id: AccountId
    buyer_account_id: AccountId
    project_number: ProjectNumber
    quantity: Quantity


class TradeOut(BaseModel):
    trade_id: str
    seller_account_id: str
    buyer_account_id: str
    project_number: str
    quantity: int
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    settled_at: LocalDateTime


class TransferIn(BaseModel):
    direction: Literal["to_registry", "to_trading"] = Field(
        description="to_registry — 交易账户划转至一般持有账户; to_trading — 一般持有账户划转至交易账户"
    )
    project_number: ProjectNumber
    quantity: Quantity


class TransferOut(BaseModel):
    transfer_id: str
    account_id: str
    direction: Literal["to_registry", "to_trading"] = Field(
        description="to_registry — 交易账户划转至一般持有账户; to_trading — 一般持有账户划转至交易账户"
    )
    project_number: str
    quantity: int
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    transferred_at: LocalDateTime


class HoldingOut(BaseModel):
    project_number: str
    origin: OriginName = Field(description=ORIGIN_DESC)
    vintage: int
    trading: int = Field(description="trading side — 交易持仓")
    available: int = Field(description="general holding account, available — 一般持有账户可用")
    frozen: int = Field(description="frozen in offset lots — 已冻结（抵销批次）")
    cancelled: int = Field(description="cancelled — 已注销")
    awaiting_confirmation: int = Field(description="synced legacy units awaiting confirmation — 待确认")
    serial_ranges: dict[UnitStateName, Serials] = Field(description=f"per state: {STATE_DESC}")


class HoldingsOut(BaseModel):
    account_id: str
    items: list[HoldingOut]


class OffsetLotIn(BaseModel):
    account_id: AccountId = Field(description="bound registry account — 已绑定的登记账户")
    project_number: ProjectNumber
    origin: OriginName = Field(description=ORIGIN_DESC)
    quantity: Quantity
    vintage: int | None = Field(
        None, ge=2000, le=2100, description="only units of this vintage (optional) — 仅冻结该年份减排量（可选）"
    )


class OffsetLotCreatedOut(BaseModel):
    lot_id: str
    status: Literal["frozen"] = Field("frozen", description=LOT_STATUS_DESC)
    quantity: int
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    account_id: str
    allowance_account_id: str
    project_number: str
    origin: OriginName = Field(description=ORIGIN_DESC)
    vintage: int
    frozen_at: LocalDateTime


class LotRangesOut(BaseModel):
    frozen: Serials = []
    cancelled: Serials = []
    released: Serials = []


class OffsetLotOut(BaseModel):
    lot_id: str
    account_id: str
    allowance_account_id: str
    project_number: str
    origin: OriginName = Field(description=ORIGIN_DESC)
    vintage: int
    quantity: int = Field(description="frozen by the offset — 冻结量")
    cancelled: int = Field(description="cancelled on offset registration — 已注销量")
    released: int = Field(description="released by recall or refusal — 已解冻量")
    frozen: int = Field(description="still frozen (pending) — 仍冻结量")
    status: Literal["frozen", "settled"] = Field(description=LOT_STATUS_DESC)
    serial_ranges: Serials = Field(description="every range the lot froze — 批次冻结的全部序列号区间")
    serial_ranges_by_state: LotRangesOut = Field(description="frozen — 仍冻结; cancelled — 已注销; released — 已解冻")
    frozen_at: LocalDateTime
    settled_at: LocalDateTime | None = None


class CancellationOut(BaseModel):
    id: str
    lot_id: str
    account_id: str
    project_number: str
    origin: OriginName = Field(description=ORIGIN_DESC)
    registration_id: str = Field(description="offset registration in the allowance registry — 抵销登记编号")
    application_id: str = Field(description="compliance application — 履约申请编号")
    period_code: str = Field(description="compliance period — 履约期")
    quantity: int
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    purpose: str = Field(description="offset_<period> — 用于抵销该履约期配额清缴")
    cancelled_at: LocalDateTime


class DiscrepancyOut(BaseModel):
    code: str
    message: str
    message_zh: str
    project_number: str | None = None
    lot_id: str | None = None
    serial_ranges: Serials = []


class ReconciliationOut(BaseModel):
    checked_at: LocalDateTime
    consistent: bool = Field(description="no discrepancy — 账实一致")
    projects_checked: int
    lots_checked: int
    discrepancies: list[DiscrepancyOut]


# --- legacy CCER synced in, and a unit's history -------------------------------------------------
SYNC_STATUS_DESC = "awaiting_confirmation — 待确认; confirmed — 已确认（可用）; disputed — 有异议（待注登机构处理）"
SyncStatusName = Literal["awaiting_confirmation", "confirmed", "disputed"]


class DisputeIn(BaseModel):
    reason: Remark = Field(min_length=1, description="why the units are disputed — 异议理由")


class RecordedRangeOut(BaseModel):
    first: str
    last: str
    units_recorded_at: date | None = Field(None, description="the reductions' record date — 减排量备案日期")


class LegacySyncItemOut(BaseModel):
    cancellation_id: str = Field(description="cancellation in the legacy registry — 旧CCER注销记录编号")
    project_number: str = Field(description="legacy project number — 旧CCER项目编号")
    project_name: str
    quantity: int
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    recorded_ranges: list[RecordedRangeOut] = Field(description="each range's record date — 各区间备案日期")
    units_recorded_at: date | None = Field(None, description="the latest record date — 最晚备案日期")


class LegacySyncOut(BaseModel):
    id: str
    sync_application_id: str = Field(description="sync application in the legacy registry — 同步申请编号")
    account_id: str
    holder: Holder
    legacy_account_id: str
    purpose: str
    status: SyncStatusName = Field(description=SYNC_STATUS_DESC)
    quantity: int
    items: list[LegacySyncItemOut]
    dispute_reason: str | None = None
    history: LocalJSONList = Field(description="received, confirmed, disputed — 同步、确认、异议记录")
    received_at: LocalDateTime
    decided_at: LocalDateTime | None = None


class SerialEventOut(BaseModel):
    model_config = {"extra": "allow"}

    at: LocalDateTime
    kind: str = Field(
        description="issuance — 签发; sync_in — 旧有CCER同步; confirmation — 确认; trade — 交易; transfer — 划转; "
        "frozen — 冻结（抵销批次）; cancellation — 注销; release — 解冻"
    )


class SerialHistoryOut(BaseModel):
    serial: str
    registry: Literal["new_ccer_registry"] = "new_ccer_registry"
    origin: OriginName = Field(description=ORIGIN_DESC)
    project_number: str
    vintage: int
    state: UnitStateName = Field(description=STATE_DESC)
    account_id: str
    units_recorded_at: date | None = Field(None, description="legacy units: the record date — 旧有CCER减排量备案日期")
    events: list[SerialEventOut]


# --- results to responses ------------------------------------------------------------------------
def _pairs(ranges: list[list[str]]) -> Serials:
    return [(a, b) for a, b in ranges]


def _labelled(ranges: list[SerialRange]) -> Serials:
    return [r.labels() for r in ranges]


def binding_out(b: Binding) -> BindingOut:
    return BindingOut(binding_id=b.id, allowance_account_id=b.allowance_account_id, status=b.status, reasons=b.reasons)


def _trading_out(trading: Any) -> TradingAccountOut:
    until = trading.annual_fee_valid_until
    return TradingAccountOut(
        id=trading.id, status=trading.status, annual_fee_valid_until=local(until) if until else None
    )


def application_out(a: AccountApplication) -> AccountApplicationOut:
    return AccountApplicationOut(
        id=a.id,
        status=a.status,
        revision=a.revision,
        org=a.org,
        account_type=a.account_type,
        province=a.province,
        exchange=a.exchange,
        contacts=a.contacts,
        materials=a.materials,
        declarations=a.declarations,
        agreement_signed_by=a.agreement_signed_by,
        reasons=a.reasons,
        registry_account_id=a.registry_account_id,
        trading_account_id=a.trading_account_id,
        notifications=[NotificationOut.model_validate(n) for n in a.notifications],
        history=a.history,
        submitted_at=local(a.submitted_at),
        updated_at=local(a.updated_at),
    )


def checklist_item_out(m: Material) -> ChecklistItemOut:
    return ChecklistItemOut(
        no=m.no,
        name=m.name,
        name_zh=m.name_zh,
        applies_to=m.applies_to,
        applies_to_zh=m.applies_to_zh,
        paper_copies=m.paper_copies,
    )


def fee_out(p: FeePayment) -> FeeOut:
    return FeeOut(
        id=p.id,
        account_id=p.account_id,
        trading_account_id=p.trading_account_id,
        kind=p.kind,
        amount=p.amount,
        paid_at=local(p.paid_at),
        valid_from=local(p.valid_from) if p.valid_from else None,
        valid_until=local(p.valid_until) if p.valid_until else None,
        paid_by=p.paid_by,
    )


def fee_paid_out(paid: FeePaid) -> FeePaidOut:
    return FeePaidOut(**fee_out(paid.payment).model_dump(), trading_account=_trading_out(paid.trading))


def account_out(view: AccountView) -> AccountOut:
    account, trading = view.account, view.trading
    return AccountOut(
        id=account.id,
        holder=Holder(name=account.holder_name, uscc=account.holder_uscc),
        account_type=account.account_type,
        province=account.province,
        status=account.status,
        trading_account=_trading_out(trading) if trading else None,
        binding=binding_out(view.binding) if view.binding else None,
    )


def project_out(view: ProjectView) -> ProjectOut:
    project = view.project
    return ProjectOut(
        number=project.number,
        name=project.name,
        owner_uscc=project.owner_uscc,
        type=project.type,
        methodology=project.methodology or "",
        region=project.region,
        registered_at=project.registered_at,
        within_national_ets=project.within_national_ets,
        issued=view.issued,
        created_at=local(project.created_at),
    )


def issuance_out(issuance: Issuance) -> IssuanceOut:
    return IssuanceOut(
        issuance_id=issuance.id,
        project_number=issuance.project_number,
        vintage=issuance.vintage,
        quantity=issuance.quantity,
        account_id=issuance.account_id,
        serial_ranges=_labelled([SerialRange(issuance.serial_prefix, issuance.first_n, issuance.last_n)]),
        issued_at=local(issuance.issued_at),
    )


def trade_out(trade: Movement) -> TradeOut:
    return TradeOut(
        trade_id=trade.id,
        seller_account_id=trade.from_account_id or "",
        buyer_account_id=trade.to_account_id or "",
        project_number=trade.project_number,
        quantity=trade.quantity,
        serial_ranges=_pairs(trade.serial_ranges),
        settled_at=local(trade.at),
    )


def transfer_out(movement: Movement, direction: str) -> TransferOut:
    return TransferOut(
        transfer_id=movement.id,
        account_id=movement.from_account_id or "",
        direction=direction,
        project_number=movement.project_number,
        quantity=movement.quantity,
        serial_ranges=_pairs(movement.serial_ranges),
        transferred_at=local(movement.at),
    )


def holding_out(r: HoldingRow) -> HoldingOut:
    return HoldingOut(
        project_number=r.project_number,
        origin=r.origin,
        vintage=r.vintage,
        trading=r.quantities[UnitState.trading],
        available=r.quantities[UnitState.available],
        frozen=r.quantities[UnitState.frozen],
        cancelled=r.quantities[UnitState.cancelled],
        awaiting_confirmation=r.quantities[UnitState.awaiting_confirmation],
        serial_ranges={str(st): _labelled(ranges) for st, ranges in r.ranges.items()},
    )


def lot_created_out(lot: OffsetLot) -> OffsetLotCreatedOut:
    return OffsetLotCreatedOut(
        lot_id=lot.id,
        quantity=lot.quantity,
        serial_ranges=_pairs(lot.serial_ranges),
        account_id=lot.account_id,
        allowance_account_id=lot.allowance_account_id,
        project_number=lot.project_number,
        origin=lot.origin,
        vintage=lot.vintage,
        frozen_at=local(lot.frozen_at),
    )


def lot_out(view: LotView) -> OffsetLotOut:
    lot = view.lot
    return OffsetLotOut(
        lot_id=lot.id,
        account_id=lot.account_id,
        allowance_account_id=lot.allowance_account_id,
        project_number=lot.project_number,
        origin=lot.origin,
        vintage=lot.vintage,
        quantity=lot.quantity,
        cancelled=lot.cancelled,
        released=lot.released,
        frozen=view.quantities.frozen,
        status=lot.status,
        serial_ranges=_pairs(lot.serial_ranges),
        serial_ranges_by_state=LotRangesOut(
            frozen=_labelled(view.frozen_ranges),
            cancelled=_labelled(view.cancelled_ranges),
            released=_labelled(view.released_ranges),
        ),
        frozen_at=local(lot.frozen_at),
        settled_at=local(lot.settled_at) if lot.settled_at else None,
    )


def cancellation_out(c: Cancellation) -> CancellationOut:
    return CancellationOut(
        id=c.id,
        lot_id=c.lot_id,
        account_id=c.account_id,
        project_number=c.project_number,
        origin=c.origin,
        registration_id=c.registration_id,
        application_id=c.application_id,
        period_code=c.period_code,
        quantity=c.quantity,
        serial_ranges=_pairs(c.serial_ranges),
        purpose=c.purpose,
        cancelled_at=local(c.cancelled_at),
    )


def reconciliation_out(report: ReconciliationReport) -> ReconciliationOut:
    return ReconciliationOut(
        checked_at=local(report.checked_at),
        consistent=report.consistent,
        projects_checked=report.projects_checked,
        lots_checked=report.lots_checked,
        discrepancies=[
            DiscrepancyOut(
                code=d.code,
                message=d.message,
                message_zh=d.message_zh,
                project_number=d.project_number,
                lot_id=d.lot_id,
                serial_ranges=_pairs(d.serial_ranges),
            )
            for d in report.discrepancies
        ],
    )


def legacy_sync_out(s: LegacySync) -> LegacySyncOut:
    return LegacySyncOut(
        id=s.id,
        sync_application_id=s.sync_application_id,
        account_id=s.account_id,
        holder=Holder(name=s.holder_name, uscc=s.holder_uscc),
        legacy_account_id=s.legacy_account_id,
        purpose=s.purpose,
        status=s.status,
        quantity=s.quantity,
        items=[LegacySyncItemOut.model_validate(i) for i in s.items],
        dispute_reason=s.dispute_reason,
        history=s.history,
        received_at=local(s.received_at),
        decided_at=local(s.decided_at) if s.decided_at else None,
    )


def serial_history_out(h: SerialHistory) -> SerialHistoryOut:
    return SerialHistoryOut(
        serial=h.serial,
        origin=h.origin,
        project_number=h.project_number,
        vintage=h.vintage,
        state=h.state,
        account_id=h.account_id,
        units_recorded_at=h.units_recorded_at,
        events=[SerialEventOut.model_validate(e) for e in h.events],
    )
