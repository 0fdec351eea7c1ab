"""API schemas of the new CCER registry (kept apart from ORM rows and event contracts)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from services.new_ccer_registry.domain.projects import PROJECT_NUMBER_PATTERN
from shared.domain_types import AccountType, Holder, ProvinceCode, Uscc


class OpenAccountIn(BaseModel):
    holder: Holder
    account_type: AccountType = Field(description="account type — 账户类型")
    province: ProvinceCode


class TradingAccountOut(BaseModel):
    id: str
    status: str = Field(description="active — 正常; awaiting_fees — 待缴费; suspended — 暂停")
    annual_fee_valid_until: datetime | None = None


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


# --- projects, units, offset lots ----------------------------------------------------------------
Quantity = Annotated[
    int, Field(strict=True, gt=0, le=10**12, description="whole tonnes CO2e — 吨二氧化碳当量（正整数）")
]
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
ProjectNumber = Annotated[str, Field(pattern=PROJECT_NUMBER_PATTERN, description="project number — 项目编号")]
AccountId = Annotated[str, Field(min_length=1, max_length=40)]


class ProjectIn(BaseModel):
    number: ProjectNumber
    name: str = Field(min_length=1, max_length=200, description="project name — 项目名称")
    owner_uscc: Uscc
    type: str = Field(min_length=1, max_length=100, description="project type — 项目类型")
    methodology: str = Field(min_length=1, max_length=100, description="methodology — 方法学")
    region: str = Field(min_length=1, max_length=100, description="region — 项目所在地区")
    registered_at: date = Field(description="date registered in the new registry — 项目登记日期")
    within_national_ets: bool = Field(
        False, description="under national ETS allowance management — 是否属于全国碳市场配额管理范围"
    )


class ProjectOut(ProjectIn):
    issued: int = Field(0, description="units issued so far — 累计签发量")
    created_at: datetime


class IssuanceIn(BaseModel):
    vintage: int = Field(strict=True, ge=2000, le=2100, description="vintage (year of the reductions) — 减排量年份")
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
    issued_at: datetime


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
    settled_at: datetime


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
    transferred_at: datetime


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
    frozen_at: datetime


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
    frozen_at: datetime
    settled_at: datetime | None = None


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
    cancelled_at: datetime


class DiscrepancyOut(BaseModel):
    code: str
    message: str
    message_zh: str
    project_number: str | None = None
    lot_id: str | None = None
    serial_ranges: Serials = []


class ReconciliationOut(BaseModel):
    checked_at: datetime
    consistent: bool = Field(description="no discrepancy — 账实一致")
    projects_checked: int
    lots_checked: int
    discrepancies: list[DiscrepancyOut]
