"""Wires the new_ccer_registry service: its tables, unit of work, command, event and job handlers, clock and
broker. ``bootstrap(settings)`` is what runs; tests pass fakes (a clock, an in-memory broker, an
in-memory database in ``settings``) or a changed definition through the same function."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from services.new_ccer_registry.adapters.orm import infra, metadata
from services.new_ccer_registry.service_layer import (
    account_opening,
    accounts,
    fees,
    legacy,
    lot_events,
    lots,
    projects,
    reconciliation,
    serials,
    units,
)
from services.new_ccer_registry.service_layer import commands as c
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from shared.bus import Command, CommandHandler
from shared.clock import Clock
from shared.events.contracts import (
    BindingConfirmedV1,
    BindingRejectedV1,
    Event,
    OffsetRecalledV1,
    OffsetRefusedV1,
    OffsetRegisteredV1,
    SyncApprovedV1,
)
from shared.messaging.broker import BrokerPort
from shared.messaging.consumer import EventHandler
from shared.reconciliation import NIGHTLY_RECONCILIATION, RECURRING
from shared.runtime import Runtime, ServiceDefinition
from shared.scheduler import JobHandler
from shared.settings import Settings

__all__ = ["NAME", "bootstrap", "definition"]

NAME = "new_ccer_registry"

COMMANDS: dict[type[Command[Any]], CommandHandler] = {
    c.OpenAccount: accounts.open_account,
    c.GetAccount: accounts.get_account,
    c.ApplyForAccounts: account_opening.apply_for_accounts,
    c.AmendAccountApplication: account_opening.amend_account_application,
    c.ReviewAccountApplication: account_opening.review_account_application,
    c.RecordPaperReceived: account_opening.record_paper_received,
    c.GetAccountApplication: account_opening.get_account_application,
    c.ListAccountApplications: account_opening.list_account_applications,
    c.GetChecklist: account_opening.get_checklist,
    c.PayFee: fees.pay_fee,
    c.ListFees: fees.list_fees,
    c.RequestBinding: accounts.request_binding,
    c.GetBinding: accounts.get_binding,
    c.RegisterProject: projects.register_project,
    c.GetProject: projects.get_project,
    c.IssueUnits: projects.issue_units,
    c.SettleTrade: units.settle_trade,
    c.TransferUnits: units.transfer_units,
    c.GetHoldings: units.get_holdings,
    c.FreezeLot: lots.freeze_lot,
    c.GetLot: lots.get_lot,
    c.ListLots: lots.list_lots,
    c.ListCancellations: lots.list_cancellations,
    c.Reconcile: reconciliation.reconcile,
    c.GetLegacySync: legacy.get_legacy_sync,
    c.ListLegacySyncs: legacy.list_legacy_syncs,
    c.ConfirmLegacySync: legacy.confirm_legacy_sync,
    c.DisputeLegacySync: legacy.dispute_legacy_sync,
    c.GetSerialHistory: serials.get_serial_history,
}

# Each event this service consumes, by its class: its queue is bound to exactly these (checked at start).
EVENT_HANDLERS: dict[type[Event], EventHandler] = {
    BindingConfirmedV1: accounts.on_binding_confirmed,
    BindingRejectedV1: accounts.on_binding_rejected,
    OffsetRegisteredV1: lot_events.on_offset_registered,
    OffsetRecalledV1: lot_events.on_offset_recalled,
    OffsetRefusedV1: lot_events.on_offset_refused,
    SyncApprovedV1: legacy.on_sync_approved,
}

JOB_HANDLERS = cast(
    dict[str, JobHandler],
    {
        fees.FEE_LAPSE_JOB: fees.suspend_on_lapse,
        NIGHTLY_RECONCILIATION: reconciliation.nightly_reconciliation,
    },
)


def definition() -> ServiceDefinition[NewRegistryUnitOfWork]:
    return ServiceDefinition(
        name=NAME,
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent / "migrations",
        unit_of_work=NewRegistryUnitOfWork,
        commands=COMMANDS,
        event_handlers=EVENT_HANDLERS,
        job_handlers=dict(JOB_HANDLERS),
        recurring_jobs=RECURRING,
    )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    broker: BrokerPort | None = None,
    service: ServiceDefinition[NewRegistryUnitOfWork] | None = None,
) -> Runtime[NewRegistryUnitOfWork]:
    return Runtime(service or definition(), settings, clock=clock, broker=broker)
