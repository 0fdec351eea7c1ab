"""Binding rules of the new registry (domain.md §6.2 step 3): one active binding per account."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from shared.findings import Finding

__all__ = ["BINDING_CONFLICT_CODES", "BindingStatus", "binding_request_findings"]

# Both refusals are about the state of the account's bindings, not the request (409).
BINDING_CONFLICT_CODES = frozenset({"BINDING_ALREADY_ACTIVE", "BINDING_PENDING"})


class BindingStatus(StrEnum):
    """requested — 绑定申请中; active — 已绑定; rejected — 绑定被拒绝"""

    requested = "requested"
    active = "active"
    rejected = "rejected"


def binding_request_findings(existing: Iterable[str]) -> list[Finding]:
    """Why a new binding may not be requested, given the statuses of the account's bindings."""
    statuses = set(existing)
    findings = []
    if BindingStatus.active in statuses:
        findings.append(
            Finding(
                code="BINDING_ALREADY_ACTIVE",
                message="the account already has an active binding",
                message_zh="该账户已有生效的绑定",
            )
        )
    if BindingStatus.requested in statuses:
        findings.append(
            Finding(
                code="BINDING_PENDING",
                message="a binding request is already waiting for the allowance registry",
                message_zh="已有绑定申请等待配额注登系统确认",
            )
        )
    return findings
