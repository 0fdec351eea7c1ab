"""ORM rows of the allowance registry's own database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, MetaData, String
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
