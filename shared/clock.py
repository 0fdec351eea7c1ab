"""The one source of "now" for a service: simulated (set by sim_admin, never backwards) or real."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import InfraTables
from shared.errors import Conflict, Invalid
from shared.timeutil import local

__all__ = ["Clock"]


class Clock:
    """Simulated mode: wall-clock time until the first ``set``; from then on the set instant,
    which stays put until the next ``set`` (replays are deterministic) and never moves back."""

    def __init__(self, mode: str = "simulated", *, fixed: datetime | None = None) -> None:
        self.mode = mode
        self._fixed = fixed

    @property
    def is_set(self) -> bool:
        return self._fixed is not None

    def now(self) -> datetime:
        if self.mode == "simulated" and self._fixed is not None:
            return local(self._fixed)
        return local(datetime.now(UTC))

    def check_forward(self, new: datetime) -> None:
        if self.mode != "simulated":
            raise Conflict("CLOCK_NOT_SIMULATED", "the clock is real; it cannot be set", "时钟为真实时钟，不能设置")
        if new.tzinfo is None:
            raise Invalid("CLOCK_NAIVE_TIME", "now must carry a UTC offset", "时间必须带时区偏移", field="now")
        if self._fixed is not None and new < self._fixed:
            raise Conflict(
                "CLOCK_BACKWARDS",
                f"the clock is at {local(self._fixed).isoformat()} and never moves backwards",
                f"时钟当前为 {local(self._fixed).isoformat()}，不能回拨",
            )

    async def load(self, sessions: async_sessionmaker[AsyncSession], infra: InfraTables) -> None:
        async with sessions() as session:
            self._fixed = await session.scalar(select(infra.clock.c.now).where(infra.clock.c.id == 1))

    async def persist(self, session: AsyncSession, infra: InfraTables, new: datetime) -> None:
        """Write the new instant in the caller's transaction; call :meth:`adopt` after commit."""
        updated = await session.execute(update(infra.clock).where(infra.clock.c.id == 1).values(now=new))
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await session.execute(insert(infra.clock).values(id=1, now=new))

    def adopt(self, new: datetime) -> None:
        self._fixed = new

    def reset(self) -> None:
        self._fixed = None
