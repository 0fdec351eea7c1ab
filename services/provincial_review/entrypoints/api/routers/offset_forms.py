"""First-period offset application forms (申请表, seed 001 第三步至第五步): the unit submits, corrects
and resubmits its own form and hands in the stamped cancellation screenshot; its province confirms
or returns it and lists its forms with the quantity actually cancelled beside the confirmed one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from services.provincial_review.adapters.orm import OffsetFormHistory
from services.provincial_review.domain.offset_forms import FormStatus
from services.provincial_review.entrypoints.api.deps import CSV, BusDep, Enterprise, FormReader, Page, ProvinceReviewer
from services.provincial_review.entrypoints.api.schemas import (
    FORM_STATUS_DOC,
    CancellationOut,
    CancellationProofIn,
    FormDecisionIn,
    FormHistoryOut,
    OffsetFormIn,
    OffsetFormOut,
    OffsetFormPage,
    ProofOut,
    UnitOut,
)
from services.provincial_review.service_layer.commands import (
    AttachCancellationProof,
    DecideOffsetForm,
    GetOffsetForm,
    ListOffsetForms,
    ResubmitOffsetForm,
    SubmitOffsetForm,
)
from services.provincial_review.service_layer.views import FormView
from shared.bounds import Day
from shared.listing import respond_list
from shared.timeutil import local

__all__ = ["form_out", "router"]

router = APIRouter(prefix="/offset-forms", tags=["offset forms"])

FormId = Annotated[str, Path(min_length=1, max_length=40, description="form id — 申请表编号")]


def _history(row: OffsetFormHistory) -> FormHistoryOut:
    return FormHistoryOut.model_validate(
        {
            "at": local(row.at),
            "action": row.action,
            "actor": row.actor,
            "status": row.status,
            "reasons": row.reasons,
            "detail": row.detail,
        }
    )


def _local(at: Any) -> Any:
    return local(at) if at is not None else None


def form_out(view: FormView) -> OffsetFormOut:
    form = view.form
    return OffsetFormOut(
        id=form.id,
        period_code=form.period_code,
        unit=UnitOut(name=form.unit_name, uscc=form.unit_uscc),
        province=form.province,
        notice_id=form.notice_id,
        obligation=form.obligation,
        requested_quantity=form.requested_quantity,
        status=FormStatus(form.status),
        revision=form.revision,
        reasons=list(form.reasons),
        first_submitted_at=local(form.first_submitted_at),
        submitted_at=local(form.submitted_at),
        decided_at=_local(form.decided_at),
        decided_by=form.decided_by,
        confirmed_at=_local(form.confirmed_at),
        confirmed_quantity=view.confirmed_quantity,
        cancelled_quantity=view.cancelled_quantity,
        cancellations=[
            CancellationOut(
                cancellation_id=c.cancellation_id,
                project_number=c.project_number,
                quantity=c.quantity,
                cancelled_at=local(c.cancelled_at),
            )
            for c in view.cancellations
        ],
        cancellation_mismatch=view.cancellation_mismatch,
        cancellation_check=view.cancellation_check,
        summary_id=form.summary_id,
        proofs=[
            ProofOut(
                file_name=p.file_name, sha256=p.sha256, submitted_at=local(p.submitted_at), submitted_by=p.submitted_by
            )
            for p in view.proofs
        ],
        history=[_history(h) for h in view.history],
    )


def _fields(body: OffsetFormIn) -> dict[str, Any]:
    return {
        "period_code": body.period_code,
        "unit_name": body.unit.name,
        "unit_uscc": body.unit.uscc,
        "province": body.province,
        "obligation": body.obligation,
        "requested_quantity": body.requested_quantity,
    }


@router.post(
    "",
    status_code=201,
    response_model=OffsetFormOut,
    summary="Submit the unit's offset application form to its province — 提交 CCER 抵销配额清缴申请表",
    description="Accepted inside the period's form window, both ends inclusive (2019-2020: 2021-10-26 "
    "00:00:00 to 2021-12-10 23:59:59, +08:00); outside it 409 FORM_WINDOW_NOT_OPEN / FORM_WINDOW_CLOSED. "
    "Every other problem (422) is listed at once. 受理时间 2021-10-26 至 2021-12-10（含）。",
)
async def submit_form(body: OffsetFormIn, bus: BusDep, principal: Enterprise) -> OffsetFormOut:
    return form_out(await bus.handle(SubmitOffsetForm(**_fields(body)), principal))


@router.put(
    "/{form_id}",
    response_model=OffsetFormOut,
    summary="Correct a returned form and resubmit it — 修改被退回的申请表并重新提交",
)
async def resubmit_form(form_id: FormId, body: OffsetFormIn, bus: BusDep, principal: Enterprise) -> OffsetFormOut:
    return form_out(await bus.handle(ResubmitOffsetForm(form_id=form_id, **_fields(body)), principal))


@router.post(
    "/{form_id}/decision",
    response_model=OffsetFormOut,
    summary="Confirm the form, or return it with reasons — 省级确认或退回申请表",
)
async def decide_form(form_id: FormId, body: FormDecisionIn, bus: BusDep, principal: ProvinceReviewer) -> OffsetFormOut:
    command = DecideOffsetForm(form_id=form_id, decision=body.decision, reasons=tuple(body.reasons))
    return form_out(await bus.handle(command, principal))


@router.post(
    "/{form_id}/cancellation-proof",
    status_code=201,
    response_model=OffsetFormOut,
    summary="Hand in the stamped screenshot of the cancellation — 提交加盖公章的注销截图",
)
async def attach_proof(form_id: FormId, body: CancellationProofIn, bus: BusDep, principal: Enterprise) -> OffsetFormOut:
    command = AttachCancellationProof(form_id=form_id, file_name=body.file_name, sha256=body.sha256)
    return form_out(await bus.handle(command, principal))


@router.get(
    "",
    response_model=OffsetFormPage,
    responses=CSV,
    summary="Offset forms of the own province (a unit: its own) — 本省抵销申请表",
)
async def list_forms(
    request: Request,
    bus: BusDep,
    principal: FormReader,
    page: Page,
    status: Annotated[FormStatus | None, Query(description=FORM_STATUS_DOC)] = None,
    week: Annotated[
        Day | None,
        Query(
            description="a Friday: forms confirmed from the previous Friday 17:00 to this one — 周次（周五日期）",
        ),
    ] = None,
    period_code: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
) -> Any:
    command = ListOffsetForms(status=status, week=week, period_code=period_code, offset=page.offset, limit=page.limit)
    found = await bus.handle(command, principal)
    return respond_list(request, [form_out(v) for v in found.forms], page, has_more=found.has_more)


@router.get("/{form_id}", response_model=OffsetFormOut, summary="Offset form — 抵销申请表")
async def get_form(form_id: FormId, bus: BusDep, principal: FormReader) -> OffsetFormOut:
    return form_out(await bus.handle(GetOffsetForm(form_id=form_id), principal))
