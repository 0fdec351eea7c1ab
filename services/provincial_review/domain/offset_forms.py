"""The first period's offset application form (申请表, seed 001 附件1 第三步至第六步; domain.md §7): pure.

    (none) --submit--> submitted --confirm--> confirmed   (final)
                       submitted --return---> returned --resubmit--> submitted

- The unit submits its form to its province inside the period's form window, taken from the period
  definitions (``shared.reference``; 2019-2020: from 2021-10-26 00:00:00 to 2021-12-10 23:59:59,
  the last instant to submit, Asia/Shanghai).
- The province checks it against the unit's enterprise notice: unit name, province, the period's
  obligation, and the requested quantity within floor(cap × obligation) (第四步). Every problem is
  reported at once, each with a stable code.
- The province confirms it, or returns it with reasons; the unit corrects and resubmits it.
- Each Friday at 17:00 every form received (submitted or resubmitted) or decided since the previous
  Friday 17:00 is summarised for NCSC with its status at the week's end (第四步 "每周汇总申请表信息，
  并于周五下班前发至国家气候战略中心"): not only the confirmed ones.
- NCSC's daily cancellation records (第六步) are set beside the confirmed quantity (第五步 "按照经确认的
  《申请表》注销"), and any difference is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from shared.findings import Finding
from shared.offset_rules import offset_cap
from shared.reference import CompliancePeriods
from shared.timeutil import CST, after_deadline, local

__all__ = [
    "FORM_CHECKS_FAILING",
    "FORM_CONFLICTS",
    "FORM_EXISTS",
    "CancellationCheck",
    "FormDecision",
    "FormEvent",
    "FormInput",
    "FormPeriod",
    "FormStatus",
    "UnitNotice",
    "WeekEntry",
    "cancellation_check",
    "content_findings",
    "decision_findings",
    "existing_form_finding",
    "form_periods",
    "form_window_open",
    "period_findings",
    "period_of_purpose",
    "proof_findings",
    "resubmission_findings",
    "summary_after",
    "week_bounds",
    "week_entry",
    "week_findings",
    "window_findings",
]


class FormStatus(StrEnum):
    """submitted — 已提交（待省级确认）; confirmed — 已确认; returned — 已退回（待修改后重新提交）"""

    submitted = "submitted"
    confirmed = "confirmed"
    returned = "returned"


class FormDecision(StrEnum):
    """confirm — 确认; return — 退回（附理由）"""

    confirm = "confirm"
    return_ = "return"


class CancellationCheck(StrEnum):
    """matched — 注销量与确认量一致; not_cancelled — 已确认，尚未注销; short — 注销量少于确认量;
    excess — 注销量多于确认量"""

    matched = "matched"
    not_cancelled = "not_cancelled"
    short = "short"
    excess = "excess"


@dataclass(frozen=True)
class FormPeriod:
    """A period whose offset path starts with the form (only the first one). The cap is the
    period's offset cap in basis points; the window runs from ``opens_at`` to ``deadline``, both
    inclusive (``deadline`` is the last instant a unit can submit)."""

    code: str
    cap_bp: int
    opens_at: datetime
    deadline: datetime
    cancellation_purpose: str | None


def form_periods(periods: CompliancePeriods) -> dict[str, FormPeriod]:
    """The periods with a form window in the period definitions (seed 001: 5% cap; 申请表 from
    2021-10-26 to 2021-12-10; CCER cancelled with the purpose of the 2019-2020 offset)."""
    return {
        code: FormPeriod(
            code=code,
            cap_bp=p.cap_bp,
            opens_at=p.offset_form.opens_at,
            deadline=p.offset_form.deadline,
            cancellation_purpose=p.cancellation.purpose if p.cancellation else None,
        )
        for code, p in periods.dates.items()
        if p.offset_form is not None
    }


FORM_EXISTS = "FORM_EXISTS"
FORM_WINDOW_NOT_OPEN = "FORM_WINDOW_NOT_OPEN"
FORM_WINDOW_CLOSED = "FORM_WINDOW_CLOSED"
FORM_NOT_SUBMITTED = "FORM_NOT_SUBMITTED"
FORM_NOT_RETURNED = "FORM_NOT_RETURNED"
FORM_NOT_CONFIRMED = "FORM_NOT_CONFIRMED"
FORM_CHECKS_FAILING = "FORM_CHECKS_FAILING"
# About the state of things (409), not about the request (422).
FORM_CONFLICTS = frozenset(
    {FORM_EXISTS, FORM_WINDOW_NOT_OPEN, FORM_WINDOW_CLOSED, FORM_NOT_SUBMITTED, FORM_NOT_RETURNED, FORM_NOT_CONFIRMED}
)

SUMMARY_WEEKDAY = 4  # Friday
SUMMARY_AT = time(17, 0)


@dataclass(frozen=True)
class FormInput:
    """What the unit writes on its form."""

    period_code: str
    unit_name: str
    unit_uscc: str
    province: str
    obligation: int
    requested_quantity: int


@dataclass(frozen=True)
class UnitNotice:
    """The unit's enterprise notice for the period, as the allowance registry issued it."""

    notice_id: str
    province: str
    name: str
    uscc: str
    obligation: int


