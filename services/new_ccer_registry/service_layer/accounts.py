"""Commands and event handlers about accounts and their binding to the allowance registry."""

from __future__ import annotations

from sqlalchemy import select, update

from services.new_ccer_registry.adapters.orm import Account, Binding, TradingAccount
from services.new_ccer_registry.domain.binding import BindingStatus, binding_request_findings
from shared.auth import Principal
from shared.domain_types import Holder
from shared.events import Envelope
from shared.events.contracts import BindingConfirmedV1, BindingRejectedV1, BindingRequestedV1
from shared.ids import new_id
from shared.problems import Problem
from shared.uow import UnitOfWork

__all__ = [
    "get_account",
    "latest_binding",
    "on_binding_confirmed",
    "on_binding_rejected",
    "open_account",
    "request_binding",
    "trading_account",
]


async def open_account(uow: UnitOfWork, holder: Holder, account_type: str, province: str) -> Account:
    """NCSC direct opening: a registry account and a trading account, bound to each other."""
    now = uow.now()
    account = Account(
        id=new_id("NCR"),
        holder_name=holder.name,
        holder_uscc=holder.uscc,
        account_type=account_type,
        province=province,
        status="active",
        opened_at=now,
    )
    fee_free = account_type in ("national_key_emitter", "local_key_emitter")
    trading = TradingAccount(
        id=new_id("NCT"),
        registry_account_id=account.id,
        status="active" if fee_free else "awaiting_fees",
        annual_fee_valid_until=None,
    )
    uow.session.add_all([account])
    await uow.session.flush()
    uow.session.add(trading)
    uow.audit("open_account", "account", account.id, holder=holder.model_dump(), account_type=account_type)
    return account


async def get_account(uow: UnitOfWork, account_id: str, principal: Principal) -> Account:
    """The account if the caller may see it; 404 otherwise (not found and not yours look the same)."""
    account = await uow.session.get(Account, account_id)
    if account is None or not _in_scope(account, principal):
        raise Problem.not_found("account", "账户", account_id)
    return account


def _in_scope(account: Account, principal: Principal) -> bool:
    if principal.role == "enterprise":
        return account.holder_uscc == principal.org
    if principal.is_province:
        return account.province == principal.province
    return principal.role == "ncsc_operator"


async def trading_account(uow: UnitOfWork, account_id: str) -> TradingAccount | None:
    return await uow.session.scalar(select(TradingAccount).where(TradingAccount.registry_account_id == account_id))


async def latest_binding(uow: UnitOfWork, account_id: str) -> Binding | None:
    return await uow.session.scalar(
        select(Binding)
        .where(Binding.registry_account_id == account_id)
        .order_by(Binding.requested_at.desc(), Binding.id)
        .limit(1)
    )


async def request_binding(uow: UnitOfWork, account: Account, allowance_account_id: str) -> Binding:
    statuses = (
        await uow.session.scalars(select(Binding.status).where(Binding.registry_account_id == account.id))
    ).all()
    findings = binding_request_findings(statuses)
    if findings:
        raise Problem(409, findings[0].code, findings[0].message, findings[0].message_zh, errors=findings)
    binding = Binding(
        id=new_id("BND"),
        registry_account_id=account.id,
        allowance_account_id=allowance_account_id,
        status=BindingStatus.requested,
        reasons=[],
        requested_at=uow.now(),
    )
    uow.session.add(binding)
    uow.emit(
        "new_ccer_registry.binding.requested",
        BindingRequestedV1(
            binding_id=binding.id,
            registry_account_id=account.id,
            holder={"name": account.holder_name, "uscc": account.holder_uscc},
            allowance_account_id=allowance_account_id,
        ),
        correlation_id=binding.id,
    )
    uow.audit("request_binding", "binding", binding.id, allowance_account_id=allowance_account_id)
    return binding


async def _decide(uow: UnitOfWork, binding_id: str, status: BindingStatus, reasons: list[dict[str, object]]) -> None:
    result = await uow.session.execute(
        update(Binding)
        .where(Binding.id == binding_id, Binding.status == BindingStatus.requested)
        .values(status=status, reasons=reasons, decided_at=uow.now())
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        uow.audit(f"binding_{status}", "binding", binding_id, reasons=reasons)


async def on_binding_confirmed(uow: UnitOfWork, envelope: Envelope, payload: BindingConfirmedV1) -> None:
    await _decide(uow, payload.binding_id, BindingStatus.active, [])


async def on_binding_rejected(uow: UnitOfWork, envelope: Envelope, payload: BindingRejectedV1) -> None:
    await _decide(uow, payload.binding_id, BindingStatus.rejected, [r.model_dump() for r in payload.reasons])
