"""Request and response models of the allowance registry's API (never ORM rows, never event contracts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StrictInt

from services.allowance_registry.domain.applications import ApplicationStatus, Item, ItemKind
from services.allowance_registry.domain.lot_units import UnitState
from services.allowance_registry.domain.monitoring import Completion
from services.allowance_registry.domain.movements import Direction as MovementDirection
from services.allowance_registry.domain.movements import HoldingKind, MovementKind
from services.allowance_registry.domain.notices import NoticeStatus
from services.allowance_registry.domain.offset_ccer_requests import RequestStatus
from services.allowance_registry.domain.offsets import PendingStatus
from services.allowance_registry.domain.periods import CODE_PATTERN, PeriodStatus
from shared.bounds import (
    MAX_ITEMS,
    Code,
    Day,
    Id,
    Instant,
    Name,
    Quantity,
    Reason,
    ReasonCode,
    SignedQuantity,
    Year,
)
from shared.domain_types import AccountType, Holder, ProvinceCode
from shared.offset_rules import Eligibility
from shared.timeutil import LocalDateTime, LocalJSONList

INSTRUMENT_PATTERN = r"^[A-Z]{2,6}[0-9]{6,12}$"
# An instrument named in a request: an allowance (PE2021000097) or a generated offset CCER (CCER21000001).
Instrument = Code
PeriodCode = Annotated[str, Field(min_length=1, max_length=40, pattern=CODE_PATTERN)]


class OpenAccountIn(BaseModel):
    holder: Holder
    province: ProvinceCode
    account_type: AccountType = Field(description="account type — 账户类型")
    sector: str | None = Field(default=None, max_length=60, description="sector — 行业")


class AccountOut(BaseModel):
    id: str
    holder: Holder
    province: str
    account_type: AccountType
    sector: str | None
    status: str = Field(description="active — 正常")


# --- instruments and compliance periods ------------------------------------------------------
class InstrumentKind(StrEnum):
    """allowance — 配额; offset_ccer — 履约抵销 CCER（第一个履约周期生成）"""

    allowance = "allowance"
    offset_ccer = "offset_ccer"


class InstrumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        max_length=18, pattern=INSTRUMENT_PATTERN, description="instrument code — 标的编码, e.g. PE2021000097"
    )
    name: Name = Field(description="instrument name — 标的名称")
    kind: Literal["allowance"] = Field(description="allowance — 配额")
    vintage: Year = Field(ge=2000, description="compliance year of the allowances — 配额年度")


class InstrumentOut(BaseModel):
    code: str
    name: str
    kind: InstrumentKind
    vintage: int | None
    project: dict[str, Any] | None = Field(
        default=None,
        description="generated offset CCER: the cancelled legacy project's facts — 履约抵销 CCER 对应的项目信息",
    )
    account_id: str | None = Field(default=None, description="generated for this account — 生成至该账户")
    request_id: str | None = Field(default=None, description="the creation request — CCER 创建申请")


class PeriodIn(BaseModel):
    """A period definition, or ``{builtin}`` with any field overridden."""

    model_config = ConfigDict(extra="forbid")

    builtin: str | None = Field(
        max_length=20,
        default=None,
        description="built-in definition to start from — 内置履约期: "
        '"2019-2020", "2023" or "2024" (data shipped with the registry)',
    )
    code: PeriodCode | None = Field(default=None, description="period code — 履约期编码")
    name: Name | None = Field(default=None, description="name — 名称")
    allowance_instruments: list[Instrument] | None = Field(
        default=None, max_length=MAX_ITEMS, description="allowance scope — 配额履约范围"
    )
    cap_bp: StrictInt | None = Field(
        default=None,
        ge=0,
        le=10000,
        description="offset cap in basis points of the obligation — 抵销比例上限（基点，500 = 5%）",
    )
    eligibility: Eligibility | None = Field(default=None, description="eligible CCER — CCER 履约范围（抵销规则）")
    application_deadline: Instant | None = Field(
        default=None,
        description="application deadline, the last instant to apply (2024年12月31日前: 2024-12-31T23:59:59+08:00) "
        "— 履约申请截止时间（含该时刻）",
    )
    target_date: Instant | None = Field(default=None, description="date of the 95% target — 95% 履约目标时间")
    recall_after_working_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=250,
        description="recall unused pending CCER this many working days after period_end — "
        "履约期结束后多少个工作日召回待抵销 CCER",
    )
    period_end: Day | None = Field(default=None, description="end of the compliance period — 履约期结束日")


class PeriodOut(BaseModel):
    code: str
    name: str
    status: PeriodStatus
    builtin: str | None
    allowance_instruments: list[str]
    cap_bp: int
    eligibility: Eligibility
    application_deadline: LocalDateTime
    target_date: LocalDateTime | None
    recall_after_working_days: int | None
    period_end: date | None
    recall_at: LocalDateTime | None = Field(description="when unused pending offsets are recalled — 召回时间")
    proposed_by: str
    proposed_at: LocalDateTime
    approved_by: str | None
    approved_at: LocalDateTime | None


# --- holdings --------------------------------------------------------------------------------
class Side(StrEnum):
    """registry — 登记持仓; trading — 交易持仓"""

    registry = "registry"
    trading = "trading"


class Direction(StrEnum):
    """to_registry — 交易划转至登记; to_trading — 登记划转至交易"""

    to_registry = "to_registry"
    to_trading = "to_trading"


class AllocationIn(BaseModel):
    account_id: Id
    instrument: Instrument = Field(description="allowance instrument — 配额标的")
    quantity: Quantity = Field(description="tonnes — 吨")
    side: Side


class AllocationOut(BaseModel):
    id: str
    account_id: str
    instrument: str
    quantity: int
    side: Side
    allocated_at: LocalDateTime


class TransferIn(BaseModel):
    instrument: Instrument
    quantity: Quantity = Field(description="tonnes — 吨")
    direction: Direction


class AllowanceHoldingOut(BaseModel):
    instrument: str
    name: str | None = None
    registry: int = Field(description="registry holding incl. frozen — 登记持仓（含冻结）")
    trading: int = Field(description="trading holding — 交易持仓")
    frozen: int = Field(description="frozen in applications under review — 冻结数量")
    available: int = Field(description="registry holding not frozen — 登记可用量")


class CcerHoldingOut(BaseModel):
    """A row of CCER项目持仓 (seed 002): generated offset CCER of one instrument (first period), with
    the project it was generated from. Every figure is in tonnes; see each field."""

    project_number: str | None = Field(description="项目备案号: the cancelled project's number")
    instrument: str = Field(description="标的编码: the generated instrument, e.g. CCER21000057")
    name: str | None = Field(default=None, description="标的名称, e.g. 火电测试企业配额抵消清缴CCER")
    project_name: str | None = Field(description="the cancelled project's name — 项目名称")
    project_type: str | None = Field(description="项目类型, e.g. 能源工业")
    project_region: str | None = Field(description="项目地区, e.g. 北京市")
    registry_available: int = Field(description="登记可用量: registry side, not frozen (what an application may use)")
    registry_frozen: int = Field(description="登记冻结量: frozen by applications under review")
    registry_pending_transfer: int = Field(
        description="登记待划转量: leaving the registry side for trading; always 0 (transfers complete at once)"
    )
    trading_pending_transfer: int = Field(
        description="交易待划转量: leaving the trading side for the registry; always 0 (transfers complete at once)"
    )
    trading: int = Field(
        description="交易持有量: on the trading side; always 0 (generated offset CCER are never traded)"
    )
    total: int = Field(description="总持有量: the sum of the five figures before")
    quantity: int = Field(
        description="registry side incl. frozen — 登记持有量 (登记可用量 + 登记冻结量 + 登记待划转量)"
    )
    frozen: int = Field(description="= registry_frozen")


class MovementOut(BaseModel):
    """One line of 持仓流水: a change of the holding, with its parts just after it."""

    at: LocalDateTime
    instrument: str
    holding: HoldingKind
    kind: MovementKind = Field(description=MovementKind.__doc__ or "")
    kind_zh: str
    direction: MovementDirection = Field(description=MovementDirection.__doc__ or "")
    quantity: int = Field(description="tonnes moved (> 0) — 变动数量")
    registry_after: int = Field(description="registry side incl. frozen after it — 变动后登记持有量")
    frozen_after: int = Field(description="frozen after it — 变动后登记冻结量")
    available_after: int = Field(description="registry side not frozen after it — 变动后登记可用量")
    trading_after: int = Field(description="trading side after it — 变动后交易持有量")
    total_after: int = Field(description="all held after it — 变动后总持有量")
    reference: dict[str, Any] = Field(
        description="what caused it: allocation_id, transfer_id, request_id and cancellation_id, or "
        "application_id, revision, notice_id (surrender_id, registration_id) — 业务单号"
    )


class HoldingsOut(BaseModel):
    account_id: str
    allowances: list[AllowanceHoldingOut]
    ccer: list[CcerHoldingOut]
    pending_offsets_total: int = Field(
        description="pending offset quantity not yet registered or recalled — 待抵销总量"
    )


# --- notices ---------------------------------------------------------------------------------
class ProvincialNoticeIn(BaseModel):
    period_code: PeriodCode
    province: ProvinceCode
    total_obligation: Quantity = Field(description="total obligation of the province's units — 应履约总量")


class ProvincialNoticeOut(BaseModel):
    id: str
    period_code: str
    province: str
    total_obligation: int
    issued_at: LocalDateTime


class NoticeIn(BaseModel):
    period_code: PeriodCode
    account_id: Id
    obligation: Quantity = Field(description="obligation — 应履约量")


class ScopeInstrumentOut(BaseModel):
    code: str = Field(description="标的编码, e.g. PE2021000097")
    name: str | None = Field(description="标的名称, e.g. 2019-2020年配额")


class NoticeScopeOut(BaseModel):
    """履约范围: the allowance scope and the CCER scope of the notice's period."""

    period_code: str
    period_name: str = Field(description="e.g. 第一个履约周期（2019-2020年度）配额清缴")
    allowance_instruments: list[ScopeInstrumentOut] = Field(
        description="配额履约范围: the allowance instruments that may be surrendered"
    )
    cap_bp: int = Field(description="CCER履约范围: the offset cap, basis points of the obligation (500 = 5%)")
    eligibility: Eligibility = Field(description="CCER履约范围: the CCER that may offset (抵销规则)")


