"""REST routes of the allowance registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.allowance_registry.adapters.orm import Account
from services.allowance_registry.entrypoints.schemas import AccountOut, OpenAccountIn
from services.allowance_registry.service_layer import accounts as svc
from shared.auth import Principal, get_principal, require
from shared.service import RuntimeDep, uow_for

router = APIRouter(tags=["accounts"])


def account_out(a: Account) -> AccountOut:
    return AccountOut(
        id=a.id, holder={"name": a.holder_name, "uscc": a.holder_uscc},  # type: ignore[arg-type]
        province=a.province, account_type=a.account_type, sector=a.sector, status=a.status,  # type: ignore[arg-type]
    )


@router.post("/accounts", status_code=201, response_model=AccountOut, summary="Open an allowance account — 开立配额账户")
async def open_account(
    body: OpenAccountIn, runtime: RuntimeDep, principal: Annotated[Principal, Depends(require("registry_initiator"))],
    request: Request,
) -> AccountOut:
    async with uow_for(runtime, principal, request) as uow:
        account = await svc.open_account(uow, body.holder, body.province, body.account_type, body.sector)
        await uow.commit()
    return account_out(account)


@router.get("/accounts/{account_id}", response_model=AccountOut, summary="Account — 账户")
async def get_account(account_id: str, runtime: RuntimeDep, principal: Annotated[Principal, Depends(get_principal)]) -> AccountOut:
    async with runtime.uow(actor=principal.sub) as uow:
        return account_out(await svc.get_account(uow, account_id, principal))
