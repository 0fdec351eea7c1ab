"""REST routes of the new CCER registry: parse, authorise, call one handler, map the result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.new_ccer_registry.adapters.orm import Account, Binding
from services.new_ccer_registry.entrypoints.schemas import (
    AccountOut,
    BindingIn,
    BindingOut,
    BindingRequestedOut,
    OpenAccountIn,
    TradingAccountOut,
)
from services.new_ccer_registry.service_layer import accounts as svc
from shared.auth import Principal, get_principal, require
from shared.problems import Problem
from shared.uow import UnitOfWork
from shared.webapp import RuntimeDep, uow_for

router = APIRouter(tags=["accounts"])

Ncsc = Annotated[Principal, Depends(require("ncsc_operator"))]
Holder_ = Annotated[Principal, Depends(require("enterprise"))]
Anyone = Annotated[Principal, Depends(get_principal)]


def binding_out(b: Binding | None) -> BindingOut | None:
    if b is None:
        return None
    return BindingOut(binding_id=b.id, allowance_account_id=b.allowance_account_id, status=b.status, reasons=b.reasons)


async def account_out(uow: UnitOfWork, account: Account) -> AccountOut:
    trading = await svc.trading_account(uow, account.id)
    return AccountOut(
        id=account.id,
        holder={"name": account.holder_name, "uscc": account.holder_uscc},
        account_type=account.account_type,
        province=account.province,
        status=account.status,
        trading_account=TradingAccountOut(
            id=trading.id, status=trading.status, annual_fee_valid_until=trading.annual_fee_valid_until
        )
        if trading
        else None,
        binding=binding_out(await svc.latest_binding(uow, account.id)),
    )


@router.post(
    "/accounts", status_code=201, response_model=AccountOut, summary="Direct account opening by NCSC — 注登机构直接开户"
)
async def open_account(body: OpenAccountIn, runtime: RuntimeDep, principal: Ncsc, request: Request) -> AccountOut:
    async with uow_for(runtime, principal, request) as uow:
        account = await svc.open_account(uow, body.holder, body.account_type, body.province)
        out = await account_out(uow, account)
        await uow.commit()
    return out


@router.get("/accounts/{account_id}", response_model=AccountOut, summary="Account — 账户")
async def get_account(account_id: str, runtime: RuntimeDep, principal: Anyone) -> AccountOut:
    async with runtime.uow(actor=principal.sub) as uow:
        account = await svc.get_account(uow, account_id, principal)
        return await account_out(uow, account)


@router.post(
    "/accounts/{account_id}/binding",
    status_code=202,
    response_model=BindingRequestedOut,
    summary="Request binding to an allowance account — 发起与配额账户绑定",
)
async def request_binding(
    account_id: str, body: BindingIn, runtime: RuntimeDep, principal: Holder_, request: Request
) -> BindingRequestedOut:
    async with uow_for(runtime, principal, request) as uow:
        account = await svc.get_account(uow, account_id, principal)
        binding = await svc.request_binding(uow, account, body.allowance_account_id)
        await uow.commit()
    return BindingRequestedOut(binding_id=binding.id)


@router.get("/accounts/{account_id}/binding", response_model=BindingOut, summary="Binding status — 绑定状态")
async def get_binding(
    account_id: str,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require("enterprise", "ncsc_operator"))],
) -> BindingOut:
    async with runtime.uow(actor=principal.sub) as uow:
        account = await svc.get_account(uow, account_id, principal)
        out = binding_out(await svc.latest_binding(uow, account.id))
    if out is None:
        raise Problem.not_found("binding of account", "账户绑定", account_id)
    return out
