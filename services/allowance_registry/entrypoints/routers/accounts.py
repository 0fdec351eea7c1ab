"""Accounts, holdings, allocations and transfers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import Account
from services.allowance_registry.entrypoints.deps import CSV, Holder, HolderOrProvince, Initiator, Page, Readers
from services.allowance_registry.entrypoints.schemas import (
    AccountOut,
    AllocationIn,
    AllocationOut,
    AllowanceHoldingOut,
    CcerHoldingOut,
    HoldingsOut,
    OpenAccountIn,
    TransferIn,
)
from services.allowance_registry.service_layer import accounts as svc
from services.allowance_registry.service_layer import holdings as hold
from shared.listing import Page as PageOf
from shared.listing import respond_list
from shared.webapp import RuntimeDep, uow_for

router = APIRouter(tags=["accounts"])


def account_out(a: Account) -> AccountOut:
    return AccountOut(
        id=a.id,
        holder={"name": a.holder_name, "uscc": a.holder_uscc},
        province=a.province,
        account_type=a.account_type,
        sector=a.sector,
        status=a.status,
    )


@router.post(
    "/accounts", status_code=201, response_model=AccountOut, summary="Open an allowance account — 开立配额账户"
)
async def open_account(body: OpenAccountIn, runtime: RuntimeDep, principal: Initiator, request: Request) -> AccountOut:
    async with uow_for(runtime, principal, request) as uow:
        account = await svc.open_account(uow, body.holder, body.province, body.account_type, body.sector)
        await uow.commit()
    return account_out(account)


@router.get(
    "/accounts", response_model=PageOf[AccountOut], responses=CSV, summary="Accounts in the caller's scope — 账户列表"
)
async def list_accounts(
    runtime: RuntimeDep,
    principal: Readers,
    page: Page,
    request: Request,
    province: Annotated[str | None, Query(description="province code — 省份")] = None,
    uscc: Annotated[str | None, Query(description="holder USCC — 统一社会信用代码")] = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        rows = await svc.list_accounts(
            uow, principal, province=province, uscc=uscc, limit=page.limit + 1, offset=page.offset
        )
        return respond_list(request, [account_out(a) for a in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/accounts/{account_id}", response_model=AccountOut, summary="Account — 账户")
async def get_account(account_id: str, runtime: RuntimeDep, principal: Readers) -> AccountOut:
    async with runtime.uow(actor=principal.sub) as uow:
        return account_out(await svc.get_account(uow, account_id, principal))


@router.get("/accounts/{account_id}/holdings", response_model=HoldingsOut, summary="Holdings — 持仓")
async def holdings(account_id: str, runtime: RuntimeDep, principal: HolderOrProvince) -> HoldingsOut:
    async with runtime.uow(actor=principal.sub) as uow:
        view = await hold.holdings(uow, principal, account_id)
        return _holdings_out(account_id, view)


def _holdings_out(account_id: str, view: hold.HoldingsView) -> HoldingsOut:
    return HoldingsOut(
        account_id=account_id,
        allowances=[
            AllowanceHoldingOut(
                instrument=h.instrument,
                name=view.names.get(h.instrument),
                registry=h.registry_side,
                trading=h.trading_side,
                frozen=h.frozen,
                available=h.registry_side - h.frozen,
            )
            for h in view.allowances
        ],
        ccer=[
            CcerHoldingOut(
                instrument=h.instrument, name=view.names.get(h.instrument), quantity=h.quantity, frozen=h.frozen
            )
            for h in view.ccer
        ],
        pending_offsets_total=view.pending_offsets_total,
    )


@router.post(
    "/accounts/{account_id}/transfers",
    response_model=HoldingsOut,
    summary="Transfer between trading and registry side — 持仓划转",
)
async def transfer(
    account_id: str, body: TransferIn, runtime: RuntimeDep, principal: Holder, request: Request
) -> HoldingsOut:
    async with uow_for(runtime, principal, request) as uow:
        await hold.transfer(uow, principal, account_id, body.instrument, body.quantity, body.direction.value)
        await uow.commit()
    return await holdings(account_id, runtime, principal)


@router.post(
    "/allocations",
    status_code=201,
    response_model=AllocationOut,
    tags=["holdings"],
    summary="Allocate allowances — 配额发放",
)
async def allocate(body: AllocationIn, runtime: RuntimeDep, principal: Initiator, request: Request) -> AllocationOut:
    async with uow_for(runtime, principal, request) as uow:
        a = await hold.allocate(uow, principal, body.account_id, body.instrument, body.quantity, body.side.value)
        await uow.commit()
    return AllocationOut(
        id=a.id,
        account_id=a.account_id,
        instrument=a.instrument,
        quantity=a.quantity,
        side=a.side,
        allocated_at=a.allocated_at,
    )
