"""The first period's offset application form (申请表): the unit submits it to its province inside
the form window, the province confirms it or returns it with reasons, the unit corrects and
resubmits a returned one and hands in the stamped screenshot of its cancellation. Every submission
and confirmation makes sure the weekly summary of the Friday after it is due (``form_summaries``)."""

from __future__ import annotations

from typing import Any

from services.provincial_review.adapters.orm import CancellationProof, IssuedNotice, OffsetForm
from services.provincial_review.domain.offset_forms import (
    FORM_CHECKS_FAILING,
    FORM_CONFLICTS,
    FORM_EXISTS,
    FormDecision,
    FormInput,
    FormStatus,
    UnitNotice,
    content_findings,
    decision_findings,
    existing_form_finding,
    form_periods,
    period_findings,
    proof_findings,
    resubmission_findings,
    week_bounds,
    week_findings,
    window_findings,
)
from services.provincial_review.service_layer.commands import (
    AttachCancellationProof,
    DecideOffsetForm,
    GetOffsetForm,
    ListOffsetForms,
    ResubmitOffsetForm,
    SubmitOffsetForm,
)
from services.provincial_review.service_layer.form_summaries import schedule_summary
from services.provincial_review.service_layer.queries import scope_of
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from services.provincial_review.service_layer.views import FormPage, FormView
from shared.errors import ConcurrentChange, Conflict, Forbidden, refuse
from shared.ids import new_id
from shared.principal import Principal

__all__ = [
    "attach_cancellation_proof",
    "decide_offset_form",
    "form_views",
    "get_offset_form",
    "list_offset_forms",
    "resubmit_offset_form",
    "submit_offset_form",
]

MAX_PROOFS = 20


def _input(cmd: SubmitOffsetForm | ResubmitOffsetForm) -> FormInput:
    return FormInput(
        period_code=cmd.period_code,
        unit_name=cmd.unit_name,
        unit_uscc=cmd.unit_uscc,
        province=cmd.province,
        obligation=cmd.obligation,
        requested_quantity=cmd.requested_quantity,
    )


def _as_submitted(form: OffsetForm) -> FormInput:
    return FormInput(
        form.period_code, form.unit_name, form.unit_uscc, form.province, form.obligation, form.requested_quantity
    )


def _own_unit(principal: Principal, uscc: str) -> None:
    """A unit submits its own form: the token's ``org`` is the form's USCC. Refused before any
    check, so that nobody learns another unit's notice from the findings."""
    if principal.org != uscc:
        raise Forbidden(
            "FORM_NOT_OWN_UNIT",
            "a unit submits its own offset application form (the form's USCC is not the caller's)",
            "重点排放单位只能提交本单位的抵销申请表",
        )


async def _notice(uow: ReviewUnitOfWork, uscc: str, period_code: str) -> tuple[IssuedNotice | None, UnitNotice | None]:
    row = await uow.notices.of_unit(uscc, period_code)
    if row is None:
        return None, None
    return row, UnitNotice(row.notice_id, row.province, row.account_name, row.account_uscc, row.obligation)


async def form_views(uow: ReviewUnitOfWork, forms: list[OffsetForm]) -> list[FormView]:
    """Views of several forms in a few queries (no N+1 in lists)."""
    ids = [f.id for f in forms]
    history = await uow.form_history.of(ids)
    proofs = await uow.proofs.of(ids)
    cancelled = await uow.cancellations.of_units((f.unit_uscc, f.period_code) for f in forms)
    return [
        FormView(f, tuple(history[f.id]), tuple(proofs[f.id]), tuple(cancelled[(f.unit_uscc, f.period_code)]))
        for f in forms
    ]


async def _view(uow: ReviewUnitOfWork, form: OffsetForm) -> FormView:
    return (await form_views(uow, [form]))[0]


