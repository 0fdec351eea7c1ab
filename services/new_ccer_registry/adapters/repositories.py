"""Repositories of the new registry, one per aggregate: every query, the access-scope rule on every
read a caller makes (outside it: :class:`NotFound`), row locks and guarded updates.

Locks are always taken in one order, accounts (by id) before their lots, so two transactions never
deadlock. On PostgreSQL they are ``FOR NO KEY UPDATE``: that serialises our writers but, unlike ``FOR
UPDATE``, does not block the key-share locks taken by foreign-key checks of rows inserted elsewhere.
SQLite's ``BEGIN IMMEDIATE`` already serialises writers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.new_ccer_registry.adapters.orm import (
    Account,
    AccountApplication,
    Binding,
    Cancellation,
    FeePayment,
    HoldingBlock,
    Issuance,
    LegacyProject,
    LegacySync,
    LegacySyncPart,
    LotRelease,
    Movement,
    MovementRange,
    OffsetLot,
    Project,
    TradingAccount,
)
from services.new_ccer_registry.domain.access import OPERATORS
from services.new_ccer_registry.domain.binding import BindingStatus
from services.new_ccer_registry.domain.holdings import Origin
from services.new_ccer_registry.domain.legacy import SyncedPart
from services.new_ccer_registry.domain.lots import LotQuantities, LotStatus
from shared.errors import ConcurrentChange, NotFound
from shared.principal import Principal
from shared.scope import Scope
from shared.serials import SerialRange

__all__ = [
    "AccountApplicationRepository",
    "AccountRepository",
    "BindingRepository",
    "CancellationRepository",
    "FeeRepository",
    "IssuanceRepository",
    "LegacyProjectRepository",
    "LegacySyncRepository",
    "LotRepository",
    "MovementRepository",
    "ProjectRepository",
    "ReleaseRepository",
    "scope_of",
]

LOT_RANGE_STATES = ("frozen", "cancelled", "released")


def scope_of(principal: Principal, operators: frozenset[str] = OPERATORS) -> Scope:
    return Scope.of(principal, operators=operators)


def _accounts_seen_by(principal: Principal, operators: frozenset[str] = OPERATORS) -> ColumnElement[bool]:
    """The scope rule on the account a row belongs to (join ``Account`` first)."""
    return scope_of(principal, operators).where(org=Account.holder_uscc, province=Account.province)


async def lock_accounts(session: AsyncSession, *account_ids: str) -> dict[str, Account]:
    """The accounts, locked for this transaction, always in id order."""
    rows = await session.scalars(
        select(Account)
        .where(Account.id.in_(sorted(set(account_ids))))
        .order_by(Account.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {a.id: a for a in rows}


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, account: Account, trading: TradingAccount) -> bool:
        """False when the unit holds an account of that type already (checked, and then by the unique
        constraint against one opened concurrently); nothing is added then."""
        if await self.of_holder(account.holder_uscc, account.account_type) is not None:
            return False
        self.session.add(account)
        try:
            await self.session.flush()  # the trading account refers to it
        except IntegrityError:
            return False
        self.session.add(trading)
        await self.session.flush()
        return True

    async def of_holder(self, uscc: str, account_type: str) -> Account | None:
        """The unit's account of that type, if it has one (unscoped: for openings)."""
        return await self.session.scalar(
            select(Account).where(Account.holder_uscc == uscc, Account.account_type == account_type)
        )

    async def get(self, account_id: str, principal: Principal, *, operators: frozenset[str] = OPERATORS) -> Account:
        """The account if ``principal`` may see it (``operators``: the roles that see every account);
        :class:`NotFound` otherwise (the same answer)."""
        account = await self.session.scalar(
            select(Account).where(Account.id == account_id, _accounts_seen_by(principal, operators))
        )
        if account is None:
            raise NotFound.of("account", "账户", account_id)
        return account

    async def held_by_or_operated(self, account_id: str, principal: Principal, operators: frozenset[str]) -> Account:
        """The account for its holder or one of ``operators`` only (no province or exchange view);
        :class:`NotFound` for anyone else."""
        scope = scope_of(principal, operators)
        if not (scope.everything or scope.is_holder):
            raise NotFound.of("account", "账户", account_id)
        return await self.get(account_id, principal, operators=operators)

    async def lock(self, *account_ids: str) -> dict[str, Account]:
        """The accounts that exist among ``account_ids``, locked (for operators' and the exchange's
        steps, which name accounts they do not hold and report unknown ones as findings)."""
        return await lock_accounts(self.session, *account_ids)

    async def lock_seen_by(self, account_id: str, principal: Principal) -> Account:
        """The account, locked, if ``principal`` may see it; :class:`NotFound` otherwise. Parallel
        steps on one account's holdings queue behind this lock and can never overdraw them."""
        account = (await lock_accounts(self.session, account_id)).get(account_id)
        if account is None or not scope_of(principal).admits(org=account.holder_uscc, province=account.province):
            raise NotFound.of("account", "账户", account_id)
        return account

    async def trading_of(self, account_id: str) -> TradingAccount | None:
        return await self.session.scalar(select(TradingAccount).where(TradingAccount.registry_account_id == account_id))

    async def trading_active(self, account_id: str) -> bool:
        return await self.trading_status(account_id) == "active"

    async def trading_status(self, account_id: str) -> str | None:
        """The status of the account's trading account; None when there is none."""
        return await self.session.scalar(
            select(TradingAccount.status).where(TradingAccount.registry_account_id == account_id)
        )

    async def trading_by_id(self, trading_account_id: str) -> TradingAccount | None:
        return await self.session.get(TradingAccount, trading_account_id, populate_existing=True)

    async def update_trading(self, trading: TradingAccount, *, status: str, valid_until: datetime | None) -> None:
        """Write the trading account's status and annual-fee expiry (its registry account is locked)."""
        trading.status = status
        trading.annual_fee_valid_until = valid_until
        await self.session.flush()