def _f(code: str, message: str, message_zh: str, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, field=field)


def period_findings(periods: dict[str, FormPeriod], period_code: str) -> list[Finding]:
    if period_code in periods:
        return []
    known = ", ".join(periods)
    return [
        _f(
            "FORM_PERIOD_UNKNOWN",
            f"period {period_code!r} has no offset application form (forms exist for: {known})",
            f"履约期 {period_code!r} 无需提交 CCER 抵销申请表（适用履约期：{known}）",
            "period_code",
        )
    ]


def window_findings(period: FormPeriod, now: datetime) -> list[Finding]:
    """The form is accepted from ``opens_at`` to ``deadline``, both inclusive."""
    opens, closes = local(period.opens_at).isoformat(), local(period.deadline).isoformat()
    if now < period.opens_at:
        return [
            _f(
                FORM_WINDOW_NOT_OPEN,
                f"forms for {period.code} are accepted from {opens}",
                f"{period.code} 抵销申请表自 {opens} 起受理",
            )
        ]
    if after_deadline(period.deadline, now):
        return [
            _f(
                FORM_WINDOW_CLOSED,
                f"forms for {period.code} were accepted until {closes} (the last instant to submit)",
                f"{period.code} 抵销申请表受理截止时间为 {closes}（含该时刻），已截止",
            )
        ]
    return []


def content_findings(form: FormInput, notice: UnitNotice | None, period: FormPeriod) -> list[Finding]:
    """The province's checks of 第四步 against the unit's notice, every one of them."""
    findings: list[Finding] = []
    if form.requested_quantity <= 0:
        findings.append(
            _f(
                "QUANTITY_NOT_POSITIVE",
                f"the requested quantity must be a positive whole number of tonnes, got {form.requested_quantity}",
                f"申请抵销量必须为正整数（吨），当前为 {form.requested_quantity}",
                "requested_quantity",
            )
        )
    if notice is None:
        findings.append(
            _f(
                "NOTICE_NOT_FOUND",
                f"no compliance notice for {period.code} has been issued to unit {form.unit_uscc}",
                f"未查询到向单位 {form.unit_uscc} 发放的 {period.code} 履约通知书",
                "unit.uscc",
            )
        )
    else:
        findings += _notice_findings(form, notice)
    basis = notice.obligation if notice is not None else form.obligation
    cap = offset_cap(basis, period.cap_bp)
    if form.requested_quantity > cap:
        pct = f"{period.cap_bp / 100:g}%"
        findings.append(
            _f(
                "OFFSET_CAP_EXCEEDED",
                f"the requested {form.requested_quantity} exceeds the cap of {cap} ({pct} of the obligation {basis})",
                f"申请抵销量 {form.requested_quantity} 超过应清缴配额量 {basis} 的 {pct}（{cap}）",
                "requested_quantity",
            )
        )
    return findings


