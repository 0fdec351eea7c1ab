"""The province's weekly summary of its confirmed offset forms for NCSC (seed 001 第四步: 每周汇总申请表
信息，并于周五下班前发至国家气候战略中心), made by a due job every Friday at 17:00 (Asia/Shanghai).

The job of one Friday runs once, whatever the clock jump: it is keyed by its date, and it schedules
the next Friday's job itself while a form window is open, so a jump over three Fridays runs three
jobs, oldest first, each making its own week's summaries. A submission or confirmation schedules
the Friday after it too, so every confirmed form reaches exactly one summary. Each province that has
any form gets a summary every Friday the job runs, an empty one in a week without confirmations."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from services.provincial_review.adapters.orm import OffsetForm, OffsetFormSummary
from services.provincial_review.domain.access import SUMMARY_READERS
from services.provincial_review.domain.offset_forms import form_periods, form_window_open, summary_after, week_bounds
from services.provincial_review.service_layer.commands import ListFormSummaries
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from services.provincial_review.service_layer.views import SummaryPage
from shared.errors import ConcurrentChange
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


def _item(form: OffsetForm) -> dict[str, Any]:
    confirmed_at = local(form.confirmed_at).isoformat() if form.confirmed_at else None
    return {
        "form_id": form.id,
        "unit": {"name": form.unit_name, "uscc": form.unit_uscc},
        "notice_id": form.notice_id,
        "obligation": form.obligation,
        "requested_quantity": form.requested_quantity,
        "confirmed_quantity": form.requested_quantity,
        "revision": form.revision,
        "confirmed_at": confirmed_at,
    }


async def summarise_week(uow: ReviewUnitOfWork, payload: dict[str, Any], due_at: datetime) -> str:
    """Friday 17:00: per province and period, the forms confirmed since the last summary."""
    week_ending = local(due_at).date()
    covers_from, covers_until = week_bounds(week_ending)
    regions: dict[tuple[str, str], list[OffsetForm]] = defaultdict(list)
    for region in await uow.forms.regions_before(due_at):
        regions[region] = []
    for form in await uow.forms.confirmed_unsummarised_before(due_at):
        regions[(form.province, form.period_code)].append(form)
    made = 0
    for (province, period_code), forms in sorted(regions.items()):
        if await uow.summaries.exists(province, period_code, week_ending):
            continue  # made by another replica's run of the same Friday
        total = sum(f.requested_quantity for f in forms)
        summary = OffsetFormSummary(
            id=new_id("OFS"),
            province=province,
            period_code=period_code,
            week_ending=week_ending,
            covers_from=covers_from,
            covers_until=covers_until,
            forms=len(forms),
            requested_total=total,
            confirmed_total=total,
            items=[_item(f) for f in forms],
            made_at=uow.now(),
        )
        uow.summaries.add(summary)
        if await uow.forms.mark_summarised([f.id for f in forms], summary.id) != len(forms):
            raise ConcurrentChange("offset forms of the weekly summary")
        uow.audit("summarise_offset_forms", "offset_form_summary", summary.id, province=province, forms=len(forms))
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