def _fields(form: FormInput, notice: IssuedNotice | None) -> dict[str, Any]:
    return {
        "unit_name": form.unit_name,
        "province": form.province,
        "obligation": form.obligation,
        "requested_quantity": form.requested_quantity,
        "notice_id": notice.notice_id if notice is not None else "",
    }


async def submit_offset_form(uow: ReviewUnitOfWork, cmd: SubmitOffsetForm, principal: Principal) -> FormView:
    form_in = _input(cmd)
    _own_unit(principal, form_in.unit_uscc)
    periods = form_periods(uow.period_definitions)
    refuse(period_findings(periods, cmd.period_code), "the offset application form is refused", "抵销申请表未被受理")
    period, now = periods[cmd.period_code], uow.now()
    existing = await uow.forms.of_unit(form_in.unit_uscc, period.code)
    row, notice = await _notice(uow, form_in.unit_uscc, period.code)
    findings = [existing_form_finding(existing.id, period.code)] if existing is not None else []
    findings += window_findings(period, now) + content_findings(form_in, notice, period)
    refuse(findings, "the offset application form is refused", "抵销申请表未被受理", conflict_codes=FORM_CONFLICTS)
    form = OffsetForm(
        id=new_id("OFF"),
        period_code=period.code,
        unit_uscc=form_in.unit_uscc,
        status=FormStatus.submitted.value,
        revision=1,
        reasons=[],
        first_submitted_at=now,
        submitted_at=now,
        **_fields(form_in, row),
    )
    if not await uow.forms.add(form):
        raise Conflict(
            FORM_EXISTS,
            f"the unit submitted another form for {period.code} at the same moment",
            f"该单位已同时提交了 {period.code} 抵销申请表",
        )
    uow.form_history.add(
        form.id, at=now, action="submitted", actor=uow.actor, status=form.status, revision=1, **_fields(form_in, row)
    )
    await schedule_summary(uow, now)
    uow.audit("submit_offset_form", "offset_form", form.id, requested_quantity=form.requested_quantity)
    return await _view(uow, form)


async def resubmit_offset_form(uow: ReviewUnitOfWork, cmd: ResubmitOffsetForm, principal: Principal) -> FormView:
    form = await uow.forms.get(cmd.form_id, scope_of(principal))
    form_in = _input(cmd)
    _own_unit(principal, form_in.unit_uscc)
    period, now = form_periods(uow.period_definitions)[form.period_code], uow.now()
    row, notice = await _notice(uow, form_in.unit_uscc, period.code)
    findings = resubmission_findings(FormStatus(form.status), form.period_code, form_in)
    findings += window_findings(period, now) + content_findings(form_in, notice, period)
    refuse(findings, "the corrected form is refused", "修改后的抵销申请表未被受理", conflict_codes=FORM_CONFLICTS)
    revision = form.revision + 1
    changed = await uow.forms.transition(
        form.id,
        FormStatus.returned.value,
        form.revision,
        status=FormStatus.submitted.value,
        revision=revision,
        submitted_at=now,
        decided_at=None,
        decided_by=None,
        reasons=[],
        **_fields(form_in, row),
    )
    if not changed:
        raise ConcurrentChange("offset application form")
    await uow.forms.reload(form)
    uow.form_history.add(
        form.id,
        at=now,
        action="resubmitted",
        actor=uow.actor,
        status=form.status,
        revision=revision,
        **_fields(form_in, row),
    )
    await schedule_summary(uow, now)
    uow.audit("resubmit_offset_form", "offset_form", form.id, revision=revision)
    return await _view(uow, form)


