"""Serial-range arithmetic of CCER units (domain.md §3): pure, no I/O. Shared by both CCER registries
because serials are part of the contract between them: events carry serial ranges as label pairs,
and a legacy unit keeps its legacy serial when synced into the new registry.

A unit's serial is ``{prefix}-{n}``. Units issued in the new registry have the prefix
``CCER-{project_number}-{vintage}``; units issued in the legacy registry ``VER-{project_number}-{vintage}``
(so the two never collide); n counts from 1 per registry, project and vintage. A holding is a set of
:class:`SerialRange` blocks; every move takes the lowest serials first and splits at most one block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "Block",
    "Discrepancy",
    "InsufficientUnits",
    "SerialRange",
    "Split",
    "TakePlan",
    "coverage_discrepancies",
    "issuance_prefix",
    "labels",
    "legacy_issuance_prefix",
    "merge_ranges",
    "overlaps",
    "parse_serial",
    "plan_take",
    "serial",
    "total",
]

K = TypeVar("K", bound=Hashable)


def issuance_prefix(project_number: str, vintage: int) -> str:
    """``CCER-{project_number}-{vintage}``: the serial prefix of units issued in the new registry."""
    return f"CCER-{project_number}-{vintage}"


def legacy_issuance_prefix(project_number: str, vintage: int) -> str:
    """``VER-{project_number}-{vintage}``: the serial prefix of units issued in the legacy registry."""
    return f"VER-{project_number}-{vintage}"


def serial(prefix: str, n: int) -> str:
    return f"{prefix}-{n}"


def labels(ranges: Iterable[SerialRange]) -> list[list[str]]:
    """``[[first, last], …]``: ranges as stored on records and carried in events."""
    return [list(r.labels()) for r in ranges]


def parse_serial(value: str) -> tuple[str, int]:
    """``("CCER-P1-2023", 17)`` from ``"CCER-P1-2023-17"``; ``ValueError`` when it is not a serial."""
    prefix, sep, number = value.rpartition("-")
    if not sep or not prefix or not number.isdigit() or int(number) < 1:
        raise ValueError(f"not a serial number: {value!r}")
    return prefix, int(number)


@dataclass(frozen=True, order=True)
class SerialRange:
    """Units ``{prefix}-{first}`` … ``{prefix}-{last}``, both included."""

    prefix: str
    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first < 1 or self.last < self.first:
            raise ValueError(f"empty or invalid serial range {self.prefix} {self.first}..{self.last}")

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def labels(self) -> tuple[str, str]:
        """The first and last serial numbers, as shown to people and carried in events."""
        return serial(self.prefix, self.first), serial(self.prefix, self.last)

    @classmethod
    def from_labels(cls, first: str, last: str) -> SerialRange:
        p1, n1 = parse_serial(first)
        p2, n2 = parse_serial(last)
        if p1 != p2:
            raise ValueError(f"serial range spans two prefixes: {first} .. {last}")
        return cls(p1, n1, n2)


def total(ranges: Iterable[SerialRange]) -> int:
    return sum(r.size for r in ranges)


def merge_ranges(ranges: Iterable[SerialRange]) -> list[SerialRange]:
    """Sorted, with adjacent or overlapping ranges of one prefix joined (for display)."""
    out: list[SerialRange] = []
    for r in sorted(ranges):
        if out and out[-1].prefix == r.prefix and r.first <= out[-1].last + 1:
            if r.last > out[-1].last:
                out[-1] = SerialRange(r.prefix, out[-1].first, r.last)
        else:
            out.append(r)
    return out


def overlaps(ranges: Iterable[SerialRange]) -> list[SerialRange]:
    """Every stretch of serials held by more than one of ``ranges`` (empty when disjoint)."""
    found: list[SerialRange] = []
    by_prefix: dict[str, list[SerialRange]] = defaultdict(list)
    for r in ranges:
        by_prefix[r.prefix].append(r)
    for prefix, group in by_prefix.items():
        group.sort()
        reach = 0  # highest serial covered so far in this prefix
        for r in group:
            if r.first <= reach:
                found.append(SerialRange(prefix, r.first, min(r.last, reach)))
            reach = max(reach, r.last)
    return merge_ranges(found)


def _difference(a: list[SerialRange], b: list[SerialRange]) -> list[SerialRange]:
    """Serials in ``a`` and not in ``b``; both merged (sorted, disjoint)."""
    out: list[SerialRange] = []
    j = 0
    for r in a:
        start = r.first
        while j < len(b) and (b[j].prefix, b[j].last) < (r.prefix, r.first):
            j += 1
        k = j
        while k < len(b) and b[k].prefix == r.prefix and b[k].first <= r.last and start <= r.last:
            if b[k].first > start:
                out.append(SerialRange(r.prefix, start, b[k].first - 1))
            start = max(start, b[k].last + 1)
            k += 1
        if start <= r.last:
            out.append(SerialRange(r.prefix, start, r.last))
    return out


@dataclass(frozen=True)
class Discrepancy:
    """One way the holdings of a project disagree with what was issued (invariant 1 of §3)."""

    code: str
    message: str
    message_zh: str
    ranges: tuple[SerialRange, ...]


def coverage_discrepancies(issued: Iterable[SerialRange], held: Iterable[SerialRange]) -> list[Discrepancy]:
    """Invariant 1: the held blocks (every state) are disjoint and their union is exactly the issued
    ranges. Returns every discrepancy found; empty when the invariant holds."""
    issued, held = list(issued), list(held)
    found = []
    twice_issued = overlaps(issued)
    if twice_issued:
        found.append(
            Discrepancy(
                "SERIALS_ISSUED_TWICE", "serials were issued more than once", "序列号被重复签发", tuple(twice_issued)
            )
        )
    twice_held = overlaps(held)
    if twice_held:
        found.append(
            Discrepancy(
                "SERIALS_HELD_TWICE",
                "serials are in more than one holding block",
                "序列号同时存在于多个持仓区间",
                tuple(twice_held),
            )
        )
    issued_m, held_m = merge_ranges(issued), merge_ranges(held)
    missing = _difference(issued_m, held_m)
    if missing:
        found.append(
            Discrepancy(
                "SERIALS_MISSING",
                "issued serials that no holding accounts for",
                "已签发但未在任何持仓中的序列号",
                tuple(missing),
            )
        )
    extra = _difference(held_m, issued_m)
    if extra:
        found.append(
            Discrepancy(
                "SERIALS_NOT_ISSUED", "held serials that were never issued", "持仓中存在未签发的序列号", tuple(extra)
            )
        )
    return found


# --- taking the lowest serials ---------------------------------------------------------------
@dataclass(frozen=True)
class Block(Generic[K]):
    """A stored block as the planner sees it: its key, vintage and range."""

    key: K
    vintage: int
    range: SerialRange


@dataclass(frozen=True)
class Split(Generic[K]):
    """The one block only partly taken: ``taken`` (its lowest serials) moves, ``kept`` stays."""

    key: K
    original: SerialRange
    taken: SerialRange
    kept: SerialRange


@dataclass(frozen=True)
class TakePlan(Generic[K]):
    whole: tuple[Block[K], ...]
    split: Split[K] | None

    @property
    def taken(self) -> list[SerialRange]:
        """The moved serials, lowest first."""
        ranges = [b.range for b in self.whole]
        if self.split is not None:
            ranges.append(self.split.taken)
        return ranges


class InsufficientUnits(Exception):
    def __init__(self, requested: int, available: int) -> None:
        super().__init__(f"requested {requested}, only {available} available")
        self.requested = requested
        self.available = available


def _order(block: Block[K]) -> tuple[int, str, int]:
    return block.vintage, block.range.prefix, block.range.first


def plan_take(blocks: Sequence[Block[K]], quantity: int) -> TakePlan[K]:
    """Which blocks move to take ``quantity`` units, lowest serials first (earliest vintage, then
    prefix, then serial). Takes whole blocks while they fit and splits at most one."""
    if quantity <= 0:
        raise ValueError(f"quantity must be positive, got {quantity}")
    available = sum(b.range.size for b in blocks)
    if quantity > available:
        raise InsufficientUnits(quantity, available)
    whole: list[Block[K]] = []
    left = quantity
    for block in sorted(blocks, key=_order):
        r = block.range
        if r.size <= left:
            whole.append(block)
            left -= r.size
        else:
            taken = SerialRange(r.prefix, r.first, r.first + left - 1)
            kept = SerialRange(r.prefix, r.first + left, r.last)
            return TakePlan(tuple(whole), Split(block.key, r, taken, kept))
        if left == 0:
            break
    return TakePlan(tuple(whole), None)
