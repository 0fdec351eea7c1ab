"""Reconciliation (账实核对) of the allowance registry against its own records (domain.md §3 invariants
5 and 6, and the allowance side of 4): pure checks, each discrepancy with a stable code and the
objects it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.offset_rules import offset_cap

__all__ = [
    "Discrepancy",
    "HoldingFacts",
    "NoticeFacts",
    "OffsetCcerFacts",
    "PendingFacts",
    "holding_discrepancies",
    "notice_discrepancies",
    "offset_ccer_discrepancies",
    "pending_discrepancies",
]


@dataclass(frozen=True)
class Discrepancy:
    code: str
    message: str
    message_zh: str
    objects: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NoticeFacts:
    notice_id: str
    account_id: str
    period_code: str
    obligation: int
    fulfilled: int
    ccer_registered: int
    cap_bp: int
    registrations: int = 0  # the sum of the notice's offset registrations, lots and offset CCER alike


@dataclass(frozen=True)
class OffsetCcerFacts:
    """A generated offset-CCER instrument (first period): what its request generated, what the unit
    still holds, what approved applications surrendered and what was registered."""

    instrument: str
    account_id: str
    generated: int
    held: int
    surrendered: int
    registrations: int


@dataclass(frozen=True)
class HoldingFacts:
    account_id: str
    instrument: str
    kind: str  # "allowance" or "ccer"
    registry_side: int
    trading_side: int
    frozen: int


@dataclass(frozen=True)
class PendingFacts:
    lot_id: str
    quantity: int
    reserved: int
    registered: int
    recalled: int
    cancelled: int
    released: int
    registrations: int  # the sum of the lot's offset registrations


def notice_discrepancies(n: NoticeFacts) -> list[Discrepancy]:
    """Invariant 5: approved CCER ≤ floor(obligation × cap_bp / 10000); fulfilled ≤ obligation; the CCER
    registered on the notice are its offset registrations (lots and generated offset CCER)."""
    found = []
    objects = {"notice_id": n.notice_id, "account_id": n.account_id, "period_code": n.period_code}
    cap = offset_cap(n.obligation, n.cap_bp)
    if n.ccer_registered > cap:
        found.append(
            Discrepancy(
                "NOTICE_OVER_CAP",
                f"notice {n.notice_id}: {n.ccer_registered} t of CCER registered, cap {cap} t "
                f"({n.cap_bp} bp of {n.obligation} t)",
                f"履约通知书 {n.notice_id}：已登记 CCER {n.ccer_registered} 吨，超过上限 {cap} 吨",
                {**objects, "ccer_registered": n.ccer_registered, "cap": cap, "obligation": n.obligation},
            )
        )
    if n.registrations != n.ccer_registered:
        found.append(
            Discrepancy(
                "NOTICE_REGISTRATIONS",
                f"notice {n.notice_id}: {n.ccer_registered} t of CCER registered, its offset registrations "
                f"sum to {n.registrations} t",
                f"履约通知书 {n.notice_id}：已登记 CCER {n.ccer_registered} 吨，抵销登记合计 {n.registrations} 吨",
                {**objects, "ccer_registered": n.ccer_registered, "registrations": n.registrations},
            )
        )
    if n.fulfilled > n.obligation:
        found.append(
            Discrepancy(
                "NOTICE_OVERFULFILLED",
                f"notice {n.notice_id}: fulfilled {n.fulfilled} t above the obligation {n.obligation} t",
                f"履约通知书 {n.notice_id}：已履约量 {n.fulfilled} 吨超过应履约量 {n.obligation} 吨",
                {**objects, "fulfilled": n.fulfilled, "obligation": n.obligation},
            )
        )
    return found


def holding_discrepancies(h: HoldingFacts) -> list[Discrepancy]:
    """Invariant 6: no part of a holding is negative, and what is frozen is held."""
    parts = {"registry_side": h.registry_side, "trading_side": h.trading_side, "frozen": h.frozen}
    negative = {k: v for k, v in parts.items() if v < 0}
    objects = {"account_id": h.account_id, "instrument": h.instrument, "kind": h.kind, **parts}
    found = []
    if negative:
        found.append(
            Discrepancy(
                "HOLDING_NEGATIVE",
                f"{h.kind} holding {h.account_id}/{h.instrument}: negative "
                + ", ".join(f"{k} {v}" for k, v in negative.items()),
                f"账户 {h.account_id} 的 {h.instrument} 持有量为负",
                objects,
            )
        )
    if h.frozen > h.registry_side:
        found.append(
            Discrepancy(
                "HOLDING_FROZEN_EXCEEDS_HELD",
                f"{h.kind} holding {h.account_id}/{h.instrument}: {h.frozen} t frozen of {h.registry_side} t held",
                f"账户 {h.account_id} 的 {h.instrument} 冻结量 {h.frozen} 吨超过持有量 {h.registry_side} 吨",
                objects,
            )
        )
    return found


def pending_discrepancies(p: PendingFacts) -> list[Discrepancy]:
    """The allowance side of invariant 4: quantity = available + reserved + registered + recalled with
    no part negative; confirmations within their parts; registered = the lot's registrations."""
    parts = {"reserved": p.reserved, "registered": p.registered, "recalled": p.recalled}
    available = p.quantity - sum(parts.values())
    objects = {"lot_id": p.lot_id, "quantity": p.quantity, "available": available, **parts}
    found = []
    if available < 0 or any(v < 0 for v in parts.values()):
        found.append(
            Discrepancy(
                "PENDING_OFFSET_PARTS",
                f"pending offset {p.lot_id}: {p.quantity} t ≠ available {available} + reserved {p.reserved} "
                f"+ registered {p.registered} + recalled {p.recalled} with no part negative",
                f"待抵销批次 {p.lot_id} 的数量构成不一致",
                objects,
            )
        )
    if p.cancelled > p.registered or p.released > p.recalled:
        found.append(
            Discrepancy(
                "PENDING_OFFSET_CONFIRMATIONS",
                f"pending offset {p.lot_id}: cancelled {p.cancelled} > registered {p.registered} "
                f"or released {p.released} > recalled {p.recalled}",
                f"待抵销批次 {p.lot_id} 的注销或解冻确认量超过登记或召回量",
                {**objects, "cancelled": p.cancelled, "released": p.released},
            )
        )
    if p.registrations != p.registered:
        found.append(
            Discrepancy(
                "PENDING_OFFSET_REGISTRATIONS",
                f"pending offset {p.lot_id}: registered {p.registered} t, its registrations sum to {p.registrations} t",
                f"待抵销批次 {p.lot_id}：登记量 {p.registered} 吨，抵销登记合计 {p.registrations} 吨",
                {**objects, "registrations": p.registrations},
            )
        )
    return found


