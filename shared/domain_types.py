"""Vocabulary every service uses the same way: holder, account types, validated USCC and province
code types whose errors carry an English and a Chinese message."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from shared.reference import PROVINCES
from shared.uscc import uscc_problems_bilingual

__all__ = ["AccountType", "BilingualError", "Holder", "ProvinceCode", "Uscc"]


class BilingualError(ValueError):
    """A validation error whose Chinese text shared.errors puts in ``message_zh``."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


def _check_uscc(value: str) -> str:
    problems = uscc_problems_bilingual(value)
    if problems:
        en, zh = problems[0]
        raise BilingualError(f"invalid USCC: {en}", f"统一社会信用代码无效：{zh}")
    return value


def _check_province(value: str) -> str:
    if value not in PROVINCES:
        raise BilingualError(
            f"unknown province code {value!r} (GB/T 2260 6-digit code, or 660000 for the XPCC)",
            f"省级行政区划代码 {value!r} 无效",
        )
    return value


Uscc = Annotated[
    str,
    AfterValidator(_check_uscc),
    Field(max_length=18, description="unified social credit code — 统一社会信用代码 (GB 32100)"),
]
ProvinceCode = Annotated[
    str,
    AfterValidator(_check_province),
    Field(max_length=6, description="province code (GB/T 2260; 660000 XPCC) — 省级行政区划代码"),
]


class AccountType(StrEnum):
    """national_key_emitter — 全国重点排放单位; local_key_emitter — 地方重点排放单位;
    project_owner — 项目业主; other — 其他"""

    national_key_emitter = "national_key_emitter"
    local_key_emitter = "local_key_emitter"
    project_owner = "project_owner"
    other = "other"


class Holder(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="holder name — 单位名称")
    uscc: Uscc
