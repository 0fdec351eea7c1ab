"""Allowance and offset-CCER holdings, with the allocations, transfers and surrenders that move them.

Every change of a quantity is one ``UPDATE … WHERE <enough is there>``; the methods return whether it
matched, so concurrent requests and replicas never overdraw or apply an effect twice. Each change
returns the holding's parts just after it (``RETURNING``), kept for the journal's ``balance`` so the
journal does not read the row again: the row is this transaction's (locked by the change) until it
commits, and every change of it in this transaction goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import Allocation, AllowanceHolding, CcerHolding, Surrender, Transfer
from services.allowance_registry.adapters.repositories._sql import insert_ignore, upsert_add

__all__ = ["HoldingRepository"]


def _allowance(account_id: str, instrument: str) -> ColumnElement[bool]:
    return (AllowanceHolding.account_id == account_id) & (AllowanceHolding.instrument == instrument)


def _ccer(account_id: str, instrument: str) -> ColumnElement[bool]:
    return (CcerHolding.account_id == account_id) & (CcerHolding.instrument == instrument)


Parts = tuple[int, int, int]  # (registry side incl. frozen, frozen, trading side)


def _returning(stmt: Any, offset_ccer: bool) -> Any:
    if offset_ccer:
        return stmt.returning(CcerHolding.quantity, CcerHolding.frozen, literal(0))
    h = AllowanceHolding
    return stmt.returning(h.registry_side, h.frozen, h.trading_side)


class HoldingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # (offset CCER?, account, instrument) → its parts after this transaction's last change of it
        self._after: dict[tuple[bool, str, str], Parts] = {}

    async def _moved(self, stmt: Any, offset_ccer: bool, account_id: str, instrument: str) -> bool:
        """Run a guarded ``UPDATE … WHERE <the state we expect>``: True when exactly one row matched;
        then its parts after the change are kept for :meth:`balance`."""
        rows = (
            await self._session.execute(_returning(stmt, offset_ccer).execution_options(synchronize_session=False))
        ).all()
        if len(rows) != 1:
            return False
        self._after[offset_ccer, account_id, instrument] = (int(rows[0][0]), int(rows[0][1]), int(rows[0][2]))
        return True

    def add(self, record: Allocation | Transfer | Surrender) -> None:
        self._session.add(record)

    async def of_account(self, account_id: str) -> tuple[list[AllowanceHolding], list[CcerHolding]]:
        allowances = await self._session.scalars(
            select(AllowanceHolding)
            .where(AllowanceHolding.account_id == account_id)
            .order_by(AllowanceHolding.instrument)
            .execution_options(populate_existing=True)
        )
        ccer = await self._session.scalars(
            select(CcerHolding)
            .where(CcerHolding.account_id == account_id)
            .order_by(CcerHolding.instrument)
            .execution_options(populate_existing=True)
        )
        return list(allowances), list(ccer)

    async def balance(self, account_id: str, instrument: str, *, offset_ccer: bool) -> tuple[int, int, int]:
        """(registry side incl. frozen, frozen, trading side) of a holding as this transaction sees it now;
        zeros when there is none."""
        if (after := self._after.get((offset_ccer, account_id, instrument))) is not None:
            return after
        if offset_ccer:
            row = (
                await self._session.execute(
                    select(CcerHolding.quantity, CcerHolding.frozen, literal(0)).where(_ccer(account_id, instrument))
                )
            ).first()
        else:
            h = AllowanceHolding
            row = (
                await self._session.execute(
                    select(h.registry_side, h.frozen, h.trading_side).where(_allowance(account_id, instrument))
                )
            ).first()
        return (0, 0, 0) if row is None else (int(row[0]), int(row[1]), int(row[2]))

    # --- allowances ---------------------------------------------------------------------------
    async def ensure_allowance(self, account_id: str, instrument: str) -> None:
        self._after.pop((False, account_id, instrument), None)
        await insert_ignore(
            self._session,
            AllowanceHolding,
            {"account_id": account_id, "instrument": instrument, "registry_side": 0, "trading_side": 0, "frozen": 0},
        )

    async def credit_allowances(self, account_id: str, instrument: str, side: str, quantity: int) -> None:
        """Credit one side of the holding, opening it at zero first if need be (one upsert)."""
        credited = {"registry_side": quantity if side == "registry" else 0}
        credited["trading_side"] = quantity - credited["registry_side"]
        column = "registry_side" if side == "registry" else "trading_side"
        h = AllowanceHolding
        after = await upsert_add(
            self._session,
            h,
            {"account_id": account_id, "instrument": instrument, "frozen": 0, **credited},
            column,
            quantity,
            (h.registry_side, h.frozen, h.trading_side),
        )
        self._after[False, account_id, instrument] = (int(after[0]), int(after[1]), int(after[2]))

    async def transfer(self, account_id: str, instrument: str, quantity: int, direction: str) -> bool:
        """划转: to_trading takes from the unfrozen registry side, to_registry from the trading side."""
        h = AllowanceHolding
        if direction == "to_trading":
            stmt = (
                update(h)
                .where(_allowance(account_id, instrument), h.registry_side - h.frozen >= quantity)
                .values(registry_side=h.registry_side - quantity, trading_side=h.trading_side + quantity)
            )
        else:
            stmt = (
                update(h)
                .where(_allowance(account_id, instrument), h.trading_side >= quantity)
                .values(registry_side=h.registry_side + quantity, trading_side=h.trading_side - quantity)
            )
        return await self._moved(stmt, False, account_id, instrument)

    async def lock_available_allowances(self, account_id: str, instruments: Sequence[str]) -> dict[str, int]:
        """Unfrozen registry-side allowances by instrument, rows locked in instrument order."""
        if not instruments:
            return {}
        rows = await self._session.scalars(
            select(AllowanceHolding)
            .where(AllowanceHolding.account_id == account_id, AllowanceHolding.instrument.in_(sorted(instruments)))
            .order_by(AllowanceHolding.instrument)
            .with_for_update()
        )
        return {h.instrument: h.registry_side - h.frozen for h in rows}

    async def freeze_allowances(self, account_id: str, instrument: str, quantity: int) -> bool:
        h = AllowanceHolding
        return await self._moved(
            update(h)
            .where(_allowance(account_id, instrument), h.registry_side - h.frozen >= quantity)
            .values(frozen=h.frozen + quantity),
            False,
            account_id,
            instrument,
        )

    async def release_allowances(self, account_id: str, instrument: str, quantity: int) -> bool:
        h = AllowanceHolding
        return await self._moved(
            update(h)
            .where(_allowance(account_id, instrument), h.frozen >= quantity)
            .values(frozen=h.frozen - quantity),
            False,
            account_id,
            instrument,
        )

    async def surrender_allowances(self, account_id: str, instrument: str, quantity: int) -> bool:
        """Frozen allowances leave the holding: gone exactly once."""
        h = AllowanceHolding
        return await self._moved(
            update(h)
            .where(_allowance(account_id, instrument), h.frozen >= quantity)
            .values(frozen=h.frozen - quantity, registry_side=h.registry_side - quantity),
            False,
            account_id,
            instrument,
        )

    # --- generated offset CCER (first period) -------------------------------------------------
    async def credit_offset_ccer(self, account_id: str, instrument: str, quantity: int) -> None:
        """Generated offset CCER enter the unit's registry-side holding (opened at zero if need be)."""
        c = CcerHolding
        after = await upsert_add(
            self._session,
            c,
            {"account_id": account_id, "instrument": instrument, "quantity": quantity, "frozen": 0},
            "quantity",
            quantity,
            (c.quantity, c.frozen),
        )
        self._after[True, account_id, instrument] = (int(after[0]), int(after[1]), 0)

    async def lock_available_offset_ccer(self, account_id: str, instruments: Sequence[str]) -> dict[str, int]:
        if not instruments:
            return {}
        rows = await self._session.scalars(
            select(CcerHolding)
            .where(CcerHolding.account_id == account_id, CcerHolding.instrument.in_(sorted(instruments)))
            .order_by(CcerHolding.instrument)
            .with_for_update()
        )
        return {h.instrument: h.quantity - h.frozen for h in rows}

    async def freeze_offset_ccer(self, account_id: str, instrument: str, quantity: int) -> bool:
        c = CcerHolding
        return await self._moved(
            update(c)
            .where(_ccer(account_id, instrument), c.quantity - c.frozen >= quantity)
            .values(frozen=c.frozen + quantity),
            True,
            account_id,
            instrument,
        )

    async def release_offset_ccer(self, account_id: str, instrument: str, quantity: int) -> bool:
        c = CcerHolding
        return await self._moved(
            update(c).where(_ccer(account_id, instrument), c.frozen >= quantity).values(frozen=c.frozen - quantity),
            True,
            account_id,
            instrument,
        )

    async def surrender_offset_ccer(self, account_id: str, instrument: str, quantity: int) -> bool:
        c = CcerHolding
        return await self._moved(
            update(c)
            .where(_ccer(account_id, instrument), c.frozen >= quantity)
            .values(frozen=c.frozen - quantity, quantity=c.quantity - quantity),
            True,
            account_id,
            instrument,
        )
