"""The units of a pending offset (domain.md §6.1 step 6): each serial range of a lot with the date its
reductions were recorded (备案) and its state in this registry. Eligibility is judged per unit: an
item takes the lowest available serials of its lot, and its record date is the latest of theirs.

Pure: serial arithmetic is ``shared.serials``'; no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from shared.findings import Finding
from shared.serials import (
    Block,
    InsufficientUnits,
    SerialRange,
    coverage_discrepancies,
    labels,
    merge_ranges,
    overlaps,
    plan_take,
    total,
)

__all__ = [
    "ItemUnits",
    "UnitBlock",
    "UnitState",
    "blocks_of_lot",
    "carve",
    "latest_recorded_at",
    "lot_serial_findings",
    "plan_items",
    "recorded_ranges",
    "serial_labels",
]


class UnitState(StrEnum):
    """available — 可用; reserved — 审核中（已预留）; registered — 已抵销登记; recalled — 已召回"""

    available = "available"
    reserved = "reserved"
    registered = "registered"
    recalled = "recalled"


@dataclass(frozen=True, order=True)
class UnitBlock:
    """Units of one serial range whose reductions were recorded on one date (None: not given)."""

    range: SerialRange
    recorded_at: date | None = None

    @property
    def size(self) -> int:
        return self.range.size


def _vintage(prefix: str) -> int:
    """The vintage of a ``…-{vintage}`` prefix (the order lowest serials are taken in); 0 if none."""
    tail = prefix.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


def _ranges(pairs: Iterable[Sequence[str]]) -> list[SerialRange]:
    return [SerialRange.from_labels(first, last) for first, last in pairs]


def _serial_finding(message: str, message_zh: str) -> Finding:
    return Finding(code="LOT_SERIALS_INCONSISTENT", message=message, message_zh=message_zh)


def lot_serial_findings(
    quantity: int, serial_ranges: Sequence[Sequence[str]], recorded: Sequence[Mapping[str, Any]] | None
) -> list[Finding]:
    """Why a frozen lot's serials cannot be recorded: unreadable, overlapping, not adding up to its
    quantity, or record dates that do not cover exactly its serial ranges. Empty: they can."""
    try:
        ranges = _ranges(serial_ranges)
        dated = _ranges((r["first"], r["last"]) for r in recorded or [])
    except (ValueError, KeyError, TypeError) as e:
        return [_serial_finding(f"the lot's serial ranges cannot be read: {e}", "抵销批次的序列号区间无法识别")]
    findings = []
    if total(ranges) != quantity:
        findings.append(
            _serial_finding(
                f"the lot's serial ranges hold {total(ranges)} units, its quantity is {quantity}",
                f"抵销批次序列号区间共 {total(ranges)} 个单位，与数量 {quantity} 不符",
            )
        )
    if overlaps(ranges):
        findings.append(_serial_finding("the lot's serial ranges overlap", "抵销批次的序列号区间相互重叠"))
    if recorded is not None:
        for problem in coverage_discrepancies(ranges, dated):
            findings.append(
                _serial_finding(
                    f"the ranges with record dates do not match the lot's serial ranges: {problem.message}",
                    f"带备案日期的区间与抵销批次序列号区间不一致：{problem.message_zh}",
                )
            )
    return findings


def blocks_of_lot(
    serial_ranges: Sequence[Sequence[str]], recorded: Sequence[Mapping[str, Any]] | None, units_recorded_at: date | None
) -> list[UnitBlock]:
    """The lot's units with their record dates (checked by :func:`lot_serial_findings` first): the
    dated ranges when given, else every serial range with the lot's ``units_recorded_at``."""
    if recorded is None:
        return sorted(UnitBlock(r, units_recorded_at) for r in _ranges(serial_ranges))
    return sorted(
        UnitBlock(SerialRange.from_labels(r["first"], r["last"]), date.fromisoformat(str(r["units_recorded_at"])))
        for r in recorded
    )


@dataclass(frozen=True)
class ItemUnits:
    """The units a lot item takes: lowest available serials of the lot first."""

    blocks: tuple[UnitBlock, ...]

    @property
    def quantity(self) -> int:
        return sum(b.size for b in self.blocks)

    @property
    def ranges(self) -> list[SerialRange]:
        return [b.range for b in self.blocks]

    @property
    def units_recorded_at(self) -> date | None:
        return latest_recorded_at(self.blocks)


