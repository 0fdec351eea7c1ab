"""A statement budget per business step: one unit through the 2024 cycle, the four services in one
process (tests/system.py), counting the statements and transactions each step sends (tests/budget.py),
with the events it causes delivered and handled inside the step. A step over its budget fails.

The cycle is the one the cycle benchmark drives per unit (13 requests, 11 events): allowance account,
new-registry account, a project with 10,000 t issued, 100,000 t of 2024 allowances, the notice, the
binding round trip, a lot of 8,000 t (pending, 待抵销, in the allowance registry), an application of
95,000 allowances + 5,000 t of the lot, first review, second review → approval → 5,000 t registered
and cancelled, and the recall of the lot's 3,000 t remainder at 2026-01-23 00:00 (+08:00).
What is not a unit's (the period, the province's notice, the clock moves before a step) is set up
outside the steps.

BUDGETS are today's counts, per backend: a change that sends one more statement or opens one more
transaction in a step fails here, and lowering a count means lowering its budget. Print the whole
table with ``CCER_PRINT_BUDGET=1 pytest -s tests/unit/service_layer/test_statement_budget.py``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from services.allowance_registry.service_layer.commands import (
    AllocateAllowances,
    ApprovePeriod,
    DraftApplication,
    IssueNotice,
    IssueProvincialNotice,
    ProposePeriod,
    SubmitApplication,
)
from services.provincial_review.domain.review import Decision, Recommendation, ReviewStatus
from services.provincial_review.service_layer.commands import ListCases, SubmitFirstReview, SubmitSecondReview
from shared.timeutil import CST
from tests.budget import Budget
from tests.service_layer import as_
from tests.system import System, running_system
from tests.unit.service_layer import test_allowance_support as alw
from tests.unit.service_layer import test_new_registry_support as ncr
from tests.unit.service_layer.test_system_support import PROVINCE, START, assert_bound, pending, request_binding

OBLIGATION = 100_000
ISSUED = 10_000
LOT = 8_000
CCER_USED = 5_000  # the 5% cap of 100,000
QUIET_MIDNIGHT = "quiet midnight: clock moves + nightly reconciliation"
RECALL = "recall job at 2026-01-23 00:00, less a quiet midnight"

# step → (statements, transactions), per backend: today's counts (issue 20 lowers them toward
# about 85 statements and 13 transactions per unit).
BUDGETS: dict[str, dict[str, tuple[int, int]]] = {
    "sqlite": {
        "open allowance account": (2, 1),
        "open new-registry account": (4, 1),
        "register project": (3, 1),
        "issue CCERs": (8, 1),
        "allocation": (6, 1),
        "notice": (15, 3),
        "bind request + its event round trip": (17, 5),
        "freeze lot + pending offset": (21, 3),
        "submit application (draft + submit)": (26, 4),
        "first review (list cases + first review)": (9, 2),
        "second review + approval + registration + cancellation": (50, 8),
        RECALL: (29, 5),
    },
    "postgresql": {
        "open allowance account": (2, 1),
        "open new-registry account": (4, 1),
        "register project": (3, 1),
        "issue CCERs": (8, 1),
        "allocation": (6, 1),
        "notice": (14, 3),
        "bind request + its event round trip": (15, 5),
        "freeze lot + pending offset": (20, 3),
        "submit application (draft + submit)": (25, 4),
        "first review (list cases + first review)": (9, 2),
        "second review + approval + registration + cancellation": (47, 8),
        RECALL: (27, 5),
    },
}


@pytest.fixture
async def system(backend: str) -> AsyncIterator[System]:
    async with running_system(backend, now=START) as s:
        yield s


async def one_unit_cycle(system: System) -> Budget:
    """One unit through the 2024 cycle, each business step counted."""
    budget = Budget(system)
    allowance, new, review = system["allowance"], system["new"], system["review"]
    # Once per period and province, not per unit.
    await system.handle("allowance", ProposePeriod(builtin="2024"), alw.MAKER)
    await system.handle("allowance", ApprovePeriod(code="2024"), alw.CHECKER)
    await system.handle(
        "allowance",
        IssueProvincialNotice(period_code="2024", province=PROVINCE, total_obligation=10**12),
        alw.MAKER,
    )
    await system.drain()
    org = ncr.new_uscc()

    with budget.step("open allowance account"):
        allowance_account = await alw.open_account(allowance, org=org, province=PROVINCE)
        await system.drain()
    with budget.step("open new-registry account"):
        holding = await ncr.open_account(new, province=PROVINCE, org=org, name="火电测试企业")
        await system.drain()
    with budget.step("register project"):
        project = await ncr.register_project(new)
        await system.drain()
    with budget.step("issue CCERs"):
        await ncr.issue(new, project, holding, ISSUED)
        await system.drain()
    with budget.step("allocation"):
        await system.handle(
            "allowance",
            AllocateAllowances(
                account_id=allowance_account, instrument=alw.INSTRUMENT_2024, quantity=OBLIGATION, side="registry"
            ),
            alw.MAKER,
        )
        await system.drain()
    with budget.step("notice"):
        notice = await system.handle(
            "allowance",
            IssueNotice(period_code="2024", account_id=allowance_account, obligation=OBLIGATION),
            as_("province_initiator", province=PROVINCE),
        )
        await system.drain()
    with budget.step("bind request + its event round trip"):
        binding_id = await request_binding(system, allowance_account, holding)
    await assert_bound(system, binding_id, allowance_account, holding)
    unit = alw.Unit(org, allowance_account, holding.account_id, PROVINCE)

    with budget.step("freeze lot + pending offset"):
        lot = await ncr.freeze(new, holding, project, LOT)
        await system.drain()
    assert (await pending(system, unit, lot.id))["status"] == "pending"

    with budget.step("submit application (draft + submit)"):
        draft = await system.handle(
            "allowance",
            DraftApplication(
                notice_id=notice.notice.id,
                items=(alw.allowances(OBLIGATION - CCER_USED), alw.from_lot(lot.id, CCER_USED)),
            ),
            unit.principal,
        )
        await system.handle("allowance", SubmitApplication(application_id=draft.id), unit.principal)
        await system.drain()

    first, second = as_("province_initiator", province=PROVINCE), as_("province_confirmer", province=PROVINCE)
    await system.set_clock(datetime(2025, 6, 10, 10, 0, tzinfo=CST))
    with budget.step("first review (list cases + first review)"):
        cases = (await review.handle(ListCases(application_id=draft.id), first)).cases
        await review.handle(SubmitFirstReview(case_id=cases[0].case.id, recommendation=Recommendation.approve), first)
        await system.drain()

    await system.set_clock(datetime(2025, 6, 11, 15, 0, tzinfo=CST))
    with budget.step("second review + approval + registration + cancellation"):
        decided = await review.handle(
            SubmitSecondReview(case_id=cases[0].case.id, decision=Decision.confirm, comment="同意"), second
        )
        published = [p.event_type for p in await system.drain()]
    assert decided.case.status == ReviewStatus.approved
    assert published == [
        "provincial_review.application.approved",
        "allowance_registry.offset.registered",
        "allowance_registry.compliance.completed",
        "new_ccer_registry.offset.cancelled",
    ]

    # The recall falls due at a midnight, with the nightly reconciliation of three services and the
    # clock moves of four: the unit's share is that midnight less a midnight with nothing of its due.
    await system.set_clock(datetime(2026, 1, 21, 23, 59, 59, tzinfo=CST))
    with budget.step(QUIET_MIDNIGHT, per_unit=False):
        await system.set_clock(datetime(2026, 1, 22, 0, 0, tzinfo=CST))
    assert (await pending(system, unit, lot.id))["recalled"] == 0
    await system.set_clock(datetime(2026, 1, 22, 23, 59, 59, tzinfo=CST))
    with budget.step(RECALL):
        await system.set_clock(datetime(2026, 1, 23, 0, 0, tzinfo=CST))
    budget.net_of(RECALL, QUIET_MIDNIGHT)
    assert await pending(system, unit, lot.id) == {
        "reserved": 0,
        "registered": CCER_USED,
        "recalled": LOT - CCER_USED,
        "cancelled": CCER_USED,
        "released": LOT - CCER_USED,
        "status": "offset",
    }
    system.assert_no_dead_letters()
    budget.close()
    return budget


async def test_each_business_step_of_a_unit_stays_within_its_statement_budget(system: System, backend: str) -> None:
    budget = await one_unit_cycle(system)
    budgets = BUDGETS[backend]
    table = budget.table(budgets, title=f"statement budget per business step ({backend})")
    if os.environ.get("CCER_PRINT_BUDGET"):
        print("\n" + table)
    assert [s.name for s in budget.unit_steps] == list(budgets), table
    over = [
        s.name
        for s in budget.unit_steps
        if s.total_statements > budgets[s.name][0] or s.total_transactions > budgets[s.name][1]
    ]
    assert not over, f"over budget: {', '.join(over)}\n{table}"
    # The per-unit total, the baseline issue 20 lowers.
    assert budget.total_statements <= sum(b[0] for b in budgets.values()), table
    assert budget.total_transactions <= sum(b[1] for b in budgets.values()), table


async def test_a_statement_or_transaction_more_in_a_step_is_counted(system: System) -> None:
    """The counter sees what a step adds: one more statement, one more transaction, a savepoint
    apart, and nothing outside a step or from a probe (the outbox depth of /metrics)."""
    from sqlalchemy import text

    budget = Budget(system)
    engine = system["allowance"].runtime.engine
    with budget.step("one transaction of two statements, one savepoint"):
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
            async with conn.begin_nested():
                await conn.execute(text("SELECT 2"))
        await system["allowance"].runtime.relay.pending()  # a probe: not counted
    async with engine.begin() as conn:  # outside a step: not counted
        await conn.execute(text("SELECT 3"))
    budget.close()
    [step] = budget.steps
    assert (step.total_statements, step.total_transactions, sum(step.savepoints.values())) == (2, 1, 1)
    assert step.by_service() == {"allowance_registry": (2, 1)}
