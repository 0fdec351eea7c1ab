"""Allowance accounts and the binding handshake."""

from __future__ import annotations

from sqlalchemy import select, update

from services.allowance_registry.adapters.orm import Account, Binding
from services.allowance_registry.adapters.repository import account_scope
from services.allowance_registry.domain.binding import AccountFacts, binding_findings
from shared.auth import Principal
from shared.domain_types import Holder
from shared.events import Envelope
from shared.events.contracts import BindingConfirmedV1, BindingRejectedV1, BindingRequestedV1, Reason
from shared.ids import new_id
from shared.problems import Problem
from shared.uow import UnitOfWork

__all__ = ["active_binding", "get_account", "list_accounts", "on_binding_requested", "open_account"]


async def open_account(
    uow: UnitOfWork, holder: Holder, province: str, account_type: str, sector: str | None
) -> Account:
    account = Account(
        id=new_id("ALA"),
        holder_name=holder.name,
        holder_uscc=holder.uscc,
        account_type=account_type,
        province=province,
        sector=sector,
        status="active",
        opened_at=uow.now(),
    )
    uow.session.add(account)
    uow.audit("open_account", "account", account.id, holder=holder.model_dump(), account_type=account_type)
    return account


def in_scope(account: Account, principal: Principal) -> bool:
    if principal.role == "enterprise":
        return account.holder_uscc == principal.org
    if principal.is_province:
        return account.province == principal.province
    return principal.role in ("registry_initiator", "registry_confirmer")


async def get_account(uow: UnitOfWork, account_id: str, principal: Principal) -> Account:
    account = await uow.session.get(Account, account_id)
    if account is None or not in_scope(account, principal):
        raise Problem.not_found("account", "账户", account_id)
    return account


async def list_accounts(
    uow: UnitOfWork, principal: Principal, *, province: str | None, uscc: str | None, limit: int, offset: int
) -> list[Account]:
    """Accounts in the caller's scope: its own, its province's, or all for registry operators."""
    query = select(Account).where(account_scope(principal))
    if province:
        query = query.where(Account.province == province)
    if uscc:
        query = query.where(Account.holder_uscc == uscc)
    return list(await uow.session.scalars(query.order_by(Account.opened_at, Account.id).limit(limit).offset(offset)))


async def active_binding(
    uow: UnitOfWork, allowance_account_id: str, registry_account_id: str | None = None
) -> Binding | None:
    query = select(Binding).where(Binding.allowance_account_id == allowance_account_id, Binding.status == "active")
    if registry_account_id is not None:
        query = query.where(Binding.registry_account_id == registry_account_id)
    return await uow.session.scalar(query.limit(1))


async def on_binding_requested(uow: UnitOfWork, envelope: Envelope, payload: BindingRequestedV1) -> None:
    account = await uow.session.get(Account, payload.allowance_account_id)
    facts = AccountFacts(account.holder_uscc, account.account_type, account.status) if account else None
    findings = binding_findings(facts, payload.allowance_account_id, payload.holder.uscc)
    status = "rejected" if findings else "active"
    if not findings:
        # A registry account has one active binding: a new one supersedes an older one.
        await uow.session.execute(
            update(Binding)
            .where(Binding.registry_account_id == payload.registry_account_id, Binding.status == "active")
            .values(status="superseded")
        )
    uow.session.add(
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
        uow.emit("allowance_registry.binding.rejected", BindingRejectedV1(**common, reasons=reasons))
    else:
        uow.emit("allowance_registry.binding.confirmed", BindingConfirmedV1(**common))
    uow.audit(f"binding_{status}", "binding", payload.binding_id, reasons=[f.code for f in findings])
