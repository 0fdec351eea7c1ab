"""Offset rules used the same way by the allowance registry (validation at submission, domain.md §6.3)
and the provincial review (automated checks, §9): each is a small named check returning findings
with stable codes, never the first problem only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.bounds import Day
from shared.findings import Finding
from shared.timeutil import after_deadline, local

__all__ = [
    "Eligibility",
    "LotFacts",
    "cap_findings",
    "deadline_findings",
    "lot_eligibility_findings",
    "obligation_findings",
    "offset_cap",
    "quantity_findings",
]

Origin = Literal["new", "legacy", "offset_ccer"]
ORIGINS_DOC = (
    "new — 新 CCER（新注登系统登记）; legacy — 旧有 CCER（旧注登系统备案，已同步）; "
    "offset_ccer — 履约抵销 CCER（第一个履约周期由配额注登系统生成）"
)


class Eligibility(BaseModel):
    """Which CCER a period accepts (travels in ``application.submitted`` as ``period.eligibility``)."""

    origins: list[Annotated[Origin, Field(description=ORIGINS_DOC)]] = Field(max_length=3, description=ORIGINS_DOC)
    # Legacy units: reductions recorded (备案) strictly before this date (2017-03-14).
    legacy_recorded_before: Day | None = None
    # New units: project registered in the new registry on or after this date (launch 2024-01-22).
    new_registered_on_or_after: Day | None = None
    exclude_within_national_ets: bool = True


class LotFacts(BaseModel):
    origin: Origin
    project_number: str
    registered_or_recorded_at: date | None = None
    units_recorded_at: date | None = None
    within_national_ets: bool = False


def offset_cap(obligation: int, cap_bp: int) -> int:
    """Largest CCER quantity that may offset ``obligation``: floor(obligation × cap_bp / 10000)."""
    return obligation * cap_bp // 10000


def _f(code: str, message: str, message_zh: str, item: int | None = None, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, item=item, field=field)


def quantity_findings(quantities: list[int]) -> list[Finding]:
    return [
        _f(
            "QUANTITY_NOT_POSITIVE",
            f"item {i}: quantity must be a positive whole number of tonnes, got {q}",
            f"第 {i} 项：数量必须为正整数（吨），当前为 {q}",
            i,
            f"items.{i}.quantity",
        )
        for i, q in enumerate(quantities)
        if not isinstance(q, int) or isinstance(q, bool) or q <= 0
    ]


def lot_eligibility_findings(eligibility: Eligibility, lot: LotFacts, item: int | None = None) -> list[Finding]:
    where = f"item {item}: " if item is not None else ""
    where_zh = f"第 {item} 项：" if item is not None else ""
    findings = []
    if lot.origin not in eligibility.origins:
        allowed = ", ".join(eligibility.origins)
        findings.append(
            _f(
                "LOT_ORIGIN_NOT_ELIGIBLE",
                f"{where}{lot.origin} CCER of project {lot.project_number} is not eligible in this period (allowed: {allowed})",
                f"{where_zh}项目 {lot.project_number} 的 {lot.origin} 类 CCER 不符合本履约期抵销条件",
                item,
            )
        )
    if eligibility.exclude_within_national_ets and lot.within_national_ets:
        findings.append(
            _f(
                "LOT_WITHIN_NATIONAL_ETS",
                f"{where}project {lot.project_number} is under national ETS allowance management",
                f"{where_zh}项目 {lot.project_number} 属于全国碳排放权交易市场配额管理范围",
                item,
            )
        )
    if lot.origin == "legacy" and eligibility.legacy_recorded_before is not None:
        recorded = lot.units_recorded_at
        if recorded is None or recorded >= eligibility.legacy_recorded_before:
            cutoff = eligibility.legacy_recorded_before.isoformat()
            findings.append(
                _f(
                    "LEGACY_RECORDED_TOO_LATE",
                    f"{where}legacy units of project {lot.project_number} were recorded {recorded or 'on an unknown date'}, "
                    f"not before {cutoff}",
                    f"{where_zh}项目 {lot.project_number} 的旧有 CCER 未在 {cutoff} 前备案",
                    item,
                )
            )
    if lot.origin == "new" and eligibility.new_registered_on_or_after is not None:
        registered = lot.registered_or_recorded_at
        if registered is None or registered < eligibility.new_registered_on_or_after:
            start = eligibility.new_registered_on_or_after.isoformat()
            findings.append(
                _f(
                    "NEW_REGISTERED_TOO_EARLY",
                    f"{where}project {lot.project_number} was registered {registered or 'on an unknown date'}, "
                    f"before the new registry's launch on {start}",
                    f"{where_zh}项目 {lot.project_number} 登记日期早于 {start}",
                    item,
                )
            )
    return findings


def cap_findings(obligation: int, cap_bp: int, requested_ccer: int, already_ccer: int) -> list[Finding]:
    """CCER in this application + CCER registered or under review for the notice ≤ the cap."""
    cap = offset_cap(obligation, cap_bp)
    total = requested_ccer + already_ccer
    if total <= cap:
        return []
    pct = f"{cap_bp / 100:g}%"
    return [
        _f(
            "OFFSET_CAP_EXCEEDED",
            f"CCER {requested_ccer} + {already_ccer} already registered or under review = {total} exceeds the cap "
            f"of {cap} ({pct} of the obligation {obligation})",
            f"CCER 抵销量 {requested_ccer} + 已登记或审核中 {already_ccer} = {total}，超过应履约量 {obligation} 的 {pct}（{cap}）",
        )
    ]


def obligation_findings(
    obligation: int, fulfilled: int, under_review: int, allowances: int, ccer: int
) -> list[Finding]:
    """Allowances + CCER ≤ obligation − fulfilled − under review."""
    room = obligation - fulfilled - under_review
    if allowances + ccer <= room:
        return []
    return [
        _f(
            "OBLIGATION_EXCEEDED",
            f"allowances {allowances} + CCER {ccer} = {allowances + ccer} exceeds what is left to surrender: "
            f"{obligation} − {fulfilled} fulfilled − {under_review} under review = {room}",
            f"配额 {allowances} + CCER {ccer} = {allowances + ccer}，超过剩余应履约量 {room}"
            f"（应履约量 {obligation} − 已履约量 {fulfilled} − 待审核履约量 {under_review}）",
        )
    ]


def deadline_findings(deadline: datetime, at: datetime) -> list[Finding]:
    """Refused once the deadline (the last second a unit may apply) has passed."""
    if not after_deadline(deadline, at):
        return []
    return [
        _f(
            "DEADLINE_PASSED",
            f"the application deadline {local(deadline).isoformat()} (the last instant to apply) has passed "
            f"(now {local(at).isoformat()})",
            f"已超过履约申请截止时间 {local(deadline).isoformat()}（含该时刻）",
        )
    ]
