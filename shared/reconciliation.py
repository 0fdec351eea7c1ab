"""The nightly reconciliation (账实核对) every registry that holds units runs on its own clock: the
job's kind, when it recurs, and how its result is recorded (an audit row operators read at
``GET /api/v1/admin/audit?entity=reconciliation``) and signalled (a warning log line)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from shared.principal import Principal
from shared.scheduler import NextDue, next_midnight
from shared.timeutil import local
from shared.uow import UnitOfWork

__all__ = ["NIGHTLY_RECONCILIATION", "RECURRING", "SCHEDULER", "record_reconciliation"]

log = logging.getLogger(__name__)

NIGHTLY_RECONCILIATION = "nightly_reconciliation"
RECURRING: dict[str, NextDue] = {NIGHTLY_RECONCILIATION: next_midnight}
# Who the nightly run acts as: the registry itself, reading everything (its handlers take a principal).
SCHEDULER = Principal(sub="scheduler", role="sim_admin")
# An audit row keeps this many discrepancies in full (the count is always exact).
KEPT = 100


def record_reconciliation(
    uow: UnitOfWork, *, checked: Mapping[str, int], discrepancies: Sequence[Mapping[str, Any]]
) -> str:
    """Record one nightly run in the audit log (entity ``reconciliation``, id: the local date it ran)
    and log a warning naming every discrepancy's code; returns the job's result line."""
    day = local(uow.now()).date().isoformat()
    uow.audit(
        NIGHTLY_RECONCILIATION,
        "reconciliation",
        day,
        consistent=not discrepancies,
        checked=dict(checked),
        discrepancy_count=len(discrepancies),
        discrepancies=list(discrepancies[:KEPT]),
    )
    if not discrepancies:
        return f"consistent ({', '.join(f'{k} {v}' for k, v in checked.items())})"
    codes = sorted({str(d.get("code")) for d in discrepancies})
    log.warning("reconciliation of %s found %d discrepancies: %s", day, len(discrepancies), ", ".join(codes))
    return f"{len(discrepancies)} discrepancies: {', '.join(codes)}"
