"""ORM rows of the new CCER registry's own database."""

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

metadata = MetaData(naming_convention=NAMING_CONVENTION)
infra = infra_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Account(Base):
    """A registry account (登记账户) with its general holding account, opened by NCSC or jointly."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    account_type: Mapped[str] = mapped_column(String(30))
    province: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TradingAccount(Base):
    """The trading account (交易账户) bound to a registry account."""

    __tablename__ = "trading_accounts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    registry_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    annual_fee_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Binding(Base):
    """Binding (绑定) of a registry account to an allowance-registry account."""

    __tablename__ = "bindings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    registry_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    allowance_account_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# --- projects, units and offset lots -------------------------------------------------------------
# Quantities and serial numbers are BIGINT; the surrogate key of blocks is an INTEGER on SQLite so
# that it autoincrements there.
BlockId = BigInteger().with_variant(Integer(), "sqlite")


class Project(Base):
    """A CCER project: registered in the new registry (home_registry = new) or recorded (备案) in the
    legacy one and known here through synced units (home_registry = legacy)."""

    __tablename__ = "projects"
    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_uscc: Mapped[str] = mapped_column(String(18))
    type: Mapped[str] = mapped_column(String(100))
    methodology: Mapped[str | None] = mapped_column(String(100), nullable=True)
    region: Mapped[str] = mapped_column(String(100))
    home_registry: Mapped[str] = mapped_column(String(10))
    # New projects: 登记 date in the new registry; legacy projects: 备案 date.
    registered_at: Mapped[date] = mapped_column(Date)
    within_national_ets: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Issuance(Base):
    """Units entering the registry as one contiguous range: an issuance (origin new), or legacy
    units received by sync (origin legacy). The union of these is what the holdings must cover."""

    __tablename__ = "issuances"
    __table_args__ = (
        UniqueConstraint("serial_prefix", "first_n", name="uq_issuances_serial_prefix_first_n"),
        CheckConstraint("first_n >= 1 AND last_n >= first_n", name="range_valid"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_number: Mapped[str] = mapped_column(ForeignKey("projects.number"), index=True)
    origin: Mapped[str] = mapped_column(String(10))
    vintage: Mapped[int] = mapped_column(Integer)
    serial_prefix: Mapped[str] = mapped_column(String(80))
    first_n: Mapped[int] = mapped_column(BigInteger)
    last_n: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    # Legacy units: the reductions' 备案 date (eligibility of legacy CCER for 2023).
    units_recorded_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OffsetLot(Base):
    """Units frozen by one national compliance offset (全国履约抵销)."""

    __tablename__ = "offset_lots"
    __table_args__ = (
        CheckConstraint(
            "cancelled >= 0 AND released >= 0 AND cancelled + released <= quantity", name="quantities_valid"
        ),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    binding_id: Mapped[str] = mapped_column(String(40))
    allowance_account_id: Mapped[str] = mapped_column(String(40))
    project_number: Mapped[str] = mapped_column(ForeignKey("projects.number"))
    origin: Mapped[str] = mapped_column(String(10))
    vintage: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(BigInteger)
    cancelled: Mapped[int] = mapped_column(BigInteger, default=0)
    released: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Every range the lot froze, as [[first, last], …] (the lot's units never change).
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HoldingBlock(Base):
    """A contiguous range of units of one project and vintage, held by one account in one state
    (frozen and cancelled units also name their lot)."""

    __tablename__ = "holding_blocks"
    __table_args__ = (
        CheckConstraint("first_n >= 1 AND last_n >= first_n", name="range_valid"),
        Index("ix_holding_blocks_account_project_state", "account_id", "project_number", "state"),
    )
    id: Mapped[int] = mapped_column(BlockId, primary_key=True, autoincrement=True)
    project_number: Mapped[str] = mapped_column(ForeignKey("projects.number"), index=True)
    vintage: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    state: Mapped[str] = mapped_column(String(24))
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("offset_lots.id"), nullable=True, index=True)
    serial_prefix: Mapped[str] = mapped_column(String(80))
    first_n: Mapped[int] = mapped_column(BigInteger)
    last_n: Mapped[int] = mapped_column(BigInteger)


class Cancellation(Base):
    """注销登记: units of a lot cancelled because the allowance registry registered the offset."""

    __tablename__ = "cancellations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("offset_lots.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    project_number: Mapped[str] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(10))
    # One cancellation per offset registration, however often the event arrives.
    registration_id: Mapped[str] = mapped_column(String(60), unique=True)
    application_id: Mapped[str] = mapped_column(String(60))
    period_code: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(BigInteger)
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(40))
    cancelled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LotRelease(Base):
    """Units of a lot released back to the general holding account (recall or refusal)."""

    __tablename__ = "lot_releases"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("offset_lots.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    # The allowance registry's recall id: a recall sent twice is released once.
    recall_id: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    period_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Movement(Base):
    """The transaction log of units: every issuance, trade, transfer, freeze, cancellation and
    release, with the serial ranges it moved."""

    __tablename__ = "movements"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    project_number: Mapped[str] = mapped_column(String(40), index=True)
    from_account_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    to_account_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    from_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_state: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(BigInteger)
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    lot_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
