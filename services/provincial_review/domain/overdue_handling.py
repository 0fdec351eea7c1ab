"""How a province handled the units that did not surrender in time, and its report to the ministry
(seed 001 二: "对未按时足额清缴配额的重点排放单位，依据《碳排放权交易管理办法（试行）》相关规定处理，
有关处理情况于 2022 年 1 月 15 日前报送我部"): pure, no I/O.

- A unit is overdue (未按时足额清缴) when its enterprise notice's deadline has passed and the
  allowance registry did not report it complete by that deadline (a notice completed late is
  overdue too). The province knows both from the events it consumes: ``notice.issued`` (with the
  deadline) and ``compliance.completed``.
- The province records how it handled each overdue unit: a kind and a bounded description. It
  may correct the record; the report shows the latest.
- The report is due at the period's ``handling_report_due`` (the period definitions; 2019-2020:
  2022-01-15 23:59:59, the last instant). A period without that date has no handling report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.findings import Finding
from shared.timeutil import after_deadline, local

__all__ = [
    "HANDLING_CONFLICTS",
    "HANDLING_NOT_REQUIRED",
    "UNIT_NOT_OVERDUE",
    "HandlingKind",
    "NoticeFacts",
    "handling_findings",
    "is_overdue",
    "overdue_notices",
]


class HandlingKind(StrEnum):
    """ordered_to_correct — 责令限期改正; fined — 罚款; allowances_deducted — 等量核减下一年度配额;
    other — 其他处理"""

    ordered_to_correct = "ordered_to_correct"
    fined = "fined"
    allowances_deducted = "allowances_deducted"
    other = "other"


HANDLING_NOT_REQUIRED = "HANDLING_REPORT_NOT_REQUIRED"
UNIT_NOT_OVERDUE = "UNIT_NOT_OVERDUE"
HANDLING_CONFLICTS = frozenset({HANDLING_NOT_REQUIRED, UNIT_NOT_OVERDUE})


@dataclass(frozen=True)
class NoticeFacts:
    """An enterprise notice as the province knows it, and when it was reported complete."""

    notice_id: str
    period_code: str
    deadline: datetime
    completed_at: datetime | None


def is_overdue(notice: NoticeFacts, now: datetime) -> bool:
    """The notice's deadline has passed and it was not complete by it (未按时足额清缴)."""
    if not after_deadline(notice.deadline, now):
        return False
    return notice.completed_at is None or after_deadline(notice.deadline, notice.completed_at)


def overdue_notices(
    notices: Iterable[NoticeFacts], completions: Mapping[str, datetime], now: datetime
) -> list[NoticeFacts]:
    """The overdue notices among ``notices``, ``completions`` giving each completed notice's instant."""
    facts = (
        NoticeFacts(n.notice_id, n.period_code, n.deadline, completions.get(n.notice_id, n.completed_at))
        for n in notices
    )
    return [n for n in facts if is_overdue(n, now)]


def handling_findings(notice: NoticeFacts, report_due: datetime | None, now: datetime) -> list[Finding]:
    """Why the handling of ``notice`` may not be recorded; every reason at once."""
    findings = []
    if report_due is None:
        findings.append(
            Finding(
                code=HANDLING_NOT_REQUIRED,
                message=f"period {notice.period_code} has no report on the handling of overdue units",
                message_zh=f"履约期 {notice.period_code} 无需报送未按时足额清缴单位的处理情况",
            )
        )
    if not is_overdue(notice, now):
        deadline = local(notice.deadline).isoformat()
        why = (
            f"its deadline {deadline} has not passed"
            if not after_deadline(notice.deadline, now)
            else f"it was complete by its deadline {deadline}"
        )
        why_zh = f"履约截止时间 {deadline} 尚未届满" if not after_deadline(notice.deadline, now) else "已按时足额清缴"
        findings.append(
            Finding(
                code=UNIT_NOT_OVERDUE,
                message=f"notice {notice.notice_id} is not overdue: {why}",
                message_zh=f"履约通知书 {notice.notice_id} 的单位不属于未按时足额清缴：{why_zh}",
                field="notice_id",
            )
        )
    return findings
