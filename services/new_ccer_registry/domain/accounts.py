"""Accounts of the new registry (pure): what a direct opening creates."""

from __future__ import annotations

__all__ = ["FEE_FREE_ACCOUNT_TYPES", "opening_trading_status"]

# Key emitters trade without an annual fee; everybody else's trading account waits for the fees.
FEE_FREE_ACCOUNT_TYPES = frozenset({"national_key_emitter", "local_key_emitter"})


def opening_trading_status(account_type: str) -> str:
    """active — 正常 for key emitters; awaiting_fees — 待缴费 otherwise."""
    return "active" if account_type in FEE_FREE_ACCOUNT_TYPES else "awaiting_fees"
