"""Holdings of the new registry: unit states, origins and the per-project summary (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from shared.serials import SerialRange, merge_ranges

__all__ = [
    "Carve",
    "ExactPlan",
    "HoldingRow",
    "Origin",
    "TransferDirection",
    "UnitState",
    "plan_exact",
    "summarise_holdings",
]

K = TypeVar("K", bound=Hashable)


class UnitState(StrEnum):
    """trading — 交易持仓; available — 可用（一般持有账户）; frozen — 已冻结（抵销批次）;
    cancelled — 已注销; awaiting_confirmation — 待确认（旧有CCER同步）"""

    trading = "trading"
    available = "available"
    frozen = "frozen"
    cancelled = "cancelled"
    awaiting_confirmation = "awaiting_confirmation"


class Origin(StrEnum):
    """new — 新CCER（新CCER注登系统登记）; legacy — 旧有CCER（同步自旧CCER注登系统）"""

    new = "new"
    legacy = "legacy"


class TransferDirection(StrEnum):
    """to_registry — 交易账户划转至一般持有账户; to_trading — 一般持有账户划转至交易账户"""

    to_registry = "to_registry"
    to_trading = "to_trading"

    @property
    def source(self) -> UnitState:
        return UnitState.trading if self is TransferDirection.to_registry else UnitState.available

    @property
    def target(self) -> UnitState:
        return UnitState.available if self is TransferDirection.to_registry else UnitState.trading


@dataclass
class HoldingRow:
    """One row of an account's holdings: a project, origin and vintage, quantities per state."""

    project_number: str
    origin: str
    vintage: int
    quantities: dict[UnitState, int] = field(default_factory=lambda: dict.fromkeys(UnitState, 0))
    ranges: dict[UnitState, list[SerialRange]] = field(default_factory=dict)


def summarise_holdings(blocks: Iterable[tuple[str, str, int, str, SerialRange]]) -> list[HoldingRow]:
    """Group ``(project_number, origin, vintage, state, range)`` blocks into holding rows, ranges
    merged per state, sorted by project, origin and vintage."""
    rows: dict[tuple[str, str, int], HoldingRow] = {}
    raw: dict[tuple[str, str, int], dict[UnitState, list[SerialRange]]] = defaultdict(lambda: defaultdict(list))
    for project, origin, vintage, state, rng in blocks:
        key = (project, origin, vintage)
        row = rows.setdefault(key, HoldingRow(project, origin, vintage))
        st = UnitState(state)
        row.quantities[st] += rng.size
        raw[key][st].append(rng)
    for key, row in rows.items():
        row.ranges = {st: merge_ranges(rs) for st, rs in raw[key].items()}
    return [rows[k] for k in sorted(rows)]


# --- taking exactly the given serials ------------------------------------------------------------
@dataclass(frozen=True)
class Carve(Generic[K]):
    """One stored block cut into what moves (``taken``) and what stays (``kept``)."""

    key: K
    taken: list[SerialRange]
    kept: list[SerialRange]


@dataclass(frozen=True)
class ExactPlan(Generic[K]):
    carves: list[Carve[K]]
    missing: list[SerialRange]  # wanted serials in none of the blocks

    @property
    def taken(self) -> list[SerialRange]:
        """The moved serials, lowest first."""
        return sorted(r for c in self.carves for r in c.taken)


def _cut(rng: SerialRange, holes: Sequence[SerialRange]) -> list[SerialRange]:
    """``rng`` without ``holes`` (ranges of its prefix, disjoint, sorted; they may reach beyond it)."""
    out, start = [], rng.first
    for h in holes:
        if h.last < rng.first or h.first > rng.last:
            continue
        if h.first > start:
            out.append(SerialRange(rng.prefix, start, min(h.first - 1, rng.last)))
        start = max(start, h.last + 1)
    if start <= rng.last:
        out.append(SerialRange(rng.prefix, start, rng.last))
    return out


def plan_exact(blocks: Sequence[tuple[K, SerialRange]], wanted: Sequence[SerialRange]) -> ExactPlan[K]:
    """Which parts of which ``blocks`` (disjoint) hold the ``wanted`` serials: every block touched is
    cut into taken and kept parts. ``missing`` lists wanted serials no block holds."""
    want = merge_ranges(wanted)
    carves: list[Carve[K]] = []
    found: list[SerialRange] = []
    for key, rng in blocks:
        taken = [
            SerialRange(rng.prefix, max(rng.first, w.first), min(rng.last, w.last))
            for w in want
            if w.prefix == rng.prefix and w.first <= rng.last and rng.first <= w.last
        ]
        if taken:
            carves.append(Carve(key, taken, _cut(rng, taken)))
            found += taken
    found = merge_ranges(found)
    missing = [piece for w in want for piece in _cut(w, [f for f in found if f.prefix == w.prefix])]
    return ExactPlan(carves, missing)
