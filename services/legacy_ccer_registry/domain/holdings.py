"""Units in the legacy registry (pure): where they sit, how they move, and the checks on a move.

A unit is on the trading side of one legacy exchange (``trading``, with its exchange), in the
general holding account (``available``, 一般持有账户), or ``cancelled`` by a voluntary
cancellation record. Every move takes the lowest serials first (``shared.serials.plan_take``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from shared.findings import Finding
from shared.serials import SerialRange, labels, merge_ranges

__all__ = [
    "MOVE_CONFLICTS",
    "HoldingRow",
    "Moved",
    "Purpose",
    "TransferDirection",
    "UnitState",
    "cancellation_findings",
    "latest_record_date",
    "recorded_ranges",
    "summarise_holdings",
    "trade_findings",
    "transfer_findings",
]

INSUFFICIENT = "INSUFFICIENT_UNITS"
NOT_TRADING = "NOT_TRADING_AT_EXCHANGE"
MOVE_CONFLICTS = frozenset({INSUFFICIENT, NOT_TRADING})


class UnitState(StrEnum):
    """trading — 交易持仓（某交易机构）; available — 可用（一般持有账户）; cancelled — 已注销（自愿注销）"""

    trading = "trading"
    available = "available"
    cancelled = "cancelled"


class TransferDirection(StrEnum):
    """to_registry — 交易账户划转至一般持有账户; to_exchange — 一般持有账户划转至交易账户"""

    to_registry = "to_registry"
    to_exchange = "to_exchange"

    @property
    def source(self) -> UnitState:
        return UnitState.trading if self is TransferDirection.to_registry else UnitState.available

    @property
    def target(self) -> UnitState:
        return UnitState.available if self is TransferDirection.to_registry else UnitState.trading


class Purpose(StrEnum):
    """offset_2019_2020 — 用于抵销2019-2020年度配额清缴; offset_2023 — 用于抵销2023年度配额清缴;
    voluntary — 自愿注销（其他）"""

    offset_2019_2020 = "offset_2019_2020"
    offset_2023 = "offset_2023"
    voluntary = "voluntary"


@dataclass(frozen=True)
class Moved:
    """A moved range and the record date (备案) of its reductions."""

    range: SerialRange
    units_recorded_at: date


def recorded_ranges(moved: Iterable[Moved]) -> list[dict[str, str]]:
    """``[{first, last, units_recorded_at}]``, lowest serials first (one per block moved)."""
    out = []
    for m in sorted(moved, key=lambda m: m.range):
        first, last = m.range.labels()
        out.append({"first": first, "last": last, "units_recorded_at": m.units_recorded_at.isoformat()})
    return out


def latest_record_date(moved: Iterable[Moved]) -> date:
    return max(m.units_recorded_at for m in moved)


def _finding(code: str, message: str, message_zh: str, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, field=field)


def _insufficient(quantity: int, held: int, where: str, where_zh: str) -> Finding | None:
    if quantity <= held:
        return None
    return _finding(
        INSUFFICIENT,
        f"{quantity} units requested, {held} held {where}",
        f"申请数量 {quantity} 超过{where_zh}持有量 {held}",
        "quantity",
    )


def trade_findings(
    *, same_account: bool, exchange: str, buyer_trades_there: bool, quantity: int, seller_holds: int
) -> list[Finding]:
    """Every reason a trade at ``exchange`` may not settle."""
    findings = []
    if same_account:
        findings.append(
            _finding("SAME_ACCOUNT", "seller and buyer are the same account", "买卖双方为同一账户", "buyer_account_id")
        )
    if not buyer_trades_there:
        findings.append(
            _finding(
                NOT_TRADING,
                f"the buyer has no trading account at {exchange}",
                f"买方未在 {exchange} 开立交易账户",
                "buyer_account_id",
            )
        )
    short = _insufficient(quantity, seller_holds, f"by the seller at {exchange}", f"卖方在 {exchange} 的交易持仓")
    return findings + ([short] if short else [])


def transfer_findings(
    *, direction: TransferDirection, exchange: str, trades_there: bool, quantity: int, source_holds: int
) -> list[Finding]:
    """Every reason a transfer between ``exchange``'s trading side and the general holding account
    may not be made."""
    findings = []
    if not trades_there:
        findings.append(
            _finding(
                NOT_TRADING,
                f"the account has no trading account at {exchange}",
                f"账户未在 {exchange} 开立交易账户",
                "exchange",
            )
        )
    if direction is TransferDirection.to_registry:
        where, where_zh = f"on the trading side at {exchange}", f"{exchange} 交易持仓"
    else:
        where, where_zh = "in the general holding account", "一般持有账户"
    short = _insufficient(quantity, source_holds, where, where_zh)
    return findings + ([short] if short else [])


def cancellation_findings(*, quantity: int, available: int) -> list[Finding]:
    """Why a voluntary cancellation from the general holding account may not be made."""
    short = _insufficient(quantity, available, "in the general holding account", "一般持有账户")
    return [short] if short else []


@dataclass
class HoldingRow:
    """One project's units in an account: per exchange on the trading side, available, cancelled,
    and their serial ranges (keys ``available``, ``cancelled`` and ``trading:{exchange}``)."""

    project_number: str
    by_exchange: dict[str, int] = field(default_factory=dict)
    available: int = 0
    cancelled: int = 0
    serial_ranges: dict[str, list[list[str]]] = field(default_factory=dict)

    @property
    def trading(self) -> int:
        return sum(self.by_exchange.values())


def summarise_holdings(blocks: Iterable[tuple[str, str, str | None, SerialRange]]) -> list[HoldingRow]:
    """Group ``(project_number, state, exchange, range)`` blocks into one row per project, sorted
    by project number, ranges merged per key."""
    rows: dict[str, HoldingRow] = {}
    raw: dict[str, dict[str, list[SerialRange]]] = defaultdict(lambda: defaultdict(list))
    for project, state, exchange, rng in blocks:
        row = rows.setdefault(project, HoldingRow(project))
        if state == UnitState.trading:
            code = exchange or "?"
            row.by_exchange[code] = row.by_exchange.get(code, 0) + rng.size
            key = f"trading:{code}"
        elif state == UnitState.available:
            row.available += rng.size
            key = state
        else:
            row.cancelled += rng.size
            key = state
        raw[project][key].append(rng)
    for project, row in rows.items():
        row.by_exchange = dict(sorted(row.by_exchange.items()))
        row.serial_ranges = {key: labels(merge_ranges(rs)) for key, rs in sorted(raw[project].items())}
    return [rows[k] for k in sorted(rows)]