class NoticeOut(BaseModel):
    id: str
    period_code: str
    account_id: str
    account_name: str
    province: str
    obligation: int = Field(description="应履约量")
    fulfilled: int = Field(description="已履约量")
    under_review: int = Field(description="待审核履约量")
    ccer_offsettable: int = Field(description="CCER 可抵消量: cap − CCER registered − CCER under review")
    ccer_registered: int
    ccer_under_review: int
    deadline: LocalDateTime
    status: NoticeStatus
    issued_at: LocalDateTime
    completed_at: LocalDateTime | None
    # Seed 002's notice list (履约通知书名称, 履约完成状态) and seed 001 二's overdue mark.
    name: str = Field(description="notice name — 履约通知书名称, e.g. 火电测试企业履约通知书2021-11-3")
    year: int = Field(description="年份: the year (Beijing time) the notice was issued, e.g. 2021 for 2019-2020")
    scope: NoticeScopeOut | None = Field(description="履约范围: its period's allowance scope and CCER scope")
    overdue: bool = Field(description="not complete when the deadline passed — 未按时足额清缴")
    overdue_at: LocalDateTime | None = Field(description="the deadline that passed (marked overdue) — 逾期时间")
    completion_status: Completion = Field(
        description="open — 未完成; complete — 已完成; overdue — 未按时足额清缴; "
        "complete_late — 逾期完成（未按时足额清缴）"
    )
    completion_status_zh: str = Field(description="履约完成状态")


