"""Accounts of the new registry (pure): what an opening creates, and the one rule that a unit holds
at most one account of a type (direct opening by NCSC or joint opening alike)."""

from __future__ import annotations

from services.new_ccer_registry.domain.fees import FEE_FREE_ACCOUNT_TYPES, TradingStatus

__all__ = ["FEE_FREE_ACCOUNT_TYPES", "opening_trading_status"]


def opening_trading_status(account_type: str) -> str:
    """active — 正常 for key emitters; awaiting_fees — 待缴费 otherwise (until the opening fee and the
    first annual fee are paid, domain/fees.py)."""
    return TradingStatus.active if account_type in FEE_FREE_ACCOUNT_TYPES else TradingStatus.awaiting_fees
