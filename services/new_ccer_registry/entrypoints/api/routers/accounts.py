"""Registry accounts (登记账户): NCSC's direct opening, and reading an account."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.entrypoints.api.deps import BusDep, EnterpriseOrNcsc, NcscOperator
from services.new_ccer_registry.entrypoints.api.schemas import AccountOut, OpenAccountIn, account_out
from services.new_ccer_registry.service_layer.commands import GetAccount, OpenAccount
from shared.bounds import Id

router = APIRouter(prefix="/accounts", tags=["accounts"])


@router.post(
    "", status_code=201, response_model=AccountOut, summary="Direct account opening by NCSC — 注登机构直接开户"
)
async def open_account(body: OpenAccountIn, bus: BusDep, principal: NcscOperator) -> AccountOut:
    command = OpenAccount(holder=body.holder, account_type=body.account_type, province=body.province)
    return account_out(await bus.handle(command, principal))


@router.get(
    "/{account_id}",
    response_model=AccountOut,
    summary="Account — 账户",
    description="The holder and NCSC only (another role: 403); another holder's account answers 404. — 仅账户持有人及注册登记机构可查看。",
)
async def get_account(account_id: Id, bus: BusDep, principal: EnterpriseOrNcsc) -> AccountOut:
    return account_out(await bus.handle(GetAccount(account_id=account_id), principal))
