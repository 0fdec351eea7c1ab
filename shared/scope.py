"""The one access-scope rule (domain.md §2, OWASP API1): an enterprise sees what it holds, a province
what is registered in its region, an exchange what was opened or traded through it, an operator of
this registry everything, anybody else nothing.

Repositories apply it to every query with :meth:`Scope.where`; a row outside the scope is
indistinguishable from a missing one (404).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, true

from shared.principal import Principal

__all__ = ["Scope"]


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    org: str | None = None
    province: str | None = None
    exchange: str | None = None

    @classmethod
    def of(cls, principal: Principal, *, operators: Collection[str]) -> Scope:
        """The scope of ``principal`` in a registry whose operators hold one of ``operators``."""
        if principal.role in operators:
            return cls(everything=True)
        if principal.role == "enterprise":
            return cls(org=principal.org)
        if principal.is_province:
            return cls(province=principal.province)
        if principal.role == "exchange_operator":
            return cls(exchange=principal.exchange)
        return cls()

    @property
    def is_holder(self) -> bool:
        return self.org is not None

    def admits(self, *, org: str | None = None, province: str | None = None, exchange: str | None = None) -> bool:
        """The same rule on values already loaded (e.g. an event's account)."""
        if self.everything:
            return True
        if self.org is not None:
            return org == self.org
        if self.province is not None:
            return province == self.province
        if self.exchange is not None:
            return exchange == self.exchange
        return False

    def where(
        self,
        *,
        org: Any = None,
        province: Any = None,
        exchange: Any = None,
    ) -> ColumnElement[bool]:
        """The rule as a query condition on the given columns. A scope whose column is not given
        (e.g. an exchange asking about rows that have no exchange) sees nothing."""
        if self.everything:
            return true()
        for value, column in ((self.org, org), (self.province, province), (self.exchange, exchange)):
            if value is not None:
                return column == value if column is not None else false()
        return false()
