"""Wires the legacy_ccer_registry service: its tables, unit of work, command and job handlers, clock
and broker. ``bootstrap(settings)`` is what runs; tests pass fakes (a clock, an in-memory broker, an
in-memory database in ``settings``) or a changed definition through the same function.

The legacy registry is where legacy units start; it consumes only the new registry's answer to an
approved sync application (accepted or refused). Its one setting of its own,
``legacy_auto_sync`` (auto-processing of sync applications), is handed to the submission handler
here, so handlers never read the environment."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, cast

from services.legacy_ccer_registry.adapters.orm import infra, metadata
from services.legacy_ccer_registry.service_layer import accounts, cancellations, reconciliation, sync, units
from services.legacy_ccer_registry.service_layer.commands import (
    ApplyForAccount,
    CancelUnits,
    DecideSyncApplication,
    GetAccount,
    GetAccountApplication,
    GetCancellation,
    GetHoldings,
    GetSerialHistory,
    GetSyncApplication,
    IssueUnits,
    ListAccountApplications,
    ListCancellations,
    ListSyncApplications,
    OpenAccount,
    Reconcile,
    RecordProject,
    ResubmitAccountApplication,
    ReviewAccountApplication,
    SettleTrade,
    SubmitSyncApplication,
    TransferUnits,
)
from services.legacy_ccer_registry.service_layer.unit_of_work import LegacyUnitOfWork
from shared.bus import Command, CommandHandler
from shared.clock import Clock
from shared.events.contracts import (
    Event,
    SyncAcceptedV1,
    SyncRefusedV1,
)
from shared.messaging.broker import BrokerPort
from shared.messaging.consumer import EventHandler
from shared.reconciliation import NIGHTLY_RECONCILIATION, RECURRING
from shared.runtime import Runtime, ServiceDefinition
from shared.scheduler import JobHandler
from shared.settings import Settings

__all__ = ["NAME", "bootstrap", "definition"]

NAME = "legacy_ccer_registry"


def commands(*, auto_sync: bool = False) -> dict[type[Command[Any]], CommandHandler]:
    return {
        OpenAccount: accounts.open_account,
        GetAccount: accounts.get_account,
        ApplyForAccount: accounts.apply_for_account,
        ResubmitAccountApplication: accounts.resubmit_account_application,
        ReviewAccountApplication: accounts.review_account_application,
        GetAccountApplication: accounts.get_account_application,
        ListAccountApplications: accounts.list_account_applications,
        RecordProject: units.record_project,
        IssueUnits: units.issue_units,
        SettleTrade: units.settle_trade,
        TransferUnits: units.transfer_units,
        GetHoldings: units.get_holdings,
        GetSerialHistory: units.get_serial_history,
        CancelUnits: cancellations.cancel_units,
        GetCancellation: cancellations.get_cancellation,
        ListCancellations: cancellations.list_cancellations,
        SubmitSyncApplication: partial(sync.submit_sync_application, auto_approve=auto_sync),
        DecideSyncApplication: sync.decide_sync_application,
        GetSyncApplication: sync.get_sync_application,
        ListSyncApplications: sync.list_sync_applications,
        Reconcile: reconciliation.reconcile,
    }


# Each event this service consumes, by its class: its queue is bound to exactly these (checked at start).
EVENT_HANDLERS: dict[type[Event], EventHandler] = {
    SyncAcceptedV1: sync.on_sync_accepted,
    SyncRefusedV1: sync.on_sync_refused,
}

JOB_HANDLERS = cast(
    dict[str, JobHandler],
    {
        sync.AUTO_APPROVE_JOB: sync.auto_approve,
        cancellations.DAILY_RECORDS_JOB: cancellations.send_daily_records,
        NIGHTLY_RECONCILIATION: reconciliation.nightly_reconciliation,
    },
)


def definition(settings: Settings | None = None) -> ServiceDefinition[LegacyUnitOfWork]:
    """The service; with ``settings``, its handlers follow them (``legacy_auto_sync``)."""
    return ServiceDefinition(
        name=NAME,
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent / "migrations",
        unit_of_work=LegacyUnitOfWork,
        commands=commands(auto_sync=settings.legacy_auto_sync if settings is not None else False),
        event_handlers=EVENT_HANDLERS,
        job_handlers=dict(JOB_HANDLERS),
        recurring_jobs=RECURRING,
    )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    broker: BrokerPort | None = None,
    service: ServiceDefinition[LegacyUnitOfWork] | None = None,
) -> Runtime[LegacyUnitOfWork]:
    return Runtime(service or definition(settings), settings, clock=clock, broker=broker)
