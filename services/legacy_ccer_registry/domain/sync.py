"""The sync application (信息同步申请表, the appendix form of seed 000) — pure rules.

    submitted --NCSC approves (or auto-processing at 17:00 on the SLA day)--> awaiting_new_registry
    submitted --NCSC rejects, with reasons--> rejected
    awaiting_new_registry --new registry accepts (sync.accepted)--> synced
    awaiting_new_registry --new registry refuses, with findings (sync.refused)--> refused_by_new_registry

A form names the unit, its legacy and new accounts, a contact, and lines of (cancellation record,
project, quantity) whose purpose is the 2023 offset. It is sent by the period's sync deadline
(2023: 2024-12-23 17:00:00, the last instant, Asia/Shanghai; ``shared.reference``). Every problem
is reported at once; the unit name must be the legacy account holder's (width and spacing aside,
``shared.names``). A record, or part of one, is synced at most
once (domain.md invariant 3): submission claims the quantity on the record; approval sends the
record's lowest serials not on another form approved or synced (the claim is then "in transit");
the new registry's acceptance makes it synced; NCSC's rejection or the new registry's refusal
releases it, so the units are cancelled but unsynced again and may go on a corrected form.

The legacy registry cannot read the new registry's accounts: NCSC's approval is a request the new
registry answers by event, checking that the form's new account exists, is held by the form's
USCC, and that its holder's name is the form's unit name.

NCSC processes a form by the end of the 5th working day counted from the day after it was sent
(``sla_due_at`` = 00:00 of the day after that working day); in auto-processing mode it is approved
at 17:00 on that working day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol

from services.legacy_ccer_registry.domain.holdings import Purpose
from shared.findings import Finding
from shared.names import normalise_name, same_name
from shared.serials import SerialRange, merge_ranges
from shared.timeutil import after_deadline, at_local, local

__all__ = [
    "HOLDING_SERIALS",
    "SYNC_CONFLICTS",
    "SYNC_SLA_WORKING_DAYS",
    "Line",
    "RecordFacts",
    "SyncStatus",
    "WorkingDays",
    "auto_approval_at",
    "decision_findings",
    "sla_due_at",
    "sync_findings",
    "take_free",
]

SYNC_SLA_WORKING_DAYS = 5
AUTO_APPROVAL_TIME = time(17, 0)
SYNC_CONFLICTS = frozenset({"SYNC_DEADLINE_PASSED", "QUANTITY_EXCEEDS_UNSYNCED", "SYNC_ALREADY_DECIDED"})


class SyncStatus(StrEnum):
    """submitted — 已提交（待处理）; awaiting_new_registry — 已批准，待新CCER注登系统接收;
    synced — 已同步; rejected — 未通过; refused_by_new_registry — 新CCER注登系统拒收（可重新申请）"""

    submitted = "submitted"
    awaiting_new_registry = "awaiting_new_registry"
    synced = "synced"
    rejected = "rejected"
    refused_by_new_registry = "refused_by_new_registry"


# Forms whose serials are spoken for: sent to the new registry, or synced there.
HOLDING_SERIALS = (SyncStatus.awaiting_new_registry, SyncStatus.synced)


class WorkingDays(Protocol):
    def add_working_days(self, start: date, n: int) -> date: ...


@dataclass(frozen=True)
class Line:
    cancellation_id: str
    project_number: str
    quantity: int


@dataclass(frozen=True)
class RecordFacts:
    """What the checks need of a cancellation record the applicant may see."""

    project_number: str
    purpose: str
    quantity: int
    synced: int
    claimed: int

    @property
    def unsynced(self) -> int:
        return self.quantity - self.synced - self.claimed


def _finding(code: str, message: str, message_zh: str, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, field=field)


def _form_findings(
    *,
    org: str | None,
    uscc: str,
    account_holder: str | None,
    unit_name: str,
    holder_name: str | None,
    now: datetime,
    deadline: datetime | None,
) -> list[Finding]:
    findings = []
    if uscc != org:
        findings.append(
            _finding(
                "USCC_NOT_OWN",
                "the form's USCC is not your organisation's",
                "申请表中的统一社会信用代码不是本单位的",
                "uscc",
            )
        )
    if account_holder is None or account_holder != org:
        findings.append(
            _finding(
                "LEGACY_ACCOUNT_NOT_OWN",
                "the legacy account is unknown or not yours",
                "旧CCER注登系统账户不存在或不属于本单位",
                "legacy_account_id",
            )
        )
    elif holder_name is not None and not same_name(unit_name, holder_name):
        findings.append(
            _finding(
                "UNIT_NAME_MISMATCH",
                f"the unit name {normalise_name(unit_name)!r} is not the legacy account holder's ({holder_name!r})",
                f"单位名称「{normalise_name(unit_name)}」与旧CCER注登系统账户持有人名称「{holder_name}」不一致",
                "unit_name",
            )
        )
    if deadline is None or after_deadline(deadline, now):
        until = local(deadline).isoformat() if deadline is not None else "no period"
        findings.append(
            _finding(
                "SYNC_DEADLINE_PASSED",
                f"sync applications are accepted until {until} (the last instant)",
                f"信息同步申请受理截止时间为 {until}（含该时刻）",
            )
        )
    return findings


def _line_findings(n: int, line: Line, record: RecordFacts | None, repeated: bool) -> list[Finding]:
    at = f"lines.{n}"
    if repeated:
        return [
            _finding(
                "CANCELLATION_TWICE_IN_FORM",
                f"cancellation {line.cancellation_id} is on more than one line",
                f"注销记录 {line.cancellation_id} 在申请表中重复出现",
                f"{at}.cancellation_id",
            )
        ]
    if record is None:
        return [
            _finding(
                "CANCELLATION_NOT_FOUND",
                f"cancellation {line.cancellation_id} is unknown or not of your legacy account",
                f"注销记录 {line.cancellation_id} 不存在或不属于本单位旧CCER注登系统账户",
                f"{at}.cancellation_id",
            )
        ]
    findings = []
    if line.project_number != record.project_number:
        findings.append(
            _finding(
                "LINE_PROJECT_MISMATCH",
                f"cancellation {line.cancellation_id} is of project {record.project_number}, not {line.project_number}",
                f"注销记录 {line.cancellation_id} 的项目编号为 {record.project_number}，与申请表不符",
                f"{at}.project_number",
            )
        )
    if record.purpose != Purpose.offset_2023:
        findings.append(
            _finding(
                "CANCELLATION_PURPOSE_NOT_2023",
                f"cancellation {line.cancellation_id} was made for {record.purpose}, not offset_2023",
                f"注销记录 {line.cancellation_id} 的注销目的不是抵销2023年度配额清缴",
                f"{at}.cancellation_id",
            )
        )
    if line.quantity > record.unsynced:
        findings.append(
            _finding(
                "QUANTITY_EXCEEDS_UNSYNCED",
                f"{line.quantity} requested from cancellation {line.cancellation_id}, {record.unsynced} not yet synced",
                f"申请同步量 {line.quantity} 超过注销记录 {line.cancellation_id} 尚未同步的数量 {record.unsynced}",
                f"{at}.quantity",
            )
        )
    return findings


def sync_findings(
    *,
    org: str | None,
    uscc: str,
    account_holder: str | None,
    lines: Sequence[Line],
    records: Mapping[str, RecordFacts],
    now: datetime,
    deadline: datetime | None,
    unit_name: str = "",
    holder_name: str | None = None,
) -> list[Finding]:
    """Every reason the form is refused. ``records`` holds the cancellation records of the
    applicant's legacy account named on the form (others are unknown to it); ``holder_name`` is
    that account holder's name (the form's ``unit_name`` must be it)."""
    findings = _form_findings(
        org=org,
        uscc=uscc,
        account_holder=account_holder,
        unit_name=unit_name,
        holder_name=holder_name,
        now=now,
        deadline=deadline,
    )
    counts = Counter(line.cancellation_id for line in lines)
    seen: set[str] = set()
    for n, line in enumerate(lines):
        repeated = counts[line.cancellation_id] > 1 and line.cancellation_id in seen
        seen.add(line.cancellation_id)
        findings += _line_findings(n, line, records.get(line.cancellation_id), repeated)
    return findings


def decision_findings(*, status: str, decision_is_reject: bool, reason_count: int) -> list[Finding]:
    findings = []
    if status != SyncStatus.submitted:
        findings.append(
            _finding(
                "SYNC_ALREADY_DECIDED", f"the sync application is already {status}", f"该同步申请已处理（{status}）"
            )
        )
    if decision_is_reject and reason_count == 0:
        findings.append(_finding("REASONS_REQUIRED", "a rejection gives its reasons", "不予同步须说明理由", "reasons"))
    return findings


def _sla_day(calendar: WorkingDays, sent_at: datetime) -> date:
    return calendar.add_working_days(local(sent_at).date(), SYNC_SLA_WORKING_DAYS)


def sla_due_at(calendar: WorkingDays, sent_at: datetime) -> datetime:
    """The end of the 5th working day counted from the day after sending: 00:00 of the next day."""
    return at_local(_sla_day(calendar, sent_at) + timedelta(days=1))


def auto_approval_at(calendar: WorkingDays, sent_at: datetime) -> datetime:
    """17:00 (Asia/Shanghai) on the SLA's working day."""
    return at_local(_sla_day(calendar, sent_at), AUTO_APPROVAL_TIME)


