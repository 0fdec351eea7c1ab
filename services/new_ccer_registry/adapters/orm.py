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
    text,
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
    # A unit holds at most one account of a type, however it was opened (seed 004: 无需重复开立).
    __table_args__ = (UniqueConstraint("holder_uscc", "account_type", name="uq_accounts_holder_uscc_account_type"),)
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


class AccountApplication(Base):
    """A joint account opening application (联合开户申请, seed 004) routed to the CCER exchange."""

    __tablename__ = "account_applications"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_uscc: Mapped[str] = mapped_column(String(18), index=True)
    org_name: Mapped[str] = mapped_column(String(200))
    # {name, uscc, org_form, foreign_invested}
    org: Mapped[dict[str, Any]] = mapped_column(JSON)
    account_type: Mapped[str] = mapped_column(String(30))
    province: Mapped[str] = mapped_column(String(6))
    exchange: Mapped[str] = mapped_column(String(10), index=True)
    # {account_representative: {name, phone, email}, trading_representative: {…}}
    contacts: Mapped[dict[str, Any]] = mapped_column(JSON)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    declarations: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Who signed the trading entry agreement: legal_representative | authorised_person (then 15, 16).
    agreement_signed_by: Mapped[str] = mapped_column(String(30), server_default="legal_representative")
    status: Mapped[str] = mapped_column(String(30), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # [{at, channel: sms|email, to, address, message, message_zh}]: what the systems sent the applicant.
    notifications: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Who (sub) took the exchange's reviews of the current revision: the two-person rule.
    exchange_initial_reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    exchange_re_reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    registry_reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    registry_account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    trading_account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeePayment(Base):
    """One fee paid for a trading account (开户费 / 年费): the fee ledger, append only."""

    __tablename__ = "fee_payments"
    # The opening fee is paid once per account, whatever races.
    __table_args__ = (
        Index(
            "uq_fee_payments_opening",
            "account_id",
            unique=True,
            sqlite_where=text("kind = 'opening'"),
            postgresql_where=text("kind = 'opening'"),
        ),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    trading_account_id: Mapped[str] = mapped_column(ForeignKey("trading_accounts.id"))
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)  # yuan
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Annual fees: the validity this payment gave (from, until exclusive).
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_by: Mapped[str] = mapped_column(String(160))


class Binding(Base):
    """Binding (绑定) of a registry account to an allowance-registry account."""

    __tablename__ = "bindings"
    __table_args__ = (UniqueConstraint("registry_account_id", "seq", name="uq_bindings_registry_account_id_seq"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    registry_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    allowance_account_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # 1, 2, 3... per account, in the order requested: the newest binding is the highest, even when
    # two were requested at one instant (the simulated clock can stand still).
    seq: Mapped[int] = mapped_column(BigInteger)


# --- projects, units and offset lots -------------------------------------------------------------
# Quantities and serial numbers are BIGINT; the surrogate key of blocks is an INTEGER on SQLite so
# that it autoincrements there.
BlockId = BigInteger().with_variant(Integer(), "sqlite")


class Project(Base):
    """A CCER project registered in the new registry (home_registry = new). Projects recorded (备案)
    in the legacy registry are :class:`LegacyProject` rows: the two numberings are apart."""

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
    # A new project's number (projects) or, for origin legacy, a legacy project's (legacy_projects).
    project_number: Mapped[str] = mapped_column(String(40), index=True)
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
    # Legacy units: the sync that brought them and the legacy cancellation they came from.
    legacy_sync_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    cancellation_id: Mapped[str | None] = mapped_column(String(60), nullable=True)


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
    # A new project's number, or a legacy project's for a lot of origin legacy.
    project_number: Mapped[str] = mapped_column(String(40))
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
    # A new project's number, or a legacy project's for units of origin legacy.
    project_number: Mapped[str] = mapped_column(String(40), index=True)
    vintage: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    state: Mapped[str] = mapped_column(String(24))
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("offset_lots.id"), nullable=True, index=True)
    serial_prefix: Mapped[str] = mapped_column(String(80))
    first_n: Mapped[int] = mapped_column(BigInteger)
    last_n: Mapped[int] = mapped_column(BigInteger)
    # Legacy units: their reductions' 备案 date (kept through every split); null for new units.
    units_recorded_at: Mapped[date | None] = mapped_column(Date, nullable=True)


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


class MovementRange(Base):
    """One serial range of a movement, for finding a unit's moves by containment; the id orders a
    unit's moves (they are serialised by the lock on its account)."""

    __tablename__ = "movement_ranges"
    __table_args__ = (
        CheckConstraint("first_n >= 1 AND last_n >= first_n", name="range_valid"),
        Index("ix_movement_ranges_serial_prefix_first_n", "serial_prefix", "first_n"),
    )
    id: Mapped[int] = mapped_column(BlockId, primary_key=True, autoincrement=True)
    movement_id: Mapped[str] = mapped_column(ForeignKey("movements.id"), index=True)
    serial_prefix: Mapped[str] = mapped_column(String(80))
    first_n: Mapped[int] = mapped_column(BigInteger)
    last_n: Mapped[int] = mapped_column(BigInteger)


# --- the 2023 legacy path ------------------------------------------------------------------------
class LegacyProject(Base):
    """A project recorded (备案) in the legacy registry, known here through synced units: what a lot
    of its units tells the allowance registry about it. Apart from the new registry's projects."""

    __tablename__ = "legacy_projects"
    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[date] = mapped_column(Date)
    within_national_ets: Mapped[bool] = mapped_column(Boolean)
    first_synced_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LegacySync(Base):
    """An approved sync application of the legacy registry: its cancelled legacy units, received
    into the enterprise's account awaiting its confirmation (or dispute)."""

    __tablename__ = "legacy_syncs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # One sync per approved application, however often the event arrives.
    sync_application_id: Mapped[str] = mapped_column(String(60), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18))
    legacy_account_id: Mapped[str] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(30), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    # [{cancellation_id, project_number, vintages, quantity, serial_ranges, recorded_ranges}, …]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # [{at, action, by, …}, …]: received, confirmed, disputed.
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    dispute_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LegacySyncPart(Base):
    """A part of a legacy cancellation synced in by one sync. The legacy registry may sync a record
    in parts over several forms; invariant 3 (synced in at most once) holds per serial: a part's
    serials are not in the registry already, and the parts never add up to more than was cancelled."""

    __tablename__ = "legacy_sync_parts"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    cancellation_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    sync_id: Mapped[str] = mapped_column(ForeignKey("legacy_syncs.id"), primary_key=True, index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    # The cancellation's whole quantity when the legacy registry sent it (optional in the event).
    cancellation_quantity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
