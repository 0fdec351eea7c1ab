"""Recall of unused pending offsets 15 working days after a period ends (seed 000, domain.md §5, §6.2.8).

These tests move the allowance registry's clock to 2025-01-23 and 2026-01-23; they run last among the
allowance tests (alphabetical order) and each states the window of time it needs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from shared.timeutil import CST
from tests.harness import Stack
from tests.integration.allowance_support import (
    INSTRUMENT_2023,
    INSTRUMENT_2024,
    REG,
    START,
    allocate,
    application,
    approved_payload,
    approved_period,
    bound_unit,
    clock_within,
    decide,
    freeze_lot,
    issue_notice,
    pending,
    produced,
    rejected_payload,
    set_clock,
    submitted,
)

pytestmark = pytest.mark.integration

RECALL_2023 = datetime(2025, 1, 23, 0, 0, 0, tzinfo=CST)
RECALL_2024 = datetime(2026, 1, 23, 0, 0, 0, tzinfo=CST)
SECOND = timedelta(seconds=1)


async def _job_due_at(stack: Stack, period_code: str) -> datetime:
    runtime = stack[REG].runtime
    jobs = runtime.infra.jobs
    async with runtime.sessions() as session:
        due = await session.scalar(
            select(jobs.c.due_at).where(jobs.c.kind == "recall_pending_offsets", jobs.c.key == period_code)
        )
    assert due is not None
    return due


async def test_recall_instants_of_2023_and_2024_are_exact_to_the_second(stack: Stack) -> None:
    await clock_within(stack, START, RECALL_2023 - 2 * SECOND)

    p2023 = await approved_period(stack, "2023")
    p2024 = await approved_period(stack, "2024")

    # 2024-12-31 + 15 working days = 2025-01-22; 2025-12-31 + 15 = 2026-01-22 (2026-01-04 is a make-up day).
    assert p2023["recall_at"] == "2025-01-23T00:00:00+08:00"
    assert p2024["recall_at"] == "2026-01-23T00:00:00+08:00"
    assert await _job_due_at(stack, p2023["code"]) == RECALL_2023
    assert await _job_due_at(stack, p2024["code"]) == RECALL_2024


async def test_the_2023_recall_runs_at_its_instant_and_takes_only_the_unreserved_remainder(stack: Stack) -> None:
    await clock_within(stack, START, RECALL_2023 - 2 * SECOND)
    period = await approved_period(stack, "2023")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2023, 1_000)
    issued = await issue_notice(stack, period["code"], unit, 1_000)
    partly_reserved = await freeze_lot(stack, unit, 100)
    unused = await freeze_lot(stack, unit, 20)
    app = await submitted(
        stack,
        unit,
        issued["id"],
        [
            {"kind": "allowance", "instrument": INSTRUMENT_2023, "quantity": 900},
            {"kind": "ccer", "lot_id": partly_reserved, "quantity": 30},
        ],
    )

    await set_clock(stack, RECALL_2023 - SECOND)
    await stack.quiet()
    assert (await pending(stack, unit, partly_reserved))["available"] == 70
    assert await produced(stack, partly_reserved, "allowance_registry.offset.recalled") == []

    moved = await set_clock(stack, RECALL_2023)
    await stack.quiet()

    assert moved["jobs_run"] >= 1
    lot = await pending(stack, unit, partly_reserved)
    assert (lot["recalled"], lot["reserved"], lot["available"], lot["status"]) == (70, 30, 0, "pending")
    assert lot["recall_due_at"] == "2025-01-23T00:00:00+08:00"
    [event] = await produced(stack, partly_reserved, "allowance_registry.offset.recalled")
    assert (event["quantity"], event["recalled_at"]) == (70, "2025-01-23T00:00:00+08:00")
    whole = await pending(stack, unit, unused)
    assert (whole["recalled"], whole["status"]) == (20, "recalled")

    # The part under review stays; its approval registers it and nothing more is recalled.
    await decide(stack, "provincial_review.application.approved", approved_payload(app["id"], 1))
    lot = await pending(stack, unit, partly_reserved)
    assert (lot["registered"], lot["recalled"], lot["status"]) == (30, 70, "offset")
    assert len(await produced(stack, partly_reserved, "allowance_registry.offset.recalled")) == 1
    # A release confirmed by the new registry is recorded against the recall.
    await stack.publish(
        "new_ccer_registry.offset.released",
        {
            "lot_id": partly_reserved,
            "quantity": 70,
            "serial_ranges": [["CCER-A-2024-31", "CCER-A-2024-100"]],
            "released_at": "2025-01-23T00:00:05+08:00",
        },
        correlation_id=partly_reserved,
    )
    await stack.quiet()
    assert (await pending(stack, unit, partly_reserved))["released"] == 70


async def test_a_rejection_after_the_recall_instant_recalls_the_reserved_part_at_once(stack: Stack) -> None:
    await clock_within(stack, START, RECALL_2024 - 2 * SECOND)
    period = await approved_period(stack, "2024")
    unit = await bound_unit(stack)
    await allocate(stack, unit.account_id, INSTRUMENT_2024, 1_000)
    issued = await issue_notice(stack, period["code"], unit, 1_000)
    lot_id = await freeze_lot(stack, unit, 100)
    app = await submitted(stack, unit, issued["id"], [{"kind": "ccer", "lot_id": lot_id, "quantity": 40}])

    await set_clock(stack, RECALL_2024)
    await stack.quiet()
    lot = await pending(stack, unit, lot_id)
    assert (lot["recalled"], lot["reserved"], lot["status"]) == (60, 40, "pending")

    await decide(
        stack,
        "provincial_review.application.rejected",
        rejected_payload(
            app["id"], 1, [{"code": "LOT_NOT_ELIGIBLE", "message": "not eligible", "message_zh": "不符合", "item": 0}]
        ),
    )

    lot = await pending(stack, unit, lot_id)
    assert (lot["recalled"], lot["reserved"], lot["available"], lot["status"]) == (100, 0, 0, "recalled")
    recalls = await produced(stack, lot_id, "allowance_registry.offset.recalled")
    assert [r["quantity"] for r in recalls] == [60, 40]
    assert (await application(stack, unit, app["id"]))["status"] == "returned"