# --- pending offsets and registrations -------------------------------------------------------
class LotOrigin(StrEnum):
    """new — 新 CCER（2024-01-22 后登记）; legacy — 旧有 CCER（2017-03-14 前备案，已同步）"""

    new = "new"
    legacy = "legacy"


class PendingOffsetOut(BaseModel):
    lot_id: str
    account_id: str
    registry_account_id: str
    project: dict[str, Any]
    origin: LotOrigin
    vintage: int
    units_recorded_at: date | None
    quantity: int
    reserved: int = Field(description="in applications under review — 审核中")
    registered: int = Field(description="offset registered — 已抵销登记")
    recalled: int = Field(description="recalled — 已召回")
    available: int = Field(description="left to apply with — 可用")
    cancelled: int = Field(description="cancellation confirmed by the new registry — 新注登系统已注销")
    released: int = Field(description="release confirmed by the new registry — 新注登系统已解冻")
    status: PendingStatus
    serial_ranges: list[list[str]]
    frozen_at: LocalDateTime
    recall_due_at: LocalDateTime | None


class CancellationOut(BaseModel):
    """The cancellation of the registered units: a lot's by the new registry, after the registration;
    generated offset CCER's in the voluntary registry, before they were generated (first period)."""

    status: Literal["awaiting", "confirmed"] = Field(description="awaiting — 待注销; confirmed — 已注销")
    quantity: int | None
    cancelled_at: LocalDateTime | None
    serial_ranges: list[list[str]] | None