def latest_recorded_at(blocks: Iterable[UnitBlock]) -> date | None:
    """The latest record date among ``blocks``; None when one of them has none (nothing proves it early)."""
    dates = [b.recorded_at for b in blocks]
    if not dates or any(d is None for d in dates):
        return None
    return max(d for d in dates if d is not None)


def _take(available: list[UnitBlock], quantity: int) -> tuple[list[UnitBlock], list[UnitBlock]]:
    """(taken, left): the lowest ``quantity`` serials of ``available``, split where needed."""
    blocks = [Block(n, _vintage(b.range.prefix), b.range) for n, b in enumerate(available)]
    plan = plan_take(blocks, quantity)
    taken_keys = {b.key for b in plan.whole}
    taken = [available[b.key] for b in plan.whole]
    left = [b for n, b in enumerate(available) if n not in taken_keys]
    if plan.split is not None:
        original = available[plan.split.key]
        taken.append(UnitBlock(plan.split.taken, original.recorded_at))
        left = [b if b is not original else UnitBlock(plan.split.kept, original.recorded_at) for b in left]
    return taken, left


def plan_items(
    available: Mapping[str, Sequence[UnitBlock]], items: Sequence[tuple[int, str, int]]
) -> dict[int, ItemUnits]:
    """For each lot item ``(n, lot_id, quantity)``, in order, the units it takes: the lowest serials of
    the lot still available after the earlier items of the application. An item that asks for more
    than is left takes what is left (its quantity is refused on its own); one with a non-positive
    quantity, or on a lot with nothing left, takes nothing and is not in the answer."""
    left = {lot_id: sorted(blocks) for lot_id, blocks in available.items()}
    planned: dict[int, ItemUnits] = {}
    for n, lot_id, quantity in items:
        blocks = left.get(lot_id, [])
        wanted = min(quantity, sum(b.size for b in blocks))
        if wanted <= 0:
            continue
        try:
            taken, left[lot_id] = _take(blocks, wanted)
        except InsufficientUnits:  # pragma: no cover - wanted never exceeds what is left
            continue
        planned[n] = ItemUnits(tuple(taken))
    return planned


def carve(whole: SerialRange, taken: Sequence[SerialRange]) -> list[tuple[SerialRange, bool]]:
    """``whole`` cut into consecutive pieces, each marked whether it is in ``taken`` (ranges of the
    same prefix inside ``whole``, disjoint)."""
    pieces: list[tuple[SerialRange, bool]] = []
    at = whole.first
    for r in sorted(t for t in taken if t.prefix == whole.prefix):
        first, last = max(r.first, whole.first), min(r.last, whole.last)
        if first > last:
            continue
        if first > at:
            pieces.append((SerialRange(whole.prefix, at, first - 1), False))
        pieces.append((SerialRange(whole.prefix, first, last), True))
        at = last + 1
    if at <= whole.last:
        pieces.append((SerialRange(whole.prefix, at, whole.last), False))
    return pieces


def _merged(blocks: Iterable[UnitBlock]) -> list[UnitBlock]:
    """Adjacent blocks of one prefix and record date joined."""
    out: list[UnitBlock] = []
    for b in sorted(blocks):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.range.prefix == b.range.prefix
            and prev.recorded_at == b.recorded_at
            and b.range.first == prev.range.last + 1
        ):
            out[-1] = UnitBlock(SerialRange(b.range.prefix, prev.range.first, b.range.last), b.recorded_at)
        else:
            out.append(b)
    return out


def serial_labels(blocks: Iterable[UnitBlock]) -> list[list[str]]:
    """``[[first, last], …]`` of ``blocks``, adjacent ranges joined (as events carry them)."""
    return labels(merge_ranges(b.range for b in blocks))


def recorded_ranges(blocks: Iterable[UnitBlock]) -> list[dict[str, str]] | None:
    """``[{first, last, units_recorded_at}, …]`` of ``blocks``; None when a block has no record date."""
    blocks = list(blocks)
    if not blocks or any(b.recorded_at is None for b in blocks):
        return None
    return [
        {"first": first, "last": last, "units_recorded_at": b.recorded_at.isoformat() if b.recorded_at else ""}
        for b in _merged(blocks)
        for first, last in [b.range.labels()]
    ]