def offset_ccer_discrepancies(o: OffsetCcerFacts) -> list[Discrepancy]:
    """A generated offset-CCER instrument: generated = held + surrendered (none created or lost), and
    every tonne surrendered is registered once (seed 001 第七步: 抵销配额清缴登记)."""
    objects = {
        "instrument": o.instrument,
        "account_id": o.account_id,
        "generated": o.generated,
        "held": o.held,
        "surrendered": o.surrendered,
        "registrations": o.registrations,
    }
    found = []
    if o.generated != o.held + o.surrendered:
        found.append(
            Discrepancy(
                "OFFSET_CCER_BALANCE",
                f"offset CCER {o.instrument}: {o.generated} t generated ≠ {o.held} t held + {o.surrendered} t surrendered",
                f"履约抵销 CCER {o.instrument}：生成 {o.generated} 吨 ≠ 持有 {o.held} 吨 + 已清缴 {o.surrendered} 吨",
                objects,
            )
        )
    if o.registrations != o.surrendered:
        found.append(
            Discrepancy(
                "OFFSET_CCER_REGISTRATIONS",
                f"offset CCER {o.instrument}: {o.surrendered} t surrendered, its offset registrations sum to "
                f"{o.registrations} t",
                f"履约抵销 CCER {o.instrument}：已清缴 {o.surrendered} 吨，抵销登记合计 {o.registrations} 吨",
                objects,
            )
        )
    return found
