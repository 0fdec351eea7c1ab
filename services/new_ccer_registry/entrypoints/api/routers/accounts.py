"""Registry accounts (登记账户): NCSC's direct opening, and reading an account."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.entrypoints.api.deps import AnyPrincipal, BusDep, NcscOperator
from services.new_ccer_registry.entrypoints.api.schemas import AccountOut, OpenAccountIn, account_out
from services.new_ccer_registry.service_layer.commands import GetAccount, OpenAccount

router = APIRouter(prefix="/accounts", tags=["accounts"])


@router.post(
    "", status_code=201, response_model=AccountOut, summary="Direct account opening by NCSC — 注登机构直接开户"
)
async def open_account(body: OpenAccountIn, bus: BusDep, principal: NcscOperator) -> AccountOut:
    command = OpenAccount(holder=body.holder, account_type=body.account_type, province=body.province)
    return account_out(await bus.handle(command, principal))


@router.get("/{account_id}", response_model=AccountOut, summary="Account — 账户")
async def get_account(account_id: str, bus: BusDep, principal: AnyPrincipal) -> AccountOut:
    return account_out(await bus.handle(GetAccount(account_id=account_id), principal))