class RegistrationKind(StrEnum):
    """lot — 待抵销 CCER 批次; offset_ccer — 履约抵销 CCER（第一个履约周期生成）"""

    lot = "lot"
    offset_ccer = "offset_ccer"


class SourceCancellationOut(BaseModel):
    """First period: NCSC's cancellation record the generated offset CCER came from (seed 001 第六步)."""

    offset_ccer_request_id: str | None = Field(description="the creation request — CCER 创建申请")
    cancellation_id: str | None = Field(description="the voluntary cancellation — 自愿注销记录")
    quantity: int | None = Field(description="the whole record's quantity — 该注销记录的注销量")
    serial_ranges: list[list[str]] | None = Field(
        description="the whole record's serial ranges (the generated CCER are held by quantity, not by serial)"
    )


class RegistrationOut(BaseModel):
    """抵销登记 (CCER 抵销配额清缴登记) of one CCER item of an approved application."""

    registration_id: str
    kind: RegistrationKind = Field(description=RegistrationKind.__doc__ or "")
    application_id: str
    revision: int
    notice_id: str
    period_code: str
    account_id: str
    province: str
    lot_id: str | None = Field(description="the pending offset (kind lot) — 待抵销批次")
    instrument: str | None = Field(description="the generated offset CCER (kind offset_ccer), e.g. CCER21000057")
    project: dict[str, Any]
    origin: str
    quantity: int
    serial_ranges: list[list[str]] | None = Field(description="the units registered — 抵销登记的序列号区间")
    registered_at: LocalDateTime
    cancellation: CancellationOut
    source: SourceCancellationOut | None = Field(
        description="first period: the cancellation record the offset CCER were generated from — 来源注销记录"
    )


# --- serials -------------------------------------------------------------------------------------
SerialEventKind = Literal["pending_offset", "reserved", "released", "registered", "recalled"]
SERIAL_EVENT_KINDS = (
    "pending_offset — 记为待抵销; reserved — 履约申请预留; released — 退回后释放; "
    "registered — 抵销登记; recalled — 召回"
)


class SerialEventOut(BaseModel):
    at: LocalDateTime
    kind: SerialEventKind = Field(description=SERIAL_EVENT_KINDS)
    lot_id: str
    units_recorded_at: date | None = Field(default=None, description="reductions recorded (备案) on")
    frozen_at: LocalDateTime | None = None
    application_id: str | None = None
    revision: int | None = None
    notice_id: str | None = None
    period_code: str | None = None
    registration_id: str | None = None
    recall_id: str | None = None


class SerialHistoryOut(BaseModel):
    serial: str
    registry: Literal["allowance_registry"] = "allowance_registry"
    lot_id: str = Field(description="the latest pending offset holding the unit — 最近的待抵销批次")
    account_id: str
    state: UnitState = Field(
        description="available — 可用; reserved — 审核中（已预留）; registered — 已抵销登记; recalled — 已召回"
    )
    events: list[SerialEventOut]


# --- applications ----------------------------------------------------------------------------
ITEM_QUANTITY = "tonnes, positive — 吨（正整数，提交时校验）"


class AllowanceItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["allowance"] = Field(description="allowance — 配额")
    instrument: Instrument
    quantity: SignedQuantity = Field(description=ITEM_QUANTITY)


class CcerItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["ccer"] = Field(description="ccer — 待抵销 CCER 批次")
    lot_id: Id
    quantity: SignedQuantity = Field(description=ITEM_QUANTITY)


class OffsetCcerItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["offset_ccer"] = Field(description="offset_ccer — 履约抵销 CCER（第一个履约周期）")
    instrument: Instrument
    quantity: SignedQuantity = Field(description=ITEM_QUANTITY)


