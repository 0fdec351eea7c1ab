"""ORM rows of the new CCER registry's own database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, MetaData, String
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
