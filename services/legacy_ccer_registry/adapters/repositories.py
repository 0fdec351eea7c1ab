"""The legacy registry's repositories, one per aggregate: accounts (with their trading accounts),
account applications, projects (with their issuances), cancellation records and sync applications.
Holding blocks and the movement journal are in ``adapters/blocks.py``.

Every read a caller makes goes through the scope rule (``shared.scope``, OWASP API1): the holder
sees its own, a province what is registered in its region, an exchange operator the applications
made through its exchange and the accounts trading there, NCSC everything; outside it the answer is
:class:`NotFound`, as for something missing. State changes are guarded updates
(``UPDATE … WHERE status = …``, row counts checked).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.legacy_ccer_registry.adapters.orm import (
    Account,
    AccountApplication,
    Cancellation,
    Issuance,
    Project,
    SyncApplication,
    TradingAccount,
)
from services.legacy_ccer_registry.domain.accounts import ApplicationStatus
from services.legacy_ccer_registry.domain.sync import HOLDING_SERIALS, SyncStatus
from shared.errors import NotFound
from shared.scope import Scope
from shared.serials import SerialRange

__all__ = [
    "AccountRepository",
    "ApplicationRepository",
    "CancellationRepository",
    "ProjectRepository",
    "SyncRepository",
]

IN_PROGRESS = (ApplicationStatus.submitted.value, ApplicationStatus.awaiting_registry_review.value)


def _account_scope(scope: Scope) -> Any:
    """Accounts a scope sees: the holder its own, a province its region, an exchange operator the
    accounts trading at its exchange, NCSC all."""
    if scope.exchange is not None and not scope.everything:
        return exists().where(TradingAccount.account_id == Account.id, TradingAccount.exchange == scope.exchange)
    return scope.where(org=Account.holder_uscc, province=Account.province)


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, account: Account, trading: Collection[TradingAccount]) -> None:
        self.session.add(account)
        await self.session.flush()
        self.session.add_all(trading)
        await self.session.flush()

    async def add_trading(self, trading: TradingAccount) -> None:
        self.session.add(trading)
        await self.session.flush()

    async def find(self, account_id: str, scope: Scope) -> Account | None:
        return await self.session.scalar(select(Account).where(Account.id == account_id, _account_scope(scope)))

    async def get(self, account_id: str, scope: Scope) -> Account:
        """The account, if ``scope`` sees it; :class:`NotFound` otherwise."""
        found = await self.find(account_id, scope)
        if found is None:
            raise NotFound.of("account", "账户", account_id)
        return found

    async def by_id(self, account_id: str) -> Account:
        """The account, whoever asks (the registry's own lookup, e.g. for an event it sends)."""
        found = await self.session.get(Account, account_id)
        if found is None:
            raise NotFound.of("account", "账户", account_id)
        return found

    async def of_holder(self, uscc: str) -> Account | None:
        """The unit's account (the registry's own lookup, not a caller's)."""
        return await self.session.scalar(select(Account).where(Account.holder_uscc == uscc))

    async def lock(self, *account_ids: str) -> dict[str, Account]:
        """The accounts, locked for this transaction, always in id order so two lockers never
        deadlock (PostgreSQL ``FOR NO KEY UPDATE``: serialises our movers without blocking the
        key-share locks of foreign-key checks)."""
        rows = await self.session.scalars(
            select(Account)
            .where(Account.id.in_(sorted(set(account_ids))))
            .order_by(Account.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return {a.id: a for a in rows}

    async def trading_accounts(self, account_id: str) -> list[TradingAccount]:
        return list(
            await self.session.scalars(
                select(TradingAccount).where(TradingAccount.account_id == account_id).order_by(TradingAccount.exchange)
            )
        )

    async def trading_of_holder(self, uscc: str, exchange: str) -> TradingAccount | None:
        """The unit's trading account at the exchange, attached to its registry account or not yet."""
        return await self.session.scalar(
            select(TradingAccount).where(TradingAccount.holder_uscc == uscc, TradingAccount.exchange == exchange)
        )

    async def unattached_trading(self, uscc: str) -> list[TradingAccount]:
        """The unit's trading accounts opened by exchanges before its registry account."""
        return list(
            await self.session.scalars(
                select(TradingAccount).where(TradingAccount.holder_uscc == uscc, TradingAccount.account_id.is_(None))
            )
        )

    async def attach_trading(self, uscc: str, account_id: str) -> None:
        """Attach the unit's unattached trading accounts to its (newly opened) registry account."""
        await self.session.execute(
            update(TradingAccount)
            .where(TradingAccount.holder_uscc == uscc, TradingAccount.account_id.is_(None))
            .values(account_id=account_id)
            .execution_options(synchronize_session="fetch")
        )
        await self.session.flush()

    async def trades_at(self, account_id: str, exchange: str) -> bool:
        found = await self.session.scalar(
            select(TradingAccount.id).where(
                TradingAccount.account_id == account_id, TradingAccount.exchange == exchange
            )
        )
        return found is not None


class ApplicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, application: AccountApplication) -> AccountApplication:
        self.session.add(application)
        await self.session.flush()
        return application

    async def get(self, application_id: str, scope: Scope) -> AccountApplication:
        found = await self.session.scalar(
            select(AccountApplication).where(
                AccountApplication.id == application_id,
                scope.where(org=AccountApplication.applicant_uscc, exchange=AccountApplication.exchange),
            )
        )
        if found is None:
            raise NotFound.of("account application", "开户申请", application_id)
        return found

    async def in_progress(self, uscc: str, exchange: str, *, other_than: str | None = None) -> bool:
        """Whether another application of the unit through ``exchange`` is under review."""
        query = select(AccountApplication.id).where(
            AccountApplication.applicant_uscc == uscc,
            AccountApplication.exchange == exchange,
            AccountApplication.status.in_(IN_PROGRESS),
        )
        if other_than is not None:
            query = query.where(AccountApplication.id != other_than)
        return await self.session.scalar(query.limit(1)) is not None

    async def search(self, scope: Scope, *, status: str | None, offset: int, limit: int) -> list[AccountApplication]:
        query = select(AccountApplication).where(
            scope.where(org=AccountApplication.applicant_uscc, exchange=AccountApplication.exchange)
        )
        if status is not None:
            query = query.where(AccountApplication.status == status)
        query = query.order_by(AccountApplication.submitted_at, AccountApplication.id).offset(offset).limit(limit)
        return list(await self.session.scalars(query))

    async def transition(self, application: AccountApplication, **values: Any) -> bool:
        """Guarded change: applies only while the application is still in the status and revision
        it was read in (another reviewer or an amendment may have come first)."""
        result = await self.session.execute(
            update(AccountApplication)
            .where(
                AccountApplication.id == application.id,
                AccountApplication.status == application.status,
                AccountApplication.revision == application.revision,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self.session.refresh(application)
        return True


class ProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, project: Project) -> Project:
        self.session.add(project)
        await self.session.flush()
        return project

    async def get(self, number: str) -> Project:
        """Projects are public reference data: anybody who may ask sees them."""
        found = await self.session.get(Project, number)
        if found is None:
            raise NotFound.of("project", "项目", number)
        return found

    async def exists(self, number: str) -> bool:
        return await self.session.get(Project, number) is not None

    async def lock(self, number: str) -> Project:
        """The project, locked: issuances of one project are numbered one at a time."""
        found = await self.session.scalar(
            select(Project)
            .where(Project.number == number)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        if found is None:
            raise NotFound.of("project", "项目", number)
        return found

    async def last_issued(self, prefix: str) -> int:
        """The highest serial number issued under ``prefix`` (0 before the first issuance)."""
        return int(
            await self.session.scalar(
                select(func.coalesce(func.max(Issuance.last_n), 0)).where(Issuance.serial_prefix == prefix)
            )
            or 0
        )

    async def add_issuance(self, issuance: Issuance) -> Issuance:
        self.session.add(issuance)
        await self.session.flush()
        return issuance


class CancellationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: Cancellation) -> Cancellation:
        self.session.add(record)
        await self.session.flush()
        return record

    async def unannounced_before(self, instant: datetime) -> list[Cancellation]:
        """Records made before ``instant`` that no daily batch has sent yet, oldest first, locked."""
        return list(
            await self.session.scalars(
                select(Cancellation)
                .where(Cancellation.announced_at.is_(None), Cancellation.cancelled_at < instant)
                .order_by(Cancellation.cancelled_at, Cancellation.id)
                .with_for_update()
            )
        )

    async def mark_announced(self, cancellation_id: str, at: datetime) -> bool:
        """Guarded: only a record not yet announced; whether this call announced it."""
        result = await self.session.execute(
            update(Cancellation)
            .where(Cancellation.id == cancellation_id, Cancellation.announced_at.is_(None))
            .values(announced_at=at)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def get(self, cancellation_id: str, scope: Scope) -> Cancellation:
        found = await self.session.scalar(
            select(Cancellation).where(
                Cancellation.id == cancellation_id,
                scope.where(org=Cancellation.holder_uscc, province=Cancellation.province),
            )
        )
        if found is None:
            raise NotFound.of("cancellation", "注销记录", cancellation_id)
        return found

    async def lock_of_account(self, ids: Collection[str], account_id: str) -> dict[str, Cancellation]:
        """The records among ``ids`` made from ``account_id``, locked in id order (a sync claims
        their quantities)."""
        rows = await self.session.scalars(
            select(Cancellation)
            .where(Cancellation.id.in_(sorted(set(ids))), Cancellation.account_id == account_id)
            .order_by(Cancellation.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return {r.id: r for r in rows}

    async def by_ids(self, ids: Collection[str]) -> dict[str, Cancellation]:
        rows = await self.session.scalars(select(Cancellation).where(Cancellation.id.in_(sorted(set(ids)))))
        return {r.id: r for r in rows}

    async def search(
        self, scope: Scope, *, account_id: str | None, purpose: str | None, offset: int, limit: int
    ) -> list[Cancellation]:
        query = select(Cancellation).where(scope.where(org=Cancellation.holder_uscc, province=Cancellation.province))
        if account_id is not None:
            query = query.where(Cancellation.account_id == account_id)
        if purpose is not None:
            query = query.where(Cancellation.purpose == purpose)
        query = query.order_by(Cancellation.cancelled_at, Cancellation.id).offset(offset).limit(limit)
        return list(await self.session.scalars(query))

    async def claim(self, cancellation_id: str, quantity: int) -> bool:
        """Claim ``quantity`` of the record for a sync, only if that much is neither synced nor
        claimed (two forms racing for one record: one of them wins)."""
        return await self._update(
            cancellation_id,
            Cancellation.synced + Cancellation.claimed + quantity <= Cancellation.quantity,
            claimed=Cancellation.claimed + quantity,
        )

    async def send(self, cancellation_id: str, quantity: int) -> bool:
        """A claim approved by NCSC: the quantity is in transit, awaiting the new registry's answer."""
        return await self._update(
            cancellation_id,
            Cancellation.in_transit + quantity <= Cancellation.claimed,
            in_transit=Cancellation.in_transit + quantity,
        )

    async def accept(self, cancellation_id: str, quantity: int) -> bool:
        """A claim in transit accepted by the new registry: the quantity is synced."""
        return await self._update(
            cancellation_id,
            Cancellation.in_transit >= quantity,
            claimed=Cancellation.claimed - quantity,
            in_transit=Cancellation.in_transit - quantity,
            synced=Cancellation.synced + quantity,
        )

    async def give_back(self, cancellation_id: str, quantity: int) -> bool:
        """A claim in transit refused by the new registry: the quantity may be synced again."""
        return await self._update(
            cancellation_id,
            Cancellation.in_transit >= quantity,
            claimed=Cancellation.claimed - quantity,
            in_transit=Cancellation.in_transit - quantity,
        )

    async def release(self, cancellation_id: str, quantity: int) -> bool:
        """A claim rejected by NCSC (never sent): the quantity may be synced again."""
        return await self._update(
            cancellation_id,
            Cancellation.claimed - Cancellation.in_transit >= quantity,
            claimed=Cancellation.claimed - quantity,
        )

    async def _update(self, cancellation_id: str, guard: Any, **values: Any) -> bool:
        result = await self.session.execute(
            update(Cancellation)
            .where(Cancellation.id == cancellation_id, guard)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def reload(self, record: Cancellation) -> None:
        await self.session.refresh(record)


class SyncRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, application: SyncApplication) -> SyncApplication:
        self.session.add(application)
        await self.session.flush()
        return application

    async def find(self, application_id: str) -> SyncApplication | None:
        """The form, whoever holds it (the auto-processing job's own lookup, not a caller's)."""
        return await self.session.get(SyncApplication, application_id, populate_existing=True)

    async def lock(self, application_id: str) -> SyncApplication | None:
        """The form, locked, whoever holds it (the new registry's answer names it)."""
        return await self.session.scalar(
            select(SyncApplication)
            .where(SyncApplication.id == application_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def held_ranges(
        self, legacy_account_id: str, cancellation_ids: Collection[str]
    ) -> dict[str, list[SerialRange]]:
        """The serials of each record among ``cancellation_ids`` already on a form sent to the new
        registry or synced there (the next form takes others)."""
        wanted = set(cancellation_ids)
        out: dict[str, list[SerialRange]] = defaultdict(list)
        for lines in await self.session.scalars(
            select(SyncApplication.lines).where(
                SyncApplication.legacy_account_id == legacy_account_id,
                SyncApplication.status.in_([s.value for s in HOLDING_SERIALS]),
            )
        ):
            for line in lines:
                if line["cancellation_id"] in wanted:
                    out[line["cancellation_id"]] += [
                        SerialRange.from_labels(a, b) for a, b in line.get("serial_ranges") or []
                    ]
        return out

    async def get(self, application_id: str, scope: Scope) -> SyncApplication:
        found = await self.session.scalar(
            select(SyncApplication).where(
                SyncApplication.id == application_id,
                scope.where(org=SyncApplication.holder_uscc, province=SyncApplication.province),
            )
        )
        if found is None:
            raise NotFound.of("sync application", "信息同步申请", application_id)
        return found

    async def search(
        self,
        scope: Scope,
        *,
        status: str | None,
        legacy_account_id: str | None,
        offset: int,
        limit: int,
    ) -> list[SyncApplication]:
        query = select(SyncApplication).where(
            scope.where(org=SyncApplication.holder_uscc, province=SyncApplication.province)
        )
        if status is not None:
            query = query.where(SyncApplication.status == status)
        if legacy_account_id is not None:
            query = query.where(SyncApplication.legacy_account_id == legacy_account_id)
        query = query.order_by(SyncApplication.sent_at, SyncApplication.id).offset(offset).limit(limit)
        return list(await self.session.scalars(query))

    async def decide(self, application: SyncApplication, **values: Any) -> bool:
        """Guarded: only a form still ``submitted`` is decided (NCSC and the auto-processing job
        may race; one of them decides)."""
        result = await self.session.execute(
            update(SyncApplication)
            .where(SyncApplication.id == application.id, SyncApplication.status == SyncStatus.submitted.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self.session.refresh(application)
        return True

    async def answer(self, application: SyncApplication, **values: Any) -> bool:
        """Guarded: only a form awaiting the new registry takes its answer."""
        result = await self.session.execute(
            update(SyncApplication)
            .where(
                SyncApplication.id == application.id,
                SyncApplication.status == SyncStatus.awaiting_new_registry.value,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self.session.refresh(application)
        return True
