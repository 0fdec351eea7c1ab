"""The 2024 offset path across the four services in one process (tests/system.py): every event is
the one a handler really emitted, routed by the topology and applied by the receiving service's inbox
consumer, on SQLite and PostgreSQL like the rest of the service-layer suite.

The figures follow scenarios/2024_offset_cycle.yaml, approved on the first revision:
  obligation 1,000,000; cap 5% = 50,000; allowances allocated 1,000,000
  issued P1 60,000 and P2 40,000 into the unit's general holding account
  lot 1 = 30,000 of P1, lot 2 = 20,000 of P2 (frozen, 待抵销 in the allowance registry)
  application: 975,000 allowances + 25,000 of lot 1 → approved after first and second review
  → 25,000 of lot 1 cancelled in the new registry (lowest serials first), 5,000 stay frozen
  recall at 2025-12-31 + 15 working days = 2026-01-22, i.e. 2026-01-23 00:00 (+08:00):
  lot 1's 5,000 and lot 2's 20,000 go back to the general holding account.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from services.allowance_registry.service_layer.commands import (
    AllocateAllowances,
    ApprovePeriod,
    GetApplication,
    ProposePeriod,
)
from services.new_ccer_registry.service_layer.commands import GetLot, ListCancellations
from services.provincial_review.domain.review import Decision, Recommendation, ReviewStatus
from services.provincial_review.service_layer.commands import ListCases, SubmitFirstReview, SubmitSecondReview
from shared.timeutil import CST
from tests.service_layer import as_
from tests.system import System, running_system
from tests.unit.service_layer import test_allowance_support as alw
from tests.unit.service_layer import test_new_registry_support as ncr
from tests.unit.service_layer.test_system_support import PROVINCE, START, bound_unit, pending


@pytest.fixture
async def system(backend: str) -> AsyncIterator[System]:
    async with running_system(backend, now=START) as s:
        yield s


async def test_2024_offset_path_from_freeze_to_recall(system: System) -> None:
    allowance, new, review = system["allowance"], system["new"], system["review"]
    await system.handle("allowance", ProposePeriod(builtin="2024"), alw.MAKER)
    await system.handle("allowance", ApprovePeriod(code="2024"), alw.CHECKER)
    unit, holding = await bound_unit(system)
    await system.handle(
        "allowance",
        AllocateAllowances(
            account_id=unit.account_id, instrument=alw.INSTRUMENT_2024, quantity=1_000_000, side="registry"
        ),
        alw.MAKER,
    )
    notice = await alw.issue_notice(allowance, "2024", unit, 1_000_000)
    p1, p2 = await ncr.register_project(new), await ncr.register_project(new)
    await ncr.issue(new, p1, holding, 60_000)
    await ncr.issue(new, p2, holding, 40_000)
    await system.drain()

    # 全国履约抵销: two lots frozen in the new registry, pending (待抵销) in the allowance registry.
    lot1 = await ncr.freeze(new, holding, p1, 30_000)
    lot2 = await ncr.freeze(new, holding, p2, 20_000)
    await system.drain()
    assert await ncr.quantities(new, holding, p1) == {
        "trading": 0,
        "available": 30_000,
        "frozen": 30_000,
        "cancelled": 0,
    }
    assert (await alw.lot(allowance, unit, lot1.id)).quantity == 30_000
    assert (await pending(system, unit, lot2.id))["status"] == "pending"

    # The application: 975,000 allowances + 25,000 of lot 1 = the obligation; CCER 25,000 <= the cap.
    application = await alw.submitted(
        allowance, unit, notice.notice.id, alw.allowances(975_000), alw.from_lot(lot1.id, 25_000)
    )
    await system.drain()
    assert (await pending(system, unit, lot1.id))["reserved"] == 25_000
    first, second = as_("province_initiator", province=PROVINCE), as_("province_confirmer", province=PROVINCE)
    cases = (await review.handle(ListCases(application_id=application.id), first)).cases
    assert [(c.case.revision, c.case.status) for c in cases] == [(1, ReviewStatus.awaiting_first_review)]
    case_id = cases[0].case.id

    await system.set_clock(datetime(2025, 6, 10, 10, 0, tzinfo=CST))
    await review.handle(SubmitFirstReview(case_id=case_id, recommendation=Recommendation.approve), first)
    await system.drain()
    await system.set_clock(datetime(2025, 6, 11, 15, 0, tzinfo=CST))
    decided = await review.handle(
        SubmitSecondReview(case_id=case_id, decision=Decision.confirm, comment="同意"), second
    )
    assert decided.case.status == ReviewStatus.approved
    published = [p.event_type for p in await system.drain()]
    assert published == [
        "provincial_review.application.approved",
        "allowance_registry.offset.registered",
        "allowance_registry.compliance.completed",
        "new_ccer_registry.offset.cancelled",
    ]

    # Every registry agrees: approved, surrendered, registered and cancelled, lowest serials first.
    approved = await allowance.handle(GetApplication(application_id=application.id), unit.principal)
    assert (approved.status, approved.revision) == ("approved", 1)
    after = (await alw.notice_now(allowance, unit, notice.notice.id)).notice
    assert (after.fulfilled, after.under_review, after.status) == (1_000_000, 0, "complete")
    assert await alw.holding(allowance, unit) == (25_000, 0, 0)
    assert await pending(system, unit, lot1.id) == {
        "reserved": 0,
        "registered": 25_000,
        "recalled": 0,
        "cancelled": 25_000,
        "released": 0,
        "status": "pending",
    }
    view = await new.handle(GetLot(lot_id=lot1.id), holding.principal)
    assert (view.lot.cancelled, view.lot.released, view.lot.status) == (25_000, 0, "frozen")
    cancellations = (await new.handle(ListCancellations(lot_id=lot1.id), holding.principal)).items
    assert [c.serial_ranges for c in cancellations] == [
        [[f"{lot1.serial_ranges[0][0]}", lot1.serial_ranges[0][0].rsplit("-", 1)[0] + "-25000"]]
    ]
    assert await ncr.quantities(new, holding, p1) == {
        "trading": 0,
        "available": 30_000,
        "frozen": 5_000,
        "cancelled": 25_000,
    }

    # One second before the recall instant nothing moves; at 2026-01-23 00:00 both remainders go back.
    await system.set_clock(datetime(2026, 1, 22, 23, 59, 59, tzinfo=CST))
    assert (await pending(system, unit, lot2.id))["recalled"] == 0
    await system.set_clock(datetime(2026, 1, 23, 0, 0, tzinfo=CST))
    assert await pending(system, unit, lot1.id) == {
        "reserved": 0,
        "registered": 25_000,
        "recalled": 5_000,
        "cancelled": 25_000,
        "released": 5_000,
        "status": "offset",  # 已抵销: its unused part recalled
    }
    assert await pending(system, unit, lot2.id) == {
        "reserved": 0,
        "registered": 0,
        "recalled": 20_000,
        "cancelled": 0,
        "released": 20_000,
        "status": "recalled",
    }
    for lot, cancelled, released in ((lot1, 25_000, 5_000), (lot2, 0, 20_000)):
        view = await new.handle(GetLot(lot_id=lot.id), holding.principal)
        assert (view.lot.cancelled, view.lot.released, view.lot.status) == (cancelled, released, "settled")
    assert await ncr.quantities(new, holding, p1) == {
        "trading": 0,
        "available": 35_000,
        "frozen": 0,
        "cancelled": 25_000,
    }
    assert await ncr.quantities(new, holding, p2) == {"trading": 0, "available": 40_000, "frozen": 0, "cancelled": 0}
    assert (await alw.notice_now(allowance, unit, notice.notice.id)).notice.status == "complete"
    system.assert_no_dead_letters()
