"""Offset-CCER creation requests of the first compliance period (seed 002 Part 2, domain.md §7 step 5).

NCSC's daily cancellation records (``legacy_ccer_registry.cancellation.recorded``) reach the registry;
each record whose purpose is the 2019-2020 offset drafts one request for the unit's allowance account
(a record of a unit without one is kept as *unmatched* for the operators). Then:

    (record) --drafted--> draft
    draft --submit (registry initiator, 发起管理员提交创建申请)--> submitted
    submitted --approve (registry confirmer, not the submitter, 确认管理员审核)--> approved   (final)
    submitted --reject, with reasons (registry confirmer, not the submitter)--> rejected     (final)

Approval generates an instrument ``CCER21000nnn`` named "<unit>配额抵消清缴CCER", of kind
``offset_ccer``, carrying the cancelled project's facts, and credits the unit's registry-side CCER
holding with the record's quantity: one instrument per approved request. The rules live here: a step
out of order is a conflict (409 ``OFFSET_CCER_REQUEST_NOT_DRAFT`` / ``…_NOT_SUBMITTED``); the person
(``sub``) who submitted a request never decides it (403 ``TWO_PERSON_RULE``, as for periods); a
rejection gives at least one reason (422 ``REASONS_REQUIRED``). Every problem is reported at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.errors import refuse
from shared.findings import Finding, two_person_rule
from shared.timeutil import local

__all__ = [
    "FIRST_PERIOD_PURPOSE",
    "INSTRUMENT_PREFIX",
    "REQUEST_CONFLICTS",
    "Decision",
    "RequestState",
    "RequestStatus",
    "Step",
    "decide",
    "drafts_a_request",
    "history_entry",
    "instrument_code",
    "instrument_name",
    "next_sequence",
    "submit",
]

# The cancellation purpose of the first period (legacy registry: 用于抵销2019-2020年度配额清缴).
FIRST_PERIOD_PURPOSE = "offset_2019_2020"

# CCER21000057 in seed 002: "CCER" + "21" + a six-digit registry-wide sequence, whose first 999 values
# read as 000nnn. The simulation counts from 001 (CCER21000001).
INSTRUMENT_PREFIX = "CCER21"
_SEQUENCE_DIGITS = 6

REQUEST_CONFLICTS = frozenset({"OFFSET_CCER_REQUEST_NOT_DRAFT", "OFFSET_CCER_REQUEST_NOT_SUBMITTED"})


class RequestStatus(StrEnum):
    """draft — 待提交; submitted — 待审核; approved — 已创建; rejected — 审核不通过"""

    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"


class Decision(StrEnum):
    """approve — 审核通过; reject — 审核不通过"""

    approve = "approve"
    reject = "reject"


@dataclass(frozen=True)
class RequestState:
    id: str
    status: RequestStatus
    submitted_by: str | None = None  # the submitter's ``sub``


@dataclass(frozen=True)
class Step:
    """Where a step leads: the new status and the history action recording it."""

    status: RequestStatus
    action: str


def drafts_a_request(purpose: str) -> bool:
    """Only records cancelled to offset the 2019-2020 surrender become requests; others are acknowledged."""
    return purpose == FIRST_PERIOD_PURPOSE


def _finding(code: str, message: str, message_zh: str, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, field=field)


def _refuse(findings: list[Finding], what: str, what_zh: str) -> None:
    refuse(findings, what, what_zh, conflict_codes=REQUEST_CONFLICTS)


def submit(request: RequestState) -> Step:
    """发起管理员提交创建申请: only a draft is submitted."""
    if request.status != RequestStatus.draft:
        _refuse(
            [
                _finding(
                    "OFFSET_CCER_REQUEST_NOT_DRAFT",
                    f"creation request {request.id} is {request.status}; only a draft can be submitted",
                    f"创建申请 {request.id} 当前状态为 {request.status}，仅待提交的申请可提交",
                )
            ],
            "the creation request cannot be submitted",
            "创建申请无法提交",
        )
    return Step(RequestStatus.submitted, "submitted")


def decide(request: RequestState, decision: Decision, by: str, reasons: Iterable[Any] = ()) -> Step:
    """确认管理员审核: a submitted request, decided by someone other than its submitter; a rejection
    gives its reasons. Every problem at once (the two-person rule first: 403)."""
    findings: list[Finding] = []
    same_person = two_person_rule(request.submitted_by, by, "submitted this creation request", "提交该创建申请")
    if same_person is not None:
        findings.append(same_person)
    if request.status != RequestStatus.submitted:
        findings.append(
            _finding(
                "OFFSET_CCER_REQUEST_NOT_SUBMITTED",
                f"creation request {request.id} is {request.status}; only a submitted request can be decided",
                f"创建申请 {request.id} 当前状态为 {request.status}，仅待审核的申请可审核",
            )
        )
    if decision is Decision.reject and not list(reasons):
        findings.append(
            _finding("REASONS_REQUIRED", "a rejection gives its reasons", "审核不通过须说明理由", "reasons")
        )
    _refuse(findings, "the creation request cannot be decided", "创建申请无法审核")
    if decision is Decision.approve:
        return Step(RequestStatus.approved, "approved")
    return Step(RequestStatus.rejected, "rejected")


def next_sequence(existing_codes: Iterable[str]) -> int:
    """The next number of the registry-wide sequence, after the highest generated code (from 1)."""
    numbers = [
        int(code[len(INSTRUMENT_PREFIX) :])
        for code in existing_codes
        if code.startswith(INSTRUMENT_PREFIX) and code[len(INSTRUMENT_PREFIX) :].isdigit()
    ]
    return max(numbers, default=0) + 1


def instrument_code(sequence: int) -> str:
    """``CCER21000001`` for 1, … ``CCER21000999`` for 999 (then ``CCER21001000``)."""
    if sequence < 1 or sequence >= 10**_SEQUENCE_DIGITS:
        raise ValueError(f"offset-CCER sequence {sequence} out of range")
    return f"{INSTRUMENT_PREFIX}{sequence:0{_SEQUENCE_DIGITS}d}"


def instrument_name(unit_name: str) -> str:
    """The generated instrument's name as seed 002 shows it: 火电测试企业配额抵消清缴CCER."""
    return f"{unit_name}配额抵消清缴CCER"


def history_entry(at: datetime, action: str, actor: str, **extra: Any) -> dict[str, Any]:
    """One line of the request's 流程图: what happened, when, and who did it."""
    return {"at": local(at).isoformat(), "action": action, "actor": actor, **extra}
