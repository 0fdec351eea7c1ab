"""Compliance applications (履约申请): scoped reads, row locks, and the guarded state change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from services.allowance_registry.adapters.orm import Account, Application
from services.allowance_registry.adapters.repositories._sql import account_scope, one_row
from shared.errors import NotFound
from shared.principal import Principal

__all__ = ["ApplicationRepository"]


def _not_found(application_id: str) -> NotFound:
    return NotFound.of("compliance application", "履约申请", application_id)


class ApplicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, application: Application) -> None:
        self._session.add(application)

    async def get(self, application_id: str, principal: Principal) -> Application:
        application = await self._session.scalar(
            select(Application)
            .join(Account, Account.id == Application.account_id)
            .where(Application.id == application_id, account_scope(principal))
        )
        if application is None:
            raise _not_found(application_id)
        return application

    async def lock(self, application_id: str, principal: Principal) -> Application:
        """The application, locked, if ``principal`` may see it; NotFound otherwise."""
        application = await self._session.scalar(
            select(Application)
            .join(Account, Account.id == Application.account_id)
            .where(Application.id == application_id, account_scope(principal))
            .with_for_update(of=Application)
        )
        if application is None:
            raise _not_found(application_id)
        return application

    async def lock_any(self, application_id: str) -> Application | None:
        """Any application, locked: for the province's decisions, which carry no caller."""
        return await self._session.get(Application, application_id, with_for_update=True)

    async def flush_effects(self) -> None:
        """Write the surrenders and registrations added so far: their unique (application, revision,
        item) keys stop a second effect of one decision here, before anything else is changed."""
        await self._session.flush()

    async def transition(self, application: Application, at: datetime, **values: Any) -> bool:
        """Guarded state change: only from the status and revision this transaction read. On success
        ``application`` carries the new values (no reload: they are what was written); False when it
        changed meanwhile (nothing was written)."""
        values = {"updated_at": at, **values}
        done = await one_row(
            self._session,
            update(Application)
            .where(
                Application.id == application.id,
                Application.status == application.status,
                Application.revision == application.revision,
            )
            .values(**values),
        )
        if done:
            for name, value in values.items():
                set_committed_value(application, name, value)
        return done

    async def search(
        self,
        principal: Principal,
        *,
        account_id: str | None,
        province: str | None,
        status: str | None,
        notice_id: str | None,
        limit: int,
        offset: int,
    ) -> list[Application]:
        query = select(Application).join(Account, Account.id == Application.account_id).where(account_scope(principal))
        if account_id:
            query = query.where(Application.account_id == account_id)
        if province:
            query = query.where(Application.province == province)
        if status:
            query = query.where(Application.status == status)
        if notice_id:
            query = query.where(Application.notice_id == notice_id)
        query = query.order_by(Application.created_at, Application.id).limit(limit).offset(offset)
        return list(await self._session.scalars(query))
