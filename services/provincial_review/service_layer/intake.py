"""What the allowance registry tells the province: a submitted application opens a review case, an
issued notice is stored (and re-checks the open cases waiting for it), a completed notice is
recorded for the dashboard. Each runs in the consumer's unit of work, with its inbox row."""

from __future__ import annotations

import logging

from services.provincial_review.adapters.orm import ComplianceCompletion, ReviewCase
from services.provincial_review.domain.checks import Check
from services.provincial_review.domain.review import ReviewStatus
from services.provincial_review.service_layer.facts import application_facts, current_checks, dump, failing, submitted
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from shared.events import Envelope
from shared.events.contracts import ApplicationSubmittedV1, ComplianceCompletedV1, NoticeIssuedV1
from shared.ids import new_id

__all__ = ["on_application_submitted", "on_compliance_completed", "on_notice_issued"]

log = logging.getLogger(__name__)


def _new_case(uow: ReviewUnitOfWork, app: ApplicationSubmittedV1, checks: list[Check]) -> ReviewCase:
    now = uow.now()
    facts = application_facts(app)
    return ReviewCase(
        id=new_id("RVW"),
        application_id=app.application_id,
        revision=app.revision,
        province=app.account.province,
        account_id=app.account.id,
        notice_id=app.notice.id,
        period_code=app.period.code,
        total_quantity=facts.allowances + facts.ccer,
        ccer_quantity=facts.ccer,
        application=app.model_dump(mode="json"),
        submitted_at=app.submitted_at,
        opened_at=now,
        checks=dump(checks),
        checks_at=now,
        status=ReviewStatus.awaiting_first_review.value,
        recommendation=None,
        findings=[],
    )


async def on_application_submitted(uow: ReviewUnitOfWork, envelope: Envelope, payload: ApplicationSubmittedV1) -> None:
    """One case per submitted revision; a repeat of the same revision (another event id) is a no-op."""
    existing = await uow.cases.by_application(payload.application_id, payload.revision)
    if existing is not None:
        log.info(
            "application %s revision %s already has case %s; event %s not applied again",
            payload.application_id,
            payload.revision,
            existing.id,
            envelope.event_id,
        )
        return
    checks = await current_checks(uow, payload)
    case = await uow.cases.add(_new_case(uow, payload, checks))
    uow.history.add(
        case.id,
        at=case.opened_at,
        action="opened",
        actor=uow.actor,
        status=case.status,
        event_id=str(envelope.event_id),
        failing_checks=failing(checks),
    )
    uow.audit(
        "open_case",
        "review_case",
        case.id,
        application_id=payload.application_id,
        revision=payload.revision,
        province=payload.account.province,
        failing_checks=failing(checks),
    )


async def on_notice_issued(uow: ReviewUnitOfWork, envelope: Envelope, payload: NoticeIssuedV1) -> None:
    """Store the notice, then re-check every open case that was waiting for it (any order of arrival)."""
    await uow.notices.record(
        payload.notice_id,
        received_at=uow.now(),
        period_code=payload.period_code,
        province=payload.account.province,
        account_id=payload.account.id,
        account_name=payload.account.name,
        account_uscc=payload.account.uscc,
        obligation=payload.obligation,
        deadline=payload.deadline,
    )
    uow.audit(
        "record_notice",
        "notice",
        payload.notice_id,
        obligation=payload.obligation,
        period_code=payload.period_code,
        account_id=payload.account.id,
    )
    await recheck_open_cases(uow, payload.notice_id, reason="notice_received")


async def recheck_open_cases(uow: ReviewUnitOfWork, notice_id: str, *, reason: str) -> None:
    """Recompute the checks of the cases under review that rely on the notice; a changed result is
    stored (guarded: a case decided meanwhile keeps its checks) and recorded in its history."""
    now = uow.now()
    for case in await uow.cases.open_of_notice(notice_id):
        checks = dump(await current_checks(uow, submitted(case)))
        if checks == case.checks:
            continue
        before = [c["code"] for c in case.checks if not c["passed"]]
        if await uow.cases.set_checks(case.id, checks, now):
            failing_now = [c["code"] for c in checks if not c["passed"]]
            uow.history.add(
                case.id,
                at=now,
                action="checks_recomputed",
                actor=uow.actor,
                status=case.status,
                reason=reason,
                failing_before=before,
                failing_checks=failing_now,
            )
            uow.audit("recompute_checks", "review_case", case.id, reason=reason, failing_checks=failing_now)


async def on_compliance_completed(uow: ReviewUnitOfWork, envelope: Envelope, payload: ComplianceCompletedV1) -> None:
    """Record that the notice is complete; a second report of the same notice changes nothing."""
    recorded = await uow.completions.record_once(
        ComplianceCompletion(
            notice_id=payload.notice_id,
            period_code=payload.period_code,
            province=payload.account.province,
            account_id=payload.account.id,
            account_name=payload.account.name,
            completed_at=payload.completed_at,
        )
    )
    if recorded:
        uow.audit("record_completion", "notice", payload.notice_id, completed_at=payload.completed_at)
