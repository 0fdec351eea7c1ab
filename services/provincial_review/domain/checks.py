"""Automated checks shown to provincial reviewers (domain.md §9, seed 000 第四/五步: unit name,
obligation, requested offset, CCER eligibility; plus the application deadline).

Every check reuses the rule functions of :mod:`shared.offset_rules`, the very ones the allowance
registry applies at submission, so the province sees the same findings with the same codes.
A check never stops at the first problem: it carries every finding it produced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ValidationError

from shared.findings import Finding
from shared.offset_rules import (
    Eligibility,
    LotFacts,
    cap_findings,
    deadline_findings,
    lot_eligibility_findings,
    obligation_findings,
    offset_cap,
)
from shared.timeutil import local

__all__ = [
    "ApplicationFacts",
    "Check",
    "CheckCode",
    "ItemFacts",
    "NoticeFacts",
    "NoticeUsage",
    "Party",
    "automated_checks",
    "failing_findings",
]


class CheckCode(StrEnum):
    """HOLDER_MATCHES_NOTICE — 单位名称与统一社会信用代码与履约通知书一致;
    OBLIGATION_MATCHES_NOTICE — 应清缴配额量与通知书一致且未超出剩余应履约量;
    OFFSET_WITHIN_CAP — 申请抵销量不超过抵销比例上限;
    LOT_ELIGIBLE — CCER 符合性（来源、日期、非全国碳市场配额管理项目）;
    SUBMITTED_BEFORE_DEADLINE — 在履约申请截止时间前提交"""

    holder = "HOLDER_MATCHES_NOTICE"
    obligation = "OBLIGATION_MATCHES_NOTICE"
    cap = "OFFSET_WITHIN_CAP"
    lot = "LOT_ELIGIBLE"
    deadline = "SUBMITTED_BEFORE_DEADLINE"


CCER_KINDS = frozenset({"ccer", "offset_ccer"})


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    uscc: str


@dataclass(frozen=True)
class NoticeFacts:
    """The enterprise notice as the allowance registry issued it."""

    notice_id: str
    period_code: str
    account: Party
    obligation: int


@dataclass(frozen=True)
class ItemFacts:
    kind: str  # allowance | ccer | offset_ccer
    quantity: int
    lot: LotFacts | None = None  # CCER items only

    @property
    def is_ccer(self) -> bool:
        return self.kind in CCER_KINDS


@dataclass(frozen=True)
class ApplicationFacts:
    """What the enterprise submitted (one revision of one application)."""

    account: Party
    period_code: str
    cap_bp: int
    deadline: datetime
    eligibility: Mapping[str, object]
    notice_id: str
    obligation: int
    fulfilled: int
    items: tuple[ItemFacts, ...]
    submitted_at: datetime

    @property
    def allowances(self) -> int:
        return sum(i.quantity for i in self.items if not i.is_ccer)

    @property
    def ccer(self) -> int:
        return sum(i.quantity for i in self.items if i.is_ccer)


@dataclass(frozen=True)
class NoticeUsage:
    """What the province itself knows of the notice's other applications: approved ones (surrendered
    or being surrendered) and ones still under review. The same application's other revisions are
    never counted."""

    approved_total: int = 0
    approved_ccer: int = 0
    pending_total: int = 0
    pending_ccer: int = 0


class Check(BaseModel):
    code: CheckCode
    passed: bool
    detail: str
    detail_zh: str
    item: int | None = None
    findings: list[Finding] = []


@dataclass
class _Builder:
    checks: list[Check] = field(default_factory=list)

    def add(self, code: CheckCode, findings: Sequence[Finding], ok: tuple[str, str], item: int | None = None) -> None:
        if findings:
            detail = "; ".join(f.message for f in findings)
            detail_zh = "；".join(f.message_zh for f in findings)
        else:
            detail, detail_zh = ok
        self.checks.append(
            Check(
                code=code, passed=not findings, detail=detail, detail_zh=detail_zh, item=item, findings=list(findings)
            )
        )


def _f(code: str, message: str, message_zh: str, item: int | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, item=item)


def _notice_missing(notice_id: str) -> Finding:
    return _f(
        "NOTICE_NOT_RECEIVED",
        f"the compliance notice {notice_id} has not reached the province yet; checked again when it arrives",
        f"尚未收到履约通知书 {notice_id}，收到后将重新核对",
    )


def holder_findings(app: ApplicationFacts, notice: NoticeFacts | None) -> list[Finding]:
    if notice is None:
        return [_notice_missing(app.notice_id)]
    findings = []
    if notice.account.id != app.account.id:
        findings.append(
            _f(
                "NOTICE_ACCOUNT_MISMATCH",
                f"notice {notice.notice_id} was issued to account {notice.account.id}, "
                f"not to the applying account {app.account.id}",
                f"履约通知书 {notice.notice_id} 的账户为 {notice.account.id}，与申请账户 {app.account.id} 不一致",
            )
        )
    if notice.account.name != app.account.name:
        findings.append(
            _f(
                "HOLDER_NAME_MISMATCH",
                f"unit name {app.account.name!r} differs from {notice.account.name!r} on the notice",
                f"单位名称“{app.account.name}”与履约通知书上的“{notice.account.name}”不一致",
            )
        )
    if notice.account.uscc != app.account.uscc:
        findings.append(
            _f(
                "HOLDER_USCC_MISMATCH",
                f"USCC {app.account.uscc} differs from {notice.account.uscc} on the notice",
                f"统一社会信用代码 {app.account.uscc} 与履约通知书上的 {notice.account.uscc} 不一致",
            )
        )
    return findings


def obligation_check_findings(app: ApplicationFacts, notice: NoticeFacts | None, usage: NoticeUsage) -> list[Finding]:
    findings = []
    if notice is None:
        findings.append(_notice_missing(app.notice_id))
    else:
        if notice.period_code != app.period_code:
            findings.append(
                _f(
                    "NOTICE_PERIOD_MISMATCH",
                    f"notice {notice.notice_id} is for period {notice.period_code}, "
                    f"the application for {app.period_code}",
                    f"履约通知书 {notice.notice_id} 属于 {notice.period_code} 履约期，申请为 {app.period_code} 履约期",
                )
            )
        if notice.obligation != app.obligation:
            findings.append(
                _f(
                    "OBLIGATION_MISMATCH",
                    f"the application states an obligation of {app.obligation}, the issued notice {notice.obligation}",
                    f"申请所列应履约量 {app.obligation} 与已发放履约通知书的 {notice.obligation} 不一致",
                )
            )
    obligation = notice.obligation if notice is not None else app.obligation
    # Every surrender goes through an approved review, so the province's own approvals are a floor
    # for "fulfilled" even before the allowance registry has processed them.
    fulfilled = max(app.fulfilled, usage.approved_total)
    findings += obligation_findings(obligation, fulfilled, usage.pending_total, app.allowances, app.ccer)
    return findings


def _lot_checks(app: ApplicationFacts, b: _Builder) -> None:
    ccer_items = [(i, item) for i, item in enumerate(app.items) if item.is_ccer]
    if not ccer_items:
        b.add(CheckCode.lot, [], ("the application uses no CCER", "申请未使用 CCER"))
        return
    try:
        eligibility: Eligibility | None = Eligibility.model_validate(dict(app.eligibility))
    except ValidationError as exc:
        eligibility = None
        problem = _f(
            "ELIGIBILITY_RULES_INVALID",
            f"the period {app.period_code} carries no usable eligibility rules ({exc.error_count()} problem(s))",
            f"履约期 {app.period_code} 的 CCER 抵销规则缺失或无效",
        )
    for i, item in ccer_items:
        lot = item.lot
        if eligibility is None:
            findings = [problem.model_copy(update={"item": i})]
        elif lot is None:
            findings = [
                _f(
                    "LOT_FACTS_MISSING",
                    f"item {i}: the CCER item carries no project facts",
                    f"第 {i} 项：CCER 项缺少项目信息",
                    i,
                )
            ]
        else:
            findings = lot_eligibility_findings(eligibility, lot, item=i)
        name = lot.project_number if lot else "?"
        b.add(
            CheckCode.lot,
            findings,
            (
                f"item {i}: {item.quantity} t of {lot.origin if lot else '?'} CCER of project {name} is eligible",
                f"第 {i} 项：项目 {name} 的 CCER {item.quantity} 吨符合抵销条件",
            ),
            item=i,
        )


def automated_checks(app: ApplicationFacts, notice: NoticeFacts | None, usage: NoticeUsage) -> list[Check]:
    """The checks in a fixed order: holder, obligation, cap, one per CCER item, deadline."""
    b = _Builder()
    b.add(
        CheckCode.holder,
        holder_findings(app, notice),
        (
            f"unit {app.account.name} ({app.account.uscc}) matches notice {app.notice_id}",
            f"单位 {app.account.name}（{app.account.uscc}）与履约通知书 {app.notice_id} 一致",
        ),
    )

    b.add(
        CheckCode.obligation,
        obligation_check_findings(app, notice, usage),
        (
            f"obligation {app.obligation} for {app.period_code} matches the notice; "
            f"{app.allowances + app.ccer} t fit what is left to surrender",
            f"{app.period_code} 应履约量 {app.obligation} 与通知书一致，申请量 {app.allowances + app.ccer} 吨未超出剩余应履约量",
        ),
    )

    obligation = notice.obligation if notice is not None else app.obligation
    already = usage.approved_ccer + usage.pending_ccer
    cap = offset_cap(obligation, app.cap_bp)
    b.add(
        CheckCode.cap,
        cap_findings(obligation, app.cap_bp, app.ccer, already),
        (
            f"CCER {app.ccer} + {already} already approved or under review ≤ cap {cap}",
            f"CCER {app.ccer} + 已通过或审核中 {already} 未超过抵销上限 {cap}",
        ),
    )

    _lot_checks(app, b)

    b.add(
        CheckCode.deadline,
        deadline_findings(app.deadline, app.submitted_at),
        (
            f"submitted {local(app.submitted_at).isoformat()}, before the deadline {local(app.deadline).isoformat()}",
            f"提交时间 {local(app.submitted_at).isoformat()} 早于截止时间 {local(app.deadline).isoformat()}",
        ),
    )
    return b.checks


def failing_findings(checks: Sequence[Check]) -> list[Finding]:
    """Every finding of every failing check, in check order, without repeats."""
    out: list[Finding] = []
    seen: set[tuple[str, int | None]] = set()
    for check in checks:
        if check.passed:
            continue
        for f in check.findings:
            key = (f.code, f.item)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out
