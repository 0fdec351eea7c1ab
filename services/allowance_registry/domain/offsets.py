"""Pending offsets (待抵销, domain.md §6.2 steps 4-8): whether a frozen lot can be recorded, and the
arithmetic of a lot: quantity = available + reserved + registered + recalled."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.findings import Finding

__all__ = ["LotBalance", "PendingStatus", "RecallSplit", "offset_refusal_findings", "split_for_recall"]


class PendingStatus(StrEnum):
    """pending — 待抵销; offset — 已抵销; recalled — 已召回"""

    pending = "pending"
    offset = "offset"
    recalled = "recalled"


@dataclass(frozen=True)
class AccountState:
    holder_uscc: str
    status: str


@dataclass(frozen=True)
class BindingState:
    registry_account_id: str
    holder_uscc: str


def offset_refusal_findings(
    account: AccountState | None,
    binding: BindingState | None,
    *,
    allowance_account_id: str,
    registry_account_id: str,
    holder_uscc: str,
) -> list[Finding]:
    """Every reason the allowance registry cannot record a frozen lot as pending; empty: record it."""
    findings = []
    if account is None:
        findings.append(
            Finding(
                code="ALLOWANCE_ACCOUNT_NOT_FOUND",
                message=f"allowance account {allowance_account_id} does not exist",
                message_zh=f"配额账户 {allowance_account_id} 不存在",
            )
        )
    else:
        if account.status != "active":
            findings.append(
                Finding(
                    code="ALLOWANCE_ACCOUNT_INACTIVE",
                    message=f"allowance account {allowance_account_id} is not active",
                    message_zh=f"配额账户 {allowance_account_id} 状态异常",
                )
            )
        if account.holder_uscc != holder_uscc:
            findings.append(
                Finding(
                    code="HOLDER_USCC_MISMATCH",
                    message="the lot's holder is not the holder of the allowance account",
                    message_zh="抵销批次持有人与配额账户持有人的统一社会信用代码不一致",
                )
            )
    if binding is None:
        findings.append(
            Finding(
                code="NO_ACTIVE_BINDING",
                message=f"no active binding between allowance account {allowance_account_id} "
                f"and registry account {registry_account_id}",
                message_zh=f"配额账户 {allowance_account_id} 与登记账户 {registry_account_id} 未绑定",
            )
        )
    elif binding.holder_uscc != holder_uscc:
        findings.append(
            Finding(
                code="BINDING_HOLDER_MISMATCH",
                message="the binding was made for another USCC than the lot's holder",
                message_zh="绑定关系的统一社会信用代码与抵销批次持有人不一致",
            )
        )
    return findings


@dataclass(frozen=True)
class LotBalance:
    quantity: int
    reserved: int = 0
    registered: int = 0
    recalled: int = 0

    @property
    def available(self) -> int:
        return self.quantity - self.reserved - self.registered - self.recalled

    @property
    def status(self) -> PendingStatus:
        """Pending while anything is left (available or reserved); then offset if any of it offset an
        obligation, else recalled."""
        if self.available > 0 or self.reserved > 0:
            return PendingStatus.pending
        return PendingStatus.offset if self.registered > 0 else PendingStatus.recalled


@dataclass(frozen=True)
class RecallSplit:
    recall_now: int
    # Reserved in an application under review: stays; recalled if that review rejects.
    held_back: int


def split_for_recall(balance: LotBalance) -> RecallSplit:
    """At the recall instant only the unreserved remainder goes back."""
    return RecallSplit(recall_now=max(balance.available, 0), held_back=balance.reserved)
