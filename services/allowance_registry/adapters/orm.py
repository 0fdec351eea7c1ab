"""ORM rows of the allowance registry's own database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, Index, Integer, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime, infra_tables

metadata = MetaData(naming_convention=NAMING_CONVENTION)
infra = infra_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Account(Base):
    """An allowance-registry account (配额登记账户)."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    account_type: Mapped[str] = mapped_column(String(30))
    province: Mapped[str] = mapped_column(String(6), index=True)
    sector: Mapped[str | None] = mapped_column(String(60), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Binding(Base):
    """The allowance registry's side of a binding with a new-registry account."""

    __tablename__ = "bindings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    allowance_account_id: Mapped[str] = mapped_column(String(40), index=True)
    registry_account_id: Mapped[str] = mapped_column(String(40), index=True)
    holder_uscc: Mapped[str] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Instrument(Base):
    """An instrument (标的): allowances of one vintage, or a first-period offset-CCER instrument."""

    __tablename__ = "instruments"
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    vintage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    # Generated offset CCER (first period): the cancelled legacy project's facts, the account it was
    # generated for and the creation request that generated it; None for allowances.
    project: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class CompliancePeriod(Base):
    """A compliance period's scope and offset rules (履约范围 / 抵销规则), proposed and approved."""

    __tablename__ = "compliance_periods"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    builtin: Mapped[str | None] = mapped_column(String(20), nullable=True)
    allowance_instruments: Mapped[list[str]] = mapped_column(JSON)
    cap_bp: Mapped[int] = mapped_column(Integer)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON)
    application_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    target_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recall_after_working_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    recall_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    proposed_by: Mapped[str] = mapped_column(String(120))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AllowanceHolding(Base):
    """Allowances of one instrument in one account: registry side (incl. frozen) and trading side."""

    __tablename__ = "allowance_holdings"
    __table_args__ = (
        CheckConstraint("registry_side >= 0", name="registry_not_negative"),
        CheckConstraint("trading_side >= 0", name="trading_not_negative"),
        CheckConstraint("frozen >= 0 AND frozen <= registry_side", name="frozen_within_registry"),
    )
    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    instrument: Mapped[str] = mapped_column(String(30), primary_key=True)
    # ("registry" is reserved on declarative classes.)
    registry_side: Mapped[int] = mapped_column(BigInteger, default=0)
    trading_side: Mapped[int] = mapped_column(BigInteger, default=0)
    frozen: Mapped[int] = mapped_column(BigInteger, default=0)


