"""Wires the provincial_review service: its tables, unit of work, command, event and job handlers, clock and
broker. ``bootstrap(settings)`` is what runs; tests pass fakes (a clock, an in-memory broker, an
in-memory database in ``settings``) or a changed definition through the same function."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from services.provincial_review.adapters.orm import infra, metadata
from services.provincial_review.service_layer import (
    cancellations,
    form_summaries,
    intake,
    offset_forms,
    overdue_handling,
    queries,
    reviews,
)
from services.provincial_review.service_layer.commands import (
    AttachCancellationProof,
    DecideOffsetForm,
    GetCase,
    GetDashboard,
    GetHandlingReport,
    GetOffsetForm,
    ListCases,
    ListFormSummaries,
    ListOffsetForms,
    RecordOverdueHandling,
    ResubmitOffsetForm,
    SubmitFirstReview,
    SubmitOffsetForm,
    SubmitSecondReview,
)
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from shared.bus import Command, CommandHandler
from shared.clock import Clock
from shared.events.contracts import (
    ApplicationSubmittedV1,
    CancellationRecordedV1,
    ComplianceCompletedV1,
    Event,
    NoticeIssuedV1,
)
from shared.messaging.broker import BrokerPort
from shared.messaging.consumer import EventHandler
from shared.runtime import Runtime, ServiceDefinition
from shared.scheduler import JobHandler
from shared.settings import Settings

__all__ = ["NAME", "bootstrap", "definition"]

NAME = "provincial_review"

COMMANDS: dict[type[Command[Any]], CommandHandler] = {
    ListCases: queries.list_cases,
    GetCase: queries.get_case,
    GetDashboard: queries.dashboard,
    SubmitFirstReview: reviews.submit_first_review,
    SubmitSecondReview: reviews.submit_second_review,
    SubmitOffsetForm: offset_forms.submit_offset_form,
    ResubmitOffsetForm: offset_forms.resubmit_offset_form,
    DecideOffsetForm: offset_forms.decide_offset_form,
    AttachCancellationProof: offset_forms.attach_cancellation_proof,
    GetOffsetForm: offset_forms.get_offset_form,
    ListOffsetForms: offset_forms.list_offset_forms,
    ListFormSummaries: form_summaries.list_form_summaries,
    RecordOverdueHandling: overdue_handling.record_overdue_handling,
    GetHandlingReport: overdue_handling.get_handling_report,
}

# Each event this service consumes, by its class: its queue is bound to exactly these (checked at start).
EVENT_HANDLERS: dict[type[Event], EventHandler] = {
    ApplicationSubmittedV1: intake.on_application_submitted,
    NoticeIssuedV1: intake.on_notice_issued,
    ComplianceCompletedV1: intake.on_compliance_completed,
    CancellationRecordedV1: cancellations.on_cancellation_recorded,
}

JOB_HANDLERS = cast(dict[str, JobHandler], {form_summaries.WEEKLY_SUMMARY_JOB: form_summaries.summarise_week})


def definition() -> ServiceDefinition[ReviewUnitOfWork]:
    return ServiceDefinition(
        name=NAME,
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent / "migrations",
        unit_of_work=ReviewUnitOfWork,
        commands=COMMANDS,
        event_handlers=EVENT_HANDLERS,
        job_handlers=dict(JOB_HANDLERS),
    )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    broker: BrokerPort | None = None,
    service: ServiceDefinition[ReviewUnitOfWork] | None = None,
) -> Runtime[ReviewUnitOfWork]:
    return Runtime(service or definition(), settings, clock=clock, broker=broker)
