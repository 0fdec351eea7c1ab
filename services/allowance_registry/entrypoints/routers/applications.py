"""Compliance applications (履约申请)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import Application
from services.allowance_registry.domain.applications import ApplicationStatus
from services.allowance_registry.entrypoints.deps import CSV, Holder, HolderOrProvince, Page
from services.allowance_registry.entrypoints.schemas import (
    ApplicationIn,
    ApplicationItemOut,
    ApplicationOut,
    FindingOut,
    ItemsIn,
)
from services.allowance_registry.service_layer import applications as svc
from shared.listing import Page as PageOf
from shared.listing import respond_list
from shared.webapp import RuntimeDep, uow_for

router = APIRouter(tags=["applications"])


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


def _items(body: ApplicationIn | ItemsIn) -> list[dict[str, Any]]:
    return [i.model_dump() for i in body.items]


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    summary="Draft a compliance application — 新建履约申请（草稿）",
)
async def create_application(
    body: ApplicationIn, runtime: RuntimeDep, principal: Holder, request: Request
) -> ApplicationOut:
    async with uow_for(runtime, principal, request) as uow:
        application = await svc.create_application(uow, principal, body.notice_id, _items(body))
        await uow.commit()
    return application_out(application)


@router.put(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    summary="Replace the items of a draft or returned application — 修改履约申请",
)
async def replace_items(
    application_id: str, body: ItemsIn, runtime: RuntimeDep, principal: Holder, request: Request
) -> ApplicationOut:
    async with uow_for(runtime, principal, request) as uow:
        application = await svc.replace_items(uow, principal, application_id, _items(body))
        await uow.commit()
    return application_out(application)


@router.post(
    "/applications/{application_id}/submit",
    response_model=ApplicationOut,
    summary="Validate everything and submit — 提交履约申请（一次性校验全部问题）",
)
async def submit_application(
    application_id: str, runtime: RuntimeDep, principal: Holder, request: Request
) -> ApplicationOut:
    async with uow_for(runtime, principal, request) as uow:
        application = await svc.submit_application(uow, principal, application_id)
        await uow.commit()
    return application_out(application)


@router.get(
    "/applications",
    response_model=PageOf[ApplicationOut],
    responses=CSV,
    summary="Compliance applications — 履约申请列表",
)
async def list_applications(
    runtime: RuntimeDep,
    principal: HolderOrProvince,
    page: Page,
    request: Request,
    account_id: str | None = None,
    province: str | None = None,
    notice_id: str | None = None,
    status: Annotated[
        ApplicationStatus | None,
        Query(description="draft — 草稿; submitted — 已提交待审核; approved — 审核通过; returned — 已退回"),
    ] = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        rows = await svc.list_applications(
            uow,
            principal,
            account_id=account_id,
            province=province,
            status=status.value if status else None,
            notice_id=notice_id,
            limit=page.limit + 1,
            offset=page.offset,
        )
        return respond_list(request, [application_out(a) for a in rows[: page.limit]], page, len(rows) > page.limit)


@router.get(
    "/applications/{application_id}", response_model=ApplicationOut, summary="Compliance application — 履约申请"
)
async def get_application(application_id: str, runtime: RuntimeDep, principal: HolderOrProvince) -> ApplicationOut:
    async with runtime.uow(actor=principal.sub) as uow:
        return application_out(await svc.get_application(uow, principal, application_id))
