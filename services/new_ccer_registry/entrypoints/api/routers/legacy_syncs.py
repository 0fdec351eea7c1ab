"""Legacy CCER synced in from the legacy registry (旧有CCER同步): the holder confirms or disputes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.new_ccer_registry.entrypoints.api.deps import CSV, BusDep, Enterprise, EnterpriseOrNcsc, Paging
from services.new_ccer_registry.entrypoints.api.schemas import (
    SYNC_STATUS_DESC,
    DisputeIn,
    LegacySyncOut,
    SyncStatusName,
    legacy_sync_out,
)
from services.new_ccer_registry.service_layer.commands import (
    ConfirmLegacySync,
    DisputeLegacySync,
    GetLegacySync,
    ListLegacySyncs,
)
from shared.bounds import Id
from shared.listing import Page, respond_list

router = APIRouter(prefix="/legacy-syncs", tags=["legacy syncs"])

ANSWER = (
    "Only a sync awaiting confirmation may be answered: SYNC_NOT_AWAITING_CONFIRMATION (409); a sync "
    "into an account that is not the caller's answers 404. — 仅待确认的同步可确认或提出异议。"
)


@router.get("", response_model=Page[LegacySyncOut], responses=CSV, summary="Legacy CCER synced in — 旧有CCER同步列表")
async def list_syncs(
    bus: BusDep,
    principal: EnterpriseOrNcsc,
    page: Paging,
    request: Request,
    account_id: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[SyncStatusName | None, Query(description=SYNC_STATUS_DESC)] = None,
) -> Any:
    command = ListLegacySyncs(account_id=account_id, status=status, offset=page.offset, limit=page.limit)
    listed = await bus.handle(command, principal)
    return respond_list(request, [legacy_sync_out(s) for s in listed.items], page, listed.has_more)


@router.get("/{sync_id}", response_model=LegacySyncOut, summary="A legacy sync — 旧有CCER同步")
async def get_sync(sync_id: Id, bus: BusDep, principal: EnterpriseOrNcsc) -> LegacySyncOut:
    return legacy_sync_out(await bus.handle(GetLegacySync(sync_id=sync_id), principal))


@router.post(
    "/{sync_id}/confirm",
    response_model=LegacySyncOut,
    summary="Confirm synced legacy units — 确认旧有CCER",
    description="The units become available in the general holding account, origin legacy. " + ANSWER,
)
async def confirm(sync_id: Id, bus: BusDep, principal: Enterprise) -> LegacySyncOut:
    return legacy_sync_out(await bus.handle(ConfirmLegacySync(sync_id=sync_id), principal))


@router.post(
    "/{sync_id}/dispute",
    response_model=LegacySyncOut,
    summary="Dispute synced legacy units — 对旧有CCER提出异议",
    description="The units stay awaiting confirmation, out of circulation; NCSC sees the dispute. " + ANSWER,
)
async def dispute(sync_id: Id, body: DisputeIn, bus: BusDep, principal: Enterprise) -> LegacySyncOut:
    return legacy_sync_out(await bus.handle(DisputeLegacySync(sync_id=sync_id, reason=body.reason), principal))
