"""Offset lots (全国履约抵销, domain.md §6.2 steps 4-8) and the checks on moving units: each check is a
small named function returning findings with stable codes, every finding at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.findings import Finding
from shared.reference import CompliancePeriods
from shared.timeutil import local

__all__ = [
    "CCER_EXCHANGE",
    "CONFLICT_CODES",
    "LotQuantities",
    "LotStatus",
    "ReleaseReason",
    "cancellation_purpose",
    "freeze_findings",
    "insufficient",
    "legacy_use_findings",
    "lot_consistency_findings",
    "settling_exchange_finding",
    "trade_findings",
    "trading_inactive",
    "transfer_findings",
]

# The one exchange whose trades settle in the new registry (北京绿色交易所, national CCER trading).
CCER_EXCHANGE = "CBGEX"


class LotStatus(StrEnum):
    """frozen — 已冻结（待抵销）; settled — 已了结（全部注销或解冻）"""

    frozen = "frozen"
    settled = "settled"


class ReleaseReason(StrEnum):
    """recalled — 召回解冻; refused — 配额注登系统拒收解冻"""

    recalled = "recalled"
    refused = "refused"


# Codes that mean "the state of things does not allow it" (409) rather than "the input is wrong" (422).
CONFLICT_CODES = frozenset(
    {
        "ACCOUNT_NOT_ACTIVE",
        "ACCOUNT_NOT_BOUND",
        "INSUFFICIENT_AVAILABLE",
        "INSUFFICIENT_TRADING",
        "LEGACY_UNITS_NOT_ACCEPTED",
        "TRADING_ACCOUNT_NOT_ACTIVE",
        "TRADING_ACCOUNT_SUSPENDED",
    }
)


def _f(code: str, message: str, message_zh: str, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, field=field)


@dataclass(frozen=True)
class LotQuantities:
    quantity: int
    cancelled: int
    released: int

    @property
    def frozen(self) -> int:
        """What is still frozen in the lot (pending in the allowance registry)."""
        return self.quantity - self.cancelled - self.released

    @property
    def status(self) -> LotStatus:
        return LotStatus.settled if self.frozen == 0 else LotStatus.frozen


def insufficient(state: str, project_number: str, requested: int, held: int, field: str = "quantity") -> Finding:
    """``INSUFFICIENT_AVAILABLE`` / ``INSUFFICIENT_TRADING``: asked for more than is held in that state."""
    zh_state = {"available": "一般持有账户可用", "trading": "交易持仓"}.get(state, state)
    return _f(
        f"INSUFFICIENT_{state.upper()}",
        f"{requested} t of project {project_number} requested, only {held} t {state}",
        f"项目 {project_number} 申请 {requested} 吨，{zh_state}仅 {held} 吨",
        field,
    )


def freeze_findings(
    *,
    account_active: bool,
    binding_active: bool,
    project_known: bool,
    project_number: str,
    requested: int,
    available: int,
) -> list[Finding]:
    """Why a national compliance offset (全国履约抵销) of ``requested`` units may not freeze."""
    findings = []
    if not account_active:
        findings.append(
            _f("ACCOUNT_NOT_ACTIVE", "the registry account is not active", "登记账户状态异常", "account_id")
        )
    if not binding_active:
        findings.append(
            _f(
                "ACCOUNT_NOT_BOUND",
                "the account has no active binding to an allowance-registry account; bind it first",
                "该账户未与配额注登系统登记账户绑定（或绑定未生效），请先完成绑定",
                "account_id",
            )
        )
    if not project_known:
        findings.append(
            _f(
                "PROJECT_NOT_FOUND",
                f"project {project_number} is not known to this registry",
                f"项目 {project_number} 不存在",
                "project_number",
            )
        )
    elif requested > available:
        findings.append(insufficient("available", project_number, requested, available))
    return findings


def legacy_use_findings(origin: str, periods: CompliancePeriods, now: datetime) -> list[Finding]:
    """Legacy units have a last use: the last period that accepts them (2023, applications by
    2024-12-31 23:59:59, seed 000 一 第四步). Once no period accepts legacy units, freezing them is
    refused at once, rather than leaving them pending until a recall."""
    if origin != "legacy" or periods.accepting(origin, now):
        return []
    last = periods.last_accepting(origin)
    if last is None:
        return [
            _f(
                "LEGACY_UNITS_NOT_ACCEPTED",
                "no compliance period accepts legacy CCER",
                "没有履约期接受旧有CCER抵销配额清缴",
                "origin",
            )
        ]
    deadline = local(last.application_deadline).isoformat()
    return [
        _f(
            "LEGACY_UNITS_NOT_ACCEPTED",
            f"no open compliance period accepts legacy CCER: the last one, {last.code}, took compliance "
            f"applications until {deadline} (the last instant)",
            f"当前没有履约期接受旧有CCER：最后接受旧有CCER的 {last.code} 履约期，履约申请已于 {deadline} 截止",
            "origin",
        )
    ]


def trading_inactive(status: str | None, whose: str, whose_zh: str, field: str) -> Finding:
    """``TRADING_ACCOUNT_SUSPENDED`` when the annual fee lapsed, ``TRADING_ACCOUNT_NOT_ACTIVE``
    otherwise (awaiting its opening and first annual fee): either way no units enter or leave it."""
    if status == "suspended":
        return _f(
            "TRADING_ACCOUNT_SUSPENDED",
            f"{whose} trading account is suspended: its annual fee lapsed; paying the annual fee "
            "(POST /accounts/{id}/fees) reactivates it",
            f"{whose_zh}交易账户已暂停使用（年费期满未缴纳），续交年费后恢复",
            field,
        )
    return _f(
        "TRADING_ACCOUNT_NOT_ACTIVE",
        f"{whose} trading account is not active"
        + (": the opening fee and the first annual fee are not both paid" if status == "awaiting_fees" else ""),
        f"{whose_zh}交易账户未激活或已暂停" + ("（开户费及首年年费未缴齐）" if status == "awaiting_fees" else ""),
        field,
    )


def settling_exchange_finding(exchange: str | None) -> Finding | None:
    """Only the CCER exchange settles trades here; legacy exchanges settle in the legacy registry."""
    if exchange == CCER_EXCHANGE:
        return None
    return Finding(
        code="NOT_CCER_EXCHANGE",
        message=f"only the CCER exchange ({CCER_EXCHANGE}) settles trades in this registry",
        message_zh=f"仅全国温室气体自愿减排交易机构（{CCER_EXCHANGE}）可在本系统结算交易",
    )


def trade_findings(
    *,
    seller_known: bool,
    buyer_known: bool,
    same_account: bool,
    project_known: bool,
    project_number: str,
    seller_trading_active: bool,
    buyer_trading_active: bool,
    requested: int,
    seller_holds: int,
    seller_trading_status: str | None = None,
    buyer_trading_status: str | None = None,
) -> list[Finding]:
    """Why an exchange trade may not settle."""
    findings = []
    if same_account:
        findings.append(
            _f("SAME_ACCOUNT", "seller and buyer are the same account", "买卖双方为同一账户", "buyer_account_id")
        )
    if not seller_known:
        findings.append(
            _f("SELLER_ACCOUNT_NOT_FOUND", "seller account not found", "卖方账户不存在", "seller_account_id")
        )
    elif not seller_trading_active:
        findings.append(trading_inactive(seller_trading_status, "the seller's", "卖方", "seller_account_id"))
    if not buyer_known:
        findings.append(_f("BUYER_ACCOUNT_NOT_FOUND", "buyer account not found", "买方账户不存在", "buyer_account_id"))
    elif not buyer_trading_active:
        findings.append(trading_inactive(buyer_trading_status, "the buyer's", "买方", "buyer_account_id"))
    if not project_known:
        findings.append(
            _f(
                "PROJECT_NOT_FOUND",
                f"project {project_number} is not known to this registry",
                f"项目 {project_number} 不存在",
                "project_number",
            )
        )
    elif seller_known and requested > seller_holds:
        findings.append(insufficient("trading", project_number, requested, seller_holds))
    return findings


def transfer_findings(
    *,
    project_known: bool,
    project_number: str,
    to_trading: bool,
    trading_active: bool,
    source_state: str,
    requested: int,
    holds: int,
    trading_status: str | None = None,
) -> list[Finding]:
    """Why a transfer (划转) of ``requested`` units out of ``source_state`` may not happen. A trading
    account that is not active (awaiting its fees, or suspended when its annual fee lapsed: 暂停交易账户
    使用, seed 004 第五步) lets no units in or out."""
    findings = []
    if not project_known:
        findings.append(
            _f(
                "PROJECT_NOT_FOUND",
                f"project {project_number} is not known to this registry",
                f"项目 {project_number} 不存在",
                "project_number",
            )
        )
    if not trading_active:
        findings.append(trading_inactive(trading_status, "the", "", "direction"))
    if project_known and requested > holds:
        findings.append(insufficient(source_state, project_number, requested, holds))
    return findings


def cancellation_purpose(period_code: str) -> str:
    """Purpose of a cancellation by offset registration, in the vocabulary of the legacy registry's
    purposes (``offset_2023``): ``offset_<period>``."""
    return "offset_" + period_code.replace("-", "_")


def lot_consistency_findings(
    lot_id: str,
    lot: LotQuantities,
    status: str,
    frozen_held: int,
    cancelled_held: int,
    cancellations: int,
    released_records: int,
) -> list[Finding]:
    """A lot agrees with its blocks, its cancellation records and its release records."""
    found = []
    if lot.frozen < 0:
        found.append(
            _f(
                "LOT_OVERDRAWN",
                f"lot {lot_id}: cancelled + released exceed its quantity",
                f"抵销批次 {lot_id}：注销量与解冻量之和超过批次数量",
            )
        )
    if frozen_held != lot.frozen:
        found.append(
            _f(
                "LOT_FROZEN_MISMATCH",
                f"lot {lot_id}: {frozen_held} t frozen in blocks, {lot.frozen} t expected",
                f"抵销批次 {lot_id}：冻结区间 {frozen_held} 吨，应为 {lot.frozen} 吨",
            )
        )
    if not cancelled_held == cancellations == lot.cancelled:
        found.append(
            _f(
                "LOT_CANCELLED_MISMATCH",
                f"lot {lot_id}: cancelled {lot.cancelled} t, blocks {cancelled_held} t, records {cancellations} t",
                f"抵销批次 {lot_id}：注销量 {lot.cancelled} 吨，区间 {cancelled_held} 吨，记录 {cancellations} 吨",
            )
        )
    if released_records != lot.released:
        found.append(
            _f(
                "LOT_RELEASED_MISMATCH",
                f"lot {lot_id}: released {lot.released} t, records {released_records} t",
                f"抵销批次 {lot_id}：解冻量 {lot.released} 吨，记录 {released_records} 吨",
            )
        )
    if status != lot.status:
        found.append(
            _f(
                "LOT_STATUS_MISMATCH",
                f"lot {lot_id}: status {status}, expected {lot.status}",
                f"抵销批次 {lot_id}：状态 {status}，应为 {lot.status}",
            )
        )
    return found