def _notice_findings(form: FormInput, notice: UnitNotice) -> list[Finding]:
    findings = []
    if form.unit_name != notice.name:
        findings.append(
            _f(
                "UNIT_NAME_MISMATCH",
                f"unit name {form.unit_name!r} differs from {notice.name!r} on notice {notice.notice_id}",
                f"单位名称“{form.unit_name}”与履约通知书上的“{notice.name}”不一致",
                "unit.name",
            )
        )
    if form.province != notice.province:
        findings.append(
            _f(
                "PROVINCE_MISMATCH",
                f"province {form.province} differs from {notice.province}, where notice {notice.notice_id} was issued",
                f"所属省份 {form.province} 与履约通知书的 {notice.province} 不一致",
                "province",
            )
        )
    if form.obligation != notice.obligation:
        findings.append(
            _f(
                "OBLIGATION_MISMATCH",
                f"the stated obligation {form.obligation} differs from {notice.obligation} on notice {notice.notice_id}",
                f"所填应清缴配额量 {form.obligation} 与履约通知书的 {notice.obligation} 不一致",
                "obligation",
            )
        )
    return findings


def existing_form_finding(form_id: str, period_code: str) -> Finding:
    return _f(
        FORM_EXISTS,
        f"the unit already has form {form_id} for {period_code}; correct a returned form with PUT instead",
        f"该单位已提交 {period_code} 抵销申请表 {form_id}；如被退回，请修改后重新提交",
    )


def resubmission_findings(status: FormStatus, period_code: str, form: FormInput) -> list[Finding]:
    findings = []
    if status is not FormStatus.returned:
        findings.append(
            _f(
                FORM_NOT_RETURNED,
                f"only a returned form can be corrected and resubmitted; this one is {status.value}",
                f"仅被退回的申请表可修改后重新提交，当前状态为 {status.value}",
            )
        )
    if form.period_code != period_code:
        findings.append(
            _f(
                "FORM_PERIOD_CHANGED",
                f"the form is for {period_code}; its period cannot change",
                f"申请表所属履约期为 {period_code}，不可更改",
                "period_code",
            )
        )
    return findings


def decision_findings(status: FormStatus, decision: FormDecision, reasons: Sequence[str]) -> list[Finding]:
    """Only a submitted form is decided; a return says why."""
    findings = []
    if status is not FormStatus.submitted:
        findings.append(
            _f(
                FORM_NOT_SUBMITTED,
                f"only a submitted form can be confirmed or returned; this one is {status.value}",
                f"仅已提交的申请表可确认或退回，当前状态为 {status.value}",
            )
        )
    if decision is FormDecision.return_ and not any(r.strip() for r in reasons):
        findings.append(
            _f(
                "REASONS_REQUIRED",
                "a returned form must carry the reasons",
                "退回申请表须说明理由",
                "reasons",
            )
        )
    return findings


def proof_findings(status: FormStatus) -> list[Finding]:
    """The stamped screenshot follows a cancellation made according to the confirmed form (第五步)."""
    if status is FormStatus.confirmed:
        return []
    return [
        _f(
            FORM_NOT_CONFIRMED,
            f"the cancellation proof follows the confirmed form; this one is {status.value}",
            f"注销截图须在申请表确认后提交，当前状态为 {status.value}",
        )
    ]


def cancellation_check(confirmed: int, cancelled: int) -> CancellationCheck:
    if cancelled == confirmed:
        return CancellationCheck.matched
    if cancelled == 0:
        return CancellationCheck.not_cancelled
    return CancellationCheck.short if cancelled < confirmed else CancellationCheck.excess


