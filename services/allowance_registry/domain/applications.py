"""Compliance applications (履约申请, domain.md §6.2 step 6-7 and §6.3): the registry's validation at
submission, built from the shared offset rules plus the checks only the registry can make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from services.allowance_registry.domain.application_state import EDITABLE, ApplicationStatus
from shared.findings import Finding
from shared.offset_rules import (
    Eligibility,
    LotFacts,
    cap_findings,
    deadline_findings,
    lot_eligibility_findings,
    obligation_findings,
    quantity_findings,
)

__all__ = [
    "EDITABLE",
    "ApplicationStatus",
    "Item",
    "ItemKind",
    "LotState",
    "NoticeState",
    "PeriodRules",
    "Totals",
    "item_as_dict",
    "items_of",
    "submission_findings",
    "totals",
]


class ItemKind(StrEnum):
    """allowance — 配额; ccer — 待抵销 CCER 批次; offset_ccer — 履约抵销 CCER（第一个履约周期）"""

    allowance = "allowance"
    ccer = "ccer"
    offset_ccer = "offset_ccer"


@dataclass(frozen=True)
class Item:
    kind: ItemKind
    quantity: int
    instrument: str | None = None
    lot_id: str | None = None

    @property
    def is_ccer(self) -> bool:
        return self.kind in (ItemKind.ccer, ItemKind.offset_ccer)


def items_of(raw: Sequence[Mapping[str, Any]]) -> list[Item]:
    """The items of an application as stored (and as the API takes them)."""
    return [
        Item(
            kind=ItemKind(d["kind"]),
            quantity=int(d["quantity"]),
            instrument=d.get("instrument"),
            lot_id=d.get("lot_id"),
        )
        for d in raw
    ]


def item_as_dict(item: Item) -> dict[str, Any]:
    """An item as stored and shown: its kind, the instrument or lot it names, and its quantity."""
    if item.kind == ItemKind.ccer:
        return {"kind": item.kind.value, "lot_id": item.lot_id, "quantity": item.quantity}
    return {"kind": item.kind.value, "instrument": item.instrument, "quantity": item.quantity}


@dataclass(frozen=True)
class NoticeState:
    account_id: str
    holder_uscc: str
    obligation: int
    fulfilled: int
    under_review: int
    ccer_registered: int
    ccer_under_review: int
    complete: bool


@dataclass(frozen=True)
class PeriodRules:
    code: str
    active: bool
    allowance_instruments: frozenset[str]
    cap_bp: int
    eligibility: Eligibility
    application_deadline: datetime


@dataclass(frozen=True)
class LotState:
    account_id: str
    pending: bool
    available: int
    facts: LotFacts


@dataclass(frozen=True)
class Totals:
    allowances: int
    ccer: int

    @property
    def all(self) -> int:
        return self.allowances + self.ccer


def totals(items: Sequence[Item]) -> Totals:
    """Sums of the positive quantities (a non-positive one is reported on its own)."""
    allowances = sum(max(i.quantity, 0) for i in items if i.kind == ItemKind.allowance)
    ccer = sum(max(i.quantity, 0) for i in items if i.is_ccer)
    return Totals(allowances, ccer)


def _f(code: str, message: str, message_zh: str, item: int | None = None, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, item=item, field=field)


def submission_findings(
    *,
    applicant_uscc: str,
    notice: NoticeState,
    period: PeriodRules,
    items: Sequence[Item],
    allowances_available: Mapping[str, int],
    offset_ccer_available: Mapping[str, int],
    lots: Mapping[str, LotState],
    now: datetime,
    units_recorded_at: Mapping[int, date | None] | None = None,
    offset_ccer_facts: Mapping[str, LotFacts] | None = None,
) -> list[Finding]:
    """Every reason the application cannot be submitted (domain.md §6.3), all at once.

    ``allowances_available`` / ``offset_ccer_available``: the applicant's registry-side unfrozen
    holdings by instrument; ``lots``: the pending offsets the items name that exist (any holder);
    ``units_recorded_at``: per lot item, the latest record date among the units it takes (lowest
    serials of the lot first, §6.1 step 6), judged instead of the lot's when given;
    ``offset_ccer_facts``: per generated offset-CCER instrument, the facts of the legacy project whose
    cancellation generated it (first period), judged like a lot's (the ETS exclusion)."""
    findings: list[Finding] = []

    # The notice and its period.
    if notice.holder_uscc != applicant_uscc:
        findings.append(
            _f(
                "NOTICE_NOT_APPLICANTS",
                "the compliance notice belongs to another unit",
                "该履约通知书不属于申请单位",
                field="notice_id",
            )
        )
    if notice.complete:
        findings.append(
            _f(
                "NOTICE_COMPLETE",
                "the compliance notice is already complete",
                "该履约通知书已完成履约",
                field="notice_id",
            )
        )
    if not period.active:
        findings.append(
            _f(
                "PERIOD_NOT_ACTIVE",
                f"compliance period {period.code} is not active",
                f"履约期 {period.code} 未生效",
                field="notice_id",
            )
        )
    findings += deadline_findings(period.application_deadline, now)

    # Each item.
    if not items:
        findings.append(_f("NO_ITEMS", "the application has no items", "履约申请没有任何履约标的", field="items"))
    findings += quantity_findings([i.quantity for i in items])
    seen: dict[tuple[str, str | None], int] = {}
    for n, item in enumerate(items):
        key = (item.kind.value, item.lot_id if item.kind == ItemKind.ccer else item.instrument)
        if key in seen:
            findings.append(
                _f(
                    "DUPLICATE_ITEM",
                    f"item {n} repeats item {seen[key]} ({key[1]})",
                    f"第 {n} 项与第 {seen[key]} 项重复（{key[1]}）",
                    n,
                    f"items.{n}",
                )
            )
            continue
        seen[key] = n
        if item.kind == ItemKind.allowance:
            findings += _allowance_item_findings(n, item, period, allowances_available)
        elif item.kind == ItemKind.offset_ccer:
            facts = (offset_ccer_facts or {}).get(item.instrument or "")
            findings += _offset_ccer_item_findings(n, item, period, offset_ccer_available, facts)
        else:
            findings += _lot_item_findings(n, item, notice, period, lots, units_recorded_at or {})

    # The notice's room and the offset cap.
    sums = totals(items)
    findings += obligation_findings(
        notice.obligation, notice.fulfilled, notice.under_review, sums.allowances, sums.ccer
    )
    if sums.ccer:
        findings += cap_findings(
            notice.obligation, period.cap_bp, sums.ccer, notice.ccer_registered + notice.ccer_under_review
        )
    return findings


