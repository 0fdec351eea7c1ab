"""Generated offset CCER of the first period (seed 002 Part 2): NCSC's cancellation records draft
creation requests; a registry initiator submits them, another registry confirmer approves (the
unit is credited with a new ``CCER21000nnn`` instrument) or rejects them.

The state machine is the domain's (``domain.offset_ccer_requests``); this module loads, asks it, and
applies its answer through guarded updates. No event leaves: the catalogue has none for this."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from services.allowance_registry.adapters.orm import Account, Instrument, OffsetCcerRequest, UnmatchedCancellation
from services.allowance_registry.domain import offset_ccer_requests as machine
from services.allowance_registry.domain.movements import HoldingKind, Movement, MovementKind
from services.allowance_registry.domain.offset_ccer_requests import Decision, RequestState, RequestStatus, Step
from services.allowance_registry.service_layer.commands import (
    ApproveOffsetCcerRequest,
    GetOffsetCcerRequest,
    ListOffsetCcerRequests,
    ListUnmatchedCancellations,
    RejectOffsetCcerRequest,
    SubmitOffsetCcerRequest,
)
from services.allowance_registry.service_layer.movements import record_movement
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from shared.errors import ConcurrentChange, Conflict
from shared.events import Envelope
from shared.events.contracts import CancellationRecordedV1
from shared.ids import new_id
from shared.principal import Principal

__all__ = [
    "approve_request",
    "get_request",
    "list_requests",
    "list_unmatched",
    "on_cancellation_recorded",
    "reject_request",
    "submit_request",
]

log = logging.getLogger(__name__)

KIND = "offset_ccer"


# --- NCSC's daily records -------------------------------------------------------------------
async def on_cancellation_recorded(
    uow: AllowanceUnitOfWork, envelope: Envelope, payload: CancellationRecordedV1
) -> None:
    """A record of the 2019-2020 offset drafts one request for the unit's allowance account, or is kept
    as unmatched when the unit has none; a record of any other purpose changes nothing here."""
    if not machine.drafts_a_request(payload.purpose):
        log.info("cancellation %s (purpose %s) needs nothing here", payload.cancellation_id, payload.purpose)
        return
    if await uow.offset_ccer_requests.is_known(payload.cancellation_id):
        log.info(
            "cancellation %s already recorded; event %s changes nothing", payload.cancellation_id, envelope.event_id
        )
        return
    account = await uow.accounts.of_holder(payload.holder.uscc)
    row = _unmatched(uow, payload) if account is None else _draft(uow, envelope, payload, account)
    # A concurrent delivery of the same record (another envelope) won the unique key: retried, it
    # then finds the record known.
    if not await uow.offset_ccer_requests.add_new(row):
        raise ConcurrentChange(f"cancellation record {payload.cancellation_id}")
    if isinstance(row, OffsetCcerRequest):
        uow.audit(
            "draft_offset_ccer_request",
            "offset_ccer_request",
            row.id,
            cancellation_id=row.cancellation_id,
            account_id=row.account_id,
            quantity=row.quantity,
        )
    else:
        uow.audit(
            "record_unmatched_cancellation",
            "unmatched_cancellation",
            row.cancellation_id,
            holder_uscc=row.holder_uscc,
            quantity=row.quantity,
        )


def _draft(
    uow: AllowanceUnitOfWork, envelope: Envelope, payload: CancellationRecordedV1, account: Account
) -> OffsetCcerRequest:
    now = uow.now()
    return OffsetCcerRequest(
        id=new_id("OCR"),
        cancellation_id=payload.cancellation_id,
        account_id=account.id,
        province=account.province,
        holder_name=account.holder_name,
        holder_uscc=account.holder_uscc,
        legacy_account_id=payload.legacy_account_id,
        project=payload.project.model_dump(mode="json"),
        quantity=payload.quantity,
        serial_ranges=[list(r) for r in payload.serial_ranges],
        units_recorded_at=payload.units_recorded_at,
        cancelled_at=payload.cancelled_at,
        status=RequestStatus.draft.value,
        instrument=None,
        reasons=[],
        history=[
            machine.history_entry(
                now,
                "drafted",
                envelope.producer,
                cancellation_id=payload.cancellation_id,
                event_id=str(envelope.event_id),
            )
        ],
        drafted_at=now,
    )


def _unmatched(uow: AllowanceUnitOfWork, payload: CancellationRecordedV1) -> UnmatchedCancellation:
    return UnmatchedCancellation(
        cancellation_id=payload.cancellation_id,
        holder_name=payload.holder.name,
        holder_uscc=payload.holder.uscc,
        legacy_account_id=payload.legacy_account_id,
        project=payload.project.model_dump(mode="json"),
        quantity=payload.quantity,
        serial_ranges=[list(r) for r in payload.serial_ranges],
        cancelled_at=payload.cancelled_at,
        received_at=uow.now(),
    )


# --- the registry's two steps ---------------------------------------------------------------
def _state(request: OffsetCcerRequest) -> RequestState:
    return RequestState(request.id, RequestStatus(request.status), request.submitted_by)


async def _move(
    uow: AllowanceUnitOfWork,
    request: OffsetCcerRequest,
    step: Step,
    *,
    detail: dict[str, Any] | None = None,
    **values: Any,
) -> None:
    history = [*request.history, machine.history_entry(uow.now(), step.action, uow.actor, **(detail or {}))]
    if not await uow.offset_ccer_requests.transition(request, status=step.status.value, history=history, **values):
        raise Conflict(
            "OFFSET_CCER_REQUEST_CHANGED",
            f"creation request {request.id} changed meanwhile; reload it",
            f"创建申请 {request.id} 已被修改，请刷新",
        )


async def submit_request(
    uow: AllowanceUnitOfWork, cmd: SubmitOffsetCcerRequest, principal: Principal
) -> OffsetCcerRequest:
    request = await uow.offset_ccer_requests.lock(cmd.request_id, principal)
    step = machine.submit(_state(request))
    await _move(uow, request, step, submitted_by=principal.sub, submitted_at=uow.now())
    uow.audit("submit_offset_ccer_request", "offset_ccer_request", request.id)
    return request


async def approve_request(
    uow: AllowanceUnitOfWork, cmd: ApproveOffsetCcerRequest, principal: Principal
) -> OffsetCcerRequest:
    """The unit receives a new instrument with the project's facts, credited with the record's quantity."""
    request = await uow.offset_ccer_requests.lock(cmd.request_id, principal)
    step = machine.decide(_state(request), Decision.approve, principal.sub)
    instrument = await _generate_instrument(uow, request)
    await uow.holdings.credit_offset_ccer(request.account_id, instrument.code, request.quantity)
    reference = {"request_id": request.id, "cancellation_id": request.cancellation_id}
    await record_movement(
        uow,
        Movement(request.account_id, instrument.code, MovementKind.generated, request.quantity, reference),
        holding=HoldingKind.offset_ccer,
    )
    await _move(
        uow,
        request,
        step,
        instrument=instrument.code,
        decided_by=principal.sub,
        decided_at=uow.now(),
        detail={"instrument": instrument.code, "quantity": request.quantity},
    )
    uow.audit(
        "approve_offset_ccer_request",
        "offset_ccer_request",
        request.id,
        instrument=instrument.code,
        account_id=request.account_id,
        quantity=request.quantity,
    )
    return request


async def _generate_instrument(uow: AllowanceUnitOfWork, request: OffsetCcerRequest) -> Instrument:
    """One instrument per approved request, next in the registry-wide sequence."""
    code = machine.instrument_code(machine.next_sequence(await uow.instruments.codes_of_kind(KIND)))
    instrument = Instrument(
        code=code,
        name=machine.instrument_name(request.holder_name),
        kind=KIND,
        vintage=None,
        created_at=uow.now(),
        created_by=uow.actor,
        project=request.project,
        account_id=request.account_id,
        request_id=request.id,
    )
    # Two approvals at once may pick the same number: the later one is told to retry.
    if not await uow.instruments.add_new(instrument):
        raise ConcurrentChange(f"offset-CCER instrument {code}")
    uow.audit("create_instrument", "instrument", code, name=instrument.name, kind=KIND, request_id=request.id)
    return instrument


async def reject_request(
    uow: AllowanceUnitOfWork, cmd: RejectOffsetCcerRequest, principal: Principal
) -> OffsetCcerRequest:
    request = await uow.offset_ccer_requests.lock(cmd.request_id, principal)
    step = machine.decide(_state(request), Decision.reject, principal.sub, cmd.reasons)
    reasons = [{k: v for k, v in asdict(r).items() if v is not None} for r in cmd.reasons]
    await _move(
        uow,
        request,
        step,
        reasons=reasons,
        decided_by=principal.sub,
        decided_at=uow.now(),
        detail={"reasons": reasons},
    )
    uow.audit("reject_offset_ccer_request", "offset_ccer_request", request.id, reasons=[r["code"] for r in reasons])
    return request


# --- queries ----------------------------------------------------------------------------------
async def get_request(uow: AllowanceUnitOfWork, cmd: GetOffsetCcerRequest, principal: Principal) -> OffsetCcerRequest:
    return await uow.offset_ccer_requests.get(cmd.request_id, principal)


async def list_requests(
    uow: AllowanceUnitOfWork, cmd: ListOffsetCcerRequests, principal: Principal
) -> list[OffsetCcerRequest]:
    return await uow.offset_ccer_requests.search(
        principal, status=cmd.status, account_id=cmd.account_id, limit=cmd.limit, offset=cmd.offset
    )


async def list_unmatched(
    uow: AllowanceUnitOfWork, cmd: ListUnmatchedCancellations, principal: Principal
) -> list[UnmatchedCancellation]:
    return await uow.offset_ccer_requests.unmatched(principal, uscc=cmd.uscc, limit=cmd.limit, offset=cmd.offset)
