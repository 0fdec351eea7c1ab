"""The reason a recall gives (shown by the new registry as the lot's release reason) names the
recall instant in +08:00, as every instant a person reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest
from tests.unit.service_layer.test_allowance_support import (
    active_period,
    allocate,
    bound_unit,
    freeze_lot,
    issue_notice,
)

RECALL_2024 = datetime(2026, 1, 23, tzinfo=CST)


async def test_the_recall_reason_names_the_recall_instant_in_08_00(allowance: ServiceUnderTest[Any]) -> None:
    period = await active_period(allowance)
    unit = await bound_unit(allowance)
    await allocate(allowance, unit, 1_000)
    await issue_notice(allowance, period.code, unit, 1_000)
    await freeze_lot(allowance, unit, 20)

    await allowance.set_clock(RECALL_2024)

    [recall] = [p for p in await allowance.sent() if p.event_type == "allowance_registry.offset.recalled"]
    assert (
        recall.envelope.payload["reason"]
        == f"unused {period.code} pending offset recalled at 2026-01-23T00:00:00+08:00"
    )
