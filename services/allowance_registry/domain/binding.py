"""Whether the allowance registry confirms a binding (domain.md §6.2 step 3)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.findings import Finding

__all__ = ["AccountFacts", "binding_findings"]


@dataclass(frozen=True)
class AccountFacts:
    holder_uscc: str
    account_type: str
    status: str


def binding_findings(account: AccountFacts | None, account_id: str, holder_uscc: str) -> list[Finding]:
    """Every reason to reject; empty means confirm."""
    if account is None:
        return [
            Finding(
                code="ALLOWANCE_ACCOUNT_NOT_FOUND",
                message=f"allowance account {account_id} does not exist",
                message_zh=f"配额账户 {account_id} 不存在",
            )
        ]
    findings = []
    if account.holder_uscc != holder_uscc:
        findings.append(
            Finding(
                code="HOLDER_USCC_MISMATCH",
                message="the allowance account belongs to another USCC than the registry account",
                message_zh="配额账户与登记账户的统一社会信用代码不一致",
            )
        )
    if account.account_type != "national_key_emitter":
        findings.append(
            Finding(
                code="NOT_NATIONAL_KEY_EMITTER",
                message="only a national key emitting unit's allowance account can be bound",
                message_zh="仅全国重点排放单位的配额账户可以绑定",
            )
        )
    if account.status != "active":
        findings.append(
            Finding(
                code="ALLOWANCE_ACCOUNT_INACTIVE",
                message="the allowance account is not active",
                message_zh="配额账户状态异常",
            )
        )
    return findings
