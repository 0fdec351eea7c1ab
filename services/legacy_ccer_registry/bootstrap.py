"""Wires the legacy_ccer_registry service: its tables, unit of work, command, event and job handlers, clock and
broker. ``bootstrap(settings)`` is what runs; tests pass fakes (a clock, an in-memory broker, an
in-memory database in ``settings``) or a changed definition through the same function."""

from __future__ import annotations

from pathlib import Path

from services.legacy_ccer_registry.adapters.orm import infra, metadata
from services.legacy_ccer_registry.service_layer.unit_of_work import LegacyUnitOfWork
from shared.clock import Clock
from shared.messaging.broker import BrokerPort
from shared.runtime import Runtime, ServiceDefinition
from shared.settings import Settings

__all__ = ["NAME", "bootstrap", "definition"]

NAME = "legacy_ccer_registry"


def definition() -> ServiceDefinition[LegacyUnitOfWork]:
    return ServiceDefinition(
        name=NAME,
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent / "migrations",
        unit_of_work=LegacyUnitOfWork,
    )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    broker: BrokerPort | None = None,
    service: ServiceDefinition[LegacyUnitOfWork] | None = None,
) -> Runtime[LegacyUnitOfWork]:
    return Runtime(service or definition(), settings, clock=clock, broker=broker)
