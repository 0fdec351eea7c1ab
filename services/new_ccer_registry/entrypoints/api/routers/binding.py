"""Binding (绑定) of a registry account to an allowance-registry account, for compliance offsets."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.entrypoints.api.deps import BusDep, Enterprise
from services.new_ccer_registry.entrypoints.api.schemas import BindingIn, BindingOut, BindingRequestedOut, binding_out
from services.new_ccer_registry.service_layer.commands import GetBinding, RequestBinding
from shared.bounds import Id

router = APIRouter(prefix="/accounts/{account_id}/binding", tags=["binding"])


@router.post(
    "",
    status_code=202,
    response_model=BindingRequestedOut,
    summary="Request binding to an allowance account — 发起与配额账户绑定",
)
async def request_binding(account_id: Id, body: BindingIn, bus: BusDep, principal: Enterprise) -> BindingRequestedOut:
    command = RequestBinding(account_id=account_id, allowance_account_id=body.allowance_account_id)
    binding = await bus.handle(command, principal)
    return BindingRequestedOut(binding_id=binding.id)


@router.get(
    "", response_model=BindingOut, summary="Binding status — 绑定状态", description="The holder only. — 仅账户持有人。"
)
async def get_binding(account_id: Id, bus: BusDep, principal: Enterprise) -> BindingOut:
    return binding_out(await bus.handle(GetBinding(account_id=account_id), principal))
