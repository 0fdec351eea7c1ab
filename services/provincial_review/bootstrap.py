"""Wires the provincial_review service: its tables, unit of work, command, event and job handlers, clock and
broker. ``bootstrap(settings)`` is what runs; tests pass fakes (a clock, an in-memory broker, an
in-memory database in ``settings``) or a changed definition through the same function."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from services.provincial_review.adapters.orm import infra, metadata
from services.provincial_review.service_layer import intake, queries, reviews
from services.provincial_review.service_layer.commands import (
    GetCase,
    GetDashboard,
    ListCases,
    SubmitFirstReview,
    SubmitSecondReview,
)
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from shared.bus import Command, CommandHandler
from shared.clock import Clock
from shared.messaging.broker import BrokerPort
from shared.messaging.consumer import EventHandler
from shared.runtime import Runtime, ServiceDefinition
from shared.settings import Settings

__all__ = ["NAME", "bootstrap", "definition"]

NAME = "provincial_review"

COMMANDS: dict[type[Command[Any]], CommandHandler] = {
    ListCases: queries.list_cases,
    GetCase: queries.get_case,
    GetDashboard: queries.dashboard,
    SubmitFirstReview: reviews.submit_first_review,
    SubmitSecondReview: reviews.submit_second_review,
}

EVENT_HANDLERS = cast(
    dict[str, EventHandler],
    {
        "allowance_registry.application.submitted": intake.on_application_submitted,
        "allowance_registry.notice.issued": intake.on_notice_issued,
        "allowance_registry.compliance.completed": intake.on_compliance_completed,
    },
)


def definition() -> ServiceDefinition[ReviewUnitOfWork]:
    return ServiceDefinition(
        name=NAME,
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent / "migrations",
        unit_of_work=ReviewUnitOfWork,
        commands=COMMANDS,
        event_handlers=EVENT_HANDLERS,
    )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    broker: BrokerPort | None = None,
    service: ServiceDefinition[ReviewUnitOfWork] | None = None,
) -> Runtime[ReviewUnitOfWork]:
    return Runtime(service or definition(), settings, clock=clock, broker=broker)
