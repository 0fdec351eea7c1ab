"""Reconciliation (账实核对) of the allowance registry against its own records (domain.md §3
invariants 5 and 6, and the allowance side of 4), on demand and nightly on the service clock."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.allowance_registry.domain.reconciliation import (
    holding_discrepancies,
    notice_discrepancies,
    offset_ccer_discrepancies,
    pending_discrepancies,
)
from services.allowance_registry.service_layer.commands import ListReconciliationLots, Reconcile
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from services.allowance_registry.service_layer.views import LotBalanceRow, ReconciliationReport
from shared.principal import Principal
from shared.reconciliation import SCHEDULER, record_reconciliation

__all__ = ["list_lots", "nightly_reconciliation", "reconcile"]


async def reconcile(uow: AllowanceUnitOfWork, cmd: Reconcile, principal: Principal) -> ReconciliationReport:
    """Every discrepancy in the registry; an empty list when the invariants hold."""
    notices = await uow.reconciliation.notices()
    holdings = await uow.reconciliation.holdings()
    pending = await uow.reconciliation.pending()
    offset_ccer = await uow.reconciliation.offset_ccer()
    return ReconciliationReport(
        checked_at=uow.now(),
        notices_checked=len(notices),
        holdings_checked=len(holdings),
        lots_checked=len(pending),
        offset_ccer_checked=len(offset_ccer),
        discrepancies=[d for n in notices for d in notice_discrepancies(n)]
        + [d for h in holdings for d in holding_discrepancies(h)]
        + [d for p in pending for d in pending_discrepancies(p)]
        + [d for o in offset_ccer for d in offset_ccer_discrepancies(o)],
    )


async def list_lots(uow: AllowanceUnitOfWork, cmd: ListReconciliationLots, principal: Principal) -> list[LotBalanceRow]:
    return [LotBalanceRow(*row) for row in await uow.reconciliation.lots(limit=cmd.limit, offset=cmd.offset)]


async def nightly_reconciliation(uow: AllowanceUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    report = await reconcile(uow, Reconcile(), SCHEDULER)
    return record_reconciliation(
        uow,
        checked={
            "notices": report.notices_checked,
            "holdings": report.holdings_checked,
            "lots": report.lots_checked,
            "offset_ccer": report.offset_ccer_checked,
        },
        discrepancies=[asdict(d) for d in report.discrepancies],
    )
