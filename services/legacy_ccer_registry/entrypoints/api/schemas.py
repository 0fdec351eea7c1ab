"""API schemas of the legacy CCER registry: request and response models (never ORM rows, never
event contracts). Every string, number, date and list is bounded."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from services.legacy_ccer_registry.domain.projects import PROJECT_NUMBER_PATTERN
from shared.bounds import Day, Id, Name, Quantity, Reason, ReasonCode, Year
from shared.domain_types import Holder, ProvinceCode, Uscc
from shared.reference import LEGACY_EXCHANGES
from shared.timeutil import LocalDateTime, LocalJSON, LocalJSONList

# --- vocabulary ------------------------------------------------------------------------------
LegacyExchange = Literal["CBEEX", "TCX", "SEEE", "CEEX", "CNEEEX", "HBEX", "CQUAEE", "SCEEX", "HXEE"]
assert set(LegacyExchange.__args__) == set(LEGACY_EXCHANGES)  # type: ignore[attr-defined]
EXCHANGE_DESC = (
    "legacy exchange — 旧有CCER交易机构: CBEEX 北京绿色交易所, TCX 天津排放权交易所, SEEE 上海环境能源交易所, "
    "CEEX 广州碳排放权交易中心, CNEEEX 深圳排放权交易所, HBEX 湖北碳排放权交易中心, CQUAEE 重庆联合产权交易所, "
    "SCEEX 四川联合环境交易所, HXEE 海峡股权交易中心"
)
Exchange = Annotated[LegacyExchange, Field(description=EXCHANGE_DESC)]
# Account and record ids of this registry are at most 40 characters.
AccountId = Annotated[Id, Field(max_length=40)]
RecordId = Annotated[Id, Field(max_length=40)]
ProjectNumber = Annotated[
    str, Field(max_length=40, pattern=PROJECT_NUMBER_PATTERN, description="project number — 项目编号")
]
Phone = Annotated[str, Field(max_length=30, pattern=r"^[0-9+\-() ]{5,30}$", description="phone — 联系电话")]
Serials = list[tuple[str, str]]
SERIALS_DESC = "serial ranges [[first, last], …], lowest first — 序列号区间（首号, 末号）"
PurposeName = Literal["offset_2019_2020", "offset_2023", "voluntary"]
PURPOSE_DESC = "offset_2019_2020 — 用于抵销2019-2020年度配额清缴; offset_2023 — 用于抵销2023年度配额清缴; voluntary — 自愿注销（其他）"
APPLICATION_STATUS_DESC = (
    "submitted — 待交易机构初审; awaiting_registry_review — 交易账户已开立，登记账户待注登机构复审; opened — 已开户; "
    "returned — 已退回"
)
SYNC_STATUS_DESC = (
    "submitted — 已提交（待处理）; awaiting_new_registry — 已批准，待新CCER注登系统接收; synced — 已同步; "
    "rejected — 未通过; refused_by_new_registry — 新CCER注登系统拒收（可重新申请）"
)
ApplicationStatusName = Literal["submitted", "awaiting_registry_review", "opened", "returned"]
SyncStatusName = Literal["submitted", "awaiting_new_registry", "synced", "rejected", "refused_by_new_registry"]
DecisionName = Annotated[Literal["approve", "reject"], Field(description="approve — 通过; reject — 不通过")]


class ReasonIn(BaseModel):
    code: ReasonCode = Field("REJECTED", description="stable code — 原因代码")
    message: Reason = Field(description="reason — 原因")
    message_zh: Reason | None = Field(None, description="reason in Chinese — 原因（中文）")


Reasons = Annotated[
    list[ReasonIn | Reason],
    Field(max_length=20, description="reasons (objects or plain text) — 理由"),
]


class ContactIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="contact person — 联系人")
    phone: Phone
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="email — 联系邮箱")
    role: str | None = Field(None, max_length=50, description="role, e.g. trading representative — 联系人类别")


# --- accounts --------------------------------------------------------------------------------
class OpenAccountIn(BaseModel):
    holder: Holder
    province: ProvinceCode
    exchanges: list[Exchange] | None = Field(
        None,
        min_length=1,
        max_length=len(LEGACY_EXCHANGES),
        description="legacy exchanges the account may trade at (default: all) — 可交易的旧有CCER交易机构（默认全部）",
    )


class TradingAccountOut(BaseModel):
    id: str
    exchange: str = Field(description=EXCHANGE_DESC)
    status: str = Field(description="active — 正常")
    opened_at: LocalDateTime


class AccountOut(BaseModel):
    id: str
    holder: Holder
    province: str
    status: str = Field(description="active — 正常")
    opened_via: str = Field(description="direct — 注登机构直接开立; application — 经交易机构申请开立")
    opened_at: LocalDateTime
    exchanges: list[str] = Field(description="exchanges the account trades at — 已开立交易账户的交易机构")
    trading_accounts: list[TradingAccountOut]


class OrgIn(BaseModel):
    name: Name = Field(description="unit name — 单位名称")
    uscc: Uscc
    province: ProvinceCode | None = Field(
        None, description="registered province; required when the unit has no legacy account yet — 所在省份"
    )
    org_form: Literal["legal_person", "other_org"] | None = Field(
        None, description="legal_person — 法人; other_org — 其他组织"
    )
    address: str | None = Field(None, max_length=300, description="address — 地址")
    legal_representative: str | None = Field(None, max_length=100, description="legal representative — 法定代表人")


class AccountApplicationIn(BaseModel):
    org: OrgIn
    exchange: Exchange
    contacts: list[ContactIn] = Field(min_length=1, max_length=10)


class ReviewIn(BaseModel):
    stage: Literal["exchange", "registry"] = Field(
        description="exchange — 交易机构初审; registry — 注登机构（国家气候战略中心）复审"
    )
    decision: DecisionName
    reasons: Reasons = []


class AccountApplicationOut(BaseModel):
    id: str
    status: ApplicationStatusName = Field(description=APPLICATION_STATUS_DESC)
    revision: int
    org: dict[str, Any]
    exchange: str
    contacts: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    account_id: str | None = None
    trading_account_id: str | None = None
    history: LocalJSONList
    submitted_at: LocalDateTime
    updated_at: LocalDateTime


class AccountApplicationPage(BaseModel):
    items: list[AccountApplicationOut]
    next_cursor: str | None = None


# --- projects and units ----------------------------------------------------------------------
class ProjectIn(BaseModel):
    number: ProjectNumber
    name: Name = Field(description="project name — 项目名称")
    owner_uscc: Uscc
    type: str = Field(min_length=1, max_length=100, description="project type — 项目类型")
    region: str = Field(min_length=1, max_length=100, description="region — 项目所在地区")
    recorded_at: Day = Field(description="date recorded (备案) — 项目备案日期")
    within_national_ets: bool = Field(
        False, description="under national ETS allowance management — 是否属于全国碳市场配额管理范围"
    )


class ProjectOut(ProjectIn):
    created_at: LocalDateTime


class IssuanceIn(BaseModel):
    vintage: Year = Field(description="vintage (year of the reductions) — 减排量年份")
    quantity: Quantity
    account_id: AccountId = Field(description="account receiving the units — 接收减排量的账户")
    exchange: Exchange
    recorded_at: Day = Field(description="record date (备案) of the reductions — 减排量备案日期")


class IssuanceOut(BaseModel):
    issuance_id: str
    project_number: str
    vintage: int
    quantity: int
    account_id: str
    exchange: str
    recorded_at: date
    state: Literal["trading"] = Field("trading", description="trading — 交易持仓")
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    issued_at: LocalDateTime


class TradeIn(BaseModel):
    seller_account_id: AccountId
    buyer_account_id: AccountId
    project_number: ProjectNumber
    quantity: Quantity


class TradeOut(BaseModel):
    trade_id: str
    exchange: str
    seller_account_id: str
    buyer_account_id: str
    project_number: str
    quantity: int
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    settled_at: LocalDateTime


TRANSFER_DESC = "to_registry — 交易账户划转至一般持有账户; to_exchange — 一般持有账户划转至交易账户"


class TransferIn(BaseModel):
    direction: Literal["to_registry", "to_exchange"] = Field(description=TRANSFER_DESC)
    exchange: Exchange
    project_number: ProjectNumber
    quantity: Quantity


class TransferOut(BaseModel):
    transfer_id: str
    account_id: str
    direction: Literal["to_registry", "to_exchange"] = Field(description=TRANSFER_DESC)
    exchange: str
    project_number: str
    quantity: int
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    transferred_at: LocalDateTime


class HoldingOut(BaseModel):
    project_number: str
    by_exchange: dict[str, int] = Field(description="trading side per exchange — 各交易机构交易持仓")
    trading: int = Field(description="trading side in total — 交易持仓合计")
    available: int = Field(description="general holding account — 一般持有账户（可用）")
    cancelled: int = Field(description="cancelled — 已注销")
    serial_ranges: dict[str, Serials] = Field(
        description="ranges per place: available, cancelled, trading:{exchange} — 序列号区间（按持仓位置）"
    )


class HoldingsOut(BaseModel):
    account_id: str
    items: list[HoldingOut]


class MovementOut(BaseModel):
    at: LocalDateTime
    kind: str = Field(
        description="issuance — 签发; trade — 交易; transfer — 划转; cancellation — 注销; "
        "sync_sent — 同步申请已批准并发送新CCER注登系统; sync — 信息同步（新CCER注登系统已接收）; "
        "sync_refused — 新CCER注登系统拒收（减排量仍为已注销、未同步）"
    )
    movement_id: str
    quantity: int
    from_account_id: str | None
    to_account_id: str | None
    from_state: str | None
    to_state: str | None
    exchange: str | None
    reference_id: str | None
    serial_ranges: Serials
    detail: LocalJSON


class SerialHistoryOut(BaseModel):
    serial: str
    project_number: str
    vintage: int
    account_id: str
    holder: Holder
    state: str = Field(description="trading — 交易持仓; available — 一般持有账户; cancelled — 已注销")
    exchange: str | None
    units_recorded_at: date = Field(description="record date (备案) of the reductions — 减排量备案日期")
    cancellation_id: str | None
    history: list[MovementOut]


# --- cancellations and sync ------------------------------------------------------------------
class CancellationIn(BaseModel):
    account_id: AccountId
    project_number: ProjectNumber
    quantity: Quantity
    purpose: PurposeName = Field(description=PURPOSE_DESC)


class RecordedRangeOut(BaseModel):
    first: str
    last: str
    units_recorded_at: date


class CancellationOut(BaseModel):
    id: str
    cancellation_id: str
    account_id: str
    holder: Holder
    province: str
    project_number: str
    quantity: int
    purpose: PurposeName = Field(description=PURPOSE_DESC)
    serial_ranges: Serials = Field(description=SERIALS_DESC)
    recorded_ranges: list[RecordedRangeOut] = Field(description="ranges with their record dates — 各区间备案日期")
    units_recorded_at: date = Field(description="latest record date among the units — 最晚备案日期")
    synced: int = Field(description="synced to the new registry — 已同步量")
    claimed: int = Field(
        description="on sync applications submitted or awaiting the new registry (in_transit) — 同步申请处理中"
    )
    in_transit: int = Field(
        description="of claimed: approved by NCSC, awaiting the new registry's answer — 已批准、待新CCER注登系统接收"
    )
    unsynced: int = Field(description="not yet synced nor claimed — 尚可同步量")
    cancelled_at: LocalDateTime


class CancellationPage(BaseModel):
    items: list[CancellationOut]
    next_cursor: str | None = None


class SyncLineIn(BaseModel):
    cancellation_id: RecordId
    project_number: ProjectNumber
    quantity: Quantity


class SyncContactIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="contact person — 联系人")
    phone: Phone
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="email — 联系邮箱")


class SyncApplicationIn(BaseModel):
    unit_name: Name = Field(description="unit name — 单位名称")
    uscc: Uscc
    legacy_account_id: AccountId = Field(description="legacy registry account — 旧CCER注登系统账户ID")
    new_account_id: AccountId = Field(description="new registry account — 新CCER注登系统账户ID")
    contact: SyncContactIn
    lines: list[SyncLineIn] = Field(min_length=1, max_length=50)
    purpose: Literal["offset_2023"] = Field(
        "offset_2023", description="offset_2023 — 用于抵销全国碳排放权交易市场2023年度配额清缴"
    )


class SyncDecisionIn(BaseModel):
    decision: DecisionName
    reasons: Reasons = []


class SyncLineOut(BaseModel):
    cancellation_id: str
    project_number: str
    quantity: int
    serial_ranges: Serials | None = Field(None, description="once approved — 批准后发送的序列号区间")
    recorded_ranges: list[RecordedRangeOut] | None = None


class SyncApplicationOut(BaseModel):
    id: str
    status: SyncStatusName = Field(description=SYNC_STATUS_DESC)
    unit_name: str
    uscc: str
    legacy_account_id: str
    new_account_id: str
    contact: dict[str, str]
    purpose: str
    quantity: int
    lines: list[SyncLineOut]
    reasons: list[dict[str, Any]] = Field(
        description="NCSC's reasons for a rejection, or the new registry's findings for a refusal "
        "({code, message, message_zh}) — 不予同步理由或新CCER注登系统拒收原因"
    )
    sent_at: LocalDateTime
    sla_due_at: LocalDateTime = Field(
        description="the first instant after the 5th working day counted from the day after sending (exclusive: "
        "00:00 of the next day), from which the unit may check and confirm the sync in the new registry — "
        "发送次日起第5个工作日之后的首个时刻（不含该时刻之前），自此可在新CCER注登系统查看并确认同步情况"
    )
    auto_approve_at: LocalDateTime | None = Field(None, description="auto-processing instant — 自动处理时间")
    decided_at: LocalDateTime | None = None
    decided_by: str | None = None
    answered_at: LocalDateTime | None = Field(
        None, description="when the new registry accepted or refused it — 新CCER注登系统答复时间"
    )
    legacy_sync_id: str | None = Field(
        None, description="the sync to confirm in the new registry, once accepted — 新CCER注登系统中待确认的同步"
    )


class SyncApplicationPage(BaseModel):
    items: list[SyncApplicationOut]
    next_cursor: str | None = None
