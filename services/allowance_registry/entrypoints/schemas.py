"""API schemas of the allowance registry."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from shared.domain_types import AccountType, Holder, check_province


class OpenAccountIn(BaseModel):
    holder: Holder
    province: str = Field(description="province code (GB/T 2260) — 省级行政区划代码")
    account_type: AccountType = Field(description="account type — 账户类型")
    sector: str | None = Field(default=None, max_length=60, description="sector — 行业")

    _province = field_validator("province")(classmethod(lambda cls, v: check_province(v)))


class AccountOut(BaseModel):
    id: str
    holder: Holder
    province: str
    account_type: AccountType
    sector: str | None
    status: str = Field(description="active — 正常")