class CcerHolding(Base):
    """Generated offset CCER (first period) of one instrument in one account (registry side)."""

    __tablename__ = "ccer_holdings"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("frozen >= 0 AND frozen <= quantity", name="frozen_within_quantity"),
    )
    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    instrument: Mapped[str] = mapped_column(String(30), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    frozen: Mapped[int] = mapped_column(BigInteger, default=0)


class Allocation(Base):
    __tablename__ = "allocations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    instrument: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int] = mapped_column(BigInteger)
    side: Mapped[str] = mapped_column(String(10))
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    allocated_by: Mapped[str] = mapped_column(String(120))


class Transfer(Base):
    """划转 between the registry side and the trading side."""

    __tablename__ = "transfers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    instrument: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(20))
    transferred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    transferred_by: Mapped[str] = mapped_column(String(120))


class ProvincialNotice(Base):
    """省级履约通知书: the total obligation of a province's units for a period."""

    __tablename__ = "provincial_notices"
    __table_args__ = (UniqueConstraint("period_code", "province"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_code: Mapped[str] = mapped_column(String(40))
    province: Mapped[str] = mapped_column(String(6), index=True)
    total_obligation: Mapped[int] = mapped_column(BigInteger)
    # The obligations of the enterprise notices issued under it so far (kept as they are issued,
    # under this row's lock, so an issuance never sums the province's earlier notices).
    issued_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(120))


class Notice(Base):
    """企业履约通知书: one per account and period, with its progress."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("period_code", "account_id"),
        # The lists' filters, in their order (by province; by period and province; by status).
        Index("ix_notices_province_issued", "province", "issued_at", "id"),
        Index("ix_notices_period_province_issued", "period_code", "province", "issued_at", "id"),
        Index("ix_notices_province_status", "province", "status"),
        CheckConstraint("obligation > 0", name="obligation_positive"),
        CheckConstraint("fulfilled >= 0 AND fulfilled <= obligation", name="fulfilled_within_obligation"),
        CheckConstraint("under_review >= 0", name="under_review_not_negative"),
        CheckConstraint("ccer_registered >= 0 AND ccer_under_review >= 0", name="ccer_not_negative"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_code: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    obligation: Mapped[int] = mapped_column(BigInteger)
    fulfilled: Mapped[int] = mapped_column(BigInteger, default=0)
    under_review: Mapped[int] = mapped_column(BigInteger, default=0)
    ccer_registered: Mapped[int] = mapped_column(BigInteger, default=0)
    ccer_under_review: Mapped[int] = mapped_column(BigInteger, default=0)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(120))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PendingOffset(Base):
    """待抵销: an offset lot frozen in the new registry, as the allowance registry holds it.

    quantity = available + reserved + registered + recalled, available being derived."""

    __tablename__ = "pending_offsets"
    __table_args__ = (
        CheckConstraint("reserved >= 0 AND registered >= 0 AND recalled >= 0", name="parts_not_negative"),
        CheckConstraint("reserved + registered + recalled <= quantity", name="parts_within_quantity"),
        CheckConstraint("cancelled <= registered AND released <= recalled", name="confirmations_within_parts"),
    )
    lot_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    registry_account_id: Mapped[str] = mapped_column(String(40))
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18))
    project: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(20))
    vintage: Mapped[int] = mapped_column(Integer)
    units_recorded_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    quantity: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    registered: Mapped[int] = mapped_column(BigInteger, default=0)
    recalled: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled: Mapped[int] = mapped_column(BigInteger, default=0)
    released: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), index=True)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set when a recall instant passed while part of the lot was reserved: whatever a rejection
    # releases later is recalled at once.
    recall_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recall_period_code: Mapped[str | None] = mapped_column(String(40), nullable=True)


class LotRefusal(Base):
    """An offset lot the allowance registry refused (nothing pending was recorded)."""

    __tablename__ = "lot_refusals"
    lot_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    allowance_account_id: Mapped[str] = mapped_column(String(40))
    registry_account_id: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(BigInteger)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    refused_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Application(Base):
    """履约申请: items reserved at submission; revisions count submissions."""

    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_province_created", "province", "created_at", "id"),
        Index("ix_applications_province_status", "province", "status"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    notice_id: Mapped[str] = mapped_column(String(40), index=True)
    period_code: Mapped[str] = mapped_column(String(40))
    province: Mapped[str] = mapped_column(String(6), index=True)
    holder_uscc: Mapped[str] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(String(20), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Surrender(Base):
    """Allowances (or offset CCER) surrendered by an approved application: once per item and revision."""

    __tablename__ = "surrenders"
    __table_args__ = (UniqueConstraint("application_id", "revision", "item"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(40), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    item: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    notice_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    instrument: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int] = mapped_column(BigInteger)
    surrendered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OffsetRegistration(Base):
    """抵销登记 (CCER 抵销配额清缴登记) of one CCER item of an approved application.

    ``kind`` "lot": a pending offset (待抵销) of the new registry; it names ``lot_id``, and the new
    registry's cancellation of it is confirmed later (``cancelled_*``).
    ``kind`` "offset_ccer": generated offset CCER of the first period (seed 001 第七步); it names the
    ``instrument`` (CCER21…), the creation request and NCSC's cancellation record it was generated
    from (``source_*``: that record's whole quantity and serial ranges). Those units were cancelled in
    the voluntary registry before the registration, so ``cancelled_quantity`` is the registered
    quantity and ``cancelled_at`` the record's cancellation instant from the start."""

    __tablename__ = "offset_registrations"
    __table_args__ = (
        UniqueConstraint("application_id", "revision", "item"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_offset_registrations_kind_registered", "kind", "registered_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(40), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    item: Mapped[int] = mapped_column(Integer)
    notice_id: Mapped[str] = mapped_column(String(40))
    period_code: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="lot", server_default="lot")
    lot_id: Mapped[str | None] = mapped_column(String(60), index=True, nullable=True)
    # Generated offset CCER (kind "offset_ccer"); None for a lot.
    instrument: Mapped[str | None] = mapped_column(String(30), index=True, nullable=True)
    offset_ccer_request_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cancellation_id: Mapped[str | None] = mapped_column(String(60), index=True, nullable=True)
    source_quantity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_serial_ranges: Mapped[list[list[str]] | None] = mapped_column(JSON, nullable=True)
    project: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(BigInteger)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_quantity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_serial_ranges: Mapped[list[list[str]] | None] = mapped_column(JSON, nullable=True)
    # The units registered (None: registered before units were tracked by serial).
    serial_ranges: Mapped[list[list[str]] | None] = mapped_column(JSON, nullable=True)


class PendingOffsetUnits(Base):
    """A serial range of a pending offset, the date its reductions were recorded, and its state here:
    available, reserved (by an application's revision), registered (by a registration) or recalled.

    The ranges of a lot are disjoint and add up to its quantity; per state they add up to the lot's
    counters (available, reserved, registered, recalled), which move in the same transaction."""

    __tablename__ = "pending_offset_units"
    __table_args__ = (CheckConstraint("first_n >= 1 AND last_n >= first_n", name="range_not_empty"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lot_id: Mapped[str] = mapped_column(String(60), index=True)
    prefix: Mapped[str] = mapped_column(String(120), index=True)
    first: Mapped[int] = mapped_column("first_n", BigInteger)
    last: Mapped[int] = mapped_column("last_n", BigInteger)
    units_recorded_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(String(20))
    application_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registration_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    recall_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class PendingOffsetUnitEvent(Base):
    """What happened to a serial range of a pending offset here (a unit's history, ``/serials``)."""

    __tablename__ = "pending_offset_unit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lot_id: Mapped[str] = mapped_column(String(60), index=True)
    prefix: Mapped[str] = mapped_column(String(120), index=True)
    first: Mapped[int] = mapped_column("first_n", BigInteger)
    last: Mapped[int] = mapped_column("last_n", BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- monitoring (first period, seed 001 二) ---------------------------------------------------------
class NoticeOverdueMark(Base):
    """未按时足额清缴: a notice not complete when its period's application deadline passed, marked once
    by the deadline's due job, with its progress at that moment. Kept if the notice completes later."""

    __tablename__ = "notice_overdue_marks"
    notice_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_code: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    obligation: Mapped[int] = mapped_column(BigInteger)
    fulfilled: Mapped[int] = mapped_column(BigInteger)
    under_review: Mapped[int] = mapped_column(BigInteger)
    overdue_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the deadline that passed
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- first period: generated offset CCER (seed 002 Part 2) ------------------------------------------
class OffsetCcerRequest(Base):
    """A creation request of offset CCER (CCER项目创建), drafted from one of NCSC's cancellation records
    of the 2019-2020 offset: submitted by a registry initiator, decided by another registry confirmer."""

    __tablename__ = "offset_ccer_requests"
    __table_args__ = (
        UniqueConstraint("cancellation_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cancellation_id: Mapped[str] = mapped_column(String(60))
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    legacy_account_id: Mapped[str] = mapped_column(String(60))
    project: Mapped[dict[str, Any]] = mapped_column(JSON)
    quantity: Mapped[int] = mapped_column(BigInteger)
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    units_recorded_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancelled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)
    instrument: Mapped[str | None] = mapped_column(String(30), nullable=True)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UnmatchedCancellation(Base):
    """A cancellation record of the 2019-2020 offset whose unit has no allowance account here: listed
    for the registry's operators, nothing generated."""

    __tablename__ = "unmatched_cancellations"
    cancellation_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    legacy_account_id: Mapped[str] = mapped_column(String(60))
    project: Mapped[dict[str, Any]] = mapped_column(JSON)
    quantity: Mapped[int] = mapped_column(BigInteger)
    serial_ranges: Mapped[list[list[str]]] = mapped_column(JSON)
    cancelled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HoldingMovement(Base):
    """持仓流水: one change of a holding (allowances or generated offset CCER) of one account and
    instrument, with the holding's parts just after it and what caused it. Written in the transaction
    that moves the quantity; never updated."""

    __tablename__ = "holding_movements"
    __table_args__ = (
        Index("ix_holding_movements_account_instrument", "account_id", "instrument", "id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(40))
    instrument: Mapped[str] = mapped_column(String(30))
    holding: Mapped[str] = mapped_column(String(20))  # allowance | offset_ccer
    kind: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int] = mapped_column(BigInteger)
    registry_after: Mapped[int] = mapped_column(BigInteger)  # registry side incl. frozen
    frozen_after: Mapped[int] = mapped_column(BigInteger)
    trading_after: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
