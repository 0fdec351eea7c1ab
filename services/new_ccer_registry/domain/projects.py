"""Projects and issuance (签发) in the new registry: checks and serial numbering (pure)."""

from __future__ import annotations

import re

from shared.findings import Finding
from shared.serials import SerialRange, issuance_prefix

__all__ = ["PROJECT_NUMBER_PATTERN", "issuance_findings", "next_issuance_range"]

# Letters, digits and . _ - : the number is embedded in serials (CCER-{number}-{vintage}-{n}).
PROJECT_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
_PATTERN = re.compile(PROJECT_NUMBER_PATTERN)


def issuance_findings(*, account_known: bool, account_active: bool, vintage: int, current_year: int) -> list[Finding]:
    """Why units of ``vintage`` may not be issued into the account now."""
    findings = []
    if not account_known:
        findings.append(
            Finding(code="ACCOUNT_NOT_FOUND", message="account not found", message_zh="账户不存在", field="account_id")
        )
    elif not account_active:
        findings.append(
            Finding(
                code="ACCOUNT_NOT_ACTIVE",
                message="the registry account is not active",
                message_zh="登记账户状态异常",
                field="account_id",
            )
        )
    if vintage > current_year:
        findings.append(
            Finding(
                code="VINTAGE_IN_FUTURE",
                message=f"vintage {vintage} is after the current year {current_year}",
                message_zh=f"减排量年份 {vintage} 晚于当前年份 {current_year}",
                field="vintage",
            )
        )
    return findings


def next_issuance_range(project_number: str, vintage: int, last_issued: int | None, quantity: int) -> SerialRange:
    """The contiguous range of a new issuance: n continues after the last unit already issued for
    this project and vintage (from 1 for the first issuance)."""
    if not _PATTERN.match(project_number):
        raise ValueError(f"invalid project number {project_number!r}")
    first = (last_issued or 0) + 1
    return SerialRange(issuance_prefix(project_number, vintage), first, first + quantity - 1)
