"""The holdings' journal (持仓流水, seed 002's CCER项目持仓 screen): every change of a holding of one
account and instrument, allowances or generated offset CCER, in the order it happened. Pure.

A holding has three parts (seed 002's figures, see ``holding_figures``): the registry side (登记持仓,
frozen included), of it the frozen part (登记冻结量), and the trading side (交易持有量). A movement
records its kind, its quantity (> 0), its direction and the three parts just after it:

    kind                       direction  what moves                                    reference
    allocated                  in         + registry or trading side (配额分配)           allocation_id, side
    generated                  in         + registry side (生成履约抵销CCER, first period) request_id, cancellation_id
    transferred_to_trading     internal   registry side (unfrozen) → trading side (划转)  transfer_id
    transferred_to_registry    internal   trading side → registry side (划转)            transfer_id
    frozen                     internal   registry available → frozen (履约申请提交)       application_id, revision
    released                   internal   frozen → registry available (审核不通过)        application_id, revision
    surrendered                out        − frozen and registry side (履约清缴)            application_id, revision,
                                                                                          surrender_id, registration_id

"in" and "out" change the total held; "internal" moves quantity between its parts. Pending offsets
(待抵销, the new registry's frozen lots) are not instruments held here: their reservations,
registrations and recalls are the units' history (``/serials``) and the pending offsets' parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Direction", "HoldingFigures", "HoldingKind", "Movement", "MovementKind", "holding_figures"]


class HoldingKind(StrEnum):
    """allowance — 配额; offset_ccer — 履约抵销 CCER（第一个履约周期生成）"""

    allowance = "allowance"
    offset_ccer = "offset_ccer"


class Direction(StrEnum):
    """in — 增加; out — 减少; internal — 持仓内部划转（冻结、解冻、登记/交易划转）"""

    in_ = "in"
    out = "out"
    internal = "internal"


class MovementKind(StrEnum):
    """allocated — 配额分配; generated — 生成履约抵销CCER; transferred_to_trading — 登记划转至交易;
    transferred_to_registry — 交易划转至登记; frozen — 履约申请冻结; released — 解冻（审核不通过）;
    surrendered — 履约清缴"""

    allocated = "allocated"
    generated = "generated"
    transferred_to_trading = "transferred_to_trading"
    transferred_to_registry = "transferred_to_registry"
    frozen = "frozen"
    released = "released"
    surrendered = "surrendered"

    @property
    def direction(self) -> Direction:
        if self in (MovementKind.allocated, MovementKind.generated):
            return Direction.in_
        if self is MovementKind.surrendered:
            return Direction.out
        return Direction.internal

    @property
    def zh(self) -> str:
        return _ZH[self]


_ZH = {
    MovementKind.allocated: "配额分配",
    MovementKind.generated: "生成履约抵销CCER",
    MovementKind.transferred_to_trading: "登记划转至交易",
    MovementKind.transferred_to_registry: "交易划转至登记",
    MovementKind.frozen: "履约申请冻结",
    MovementKind.released: "解冻（履约申请退回）",
    MovementKind.surrendered: "履约清缴",
}


@dataclass(frozen=True)
class Movement:
    """One change of the holding (``account_id``, ``instrument``), before its balance is read."""

    account_id: str
    instrument: str
    kind: MovementKind
    quantity: int
    reference: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HoldingFigures:
    """Seed 002's CCER项目持仓 columns for one holding, in tonnes:

    - 登记可用量 ``registry_available``: on the registry side and not frozen: what an application may use.
    - 登记冻结量 ``registry_frozen``: on the registry side, frozen by applications under review.
    - 登记待划转量 ``registry_pending_transfer``: leaving the registry side for the trading side, not
      yet arrived. Always 0 here: a transfer (划转) completes in the transaction that asks for it.
    - 交易待划转量 ``trading_pending_transfer``: leaving the trading side for the registry side. Always 0,
      for the same reason.
    - 交易持有量 ``trading``: on the trading side (the exchange's books). Generated offset CCER never
      reach it (they exist only to be surrendered here), so it is 0 for them.
    - 总持有量 ``total``: the sum of the five.

    The screen's footer: 登记持有量 = the three registry-side figures, 交易持有量 = the two trading-side
    ones, 合计 = 总持有量."""

    registry_available: int
    registry_frozen: int
    registry_pending_transfer: int
    trading_pending_transfer: int
    trading: int

    @property
    def registry_held(self) -> int:
        return self.registry_available + self.registry_frozen + self.registry_pending_transfer

    @property
    def trading_held(self) -> int:
        return self.trading_pending_transfer + self.trading

    @property
    def total(self) -> int:
        return self.registry_held + self.trading_held


def holding_figures(registry_side: int, frozen: int, trading_side: int) -> HoldingFigures:
    """The figures of a holding from its three stored parts (registry side incl. frozen, frozen, trading)."""
    return HoldingFigures(
        registry_available=registry_side - frozen,
        registry_frozen=frozen,
        registry_pending_transfer=0,
        trading_pending_transfer=0,
        trading=trading_side,
    )
