"""Compliance applications (履约申请): drafted, amended and submitted by the enterprise."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import Application
from services.allowance_registry.domain.applications import ApplicationStatus
from services.allowance_registry.entrypoints.api.deps import CSV, BusDep, Enterprise, EnterpriseOrProvince, Page
from services.allowance_registry.entrypoints.api.schemas import (
    ApplicationIn,
    ApplicationItemOut,
    ApplicationOut,
    FindingOut,
    ItemsIn,
    items_of,
)
from services.allowance_registry.service_layer.commands import (
    DraftApplication,
    GetApplication,
    ListApplications,
    ReplaceApplicationItems,
    SubmitApplication,
)
from shared.bounds import Id
from shared.listing import Page as PageOf
from shared.listing import respond_list

__all__ = ["router"]

router = APIRouter(prefix="/applications", tags=["applications"])


def application_out(a: Application) -> ApplicationOut:
    return ApplicationOut(
        id=a.id,
        account_id=a.account_id,
        notice_id=a.notice_id,
        period_code=a.period_code,
        province=a.province,
        revision=a.revision,
        status=a.status,
        items=[ApplicationItemOut.model_validate(i) for i in a.items],
        findings=[FindingOut.model_validate(f) for f in a.findings],
        history=a.history,
        created_at=a.created_at,
        submitted_at=a.submitted_at,
        decided_at=a.decided_at,
    )


@router.post(
    "", status_code=201, response_model=ApplicationOut, summary="Draft a compliance application — 新建履约申请（草稿）"
)
async def create_application(body: ApplicationIn, bus: BusDep, principal: Enterprise) -> ApplicationOut:
    command = DraftApplication(notice_id=body.notice_id, items=items_of(body.items))
    return application_out(await bus.handle(command, principal))


@router.put(
    "/{application_id}",
    response_model=ApplicationOut,
    summary="Replace the items of a draft or returned application — 修改履约申请",
)
async def replace_items(application_id: Id, body: ItemsIn, bus: BusDep, principal: Enterprise) -> ApplicationOut:
    command = ReplaceApplicationItems(application_id=application_id, items=items_of(body.items))
    return application_out(await bus.handle(command, principal))


@router.post(
    "/{application_id}/submit",
    response_model=ApplicationOut,
    summary="Validate everything and submit — 提交履约申请（一次性校验全部问题）",
)
async def submit_application(application_id: Id, bus: BusDep, principal: Enterprise) -> ApplicationOut:
    return application_out(await bus.handle(SubmitApplication(application_id=application_id), principal))


@router.get("", response_model=PageOf[ApplicationOut], responses=CSV, summary="Compliance applications — 履约申请列表")
async def list_applications(
    bus: BusDep,
    principal: EnterpriseOrProvince,
    page: Page,
    request: Request,
    account_id: Id | None = None,
    province: Annotated[str | None, Query(max_length=6, description="province code — 省份")] = None,
    notice_id: Id | None = None,
    status: Annotated[
        ApplicationStatus | None,
        Query(description="draft — 草稿; submitted — 已提交待审核; approved — 审核通过; returned — 已退回"),
    ] = None,
) -> Any:
    command = ListApplications(
        account_id=account_id,
        province=province,
        status=status.value if status else None,
        notice_id=notice_id,
        limit=page.limit + 1,
        offset=page.offset,
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [application_out(a) for a in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/{application_id}", response_model=ApplicationOut, summary="Compliance application — 履约申请")
async def get_application(application_id: Id, bus: BusDep, principal: EnterpriseOrProvince) -> ApplicationOut:
    return application_out(await bus.handle(GetApplication(application_id=application_id), principal))
