"""Sync applications (信息同步申请表, the appendix form of seed 000) and NCSC's decision."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.legacy_ccer_registry.adapters.orm import SyncApplication
from services.legacy_ccer_registry.domain.accounts import Decision
from services.legacy_ccer_registry.domain.holdings import Purpose
from services.legacy_ccer_registry.domain.sync import SyncStatus
from services.legacy_ccer_registry.entrypoints.api.deps import (
    CSV,
    BusDep,
    Enterprise,
    HolderOrNcsc,
    IdPath,
    NcscOperator,
    Page,
)
from services.legacy_ccer_registry.entrypoints.api.routers.account_applications import reasons_of
from services.legacy_ccer_registry.entrypoints.api.schemas import (
    SYNC_STATUS_DESC,
    SyncApplicationIn,
    SyncApplicationOut,
    SyncApplicationPage,
    SyncDecisionIn,
    SyncLineOut,
)
from services.legacy_ccer_registry.service_layer.commands import (
    Contact,
    DecideSyncApplication,
    GetSyncApplication,
    ListSyncApplications,
    SubmitSyncApplication,
    SyncLine,
)
from shared.listing import respond_list
from shared.timeutil import local

__all__ = ["router", "sync_out"]

router = APIRouter(prefix="/sync-applications", tags=["sync applications"])


def sync_out(s: SyncApplication) -> SyncApplicationOut:
    return SyncApplicationOut(
        id=s.id,
        status=s.status,
        unit_name=s.unit_name,
        uscc=s.holder_uscc,
        legacy_account_id=s.legacy_account_id,
        new_account_id=s.new_account_id,
        contact=s.contact,
        purpose=s.purpose,
        quantity=s.quantity,
        lines=[SyncLineOut.model_validate(line) for line in s.lines],
        reasons=s.reasons,
        sent_at=local(s.sent_at),
        sla_due_at=local(s.sla_due_at),
        auto_approve_at=local(s.auto_approve_at) if s.auto_approve_at else None,
        decided_at=local(s.decided_at) if s.decided_at else None,
        decided_by=s.decided_by,
        answered_at=local(s.answered_at) if s.answered_at else None,
        legacy_sync_id=s.legacy_sync_id,
    )


@router.post(
    "",
    status_code=201,
    response_model=SyncApplicationOut,
    summary="Send the sync application form (before 2024-12-23 17:00) — 提交信息同步申请表",
)
async def submit(body: SyncApplicationIn, bus: BusDep, principal: Enterprise) -> SyncApplicationOut:
    command = SubmitSyncApplication(
        unit_name=body.unit_name,
        uscc=body.uscc,
        legacy_account_id=body.legacy_account_id,
        new_account_id=body.new_account_id,
        contact=Contact(**body.contact.model_dump()),
        lines=tuple(SyncLine(**line.model_dump()) for line in body.lines),
        purpose=Purpose(body.purpose),
    )
    return sync_out(await bus.handle(command, principal))


@router.get(
    "", response_model=SyncApplicationPage, responses=CSV, summary="Sync applications in scope — 信息同步申请列表"
)
async def list_sync_applications(
    request: Request,
    bus: BusDep,
    principal: HolderOrNcsc,
    page: Page,
    status: Annotated[SyncStatus | None, Query(description=SYNC_STATUS_DESC)] = None,
    legacy_account_id: Annotated[str | None, Query(max_length=40)] = None,
) -> Any:
    command = ListSyncApplications(
        status=status, legacy_account_id=legacy_account_id, offset=page.offset, limit=page.limit
    )
    found = await bus.handle(command, principal)
    return respond_list(request, [sync_out(s) for s in found.applications], page, has_more=found.has_more)


@router.get("/{application_id}", response_model=SyncApplicationOut, summary="Sync application — 信息同步申请")
async def get_sync_application(application_id: IdPath, bus: BusDep, principal: HolderOrNcsc) -> SyncApplicationOut:
    return sync_out(await bus.handle(GetSyncApplication(application_id=application_id), principal))


@router.post(
    "/{application_id}/decision",
    response_model=SyncApplicationOut,
    summary="NCSC approves (a request the new registry accepts or refuses) or rejects — 注登机构处理同步申请",
)
async def decide(
    application_id: IdPath, body: SyncDecisionIn, bus: BusDep, principal: NcscOperator
) -> SyncApplicationOut:
    command = DecideSyncApplication(
        application_id=application_id, decision=Decision(body.decision), reasons=reasons_of(body.reasons)
    )
    return sync_out(await bus.handle(command, principal))
