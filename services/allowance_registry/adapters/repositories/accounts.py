"""Accounts and the bindings with new-registry accounts."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.allowance_registry.adapters.orm import Account, Binding
from services.allowance_registry.adapters.repositories._sql import account_scope
from shared.errors import NotFound
from shared.principal import Principal

__all__ = ["AccountRepository", "BindingRepository"]


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, account: Account) -> None:
        self._session.add(account)

    async def find(self, account_id: str) -> Account | None:
        """Any account, whoever holds it: for events, which carry no caller."""
        return await self._session.get(Account, account_id)

    async def of_holder(self, uscc: str) -> Account | None:
        """The unit's allowance account, whoever asks (for events): its active national key emitter
        account first, else its oldest account; None when it has none."""
        query = (
            select(Account)
            .where(Account.holder_uscc == uscc)
            .order_by(
                (Account.status != "active"),
                (Account.account_type != "national_key_emitter"),
                Account.opened_at,
                Account.id,
            )
            .limit(1)
        )
        return await self._session.scalar(query)

    async def get(self, account_id: str, principal: Principal) -> Account:
        """The account if ``principal`` may see it; NotFound otherwise."""
        account = await self._session.scalar(select(Account).where(Account.id == account_id, account_scope(principal)))
        if account is None:
            raise NotFound.of("account", "账户", account_id)
        return account

    async def search(
        self, principal: Principal, *, province: str | None, uscc: str | None, limit: int, offset: int
    ) -> list[Account]:
        query = select(Account).where(account_scope(principal))
        if province:
            query = query.where(Account.province == province)
        if uscc:
            query = query.where(Account.holder_uscc == uscc)
        query = query.order_by(Account.opened_at, Account.id).limit(limit).offset(offset)
        return list(await self._session.scalars(query))


class BindingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, binding: Binding) -> None:
        self._session.add(binding)

    async def active(self, allowance_account_id: str, registry_account_id: str | None = None) -> Binding | None:
        query = select(Binding).where(Binding.allowance_account_id == allowance_account_id, Binding.status == "active")
        if registry_account_id is not None:
            query = query.where(Binding.registry_account_id == registry_account_id)
        return await self._session.scalar(query.limit(1))

    async def supersede_active(self, registry_account_id: str) -> None:
        """A registry account has one active binding: a new one supersedes any older one."""
        await self._session.execute(
            update(Binding)
            .where(Binding.registry_account_id == registry_account_id, Binding.status == "active")
            .values(status="superseded")
        )
