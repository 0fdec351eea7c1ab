"""The province's weekly summary of its offset forms for NCSC (seed 001 第四步: 每周汇总申请表信息，并于
周五下班前发至国家气候战略中心), made by a due job every Friday at 17:00 (Asia/Shanghai): every form
received (submitted, resubmitted) or decided (confirmed, returned) in the week, with its status at
the week's end — not only the confirmed ones.

The job of one Friday runs once, whatever the clock jump: it is keyed by its date, and it schedules
the next Friday's job itself while a form window is open, so a jump over three Fridays runs three
jobs, oldest first, each making its own week's summaries (read from the forms' history: the week as
it was). A submission or decision schedules the Friday after it too, so every form received or
decided reaches that week's summary, and each confirmation is tied to the summary that reported it.
Each province that has any form gets a summary every Friday the job runs, an empty one in a week
without forms received or decided."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from services.provincial_review.adapters.orm import OffsetForm, OffsetFormSummary
from services.provincial_review.domain.access import SUMMARY_READERS
from services.provincial_review.domain.offset_forms import (
    SUMMARISED_ACTIONS,
    FormEvent,
    FormStatus,
    WeekEntry,
    form_periods,
    form_window_open,
    summary_after,
    week_bounds,
    week_entry,
)
from services.provincial_review.service_layer.commands import ListFormSummaries
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from services.provincial_review.service_layer.views import SummaryPage
from shared.ids import new_id
from shared.principal import Principal
from shared.scope import Scope
from shared.timeutil import local

__all__ = ["WEEKLY_SUMMARY_JOB", "list_form_summaries", "schedule_summary", "summarise_week"]

WEEKLY_SUMMARY_JOB = "summarise_offset_forms_weekly"


async def schedule_summary(uow: ReviewUnitOfWork, after: datetime) -> None:
    """Make sure the weekly summary of the first Friday 17:00 after ``after`` is due (once per Friday)."""
    due = summary_after(after)
    await uow.schedule(WEEKLY_SUMMARY_JOB, local(due).date().isoformat(), due, {})


def _iso(at: datetime | None) -> str | None:
    return local(at).isoformat() if at is not None else None


def _item(form: OffsetForm, entry: WeekEntry) -> dict[str, Any]:
    confirmed = entry.status is FormStatus.confirmed
    return {
        "form_id": form.id,
        "unit": {"name": entry.unit_name, "uscc": form.unit_uscc},
        "notice_id": entry.notice_id,
        "status": entry.status.value,
        "obligation": entry.obligation,
        "requested_quantity": entry.requested_quantity,
        "confirmed_quantity": entry.confirmed_quantity,
        "revision": entry.revision,
        "submitted_at": _iso(entry.submitted_at),
        "decided_at": _iso(entry.decided_at),
        "confirmed_at": _iso(entry.decided_at) if confirmed else None,
        "reasons": list(entry.reasons),
    }


async def _week(uow: ReviewUnitOfWork, start: datetime, end: datetime) -> list[tuple[OffsetForm, WeekEntry]]:
    """Every form received or decided in [start, end), as it stood at ``end``."""
    forms = await uow.forms.touched_between(start, end, SUMMARISED_ACTIONS)
    history = await uow.form_history.of([f.id for f in forms])
    week = []
    for form in forms:
        events = [FormEvent(h.at, h.action, h.status, tuple(h.reasons), h.detail) for h in history[form.id]]
        entry = week_entry(events, start, end)
        if entry is not None:
            week.append((form, entry))
    return week


async def summarise_week(uow: ReviewUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """Friday 17:00: per province and period, every form received or decided in the week."""
    week_ending = local(due_at).date()
    covers_from, covers_until = week_bounds(week_ending)
    regions: dict[tuple[str, str], list[tuple[OffsetForm, WeekEntry]]] = defaultdict(list)
    for region in await uow.forms.regions_before(due_at):
        regions[region] = []
    for form, entry in await _week(uow, covers_from, covers_until):
        regions[(form.province, form.period_code)].append((form, entry))
    made = 0
    for (province, period_code), week in sorted(regions.items()):
        if await uow.summaries.exists(province, period_code, week_ending):
            continue  # made by another replica's run of the same Friday
        summary = OffsetFormSummary(
            id=new_id("OFS"),
            province=province,
            period_code=period_code,
            week_ending=week_ending,
            covers_from=covers_from,
            covers_until=covers_until,
            forms=len(week),
            requested_total=sum(e.requested_quantity for _, e in week),
            confirmed_total=sum(e.confirmed_quantity for _, e in week),
            items=[_item(f, e) for f, e in week],
            made_at=uow.now(),
        )
        uow.summaries.add(summary)
        # Each confirmation is tied to the summary that reported it, once.
        await uow.forms.mark_summarised(
            [f.id for f, e in week if e.status is FormStatus.confirmed and e.decided_at is not None], summary.id
        )
        uow.audit("summarise_offset_forms", "offset_form_summary", summary.id, province=province, forms=len(week))
        made += 1
    if form_window_open(form_periods(uow.period_definitions), due_at):
        following = due_at + timedelta(days=7)
        await uow.schedule(WEEKLY_SUMMARY_JOB, local(following).date().isoformat(), following, {})
    return f"{made} weekly summary(ies) for the week ending {week_ending.isoformat()}"


async def list_form_summaries(uow: ReviewUnitOfWork, cmd: ListFormSummaries, principal: Principal) -> SummaryPage:
    rows = await uow.summaries.search(
        Scope.of(principal, operators=SUMMARY_READERS),
        province=cmd.province,
        period_code=cmd.period_code,
        week_ending=cmd.week_ending,
        offset=cmd.offset,
        limit=cmd.limit + 1,
    )
    return SummaryPage(tuple(rows[: cmd.limit]), has_more=len(rows) > cmd.limit)
