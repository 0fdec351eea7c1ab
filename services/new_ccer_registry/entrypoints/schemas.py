"""API schemas of the new CCER registry (kept apart from ORM rows and event contracts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from shared.domain_types import AccountType, Holder, check_province


class OpenAccountIn(BaseModel):
    holder: Holder
    account_type: AccountType = Field(description="account type — 账户类型")
    province: str = Field(description="province code (GB/T 2260) — 省级行政区划代码")

    _province = field_validator("province")(classmethod(lambda cls, v: check_province(v)))


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
    allowance_account_id: str = Field(min_length=1, max_length=40, description="allowance-registry account id — 配额注登系统账户")


class BindingRequestedOut(BaseModel):
    binding_id: str
    status: Literal["requested"] = "requested"