async def decide_offset_form(uow: ReviewUnitOfWork, cmd: DecideOffsetForm, principal: Principal) -> FormView:
    form = await uow.forms.get(cmd.form_id, scope_of(principal))
    reasons = [r.strip() for r in cmd.reasons if r.strip()]
    refuse(
        decision_findings(FormStatus(form.status), cmd.decision, reasons),
        "the decision on the form is refused",
        "申请表确认/退回未被受理",
        conflict_codes=FORM_CONFLICTS,
    )
    now, confirm = uow.now(), cmd.decision is FormDecision.confirm
    if confirm:
        # The notice may have been re-issued since the form was submitted: confirm what still holds.
        _, notice = await _notice(uow, form.unit_uscc, form.period_code)
        failing = content_findings(_as_submitted(form), notice, form_periods(uow.period_definitions)[form.period_code])
        if failing:
            raise Conflict(
                FORM_CHECKS_FAILING,
                f"the form no longer passes the checks against the notice: {len(failing)} problem(s); return it",
                f"申请表与履约通知书核对未通过（共 {len(failing)} 处问题），请退回",
                findings=failing,
            )
    status = FormStatus.confirmed if confirm else FormStatus.returned
    changed = await uow.forms.transition(
        form.id,
        FormStatus.submitted.value,
        form.revision,
        status=status.value,
        decided_at=now,
        decided_by=principal.actor,
        confirmed_at=now if confirm else None,
        reasons=reasons,
    )
    if not changed:
        raise ConcurrentChange("offset application form")
    await uow.forms.reload(form)
    action = "confirmed" if confirm else "returned"
    uow.form_history.add(
        form.id, at=now, action=action, actor=uow.actor, status=form.status, reasons=reasons, revision=form.revision
    )
    await schedule_summary(uow, now)  # a return is reported in the week's summary too
    uow.audit(f"{action}_offset_form", "offset_form", form.id, revision=form.revision, reasons=reasons)
    return await _view(uow, form)


async def attach_cancellation_proof(
    uow: ReviewUnitOfWork, cmd: AttachCancellationProof, principal: Principal
) -> FormView:
    form = await uow.forms.get(cmd.form_id, scope_of(principal))
    refuse(
        proof_findings(FormStatus(form.status)),
        "the proof is refused",
        "注销截图未被受理",
        conflict_codes=FORM_CONFLICTS,
    )
    if await uow.proofs.count_of(form.id) >= MAX_PROOFS:
        raise Conflict(
            "PROOFS_LIMIT_REACHED",
            f"a form keeps at most {MAX_PROOFS} cancellation proofs",
            f"每份申请表最多提交 {MAX_PROOFS} 份注销截图",
        )
    now, digest = uow.now(), cmd.sha256.lower()
    proof = CancellationProof(
        form_id=form.id, file_name=cmd.file_name, sha256=digest, submitted_at=now, submitted_by=principal.actor
    )
    if await uow.proofs.add_once(proof):
        uow.form_history.add(
            form.id,
            at=now,
            action="proof_attached",
            actor=uow.actor,
            status=form.status,
            file_name=cmd.file_name,
            sha256=digest,
        )
        uow.audit("attach_cancellation_proof", "offset_form", form.id, file_name=cmd.file_name, sha256=digest)
    return await _view(uow, form)


async def get_offset_form(uow: ReviewUnitOfWork, cmd: GetOffsetForm, principal: Principal) -> FormView:
    return await _view(uow, await uow.forms.get(cmd.form_id, scope_of(principal)))


async def list_offset_forms(uow: ReviewUnitOfWork, cmd: ListOffsetForms, principal: Principal) -> FormPage:
    confirmed_from = confirmed_until = None
    if cmd.week is not None:
        refuse(week_findings(cmd.week), "the week is invalid", "周次无效")
        confirmed_from, confirmed_until = week_bounds(cmd.week)
    # One row more than the page tells whether another page follows.
    forms = await uow.forms.search(
        scope_of(principal),
        status=cmd.status.value if cmd.status else None,
        period_code=cmd.period_code,
        confirmed_from=confirmed_from,
        confirmed_until=confirmed_until,
        offset=cmd.offset,
        limit=cmd.limit + 1,
    )
    views = await form_views(uow, forms[: cmd.limit])
    return FormPage(tuple(views), has_more=len(forms) > cmd.limit)
