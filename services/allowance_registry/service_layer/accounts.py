"""Allowance accounts and the binding handshake."""

from __future__ import annotations

from services.allowance_registry.adapters.orm import Account, Binding
from services.allowance_registry.domain.binding import AccountFacts, binding_findings
from services.allowance_registry.service_layer.commands import GetAccount, ListAccounts, OpenAccount
from services.allowance_registry.service_layer.unit_of_work import AllowanceUnitOfWork
from shared.events import Envelope
from shared.events.contracts import BindingConfirmedV1, BindingRejectedV1, BindingRequestedV1, Reason
from shared.ids import new_id
from shared.principal import Principal

__all__ = ["get_account", "list_accounts", "on_binding_requested", "open_account"]


async def open_account(uow: AllowanceUnitOfWork, cmd: OpenAccount, principal: Principal) -> Account:
    account = Account(
        id=new_id("ALA"),
        holder_name=cmd.holder.name,
        holder_uscc=cmd.holder.uscc,
        account_type=cmd.account_type,
        province=cmd.province,
        sector=cmd.sector,
        status="active",
        opened_at=uow.now(),
    )
    uow.accounts.add(account)
    uow.audit("open_account", "account", account.id, holder=cmd.holder.model_dump(), account_type=cmd.account_type)
    return account


async def get_account(uow: AllowanceUnitOfWork, cmd: GetAccount, principal: Principal) -> Account:
    return await uow.accounts.get(cmd.account_id, principal)


async def list_accounts(uow: AllowanceUnitOfWork, cmd: ListAccounts, principal: Principal) -> list[Account]:
    """Accounts in the caller's scope: its own, its province's, or all for registry operators."""
    return await uow.accounts.search(
        principal, province=cmd.province, uscc=cmd.uscc, limit=cmd.limit, offset=cmd.offset
    )


async def on_binding_requested(uow: AllowanceUnitOfWork, envelope: Envelope, payload: BindingRequestedV1) -> None:
    """Confirm the binding, or reject it with every reason (domain.md §6.2 step 3)."""
    account = await uow.accounts.find(payload.allowance_account_id)
    facts = AccountFacts(account.holder_uscc, account.account_type, account.status) if account else None
    findings = binding_findings(facts, payload.allowance_account_id, payload.holder.uscc)
    status = "rejected" if findings else "active"
    if not findings:
        await uow.bindings.supersede_active(payload.registry_account_id)
    uow.bindings.add(
        Binding(
            id=payload.binding_id,
            allowance_account_id=payload.allowance_account_id,
            registry_account_id=payload.registry_account_id,
            holder_uscc=payload.holder.uscc,
            status=status,
            reasons=[f.model_dump() for f in findings],
            decided_at=uow.now(),
        )
    )
    common = {
        "binding_id": payload.binding_id,
        "allowance_account_id": payload.allowance_account_id,
        "registry_account_id": payload.registry_account_id,
    }
    if findings:
        reasons = [Reason(code=f.code, message=f.message, message_zh=f.message_zh) for f in findings]
        uow.emit(BindingRejectedV1(**common, reasons=reasons))
    else:
        uow.emit(BindingConfirmedV1(**common))
    uow.audit(f"binding_{status}", "binding", payload.binding_id, reasons=[f.code for f in findings])
