"""Configuration from environment variables (the contract of api.md "Running")."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_SECRET", "SERVICES", "Settings"]

SERVICES = ("new_ccer_registry", "legacy_ccer_registry", "allowance_registry", "provincial_review")
DEV_SECRET = "ccer-sim-dev-secret"
_PLACEHOLDERS = {DEV_SECRET, "changeme", "change-me", "secret", ""}


DEFAULT_POOL_SIZE = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCER_", extra="ignore")

    data_dir: Path = Path("./var")
    db_url: str | None = None
    amqp_url: str = "amqp://guest:guest@localhost:5672/"
    jwt_secret: str | None = None
    clock: Literal["simulated", "real"] = "simulated"
    new_ccer_registry_port: int = 8001
    legacy_ccer_registry_port: int = 8002
    allowance_registry_port: int = 8003
    provincial_review_port: int = 8004
    host: str = "127.0.0.1"
    # Operator-supplied PRC holiday data for years chinesecalendar does not cover (JSON or YAML).
    holidays_file: Path | None = None
    # The compliance periods and their dates (default: shared/data/compliance_periods.yaml).
    periods_file: Path | None = None
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    # Fallback poll of the outbox relay; a commit in this process wakes it at once.
    relay_poll_seconds: float = 1.0
    relay_batch: int = 200
    prefetch: int = 200
    # Event handlers run at once per process (one per aggregate); SQLite always uses one.
    consumer_concurrency: int = 8
    # PostgreSQL connections per process, kept open once opened (they open on demand) and never more:
    # work beyond them waits for a free connection instead of opening an overflow connection that is
    # closed again (each new connection prepares its statements again, and reconnects cost more than the
    # short wait). 16 per process covers the event handlers (8), the relay and the scheduler with room for
    # requests, and keeps 4 services x 2 replicas (128) near PostgreSQL's default max_connections of 100
    # only when raised (deploy/compose.yaml raises it; or set CCER_DB_POOL_SIZE lower for REPLICAS=2).
    db_pool_size: int | None = Field(default=None, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    delivery_limit: int = 5
    # The scheduler sleeps until its next due job, a clock move, or a job scheduled by this process;
    # at the longest this long, so that jobs another replica scheduled are found.
    scheduler_max_sleep_seconds: float = Field(default=60.0, gt=0)
    # A round that failed, or found due jobs held by another replica, is tried again after this.
    scheduler_retry_seconds: float = Field(default=2.0, gt=0)
    # Legacy registry: approve a valid sync application automatically at 17:00 on its SLA day
    # (seed 000: NCSC processes it within 5 working days) instead of waiting for an NCSC decision.
    legacy_auto_sync: bool = False
    # A request body above this many bytes is refused (413) before it is read whole.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # A token whose exp lies further than this after its iat (or, without iat, after now) is refused.
    token_max_lifetime_seconds: int = Field(default=24 * 3600, ge=60)

    @model_validator(mode="after")
    def _secret_outside_simulation(self) -> Settings:
        if self.clock == "real" and (self.jwt_secret is None or self.jwt_secret in _PLACEHOLDERS):
            raise ValueError(
                "CCER_JWT_SECRET must be set to a real secret when CCER_CLOCK=real "
                "(the development default is only allowed in simulation mode)"
            )
        return self

    @property
    def simulation(self) -> bool:
        return self.clock == "simulated"

    @property
    def pool_size(self) -> int:
        """PostgreSQL connections kept per process: ``db_pool_size``, or enough for the concurrency."""
        return self.db_pool_size or DEFAULT_POOL_SIZE

    @property
    def secret(self) -> str:
        return self.jwt_secret or DEV_SECRET

    def port(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def database_url(self, service: str) -> str:
        if self.db_url:
            return self.db_url.replace("{service}", service)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.db').resolve()}"
