"""Offset-CCER creation requests of the first period (seed 002 Part 2, CCER项目创建): drafted from
NCSC's cancellation records, submitted by a registry initiator, decided by another registry confirmer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import OffsetCcerRequest, UnmatchedCancellation
from services.allowance_registry.domain.offset_ccer_requests import RequestStatus
from services.allowance_registry.entrypoints.api.deps import (
    CSV,
    BusDep,
    OffsetCcerRequestReader,
    Page,
    RegistryConfirmer,
    RegistryInitiator,
    RegistryOperator,
)
from services.allowance_registry.entrypoints.api.schemas import (
    LegacyProjectOut,
    OffsetCcerRequestOut,
    RejectRequestIn,
    UnmatchedCancellationOut,
)
from services.allowance_registry.service_layer.commands import (
    ApproveOffsetCcerRequest,
    GetOffsetCcerRequest,
    ListOffsetCcerRequests,
    ListUnmatchedCancellations,
    RejectionReason,
    RejectOffsetCcerRequest,
    SubmitOffsetCcerRequest,
)
from shared.bounds import Id
from shared.domain_types import Holder
from shared.listing import Page as PageOf
from shared.listing import respond_list

__all__ = ["router"]

router = APIRouter(prefix="/offset-ccer-requests", tags=["offset ccer requests"])

STATUS_DOC = "draft — 待提交; submitted — 待审核（待办）; approved — 已创建; rejected — 审核不通过"


def request_out(r: OffsetCcerRequest) -> OffsetCcerRequestOut:
    return OffsetCcerRequestOut(
        id=r.id,
        account_id=r.account_id,
        province=r.province,
        holder=Holder(name=r.holder_name, uscc=r.holder_uscc),
        cancellation_id=r.cancellation_id,
        legacy_account_id=r.legacy_account_id,
        project=LegacyProjectOut.model_validate(r.project),
        quantity=r.quantity,
        serial_ranges=r.serial_ranges,
        units_recorded_at=r.units_recorded_at,
        cancelled_at=r.cancelled_at,
        status=RequestStatus(r.status),
        instrument=r.instrument,
        reasons=r.reasons,
        history=r.history,
        drafted_at=r.drafted_at,
        submitted_by=r.submitted_by,
        submitted_at=r.submitted_at,
        decided_by=r.decided_by,
        decided_at=r.decided_at,
    )


def unmatched_out(u: UnmatchedCancellation) -> UnmatchedCancellationOut:
    return UnmatchedCancellationOut(
        cancellation_id=u.cancellation_id,
        holder=Holder(name=u.holder_name, uscc=u.holder_uscc),
        legacy_account_id=u.legacy_account_id,
        project=LegacyProjectOut.model_validate(u.project),
        quantity=u.quantity,
        serial_ranges=u.serial_ranges,
        cancelled_at=u.cancelled_at,
        received_at=u.received_at,
    )


@router.get(
    "",
    response_model=PageOf[OffsetCcerRequestOut],
    responses=CSV,
    summary="Offset-CCER creation requests — CCER项目创建待办列表",
)
async def list_requests(
    bus: BusDep,
    principal: OffsetCcerRequestReader,
    page: Page,
    request: Request,
    account_id: str | None = Query(default=None, max_length=40),
    status: Annotated[RequestStatus | None, Query(description=STATUS_DOC)] = None,
) -> Any:
    command = ListOffsetCcerRequests(
        status=status.value if status else None, account_id=account_id, limit=page.limit + 1, offset=page.offset
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [request_out(r) for r in rows[: page.limit]], page, len(rows) > page.limit)


@router.get(
    "/unmatched",
    response_model=PageOf[UnmatchedCancellationOut],
    responses=CSV,
    summary="Cancellation records of units without an allowance account — 未匹配配额账户的注销记录",
)
async def list_unmatched(
    bus: BusDep,
    principal: RegistryOperator,
    page: Page,
    request: Request,
    uscc: str | None = Query(default=None, max_length=18),
) -> Any:
    command = ListUnmatchedCancellations(uscc=uscc, limit=page.limit + 1, offset=page.offset)
    rows = await bus.handle(command, principal)
    return respond_list(request, [unmatched_out(u) for u in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/{request_id}", response_model=OffsetCcerRequestOut, summary="Creation request and its 流程图 — 查看")
async def get_request(request_id: Id, bus: BusDep, principal: OffsetCcerRequestReader) -> OffsetCcerRequestOut:
    return request_out(await bus.handle(GetOffsetCcerRequest(request_id=request_id), principal))


@router.post(
    "/{request_id}/submit",
    response_model=OffsetCcerRequestOut,
    summary="Submit the creation request — 发起管理员提交创建申请",
)
async def submit_request(request_id: Id, bus: BusDep, principal: RegistryInitiator) -> OffsetCcerRequestOut:
    return request_out(await bus.handle(SubmitOffsetCcerRequest(request_id=request_id), principal))


@router.post(
    "/{request_id}/approve",
    response_model=OffsetCcerRequestOut,
    summary="Approve: generate the offset CCER (another person) — 确认管理员审核通过",
)
async def approve_request(request_id: Id, bus: BusDep, principal: RegistryConfirmer) -> OffsetCcerRequestOut:
    return request_out(await bus.handle(ApproveOffsetCcerRequest(request_id=request_id), principal))


@router.post(
    "/{request_id}/reject",
    response_model=OffsetCcerRequestOut,
    summary="Reject, with reasons (another person) — 确认管理员审核不通过",
)
async def reject_request(
    request_id: Id, body: RejectRequestIn, bus: BusDep, principal: RegistryConfirmer
) -> OffsetCcerRequestOut:
    reasons = tuple(
        RejectionReason(message=r) if isinstance(r, str) else RejectionReason(**r.model_dump()) for r in body.reasons
    )
    command = RejectOffsetCcerRequest(request_id=request_id, reasons=reasons)
    return request_out(await bus.handle(command, principal))
