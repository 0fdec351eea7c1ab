"""Counting the database work of a business step (like Django's ``assertNumQueries``): the statements
and transactions each service sends while a block runs, with the events the block causes when it
drains them (the runner of tests/system.py delivers them inside the block, so their handlers' work
is the step's).

Counted with SQLAlchemy engine events on each service's engine, never from logs:
- ``statements``: every statement a cursor sends (``before_cursor_execute``), without the
  transaction control statements (SQLite's ``BEGIN IMMEDIATE``, sent from the ``begin`` hook);
- ``transactions``: every ``begin`` (committed or rolled back; ``commits`` and ``rollbacks`` apart);
- ``savepoints``: every ``savepoint``, apart from the transactions.

Each count is kept per service and per source (``request``, ``event``, ``job``, ``relay``: the
``ccer_db_statements_total{source=…}`` label); ``probe`` statements (the outbox depth of /metrics)
are not a step's work and are left out.

    budget = Budget(system)
    with budget.step("open allowance account"):
        await system.handle("allowance", OpenAccount(...), maker)
        await system.drain()
    print(budget.table())
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from shared.observability import db_source_var
from tests.system import System

__all__ = ["Budget", "StepCount"]

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class StepCount:
    """What one step cost, over the four services."""

    name: str
    # False: measured for comparison, not a unit's work (left out of the per-unit sum).
    per_unit: bool = True
    statements: Counter[tuple[str, str]] = field(default_factory=Counter)  # (service, source) → n
    transactions: Counter[tuple[str, str]] = field(default_factory=Counter)
    commits: Counter[str] = field(default_factory=Counter)  # service → n
    rollbacks: Counter[str] = field(default_factory=Counter)
    savepoints: Counter[str] = field(default_factory=Counter)

    @property
    def total_statements(self) -> int:
        return sum(self.statements.values())

    @property
    def total_transactions(self) -> int:
        return sum(self.transactions.values())

    def by_service(self) -> dict[str, tuple[int, int]]:
        """service → (statements, transactions)."""
        services = sorted({s for s, _ in self.statements} | {s for s, _ in self.transactions})
        return {
            s: (
                sum(n for (svc, _), n in self.statements.items() if svc == s),
                sum(n for (svc, _), n in self.transactions.items() if svc == s),
            )
            for s in services
        }

    def by_source(self) -> dict[str, tuple[int, int]]:
        """source → (statements, transactions)."""
        sources = sorted({src for _, src in self.statements} | {src for _, src in self.transactions})
        return {
            src: (
                sum(n for (_, s), n in self.statements.items() if s == src),
                sum(n for (_, s), n in self.transactions.items() if s == src),
            )
            for src in sources
        }


class Budget:
    """Listens on every engine of ``system``; counts only inside :meth:`step`."""

    def __init__(self, system: System) -> None:
        self.steps: list[StepCount] = []
        self._current: StepCount | None = None
        self._listeners: list[tuple[Any, str, Any]] = []
        for name, svc in system.services.items():
            engine = svc.runtime.engine.sync_engine
            for identifier, fn in self._hooks(name).items():
                event.listen(engine, identifier, fn)
                self._listeners.append((engine, identifier, fn))

    def close(self) -> None:
        for engine, identifier, fn in self._listeners:
            event.remove(engine, identifier, fn)
        self._listeners.clear()

    def _hooks(self, service: str) -> dict[str, Any]:
        def before_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            step, source = self._current, db_source_var.get()
            if step is None or source == "probe" or statement.lstrip().upper().startswith(_CONTROL):
                return
            step.statements[service, source] += 1

        def begin(_conn: Any) -> None:
            step, source = self._current, db_source_var.get()
            if step is not None and source != "probe":
                step.transactions[service, source] += 1

        def commit(_conn: Any) -> None:
            if self._current is not None and db_source_var.get() != "probe":
                self._current.commits[service] += 1

        def rollback(_conn: Any) -> None:
            if self._current is not None and db_source_var.get() != "probe":
                self._current.rollbacks[service] += 1

        def savepoint(_conn: Any, _name: Any) -> None:
            if self._current is not None and db_source_var.get() != "probe":
                self._current.savepoints[service] += 1

        return {
            "before_cursor_execute": before_cursor_execute,
            "begin": begin,
            "commit": commit,
            "rollback": rollback,
            "savepoint": savepoint,
        }

    @contextlib.contextmanager
    def step(self, name: str, *, per_unit: bool = True) -> Iterator[StepCount]:
        """Count what runs in the block (drain inside it to count the events it causes);
        ``per_unit=False``: a measurement that is not a unit's work (left out of the sum)."""
        if self._current is not None:
            raise RuntimeError(f"step {name!r} inside step {self._current.name!r}")
        count = StepCount(name, per_unit)
        self._current = count
        try:
            yield count
        finally:
            self._current = None
        self.steps.append(count)

    @contextlib.contextmanager
    def uncounted(self) -> Iterator[None]:
        """Run set-up work inside a step without counting it."""
        current, self._current = self._current, None
        try:
            yield
        finally:
            self._current = current

    def net_of(self, name: str, overhead: str) -> StepCount:
        """Step ``name`` less what step ``overhead`` cost (e.g. a clock move with nothing of the
        unit's due, measured the same way): the unit's own share of a step that also does work
        for everyone. Fails when the overhead is not wholly inside the step."""
        step, less = self[name], self[overhead]
        for mine, theirs in (
            (step.statements, less.statements),
            (step.transactions, less.transactions),
            (step.commits, less.commits),
            (step.rollbacks, less.rollbacks),
            (step.savepoints, less.savepoints),
        ):
            mine.subtract(theirs)
            if any(n < 0 for n in mine.values()):
                raise AssertionError(f"{overhead!r} is not part of {name!r}: {dict(mine)}")
            for key in [k for k, n in mine.items() if n == 0]:
                del mine[key]
        return step

    # ------------------------------------------------------------------ reading
    def __getitem__(self, name: str) -> StepCount:
        return next(s for s in self.steps if s.name == name)

    @property
    def unit_steps(self) -> list[StepCount]:
        return [s for s in self.steps if s.per_unit]

    @property
    def total_statements(self) -> int:
        return sum(s.total_statements for s in self.unit_steps)

    @property
    def total_transactions(self) -> int:
        return sum(s.total_transactions for s in self.unit_steps)

    def table(self, budgets: dict[str, tuple[int, int]] | None = None, *, title: str = "") -> str:
        """One line per step: statements and transactions (by source), against ``budgets``
        (step → (statements, transactions)) when given; a ``!`` marks a step over its budget, a ``~``
        a measurement that is not a unit's (not in the sum)."""
        budgets = budgets or {}
        lines = [title] if title else []
        lines.append(
            f"{'step':72s} {'stmts':>5s} {'txns':>4s} {'sp':>3s} {'budget':>9s}  by source (stmts/txns)  by service"
        )
        for s in self.steps:
            limit = budgets.get(s.name)
            over = limit is not None and (s.total_statements > limit[0] or s.total_transactions > limit[1])
            shown = f"{limit[0]}/{limit[1]}" if limit else "-"
            sources = " ".join(f"{src}={st}/{tx}" for src, (st, tx) in s.by_source().items())
            services = " ".join(f"{svc.split('_')[0]}={st}/{tx}" for svc, (st, tx) in s.by_service().items())
            mark = "!" if over else (" " if s.per_unit else "~")
            lines.append(
                f"{mark}{s.name:71s} {s.total_statements:5d} {s.total_transactions:4d} "
                f"{sum(s.savepoints.values()):3d} {shown:>9s}  {sources}  {services}"
            )
        total_budget = (sum(b[0] for b in budgets.values()), sum(b[1] for b in budgets.values())) if budgets else None
        lines.append(
            f" {'per unit (sum of steps)':71s} {self.total_statements:5d} {self.total_transactions:4d} "
            f"{sum(sum(s.savepoints.values()) for s in self.unit_steps):3d} "
            f"{(f'{total_budget[0]}/{total_budget[1]}' if total_budget else '-'):>9s}"
        )
        return "\n".join(lines)