ItemIn = Annotated[AllowanceItemIn | CcerItemIn | OffsetCcerItemIn, Field(discriminator="kind")]


def items_of(items: list[ItemIn]) -> tuple[Item, ...]:
    """The items as the domain takes them."""
    return tuple(
        Item(
            kind=ItemKind(i.kind),
            quantity=i.quantity,
            instrument=getattr(i, "instrument", None),
            lot_id=getattr(i, "lot_id", None),
        )
        for i in items
    )


class ApplicationIn(BaseModel):
    notice_id: Id
    items: list[ItemIn] = Field(default_factory=list, max_length=MAX_ITEMS)


class ItemsIn(BaseModel):
    items: list[ItemIn] = Field(max_length=MAX_ITEMS)


class ApplicationItemOut(BaseModel):
    kind: ItemKind
    quantity: int
    instrument: str | None = None
    lot_id: str | None = None
    project: dict[str, Any] | None = None
    origin: str | None = None
    units_recorded_at: date | None = Field(
        default=None, description="latest record date (备案) of the units the item takes — 所用单位的最晚备案日期"
    )
    serial_ranges: list[list[str]] | None = Field(
        default=None, description="the units the item took at submission — 提交时预留的序列号区间"
    )


class FindingOut(BaseModel):
    code: str
    message: str
    message_zh: str | None = None
    item: int | None = None


class ApplicationOut(BaseModel):
    id: str
    account_id: str
    notice_id: str
    period_code: str
    province: str
    revision: int = Field(description="submissions so far: 0 for a draft never submitted — 提交次数")
    status: ApplicationStatus
    items: list[ApplicationItemOut]
    findings: list[FindingOut] = Field(description="the province's findings when returned — 退回时的全部不符合事项")
    history: LocalJSONList
    created_at: LocalDateTime
    submitted_at: LocalDateTime | None
    decided_at: LocalDateTime | None


# --- monitoring (seed 001 二) and the enterprise's home page (seed 002) ------------------------------
# A share 0-1: computed as a Decimal (count / units, 4 places, half-even), sent as a JSON number.
Share = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class UnitShortOut(BaseModel):
    notice_id: str
    account_id: str
    name: str = Field(description="unit name — 重点排放单位名称")
    uscc: str
    province: str
    obligation: int = Field(description="应履约量")
    fulfilled: int = Field(description="已履约量")
    under_review: int = Field(description="待审核履约量")
    overdue: bool = Field(description="marked overdue when the deadline passed — 已标记未按时足额清缴")
    overdue_at: LocalDateTime | None


class ComplianceStatsOut(BaseModel):
    period_code: str
    province: str | None = Field(description="the province, or null for all provinces (registry) — 省份")
    as_of: LocalDateTime = Field(description="when the stats were read — 统计时间")
    final: bool = Field(
        description="the deadline has passed; before it, complete means complete so far — 是否已过履约截止时间"
    )
    deadline: LocalDateTime = Field(
        description="application deadline, the last instant to comply (2021-12-31T17:00:00 for 2019-2020) — "
        "履约截止时间（含该时刻）"
    )
    target_date: LocalDateTime | None = Field(description="date of the 95% target — 95% 履约目标时间")
    target_share: Share | None = Field(description="share of units to be complete by the target date — 目标完成率")
    target_met: bool | None = Field(description="complete_by_target_date / units ≥ target_share — 是否达到目标")
    units: int = Field(description="units with an enterprise notice of the period — 重点排放单位数")
    complete: int = Field(description="complete by the deadline (inclusive) — 截止前完成履约的单位数")
    share_complete: Share | None = Field(description="complete / units, 0-1 (null without units) — 完成率")
    complete_by_target_date: int | None = Field(description="complete before the target date — 目标时间前完成数")
    share_complete_by_target_date: Share | None = Field(description="0-1 — 目标时间前完成率")
    overdue: int = Field(description="notices marked overdue — 已标记未按时足额清缴的单位数")
    units_short: list[UnitShortOut] = Field(
        description="units not complete before the deadline (so far, before it) — 未按时足额清缴的单位"
    )


class HoldingSidesOut(BaseModel):
    registry: int = Field(description="登记持仓 (frozen included)")
    trading: int = Field(description="交易持仓")
    frozen: int = Field(description="冻结数量 (in applications under review)")
    available: int = Field(description="登记可用量")