def _allowance_item_findings(n: int, item: Item, period: PeriodRules, held: Mapping[str, int]) -> list[Finding]:
    code = item.instrument or ""
    if code not in period.allowance_instruments:
        scope = ", ".join(sorted(period.allowance_instruments))
        return [
            _f(
                "INSTRUMENT_NOT_IN_SCOPE",
                f"item {n}: instrument {code} is not in the scope of period {period.code} ({scope})",
                f"第 {n} 项：标的 {code} 不在履约期 {period.code} 的配额履约范围内（{scope}）",
                n,
                f"items.{n}.instrument",
            )
        ]
    available = held.get(code, 0)
    if item.quantity > 0 and available < item.quantity:
        return [
            _f(
                "ALLOWANCE_NOT_HELD",
                f"item {n}: {item.quantity} of {code} requested, {available} held unfrozen on the registry side",
                f"第 {n} 项：申请 {code} {item.quantity}，登记持仓可用量仅 {available}",
                n,
                f"items.{n}.quantity",
            )
        ]
    return []


def _offset_ccer_item_findings(
    n: int, item: Item, period: PeriodRules, held: Mapping[str, int], facts: LotFacts | None
) -> list[Finding]:
    code = item.instrument or ""
    findings = []
    if facts is not None:
        # The generating project's facts are judged like a lot's; the origin has its own code below.
        findings += [
            f for f in lot_eligibility_findings(period.eligibility, facts, n) if f.code != "LOT_ORIGIN_NOT_ELIGIBLE"
        ]
    if "offset_ccer" not in period.eligibility.origins:
        findings.append(
            _f(
                "OFFSET_CCER_NOT_ELIGIBLE",
                f"item {n}: generated offset CCER {code} is not eligible in period {period.code}",
                f"第 {n} 项：履约抵销 CCER {code} 不适用于履约期 {period.code}",
                n,
                f"items.{n}.instrument",
            )
        )
    available = held.get(code, 0)
    if item.quantity > 0 and available < item.quantity:
        findings.append(
            _f(
                "OFFSET_CCER_NOT_HELD",
                f"item {n}: {item.quantity} of {code} requested, {available} held unfrozen",
                f"第 {n} 项：申请 {code} {item.quantity}，可用量仅 {available}",
                n,
                f"items.{n}.quantity",
            )
        )
    return findings


def _lot_item_findings(
    n: int,
    item: Item,
    notice: NoticeState,
    period: PeriodRules,
    lots: Mapping[str, LotState],
    units_recorded_at: Mapping[int, date | None],
) -> list[Finding]:
    lot_id = item.lot_id or ""
    lot = lots.get(lot_id)
    if lot is None or lot.account_id != notice.account_id:
        # Someone else's lot answers like a missing one.
        return [
            _f(
                "LOT_NOT_FOUND",
                f"item {n}: no pending offset {lot_id} in the applicant's account",
                f"第 {n} 项：申请单位账户中没有待抵销批次 {lot_id}",
                n,
                f"items.{n}.lot_id",
            )
        ]
    findings = []
    if not lot.pending:
        findings.append(
            _f(
                "LOT_NOT_PENDING",
                f"item {n}: offset lot {lot_id} is no longer pending",
                f"第 {n} 项：批次 {lot_id} 已不是待抵销状态",
                n,
                f"items.{n}.lot_id",
            )
        )
    elif item.quantity > 0 and lot.available < item.quantity:
        findings.append(
            _f(
                "LOT_QUANTITY_EXCEEDED",
                f"item {n}: {item.quantity} requested from lot {lot_id}, {lot.available} left",
                f"第 {n} 项：批次 {lot_id} 申请 {item.quantity}，剩余可用 {lot.available}",
                n,
                f"items.{n}.quantity",
            )
        )
    # Judged on the units the item takes; on the lot's when it takes none (none left, or a
    # non-positive quantity, each refused on its own).
    facts = lot.facts
    if n in units_recorded_at:
        facts = facts.model_copy(update={"units_recorded_at": units_recorded_at[n]})
    findings += lot_eligibility_findings(period.eligibility, facts, n)
    return findings
