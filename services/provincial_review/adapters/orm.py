"""ORM rows of the provincial_review's own database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime, infra_tables

metadata = MetaData(naming_convention=NAMING_CONVENTION)
infra = infra_tables(metadata)

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = metadata


class ReviewCase(Base):
    """One review case per submitted application revision (domain.md §9), owned by the account's
    province. ``application`` keeps the ``application.submitted`` payload as received: the case is
    a review of exactly what was submitted."""

    __tablename__ = "review_cases"
    __table_args__ = (UniqueConstraint("application_id", "revision"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(60), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    province: Mapped[str] = mapped_column(String(6), index=True)
    account_id: Mapped[str] = mapped_column(String(60), index=True)
    notice_id: Mapped[str] = mapped_column(String(60), index=True)
    period_code: Mapped[str] = mapped_column(String(30), index=True)
    total_quantity: Mapped[int] = mapped_column(BigInteger)
    ccer_quantity: Mapped[int] = mapped_column(BigInteger)
    application: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checks_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(30), index=True)
    recommendation: Mapped[str | None] = mapped_column(String(10), nullable=True)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    first_reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    first_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    second_reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReviewHistory(Base):
    """Append-only history of a case: opened, checks recomputed, first review, second review."""

    __tablename__ = "review_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("review_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IssuedNotice(Base):
    """An enterprise compliance notice as issued by the allowance registry (``notice.issued``)."""

    __tablename__ = "issued_notices"

    notice_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    period_code: Mapped[str] = mapped_column(String(30), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    account_id: Mapped[str] = mapped_column(String(60))
    account_name: Mapped[str] = mapped_column(String(200))
    account_uscc: Mapped[str] = mapped_column(String(18), index=True)
    obligation: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComplianceCompletion(Base):
    """A notice the allowance registry reported complete (``compliance.completed``). Kept apart
    from :class:`IssuedNotice` because the two events may arrive in either order."""

    __tablename__ = "compliance_completions"

    notice_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    period_code: Mapped[str] = mapped_column(String(30), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    account_id: Mapped[str] = mapped_column(String(60))
    account_name: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OffsetForm(Base):
    """A unit's first-period offset application form (申请表, seed 001 第三步), one per unit and
    period, owned by the unit's province. ``revision`` counts submissions (1, then 2 after the first
    correction); ``summary_id`` is the weekly summary that reported its confirmation to NCSC."""

    __tablename__ = "offset_forms"
    __table_args__ = (UniqueConstraint("unit_uscc", "period_code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_code: Mapped[str] = mapped_column(String(30), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    unit_name: Mapped[str] = mapped_column(String(200))
    unit_uscc: Mapped[str] = mapped_column(String(18), index=True)
    notice_id: Mapped[str] = mapped_column(String(60))
    obligation: Mapped[int] = mapped_column(BigInteger)
    requested_quantity: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    summary_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)


class OffsetFormHistory(Base):
    """Append-only history of a form: submitted, confirmed, returned, resubmitted, proof attached."""

    __tablename__ = "offset_form_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    form_id: Mapped[str] = mapped_column(ForeignKey("offset_forms.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CancellationProof(Base):
    """The stamped screenshot of a cancellation (seed 001 第五步): the file's name and digest."""

    __tablename__ = "cancellation_proofs"
    __table_args__ = (UniqueConstraint("form_id", "sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    form_id: Mapped[str] = mapped_column(ForeignKey("offset_forms.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str] = mapped_column(String(120))


class RecordedCancellation(Base):
    """A legacy cancellation for a form period's offset, as NCSC's daily records reported it
    (``cancellation.recorded``, seed 001 第六步), counted against the holder's form."""

    __tablename__ = "recorded_cancellations"

    cancellation_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    period_code: Mapped[str] = mapped_column(String(30), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    legacy_account_id: Mapped[str] = mapped_column(String(60))
    project_number: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(BigInteger)
    cancelled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OffsetFormSummary(Base):
    """A province's weekly summary for NCSC (seed 001 第四步): the forms confirmed in the week that
    ends on ``week_ending`` at 17:00, with a copy of each as it was confirmed."""

    __tablename__ = "offset_form_summaries"
    __table_args__ = (UniqueConstraint("province", "period_code", "week_ending"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    period_code: Mapped[str] = mapped_column(String(30), index=True)
    week_ending: Mapped[date] = mapped_column(Date, index=True)
    covers_from: Mapped[datetime] = mapped_column(UTCDateTime)
    covers_until: Mapped[datetime] = mapped_column(UTCDateTime)
    forms: Mapped[int] = mapped_column(Integer)
    requested_total: Mapped[int] = mapped_column(BigInteger)
    confirmed_total: Mapped[int] = mapped_column(BigInteger)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OverdueHandling(Base):
    """How the province handled a unit that did not surrender in time (未按时足额清缴, seed 001 二),
    one per notice; ``revision`` counts the records (a correction replaces the previous one)."""

    __tablename__ = "overdue_handlings"

    notice_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    period_code: Mapped[str] = mapped_column(String(30), index=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(120))