class OverviewHoldingsOut(BaseModel):
    allowances: HoldingSidesOut = Field(description="登记配额持仓 / 交易配额持仓, all instruments")
    ccer: HoldingSidesOut = Field(
        description="登记ccer持仓 / 交易ccer持仓: generated offset CCER (registry side only; trading is 0)"
    )
    pending_offsets: int = Field(description="pending CCER offsets not yet registered or recalled — 待抵销")
    allowance_instruments: list[AllowanceHoldingOut]
    ccer_instruments: list[CcerHoldingOut]


class ApplicationCountsOut(BaseModel):
    to_do: int = Field(description="drafts and returned applications — 履约待办")
    under_review: int = Field(description="submitted applications — 履约待审核")


class OverviewOut(BaseModel):
    account: AccountOut
    as_of: LocalDateTime
    holdings: OverviewHoldingsOut
    open_notices: list[NoticeOut] = Field(description="notices not complete — 未完成履约通知书")
    applications: ApplicationCountsOut


# --- first period: offset-CCER creation requests (seed 002 Part 2) ---------------------------------
class LegacyProjectOut(BaseModel):
    number: str = Field(description="project number — 项目编号")
    name: str = Field(description="project name — 项目名称")
    type: str = Field(description="project type — 项目类型")
    region: str = Field(description="project region — 项目地区")
    recorded_at: date = Field(description="recorded (备案) on — 备案时间")
    within_national_ets: bool = Field(description="under national ETS allowance management — 纳入全国碳市场配额管理")


class OffsetCcerRequestOut(BaseModel):
    id: str
    account_id: str
    province: str
    holder: Holder
    cancellation_id: str = Field(description="NCSC's cancellation record — 注销记录")
    legacy_account_id: str
    project: LegacyProjectOut
    quantity: int = Field(description="tonnes cancelled, generated on approval — 注销量（备案减排量）")
    serial_ranges: list[list[str]]
    units_recorded_at: date | None
    cancelled_at: LocalDateTime
    status: RequestStatus
    instrument: str | None = Field(description="the generated instrument, once approved — 生成的标的编码")
    reasons: list[dict[str, Any]] = Field(description="why it was rejected — 审核不通过理由")
    history: LocalJSONList = Field(description="流程图: drafted, submitted, approved or rejected, by whom, when")
    drafted_at: LocalDateTime
    submitted_by: str | None
    submitted_at: LocalDateTime | None
    decided_by: str | None
    decided_at: LocalDateTime | None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ReasonCode = Field("REJECTED", description="stable code — 原因代码")
    message: Reason = Field(description="reason — 原因")
    message_zh: Reason | None = Field(None, description="reason in Chinese — 原因（中文）")


class RejectRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[ReasonIn | Reason] = Field(
        default_factory=list, max_length=20, description="reasons (objects or plain text), at least one — 理由"
    )


class UnmatchedCancellationOut(BaseModel):
    cancellation_id: str
    holder: Holder
    legacy_account_id: str
    project: LegacyProjectOut
    quantity: int
    serial_ranges: list[list[str]]
    cancelled_at: LocalDateTime
    received_at: LocalDateTime


# --- reconciliation (账实核对) -------------------------------------------------------------------------
class ReconciliationDiscrepancyOut(BaseModel):
    code: str
    message: str
    message_zh: str
    objects: dict[str, Any] = Field(description="the ids and quantities involved — 涉及的对象及数量")


class ReconciliationOut(BaseModel):
    checked_at: LocalDateTime
    consistent: bool = Field(description="no discrepancy — 账实一致")
    notices_checked: int
    holdings_checked: int
    lots_checked: int
    offset_ccer_checked: int = Field(description="generated offset-CCER instruments — 履约抵销 CCER 标的数")
    discrepancies: list[ReconciliationDiscrepancyOut]


class LotBalanceOut(BaseModel):
    lot_id: str
    account_id: str
    quantity: int
    available: int
    reserved: int
    registered: int
    recalled: int
    cancelled: int = Field(description="registered and confirmed cancelled by the new registry — 已确认注销")
    released: int = Field(description="recalled and confirmed released by the new registry — 已确认解冻")
    status: Literal["pending", "offset", "recalled", "refused"] = Field(
        description="pending — 待抵销; offset — 已抵销; recalled — 已召回; refused — 已拒收"
    )