def take_free(
    recorded: Sequence[Mapping[str, str]], held: Sequence[SerialRange], quantity: int
) -> list[tuple[SerialRange, date]]:
    """The ``quantity`` lowest serials of a record that no other form holds (``held``: the record's
    ranges on forms sent to the new registry or synced), each range with its record date;
    ``recorded`` is the record's ``[{first, last, units_recorded_at}]``. A refused form's serials
    are free again, so they may lie below others'."""
    out: list[tuple[SerialRange, date]] = []
    taken = merge_ranges(held)
    for entry in recorded:
        rng = SerialRange.from_labels(entry["first"], entry["last"])
        on = date.fromisoformat(entry["units_recorded_at"])
        for gap in _gaps(rng, [h for h in taken if h.prefix == rng.prefix]):
            last = min(gap.last, gap.first + quantity - 1)
            out.append((SerialRange(rng.prefix, gap.first, last), on))
            quantity -= last - gap.first + 1
            if quantity == 0:
                return out
    raise ValueError("the record holds fewer free units than requested")


def _gaps(rng: SerialRange, taken: Sequence[SerialRange]) -> list[SerialRange]:
    """The parts of ``rng`` outside ``taken`` (sorted, disjoint, of its prefix), lowest first."""
    gaps, start = [], rng.first
    for t in taken:
        if t.last < start or t.first > rng.last:
            continue
        if t.first > start:
            gaps.append(SerialRange(rng.prefix, start, t.first - 1))
        start = t.last + 1
    if start <= rng.last:
        gaps.append(SerialRange(rng.prefix, start, rng.last))
    return gaps
