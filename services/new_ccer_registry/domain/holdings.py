"""Holdings of the new registry: unit states, origins and the per-project summary (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from shared.serials import SerialRange, merge_ranges

__all__ = ["HoldingRow", "Origin", "TransferDirection", "UnitState", "summarise_holdings"]


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
