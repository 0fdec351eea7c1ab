"""ORM rows of the legacy_ccer_registry's own database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime, infra_tables

__all__ = [
    "Account",
    "AccountApplication",
    "Base",
    "Cancellation",
    "HoldingBlock",
    "Issuance",
    "Movement",
    "MovementRange",
    "Project",
    "SyncApplication",
    "TradingAccount",
    "infra",
    "metadata",
]

metadata = MetaData(naming_convention=NAMING_CONVENTION)
infra = infra_tables(metadata)

# Surrogate keys that autoincrement on SQLite too (INTEGER there, BIGINT elsewhere).
SerialId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = metadata


# --- accounts --------------------------------------------------------------------------------
class Account(Base):
    """A legacy registry account (登记账户) with its general holding account; one per unit (USCC)."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    # One registry account per unit: a second opening is refused, and this is its backstop.
    holder_uscc: Mapped[str] = mapped_column(String(18), unique=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(20))
    opened_via: Mapped[str] = mapped_column(String(20))  # direct (by NCSC) | application
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TradingAccount(Base):
    """A trading account (交易账户) at one legacy exchange: the account may trade there, and its
    trading-side units at that exchange are held under it. The exchange opens it on its own approval
    (seed 000 §一 第一步), before NCSC opens the registry account: until then it is the unit's
    (``holder_uscc``) and attached to no registry account (``account_id`` None)."""

    __tablename__ = "trading_accounts"
    __table_args__ = (
        UniqueConstraint("account_id", "exchange", name="uq_trading_accounts_account_id_exchange"),
        UniqueConstraint("holder_uscc", "exchange", name="uq_trading_accounts_holder_uscc_exchange"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True, nullable=True)
    exchange: Mapped[str] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(20))
    application_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountApplication(Base):
    """An account opening application through one legacy exchange (seed 000 §一.1)."""

    __tablename__ = "account_applications"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_uscc: Mapped[str] = mapped_column(String(18), index=True)
    org_name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(6), nullable=True)
    org: Mapped[dict[str, Any]] = mapped_column(JSON)
    exchange: Mapped[str] = mapped_column(String(10), index=True)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(30), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    exchange_reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    registry_reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    trading_account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- projects and units ----------------------------------------------------------------------
class Project(Base):
    """A project recorded (备案) in the legacy registry."""

    __tablename__ = "projects"
    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_uscc: Mapped[str] = mapped_column(String(18))
    type: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[date] = mapped_column(Date)
    within_national_ets: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Issuance(Base):
    """Units issued as one contiguous range, ``VER-{project}-{vintage}-{n}``; the ranges of one
    project and vintage follow each other. Their union is what the holdings must cover."""

    __tablename__ = "issuances"
    __table_args__ = (
        UniqueConstraint("serial_prefix", "first_n", name="uq_issuances_serial_prefix_first_n"),
        CheckConstraint("first_n >= 1 AND last_n >= first_n", name="range_valid"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_number: Mapped[str] = mapped_column(ForeignKey("projects.number"), index=True)
    vintage: Mapped[int] = mapped_column(Integer)
    serial_prefix: Mapped[str] = mapped_column(String(80), index=True)
    first_n: Mapped[int] = mapped_column(BigInteger)
    last_n: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    exchange: Mapped[str] = mapped_column(String(10))
    # The reductions' record date (备案): eligibility of legacy units is judged by it.
    recorded_at: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HoldingBlock(Base):
    """A contiguous range of units of one issuance, held by one account in one state: ``trading``
    at an ``exchange``, ``available`` in the general holding account, or ``cancelled`` by a record."""

    __tablename__ = "holding_blocks"
    __table_args__ = (
        CheckConstraint("first_n >= 1 AND last_n >= first_n", name="range_valid"),
        Index("ix_holding_blocks_account_project_state", "account_id", "project_number", "state"),
        Index("ix_holding_blocks_serial", "serial_prefix", "first_n"),
    )
    id: Mapped[int] = mapped_column(SerialId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    project_number: Mapped[str] = mapped_column(ForeignKey("projects.number"))
    vintage: Mapped[int] = mapped_column(Integer)
    issuance_id: Mapped[str] = mapped_column(ForeignKey("issuances.id"))
    serial_prefix: Mapped[str] = mapped_column(String(80))
    first_n: Mapped[int] = mapped_column(BigInteger)
    last_n: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20))
    exchange: Mapped[str | None] = mapped_column(String(10), nullable=True)
    cancellation_id: Mapped[str | None] = mapped_column(ForeignKey("cancellations.id"), nullable=True, index=True)
    units_recorded_at: Mapped[date] = mapped_column(Date)


# --- cancellations and sync ------------------------------------------------------------------
class Cancellation(Base):
    """A voluntary cancellation record (自愿注销). ``synced`` and ``claimed`` count how much of it
    went, or is on its way, to the new registry: a record is synced at most once (invariant 3).
    ``in_transit`` is the part of ``claimed`` NCSC approved and the new registry has not yet
    answered (accepted: synced; refused: free again)."""

    __tablename__ = "cancellations"
    __table_args__ = (
        CheckConstraint("synced >= 0 AND claimed >= 0 AND synced + claimed <= quantity", name="sync_within_quantity"),
        CheckConstraint("in_transit >= 0 AND in_transit <= claimed", name="in_transit_within_claimed"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    project_number: Mapped[str] = mapped_column(ForeignKey("projects.number"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(30), index=True)
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    # [{first, last, units_recorded_at}] per block, lowest serials first.
    recorded_ranges: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    units_recorded_at: Mapped[date] = mapped_column(Date)
    synced: Mapped[int] = mapped_column(BigInteger, default=0)
    claimed: Mapped[int] = mapped_column(BigInteger, default=0)
    in_transit: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cancelled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the record went out in NCSC's daily batch (cancellation.recorded); None until then.
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class SyncApplication(Base):
    """The appendix form of seed 000: cancelled legacy units to be synced to the new registry."""

    __tablename__ = "sync_applications"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    unit_name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(6), index=True)
    legacy_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    new_account_id: Mapped[str] = mapped_column(String(40))
    contact: Mapped[dict[str, str]] = mapped_column(JSON)
    # [{cancellation_id, project_number, quantity, serial_ranges?, recorded_ranges?}]: ranges once
    # approved (kept after a refusal: what was sent).
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    quantity: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30), index=True)
    # NCSC's reasons for a rejection, or the new registry's findings for a refusal: [{code, message, message_zh}].
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    auto_approve_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # The new registry's answer: when it came, and the sync the holder confirms there once accepted.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    legacy_sync_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


# --- the movement journal --------------------------------------------------------------------
class Movement(Base):
    """One move of units (issuance, trade, transfer, cancellation, sync), with its ranges in
    :class:`MovementRange`: the exact history of every serial."""

    __tablename__ = "movements"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    project_number: Mapped[str] = mapped_column(String(40), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    from_account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    to_account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    exchange: Mapped[str | None] = mapped_column(String(10), nullable=True)
    reference_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class MovementRange(Base):
    __tablename__ = "movement_ranges"
    __table_args__ = (Index("ix_movement_ranges_serial", "serial_prefix", "first_n", "last_n"),)
    id: Mapped[int] = mapped_column(SerialId, primary_key=True, autoincrement=True)
    movement_id: Mapped[str] = mapped_column(ForeignKey("movements.id"), index=True)
    serial_prefix: Mapped[str] = mapped_column(String(80))
    first_n: Mapped[int] = mapped_column(BigInteger)
    last_n: Mapped[int] = mapped_column(BigInteger)
