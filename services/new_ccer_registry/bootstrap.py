"""Wires the new_ccer_registry service: its tables, unit of work, command, event and job handlers, clock and
broker. ``bootstrap(settings)`` is what runs; tests pass fakes (a clock, an in-memory broker, an
in-memory database in ``settings``) or a changed definition through the same function."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from services.new_ccer_registry.adapters.orm import infra, metadata
from services.new_ccer_registry.service_layer import accounts, lots
from shared.clock import Clock
from shared.messaging.broker import BrokerPort
from shared.messaging.consumer import EventHandler
from shared.runtime import Runtime, ServiceDefinition
from shared.settings import Settings
from shared.uow import UnitOfWork

__all__ = ["NAME", "bootstrap", "definition"]

NAME = "new_ccer_registry"


def definition() -> ServiceDefinition[UnitOfWork]:
    return ServiceDefinition(
        name=NAME,
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent / "migrations",
        unit_of_work=UnitOfWork,
        event_handlers=cast(
            dict[str, EventHandler],
            {
                "allowance_registry.binding.confirmed": accounts.on_binding_confirmed,
                "allowance_registry.binding.rejected": accounts.on_binding_rejected,
                "allowance_registry.offset.registered": lots.on_offset_registered,
                "allowance_registry.offset.recalled": lots.on_offset_recalled,
                "allowance_registry.offset.refused": lots.on_offset_refused,
            },
        ),
    )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    broker: BrokerPort | None = None,
    service: ServiceDefinition[UnitOfWork] | None = None,
) -> Runtime[UnitOfWork]:
    return Runtime(service or definition(), settings, clock=clock, broker=broker)
