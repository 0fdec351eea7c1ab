"""Projects recorded (备案) in the legacy registry and the serials of their issuances (pure)."""

from __future__ import annotations

from shared.findings import Finding
from shared.reference import LEGACY_EXCHANGES
from shared.serials import SerialRange, legacy_issuance_prefix

__all__ = ["ISSUANCE_CONFLICTS", "PROJECT_NUMBER_PATTERN", "issuance_findings", "next_issuance_range"]

# Letters, digits and . _ - : the number is embedded in serials (VER-{number}-{vintage}-{n}).
PROJECT_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
ISSUANCE_CONFLICTS = frozenset({"NOT_TRADING_AT_EXCHANGE"})


def next_issuance_range(project_number: str, vintage: int, last_issued: int, quantity: int) -> SerialRange:
    """The range of a new issuance: it follows the last serial already issued for the project and
    vintage (``last_issued``, 0 for the first), so the issuances of one vintage are contiguous."""
    prefix = legacy_issuance_prefix(project_number, vintage)
    return SerialRange(prefix, last_issued + 1, last_issued + quantity)


def issuance_findings(*, exchange: str, trades_there: bool) -> list[Finding]:
    """Why units may not land on ``exchange``'s trading side of the account."""
    if exchange not in LEGACY_EXCHANGES:
        return [
            Finding(
                code="NOT_LEGACY_EXCHANGE",
                message=f"{exchange} is not a legacy exchange",
                message_zh=f"{exchange} 不是旧有CCER交易机构",
                field="exchange",
            )
        ]
    if not trades_there:
        return [
            Finding(
                code="NOT_TRADING_AT_EXCHANGE",
                message=f"the account has no trading account at {exchange}",
                message_zh=f"账户未在 {exchange} 开立交易账户",
                field="exchange",
            )
        ]
    return []
