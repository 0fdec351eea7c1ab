"""Who is calling: the roles of domain.md §2 and the authenticated principal. Pure (no web
framework), so the service layer can take a principal without loading FastAPI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["PROVINCE_ROLES", "ROLES", "Principal", "Role"]

Role = Literal[
    "enterprise",
    "province_initiator",
    "province_confirmer",
    "registry_initiator",
    "registry_confirmer",
    "ncsc_operator",
    "exchange_operator",
    "sim_admin",
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
PROVINCE_ROLES = frozenset({"province_initiator", "province_confirmer"})


class Principal(BaseModel):
    sub: str
    role: Role
    org: str | None = None
    province: str | None = None
    exchange: str | None = None

    @property
    def is_province(self) -> bool:
        return self.role in PROVINCE_ROLES

    @property
    def actor(self) -> str:
        """How the audit trail names this person: ``role:sub``."""
        return f"{self.role}:{self.sub}"