class AccountApplicationRepository:
    """Joint opening applications: the applicant sees its own, the exchange they are routed to sees
    those, NCSC all; anyone else nothing (404)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _seen_by(principal: Principal) -> ColumnElement[bool]:
        return scope_of(principal).where(org=AccountApplication.applicant_uscc, exchange=AccountApplication.exchange)

    async def add(self, application: AccountApplication) -> None:
        self.session.add(application)
        await self.session.flush()

    async def get(self, application_id: str, principal: Principal) -> AccountApplication:
        found = await self.session.scalar(
            select(AccountApplication)
            .where(AccountApplication.id == application_id, self._seen_by(principal))
            .execution_options(populate_existing=True)
        )
        if found is None:
            raise NotFound.of("account application", "开户申请", application_id)
        return found

    async def in_progress(self, uscc: str, account_type: str, *, other_than: str | None = None) -> bool:
        """Whether another application of the unit for that type is being processed (not opened and
        not returned)."""
        query = select(AccountApplication.id).where(
            AccountApplication.applicant_uscc == uscc,
            AccountApplication.account_type == account_type,
            AccountApplication.status.not_in(("opened", "returned")),
        )
        if other_than is not None:
            query = query.where(AccountApplication.id != other_than)
        return await self.session.scalar(query.limit(1)) is not None

    async def list_seen_by(
        self, principal: Principal, *, status: str | None, offset: int, limit: int
    ) -> Sequence[AccountApplication]:
        """Applications ``principal`` may see, oldest first (the order they are worked through)."""
        query = select(AccountApplication).where(self._seen_by(principal))
        if status is not None:
            query = query.where(AccountApplication.status == status)
        query = query.order_by(AccountApplication.submitted_at, AccountApplication.id).offset(offset).limit(limit)
        return (await self.session.scalars(query)).all()

    async def transition(self, application: AccountApplication, **values: Any) -> bool:
        """Guarded change: applies only while the application is still in the status and revision it
        was read in (another reviewer or an amendment may have come first). False when it was not."""
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


class FeeRepository:
    """The fee ledger: append only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, payment: FeePayment) -> bool:
        """False when it is a second opening fee of the account (the partial unique index)."""
        self.session.add(payment)
        try:
            await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def opening_paid(self, account_id: str) -> bool:
        found = await self.session.scalar(
            select(FeePayment.id).where(FeePayment.account_id == account_id, FeePayment.kind == "opening").limit(1)
        )
        return found is not None

    async def latest_annual(self, account_id: str) -> FeePayment | None:
        """The account's last annual fee: the year it bought ends the current one (before any
        holiday extension)."""
        return await self.session.scalar(
            select(FeePayment)
            .where(FeePayment.account_id == account_id, FeePayment.kind == "annual")
            .order_by(FeePayment.paid_at.desc(), FeePayment.id.desc())
            .limit(1)
        )

    async def of_account(self, account_id: str, *, offset: int, limit: int) -> Sequence[FeePayment]:
        """The account's payments, oldest first (of two paid in one instant, the opening fee first)."""
        return (
            await self.session.scalars(
                select(FeePayment)
                .where(FeePayment.account_id == account_id)
                .order_by(FeePayment.paid_at, FeePayment.kind.desc(), FeePayment.id)
                .offset(offset)
                .limit(limit)
            )
        ).all()


class BindingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, binding: Binding) -> None:
        """Numbers the binding after the account's others (the caller holds the account's lock)."""
        last = await self.session.scalar(
            select(func.max(Binding.seq)).where(Binding.registry_account_id == binding.registry_account_id)
        )
        binding.seq = (last or 0) + 1
        self.session.add(binding)

    async def statuses_of(self, account_id: str) -> list[str]:
        return list(await self.session.scalars(select(Binding.status).where(Binding.registry_account_id == account_id)))

    async def latest_of(self, account_id: str) -> Binding | None:
        return await self.session.scalar(
            select(Binding).where(Binding.registry_account_id == account_id).order_by(Binding.seq.desc()).limit(1)
        )

    async def active_of(self, account_id: str) -> Binding | None:
        return await self.session.scalar(
            select(Binding).where(Binding.registry_account_id == account_id, Binding.status == BindingStatus.active)
        )

    async def decide(self, binding_id: str, status: BindingStatus, reasons: list[dict[str, Any]], at: datetime) -> bool:
        """Guarded: only a binding still ``requested`` is decided. False when it was not (unknown, or
        decided already), and nothing changed."""
        result = await self.session.execute(
            update(Binding)
            .where(Binding.id == binding_id, Binding.status == BindingStatus.requested)
            .values(status=status, reasons=reasons, decided_at=at)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


class ProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, number: str, *, lock: bool = False) -> Project | None:
        """Projects are public. ``lock`` serialises steps that number units of the project."""
        query = select(Project).where(Project.number == number)
        if lock:
            query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def add(self, project: Project) -> bool:
        """False when a project of that number exists (checked, and then by the primary key against
        one registered concurrently)."""
        if await self.session.get(Project, project.number) is not None:
            return False
        self.session.add(project)
        try:
            await self.session.flush()
        except IntegrityError:
            return False
        return True


class IssuanceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, issuance: Issuance) -> None:
        self.session.add(issuance)
        await self.session.flush()  # the unique serial range speaks now, not at commit

    async def issued_quantity(self, project_number: str) -> int:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(Issuance.quantity), 0)).where(Issuance.project_number == project_number)
        )
        return int(total or 0)

    async def last_issued(self, project_number: str, vintage: int) -> int | None:
        """The highest serial number issued in this registry for the project and vintage."""
        return await self.session.scalar(
            select(func.max(Issuance.last_n)).where(
                Issuance.project_number == project_number, Issuance.vintage == vintage, Issuance.origin == Origin.new
            )
        )

    async def synced_overlapping(
        self, ranges: Sequence[SerialRange]
    ) -> list[tuple[SerialRange, str | None, str | None]]:
        """Like :meth:`overlapping`, each range with the legacy cancellation and the sync it came in
        by (None, None for units issued here)."""
        found: list[tuple[SerialRange, str | None, str | None]] = []
        for r in ranges:
            rows = await self.session.execute(
                select(
                    Issuance.serial_prefix,
                    Issuance.first_n,
                    Issuance.last_n,
                    Issuance.cancellation_id,
                    Issuance.legacy_sync_id,
                ).where(Issuance.serial_prefix == r.prefix, Issuance.first_n <= r.last, Issuance.last_n >= r.first)
            )
            found += [(SerialRange(p, a, b), c, s) for p, a, b, c, s in rows]
        return found

    async def overlapping(self, ranges: Sequence[SerialRange]) -> list[SerialRange]:
        """The ranges already in the registry (issued or synced in) that share a serial with ``ranges``."""
        found: list[SerialRange] = []
        for r in ranges:
            rows = await self.session.execute(
                select(Issuance.serial_prefix, Issuance.first_n, Issuance.last_n).where(
                    Issuance.serial_prefix == r.prefix, Issuance.first_n <= r.last, Issuance.last_n >= r.first
                )
            )
            found += [SerialRange(p, a, b) for p, a, b in rows]
        return found

    async def containing(self, prefix: str, n: int) -> Issuance | None:
        """How the unit ``{prefix}-{n}`` entered the registry: its issuance or sync."""
        return await self.session.scalar(
            select(Issuance).where(Issuance.serial_prefix == prefix, Issuance.first_n <= n, Issuance.last_n >= n)
        )

    async def of_sync(self, sync_id: str) -> Sequence[Issuance]:
        return (
            await self.session.scalars(
                select(Issuance)
                .where(Issuance.legacy_sync_id == sync_id)
                .order_by(Issuance.serial_prefix, Issuance.first_n)
            )
        ).all()

    async def synced_by_sync(self) -> dict[str, int]:
        """Units synced in, per legacy sync (reconciliation)."""
        rows = await self.session.execute(
            select(Issuance.legacy_sync_id, func.sum(Issuance.quantity))
            .where(Issuance.legacy_sync_id.is_not(None))
            .group_by(Issuance.legacy_sync_id)
        )
        return {str(sync_id): int(n) for sync_id, n in rows}

    async def synced_by_part(self) -> dict[tuple[str, str], int]:
        """Units synced in, per (legacy cancellation, legacy sync) (reconciliation)."""
        rows = await self.session.execute(
            select(Issuance.cancellation_id, Issuance.legacy_sync_id, func.sum(Issuance.quantity))
            .where(Issuance.legacy_sync_id.is_not(None))
            .group_by(Issuance.cancellation_id, Issuance.legacy_sync_id)
        )
        return {(str(c), str(s)): int(n) for c, s, n in rows}

    async def ranges_by_project(self, project_number: str | None = None) -> dict[str, list[SerialRange]]:
        query = select(Issuance.project_number, Issuance.serial_prefix, Issuance.first_n, Issuance.last_n)
        if project_number is not None:
            query = query.where(Issuance.project_number == project_number)
        issued: dict[str, list[SerialRange]] = defaultdict(list)
        for p, prefix, first, last in await self.session.execute(query):
            issued[p].append(SerialRange(prefix, first, last))
        return issued


class LotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, lot: OffsetLot) -> None:
        self.session.add(lot)
        await self.session.flush()  # its blocks are about to refer to it

    async def lock(self, lot_id: str) -> OffsetLot | None:
        """The lot, with its account and then the lot row locked (always in that order); None when
        the lot is unknown."""
        account_id = await self.session.scalar(select(OffsetLot.account_id).where(OffsetLot.id == lot_id))
        if account_id is None:
            return None
        await lock_accounts(self.session, account_id)
        return await self.session.scalar(
            select(OffsetLot)
            .where(OffsetLot.id == lot_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )

    async def book(self, lot: OffsetLot, after: LotQuantities, at: datetime) -> None:
        """Write the lot's new cancelled and released quantities, guarded: only if it still has the
        quantities that were read; :class:`ConcurrentChange` otherwise (nothing written)."""
        result = await self.session.execute(
            update(OffsetLot)
            .where(OffsetLot.id == lot.id, OffsetLot.cancelled == lot.cancelled, OffsetLot.released == lot.released)
            .values(
                cancelled=after.cancelled,
                released=after.released,
                status=after.status,
                settled_at=at if after.status == LotStatus.settled else None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentChange(f"offset lot {lot.id}")

    async def get(self, lot_id: str, principal: Principal) -> OffsetLot:
        lot = await self.session.scalar(
            select(OffsetLot)
            .join(Account, Account.id == OffsetLot.account_id)
            .where(OffsetLot.id == lot_id, _accounts_seen_by(principal))
        )
        if lot is None:
            raise NotFound.of("offset lot", "抵销批次", lot_id)
        return lot

    async def list_seen_by(
        self, principal: Principal, *, account_id: str | None, status: str | None, offset: int, limit: int
    ) -> Sequence[OffsetLot]:
        """Lots of the accounts ``principal`` may see, newest first."""
        query = select(OffsetLot).join(Account, Account.id == OffsetLot.account_id).where(_accounts_seen_by(principal))
        if account_id is not None:
            query = query.where(OffsetLot.account_id == account_id)
        if status is not None:
            query = query.where(OffsetLot.status == status)
        query = query.order_by(OffsetLot.frozen_at.desc(), OffsetLot.id).offset(offset).limit(limit)
        return (await self.session.scalars(query)).all()

    async def every(self, project_number: str | None = None) -> Sequence[OffsetLot]:
        """Every lot (of one project), for reconciliation."""
        query = select(OffsetLot)
        if project_number is not None:
            query = query.where(OffsetLot.project_number == project_number)
        return (await self.session.scalars(query)).all()

    async def ranges_by_state(self, lot_ids: Sequence[str]) -> dict[str, dict[str, list[SerialRange]]]:
        """Per lot: its frozen and cancelled ranges (from the blocks) and released ranges (from the
        release records), unmerged."""
        raw: dict[str, dict[str, list[SerialRange]]] = {i: {s: [] for s in LOT_RANGE_STATES} for i in lot_ids}
        if not lot_ids:
            return raw
        for lot_id, state, prefix, first, last in await self.session.execute(
            select(
                HoldingBlock.lot_id,
                HoldingBlock.state,
                HoldingBlock.serial_prefix,
                HoldingBlock.first_n,
                HoldingBlock.last_n,
            ).where(HoldingBlock.lot_id.in_(lot_ids))
        ):
            raw[str(lot_id)][state].append(SerialRange(prefix, first, last))
        for lot_id, ranges in await self.session.execute(
            select(LotRelease.lot_id, LotRelease.serial_ranges).where(LotRelease.lot_id.in_(lot_ids))
        ):
            raw[lot_id]["released"] += [SerialRange.from_labels(a, b) for a, b in ranges]
        return raw


class CancellationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, cancellation: Cancellation) -> None:
        self.session.add(cancellation)

    async def of_registration(self, registration_id: str) -> str | None:
        """The id of the cancellation of that offset registration, if it was cancelled."""
        return await self.session.scalar(select(Cancellation.id).where(Cancellation.registration_id == registration_id))

    async def list_seen_by(
        self,
        principal: Principal,
        *,
        account_id: str | None,
        lot_id: str | None,
        period_code: str | None,
        offset: int,
        limit: int,
    ) -> Sequence[Cancellation]:
        """Cancellations of the accounts ``principal`` may see, newest first."""
        query = (
            select(Cancellation)
            .join(Account, Account.id == Cancellation.account_id)
            .where(_accounts_seen_by(principal))
        )
        for column, value in (
            (Cancellation.account_id, account_id),
            (Cancellation.lot_id, lot_id),
            (Cancellation.period_code, period_code),
        ):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(Cancellation.cancelled_at.desc(), Cancellation.id).offset(offset).limit(limit)
        return (await self.session.scalars(query)).all()

    async def of_lot(self, lot_id: str) -> Sequence[Cancellation]:
        return (await self.session.scalars(select(Cancellation).where(Cancellation.lot_id == lot_id))).all()

    async def totals_by_lot(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Cancellation.lot_id, func.sum(Cancellation.quantity)).group_by(Cancellation.lot_id)
        )
        return {lot_id: int(n) for lot_id, n in rows}


class ReleaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, release: LotRelease) -> None:
        self.session.add(release)

    async def of_recall(self, recall_id: str) -> str | None:
        """The id of the release of that recall, if it was released."""
        return await self.session.scalar(select(LotRelease.id).where(LotRelease.recall_id == recall_id))

    async def of_lot(self, lot_id: str) -> Sequence[LotRelease]:
        return (await self.session.scalars(select(LotRelease).where(LotRelease.lot_id == lot_id))).all()

    async def totals_by_lot(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(LotRelease.lot_id, func.sum(LotRelease.quantity)).group_by(LotRelease.lot_id)
        )
        return {lot_id: int(n) for lot_id, n in rows}


