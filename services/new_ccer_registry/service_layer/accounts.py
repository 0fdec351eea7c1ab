"""Accounts and their binding to the allowance registry: commands, queries and the allowance
registry's answers to a binding request."""

from __future__ import annotations

from services.new_ccer_registry.adapters.orm import Account, Binding, TradingAccount
from services.new_ccer_registry.domain.account_opening import APPLICATION_CONFLICTS, account_exists
from services.new_ccer_registry.domain.accounts import opening_trading_status
from services.new_ccer_registry.domain.binding import BINDING_CONFLICT_CODES, BindingStatus, binding_request_findings
from services.new_ccer_registry.service_layer.commands import GetAccount, GetBinding, OpenAccount, RequestBinding
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import AccountView
from shared.errors import NotFound, refuse
from shared.events import Envelope
from shared.events.contracts import BindingConfirmedV1, BindingRejectedV1, BindingRequestedV1
from shared.ids import new_id
from shared.principal import Principal

__all__ = [
    "create_accounts",
    "get_account",
    "get_binding",
    "on_binding_confirmed",
    "on_binding_rejected",
    "open_account",
    "request_binding",
]


async def create_accounts(
    uow: NewRegistryUnitOfWork, *, name: str, uscc: str, account_type: str, province: str
) -> tuple[Account, TradingAccount]:
    """A registry account and its trading account, bound to each other; refused (409) when the unit
    holds an account of that type already, however it was opened."""
    account = Account(
        id=new_id("NCR"),
        holder_name=name,
        holder_uscc=uscc,
        account_type=account_type,
        province=province,
        status="active",
        opened_at=uow.now(),
    )
    trading = TradingAccount(
        id=new_id("NCT"),
        registry_account_id=account.id,
        status=opening_trading_status(account_type),
        annual_fee_valid_until=None,
    )
    if not await uow.accounts.add(account, trading):
        refuse(
            [account_exists(account_type)],
            "the account is not opened",
            "账户未开立",
            conflict_codes=APPLICATION_CONFLICTS,
        )
    return account, trading


async def open_account(uow: NewRegistryUnitOfWork, cmd: OpenAccount, principal: Principal) -> AccountView:
    """NCSC direct opening: a registry account and a trading account, bound to each other."""
    account, trading = await create_accounts(
        uow, name=cmd.holder.name, uscc=cmd.holder.uscc, account_type=cmd.account_type, province=cmd.province
    )
    uow.audit("open_account", "account", account.id, holder=cmd.holder.model_dump(), account_type=cmd.account_type)
    return AccountView(account, trading, binding=None)


async def get_account(uow: NewRegistryUnitOfWork, cmd: GetAccount, principal: Principal) -> AccountView:
    account = await uow.accounts.get(cmd.account_id, principal)
    return AccountView(account, await uow.accounts.trading_of(account.id), await uow.bindings.latest_of(account.id))


async def request_binding(uow: NewRegistryUnitOfWork, cmd: RequestBinding, principal: Principal) -> Binding:
    """Ask the allowance registry to bind the account to one of its accounts (one binding at a time)."""
    # Locked: two requests at once must not both pass the one-at-a-time rule, nor share a number.
    account = await uow.accounts.lock_seen_by(cmd.account_id, principal)
    refuse(
        binding_request_findings(await uow.bindings.statuses_of(account.id)),
        "the binding request is refused",
        "绑定申请被拒绝",
        conflict_codes=BINDING_CONFLICT_CODES,
    )
    binding = Binding(
        id=new_id("BND"),
        registry_account_id=account.id,
        allowance_account_id=cmd.allowance_account_id,
        status=BindingStatus.requested,
        reasons=[],
        requested_at=uow.now(),
    )
    await uow.bindings.add(binding)
    uow.emit(
        BindingRequestedV1(
            binding_id=binding.id,
            registry_account_id=account.id,
            holder={"name": account.holder_name, "uscc": account.holder_uscc},
            allowance_account_id=cmd.allowance_account_id,
        ),
        correlation_id=binding.id,
    )
    uow.audit("request_binding", "binding", binding.id, allowance_account_id=cmd.allowance_account_id)
    return binding


async def get_binding(uow: NewRegistryUnitOfWork, cmd: GetBinding, principal: Principal) -> Binding:
    account = await uow.accounts.get(cmd.account_id, principal)
    binding = await uow.bindings.latest_of(account.id)
    if binding is None:
        raise NotFound.of("binding of account", "账户绑定", cmd.account_id)
    return binding


async def _decide(
    uow: NewRegistryUnitOfWork, binding_id: str, status: BindingStatus, reasons: list[dict[str, object]]
) -> None:
    # A binding is decided once: a second answer, or one for a binding we never asked for, changes nothing.
    if await uow.bindings.decide(binding_id, status, reasons, uow.now()):
        uow.audit(f"binding_{status}", "binding", binding_id, reasons=reasons)


async def on_binding_confirmed(uow: NewRegistryUnitOfWork, envelope: Envelope, payload: BindingConfirmedV1) -> None:
    await _decide(uow, payload.binding_id, BindingStatus.active, [])


async def on_binding_rejected(uow: NewRegistryUnitOfWork, envelope: Envelope, payload: BindingRejectedV1) -> None:
    await _decide(uow, payload.binding_id, BindingStatus.rejected, [r.model_dump() for r in payload.reasons])
