"""Wires the allowance_registry service: its tables, unit of work, command, event and job handlers, clock and
broker. ``bootstrap(settings)`` is what runs; tests pass fakes (a clock, an in-memory broker, an
in-memory database in ``settings``) or a changed definition through the same function."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from services.allowance_registry.adapters.orm import infra, metadata
from services.allowance_registry.adapters.repositories.periods import reference_cache
from services.allowance_registry.service_layer import (
    accounts,
    applications,
    holdings,
    monitoring,
    movements,
    notices,
    offset_ccer_requests,
    offsets,
    periods,
    reconciliation,
)
from services.allowance_registry.service_layer import commands as c
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from shared.bus import Command, CommandHandler
from shared.clock import Clock
from shared.events.contracts import (
    ApplicationApprovedV1,
    ApplicationRejectedV1,
    BindingRequestedV1,
    CancellationRecordedV1,
    Event,
    OffsetCancelledV1,
    OffsetFrozenV1,
    OffsetReleasedV1,
)
from shared.messaging.broker import BrokerPort
from shared.messaging.consumer import EventHandler
from shared.reconciliation import NIGHTLY_RECONCILIATION, RECURRING
from shared.runtime import Runtime, ServiceDefinition
from shared.scheduler import JobHandler
from shared.settings import Settings

__all__ = ["COMMANDS", "NAME", "bootstrap", "definition"]

NAME = "allowance_registry"

COMMANDS: dict[type[Command[Any]], CommandHandler] = {
    # accounts and holdings
    c.OpenAccount: accounts.open_account,
    c.GetAccount: accounts.get_account,
    c.ListAccounts: accounts.list_accounts,
    c.GetHoldings: holdings.get_holdings,
    c.TransferAllowances: holdings.transfer_allowances,
    c.AllocateAllowances: holdings.allocate_allowances,
    c.ListHoldingMovements: movements.list_movements,
    # instruments and compliance periods
    c.CreateInstrument: periods.create_instrument,
    c.ListInstruments: periods.list_instruments,
    c.ProposePeriod: periods.propose_period,
    c.ApprovePeriod: periods.approve_period,
    c.GetPeriod: periods.get_period,
    c.ListPeriods: periods.list_periods,
    # notices
    c.IssueProvincialNotice: notices.issue_provincial_notice,
    c.ListProvincialNotices: notices.list_provincial_notices,
    c.IssueNotice: notices.issue_notice,
    c.GetNotice: notices.get_notice,
    c.ListNotices: notices.list_notices,
    # pending offsets and registrations
    c.ListPendingOffsets: offsets.list_pending_offsets,
    c.ListOffsetRegistrations: offsets.list_registrations,
    c.GetSerialHistory: offsets.get_serial_history,
    # applications
    c.DraftApplication: applications.draft_application,
    c.ReplaceApplicationItems: applications.replace_items,
    c.SubmitApplication: applications.submit_application,
    c.GetApplication: applications.get_application,
    c.ListApplications: applications.list_applications,
    # monitoring (seed 001 二, seed 002's home page)
    c.GetComplianceStats: monitoring.get_compliance_stats,
    c.GetAccountOverview: monitoring.get_account_overview,
    # first period: offset-CCER creation requests (seed 002 Part 2)
    c.SubmitOffsetCcerRequest: offset_ccer_requests.submit_request,
    c.ApproveOffsetCcerRequest: offset_ccer_requests.approve_request,
    c.RejectOffsetCcerRequest: offset_ccer_requests.reject_request,
    c.GetOffsetCcerRequest: offset_ccer_requests.get_request,
    c.ListOffsetCcerRequests: offset_ccer_requests.list_requests,
    c.ListUnmatchedCancellations: offset_ccer_requests.list_unmatched,
    # reconciliation (账实核对)
    c.Reconcile: reconciliation.reconcile,
    c.ListReconciliationLots: reconciliation.list_lots,
}

# Each event this service consumes, by its class: its queue is bound to exactly these (checked at start).
EVENT_HANDLERS: dict[type[Event], EventHandler] = {
    BindingRequestedV1: accounts.on_binding_requested,
    OffsetFrozenV1: offsets.on_offset_frozen,
    OffsetCancelledV1: offsets.on_offset_cancelled,
    OffsetReleasedV1: offsets.on_offset_released,
    ApplicationApprovedV1: applications.on_application_approved,
    ApplicationRejectedV1: applications.on_application_rejected,
    # first period: NCSC's daily cancellation records draft offset-CCER creation requests
    CancellationRecordedV1: offset_ccer_requests.on_cancellation_recorded,
}

JOB_HANDLERS = cast(
    dict[str, JobHandler],
    {
        offsets.RECALL_JOB: offsets.recall_unused,
        monitoring.OVERDUE_JOB: monitoring.mark_overdue_notices,
        NIGHTLY_RECONCILIATION: reconciliation.nightly_reconciliation,
    },
)


def definition() -> ServiceDefinition[AllowanceUnitOfWork]:
    return ServiceDefinition(
        name=NAME,
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent / "migrations",
        unit_of_work=AllowanceUnitOfWork,
        commands=dict(COMMANDS),
        event_handlers=EVENT_HANDLERS,
        job_handlers=dict(JOB_HANDLERS),
        recurring_jobs=RECURRING,
        on_start=_forget_reference_data,
    )


async def _forget_reference_data(runtime: Runtime[AllowanceUnitOfWork]) -> None:
    """At start and after a reset: the cached periods and instruments (immutable while their rows exist)
    belong to the database as it was; a reset empties it, so the cache starts empty too. A replica learns
    of another replica's reset only when it resets or restarts itself (a reset is a simulation-mode tool)."""
    reference_cache(runtime.sessions).clear()


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    broker: BrokerPort | None = None,
    service: ServiceDefinition[AllowanceUnitOfWork] | None = None,
) -> Runtime[AllowanceUnitOfWork]:
    return Runtime(service or definition(), settings, clock=clock, broker=broker)