class MovementRepository:
    """The units' transaction log: append only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, movement: Movement, ranges: Sequence[SerialRange]) -> None:
        """The movement and its ranges (each findable by the serials it contains)."""
        self.session.add(movement)
        for r in ranges:
            self.session.add(
                MovementRange(movement_id=movement.id, serial_prefix=r.prefix, first_n=r.first, last_n=r.last)
            )

    async def touching(self, prefix: str, n: int) -> Sequence[Movement]:
        """Every movement of the unit ``{prefix}-{n}``, in the order it moved."""
        return (
            await self.session.scalars(
                select(Movement)
                .join(MovementRange, MovementRange.movement_id == Movement.id)
                .where(MovementRange.serial_prefix == prefix, MovementRange.first_n <= n, MovementRange.last_n >= n)
                .order_by(MovementRange.id)
            )
        ).all()


class LegacyProjectRepository:
    """Projects recorded in the legacy registry, as its syncs described them (public facts)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, number: str) -> LegacyProject | None:
        return await self.session.get(LegacyProject, number)

    async def keep(self, project: LegacyProject) -> None:
        """Record the project unless it is known already (the first sync's facts stay)."""
        if await self.session.get(LegacyProject, project.number) is None:
            self.session.add(project)
            await self.session.flush()


class LegacySyncRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, sync: LegacySync, parts: Sequence[tuple[str, int, int | None]]) -> None:
        """The sync and the part of each legacy cancellation it synced: (cancellation id, quantity,
        the cancellation's whole quantity if told); one part per cancellation and sync (primary key)."""
        self.session.add(sync)
        await self.session.flush()
        for cancellation_id, quantity, whole in parts:
            self.session.add(
                LegacySyncPart(
                    cancellation_id=cancellation_id, sync_id=sync.id, quantity=quantity, cancellation_quantity=whole
                )
            )
        await self.session.flush()

    async def of_application(self, sync_application_id: str) -> LegacySync | None:
        return await self.session.scalar(
            select(LegacySync).where(LegacySync.sync_application_id == sync_application_id)
        )

    async def parts_of(self, cancellation_ids: Sequence[str]) -> dict[str, list[SyncedPart]]:
        """The parts of these legacy cancellations synced in already, by cancellation."""
        rows = await self.session.execute(
            select(
                LegacySyncPart.cancellation_id,
                LegacySyncPart.sync_id,
                LegacySyncPart.quantity,
                LegacySyncPart.cancellation_quantity,
            )
            .where(LegacySyncPart.cancellation_id.in_(list(cancellation_ids)))
            .order_by(LegacySyncPart.cancellation_id, LegacySyncPart.sync_id)
        )
        out: dict[str, list[SyncedPart]] = {}
        for c, s, q, whole in rows:
            out.setdefault(c, []).append(SyncedPart(s, q, whole))
        return out

    async def every_part(self) -> Sequence[LegacySyncPart]:
        """Every part of a legacy cancellation synced in (reconciliation)."""
        return (await self.session.scalars(select(LegacySyncPart))).all()

    async def by_id(self, sync_id: str) -> LegacySync | None:
        return await self.session.get(LegacySync, sync_id)

    async def get(self, sync_id: str, principal: Principal) -> LegacySync:
        sync = await self.session.scalar(
            select(LegacySync)
            .join(Account, Account.id == LegacySync.account_id)
            .where(LegacySync.id == sync_id, _accounts_seen_by(principal))
            .execution_options(populate_existing=True)
        )
        if sync is None:
            raise NotFound.of("legacy sync", "旧有CCER同步", sync_id)
        return sync

    async def list_seen_by(
        self, principal: Principal, *, account_id: str | None, status: str | None, offset: int, limit: int
    ) -> Sequence[LegacySync]:
        """Syncs into the accounts ``principal`` may see, newest first."""
        query = (
            select(LegacySync).join(Account, Account.id == LegacySync.account_id).where(_accounts_seen_by(principal))
        )
        if account_id is not None:
            query = query.where(LegacySync.account_id == account_id)
        if status is not None:
            query = query.where(LegacySync.status == status)
        query = query.order_by(LegacySync.received_at.desc(), LegacySync.id).offset(offset).limit(limit)
        return (await self.session.scalars(query)).all()

    async def decide(
        self, sync: LegacySync, status: str, at: datetime, entry: dict[str, Any], reason: str | None = None
    ) -> bool:
        """Guarded: only a sync still awaiting confirmation is decided. False when it was not."""
        result = await self.session.execute(
            update(LegacySync)
            .where(LegacySync.id == sync.id, LegacySync.status == "awaiting_confirmation")
            .values(status=status, decided_at=at, dispute_reason=reason, history=[*sync.history, entry])
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def every(self) -> Sequence[LegacySync]:
        return (await self.session.scalars(select(LegacySync))).all()
