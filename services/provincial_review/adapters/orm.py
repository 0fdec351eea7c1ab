"""ORM rows of the provincial_review's own database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
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
    account_uscc: Mapped[str] = mapped_column(String(18))
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