def period_of_purpose(periods: dict[str, FormPeriod], purpose: str) -> FormPeriod | None:
    """The form period a cancellation purpose belongs to (``offset_2019_2020`` → 2019-2020)."""
    return next((p for p in periods.values() if p.cancellation_purpose == purpose), None)


def summary_after(instant: datetime) -> datetime:
    """The first weekly summary (Friday 17:00 Asia/Shanghai) strictly after ``instant``: a form
    confirmed at 17:00:00 on a Friday goes into the next week's summary."""
    at = local(instant)
    friday = at.date() + timedelta(days=(SUMMARY_WEEKDAY - at.weekday()) % 7)
    due = datetime.combine(friday, SUMMARY_AT, tzinfo=CST)
    return due if at < due else due + timedelta(days=7)


def week_bounds(week_ending: date) -> tuple[datetime, datetime]:
    """The instants a week's summary covers: [previous Friday 17:00, this Friday 17:00)."""
    end = datetime.combine(week_ending, SUMMARY_AT, tzinfo=CST)
    return end - timedelta(days=7), end


def week_findings(week_ending: date) -> list[Finding]:
    if week_ending.weekday() == SUMMARY_WEEKDAY:
        return []
    return [
        _f(
            "WEEK_NOT_FRIDAY",
            f"a week is named by the Friday it ends on; {week_ending.isoformat()} is not a Friday",
            f"周次以周五日期表示，{week_ending.isoformat()} 不是周五",
            "week",
        )
    ]


def form_window_open(periods: dict[str, FormPeriod], at: datetime) -> bool:
    """Whether some period's form window is open at ``at`` (weekly summaries continue meanwhile)."""
    return any(p.opens_at <= at and not after_deadline(p.deadline, at) for p in periods.values())


# What puts a form into a week's summary: it was received (submitted, resubmitted) or decided.
RECEIVED_ACTIONS = frozenset({"submitted", "resubmitted"})
SUMMARISED_ACTIONS = RECEIVED_ACTIONS | {"confirmed", "returned"}


@dataclass(frozen=True)
class FormEvent:
    """One entry of a form's history: what happened, the status after it, and for a submission
    the form's content as submitted (``unit_name``, ``obligation``, ``requested_quantity``,
    ``notice_id``, ``revision``)."""

    at: datetime
    action: str
    status: str
    reasons: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WeekEntry:
    """A form as it stood at the end of a summary week."""

    status: FormStatus
    unit_name: str
    notice_id: str
    obligation: int
    requested_quantity: int
    revision: int
    submitted_at: datetime
    decided_at: datetime | None
    reasons: tuple[str, ...]

    @property
    def confirmed_quantity(self) -> int:
        return self.requested_quantity if self.status is FormStatus.confirmed else 0


def week_entry(events: Sequence[FormEvent], covers_from: datetime, covers_until: datetime) -> WeekEntry | None:
    """The form in the summary of the week [``covers_from``, ``covers_until``): every form received
    or decided in the week, with its status at the week's end (seed 001 第四步 "每周汇总申请表信息":
    the forms, not only the confirmed ones); None for a form the week did not touch. Read from the
    history, so a summary made late (after a clock jump) still shows the week as it was."""
    known = [e for e in events if e.at < covers_until]
    if not any(covers_from <= e.at and e.action in SUMMARISED_ACTIONS for e in known):
        return None
    submission = next(e for e in reversed(known) if e.action in RECEIVED_ACTIONS)
    last = next(e for e in reversed(known) if e.action in SUMMARISED_ACTIONS)
    decided = last.action not in RECEIVED_ACTIONS
    d = submission.detail
    return WeekEntry(
        status=FormStatus(last.status),
        unit_name=str(d.get("unit_name", "")),
        notice_id=str(d.get("notice_id", "")),
        obligation=int(d.get("obligation", 0)),
        requested_quantity=int(d.get("requested_quantity", 0)),
        revision=int(d.get("revision", 1)),
        submitted_at=submission.at,
        decided_at=last.at if decided else None,
        reasons=last.reasons if decided else (),
    )
