"""Wires the allowance_registry service: its tables, unit of work, command, event and job handlers, clock and
broker. ``bootstrap(settings)`` is what runs; tests pass fakes (a clock, an in-memory broker, an
in-memory database in ``settings``) or a changed definition through the same function."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from services.allowance_registry.adapters.orm import infra, metadata
from services.allowance_registry.service_layer import accounts, applications, offsets
from shared.clock import Clock
from shared.messaging.broker import BrokerPort
from shared.messaging.consumer import EventHandler
from shared.runtime import Runtime, ServiceDefinition
from shared.settings import Settings
from shared.uow import UnitOfWork

__all__ = ["NAME", "bootstrap", "definition"]

NAME = "allowance_registry"


def definition() -> ServiceDefinition[UnitOfWork]:
    return ServiceDefinition(
        name=NAME,
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent / "migrations",
        unit_of_work=UnitOfWork,
        job_handlers={offsets.RECALL_JOB: offsets.recall_unused},
        event_handlers=cast(
            dict[str, EventHandler],
            {
                "new_ccer_registry.binding.requested": accounts.on_binding_requested,
                "new_ccer_registry.offset.frozen": offsets.on_offset_frozen,
                "new_ccer_registry.offset.cancelled": offsets.on_offset_cancelled,
                "new_ccer_registry.offset.released": offsets.on_offset_released,
                "provincial_review.application.approved": applications.on_application_approved,
                "provincial_review.application.rejected": applications.on_application_rejected,
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
