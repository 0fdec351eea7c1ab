"""Legacy registry accounts: direct opening by NCSC, and opening through a legacy exchange
(application, the exchange's initial review, NCSC's re-review)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.legacy_ccer_registry.adapters.orm import Account, AccountApplication, TradingAccount
from services.legacy_ccer_registry.domain.access import OPERATORS
from services.legacy_ccer_registry.domain.accounts import (
    APPLICATION_CONFLICTS,
    ApplicationState,
    ApplicationStatus,
    Decision,
    ReviewStage,
    Transition,
    account_exists,
    amend,
    application_findings,
    exchanges_findings,
    opening,
    opening_findings,
    require_reviewer,
    review,
    review_findings,
)
from services.legacy_ccer_registry.service_layer.commands import (
    ApplyForAccount,
    GetAccount,
    GetAccountApplication,
    ListAccountApplications,
    OpenAccount,
    ResubmitAccountApplication,
    ReviewAccountApplication,
)
from services.legacy_ccer_registry.service_layer.unit_of_work import LegacyUnitOfWork
from services.legacy_ccer_registry.service_layer.views import AccountView, ApplicationPage
from shared.errors import ConcurrentChange, Finding, refuse
from shared.ids import new_id
from shared.principal import Principal
from shared.reference import LEGACY_EXCHANGES
from shared.scope import Scope

__all__ = [
    "apply_for_account",
    "get_account",
    "get_account_application",
    "list_account_applications",
    "open_account",
    "resubmit_account_application",
    "review_account_application",
]


def _scope(principal: Principal) -> Scope:
    return Scope.of(principal, operators=OPERATORS)


async def _view(uow: LegacyUnitOfWork, account: Account) -> AccountView:
    return AccountView(account, tuple(await uow.accounts.trading_accounts(account.id)))


def _trading(
    uow: LegacyUnitOfWork, holder_uscc: str, account_id: str | None, exchange: str, application_id: str | None
) -> TradingAccount:
    return TradingAccount(
        id=new_id("LT"),
        holder_uscc=holder_uscc,
        account_id=account_id,
        exchange=exchange,
        status="active",
        application_id=application_id,
        opened_at=uow.now(),
    )


async def open_account(uow: LegacyUnitOfWork, cmd: OpenAccount, principal: Principal) -> AccountView:
    """NCSC opens a set-up or migrated account directly, with a trading account at every allowed
    exchange (all legacy exchanges unless ``exchanges`` restricts them)."""
    exchanges = list(cmd.exchanges) if cmd.exchanges is not None else list(LEGACY_EXCHANGES)
    findings = exchanges_findings(exchanges)
    if await uow.accounts.of_holder(cmd.holder_uscc) is not None:
        findings.append(account_exists())
    refuse(findings, "the account is not opened", "账户未开立", conflict_codes=APPLICATION_CONFLICTS)
    account = Account(
        id=new_id("LA"),
        holder_name=cmd.holder_name,
        holder_uscc=cmd.holder_uscc,
        province=cmd.province,
        status="active",
        opened_via="direct",
        opened_at=uow.now(),
    )
    # A trading account an exchange opened already (an application awaiting NCSC) is the unit's own:
    # it is attached, not opened twice.
    held = {t.exchange for t in await uow.accounts.unattached_trading(cmd.holder_uscc)}
    trading = [_trading(uow, cmd.holder_uscc, account.id, code, None) for code in exchanges if code not in held]
    await uow.accounts.add(account, trading)
    await uow.accounts.attach_trading(cmd.holder_uscc, account.id)
    uow.audit("open_account", "account", account.id, holder_uscc=account.holder_uscc, exchanges=exchanges)
    return await _view(uow, account)


async def get_account(uow: LegacyUnitOfWork, cmd: GetAccount, principal: Principal) -> AccountView:
    return await _view(uow, await uow.accounts.get(cmd.account_id, _scope(principal)))


def _application_values(cmd: ApplyForAccount | ResubmitAccountApplication) -> dict[str, Any]:
    return {
        "applicant_uscc": cmd.org.uscc,
        "org_name": cmd.org.name,
        "province": cmd.org.province,
        "org": {k: v for k, v in asdict(cmd.org).items() if v is not None},
        "exchange": cmd.exchange,
        "contacts": [{k: v for k, v in asdict(c).items() if v is not None} for c in cmd.contacts],
    }


async def _check_application(
    uow: LegacyUnitOfWork,
    cmd: ApplyForAccount | ResubmitAccountApplication,
    principal: Principal,
    other_than: str | None,
) -> None:
    # Another organisation's account and applications are outside the caller's scope: looked up,
    # and so reported, only for its own (else NOT_OWN_ORG would come with what it must not learn).
    own_org = cmd.org.uscc == principal.org
    account = await uow.accounts.of_holder(cmd.org.uscc) if own_org else None
    findings = application_findings(
        own_org=own_org,
        exchange=cmd.exchange,
        has_account=account is not None,
        trades_at_exchange=account is not None and await uow.accounts.trades_at(account.id, cmd.exchange),
        province_given=cmd.org.province is not None,
        in_progress=own_org and await uow.applications.in_progress(cmd.org.uscc, cmd.exchange, other_than=other_than),
    )
    refuse(findings, "the account application is refused", "开户申请被拒绝", conflict_codes=APPLICATION_CONFLICTS)


def _step(uow: LegacyUnitOfWork, principal: Principal, action: str, **detail: Any) -> dict[str, Any]:
    return {"at": uow.now().isoformat(), "actor": principal.actor, "action": action, **detail}


async def apply_for_account(uow: LegacyUnitOfWork, cmd: ApplyForAccount, principal: Principal) -> AccountApplication:
    await _check_application(uow, cmd, principal, None)
    application = AccountApplication(
        id=new_id("LAA"),
        **_application_values(cmd),
        status=ApplicationStatus.submitted,
        revision=1,
        reasons=[],
        history=[_step(uow, principal, "submitted", revision=1)],
        submitted_at=uow.now(),
        updated_at=uow.now(),
    )
    await uow.applications.add(application)
    uow.audit("apply_for_account", "account_application", application.id, exchange=cmd.exchange)
    return application


async def resubmit_account_application(
    uow: LegacyUnitOfWork, cmd: ResubmitAccountApplication, principal: Principal
) -> AccountApplication:
    """Amend a returned application: a new revision, back to the exchange's initial review."""
    application = await uow.applications.get(cmd.application_id, _scope(principal))
    refuse(
        _amend_findings(application),
        "the application is not amended",
        "申请未修改",
        conflict_codes={"APPLICATION_NOT_RETURNED"},
    )
    await _check_application(uow, cmd, principal, application.id)
    revision = application.revision + 1
    changed = await uow.applications.transition(
        application,
        **_application_values(cmd),
        status=ApplicationStatus.submitted,
        revision=revision,
        reasons=[],
        exchange_reviewer=None,
        registry_reviewer=None,
        history=[*application.history, _step(uow, principal, "resubmitted", revision=revision)],
        updated_at=uow.now(),
    )
    if not changed:
        raise ConcurrentChange(f"account application {application.id}")
    uow.audit("resubmit_account_application", "account_application", application.id, revision=revision)
    return application


def _amend_findings(application: AccountApplication) -> list[Finding]:
    return amend(ApplicationState(ApplicationStatus(application.status), application.exchange))


async def review_account_application(
    uow: LegacyUnitOfWork, cmd: ReviewAccountApplication, principal: Principal
) -> AccountApplication:
    """The exchange's initial review, or NCSC's re-review, which opens the accounts."""
    application = await uow.applications.get(cmd.application_id, _scope(principal))
    require_reviewer(cmd.stage, principal.role)
    state = ApplicationState(ApplicationStatus(application.status), application.exchange, application.exchange_reviewer)
    findings = review_findings(
        state,
        stage=cmd.stage,
        decision=cmd.decision,
        reviewer_sub=principal.sub,
        reason_count=len(cmd.reasons),
    )
    refuse(findings, "the review is refused", "审核未办理", conflict_codes=APPLICATION_CONFLICTS)
    account = await uow.accounts.of_holder(application.applicant_uscc)
    transition = review(cmd.stage, cmd.decision, has_account=account is not None)
    values: dict[str, Any] = {"status": transition.status, "updated_at": uow.now()}
    values["exchange_reviewer" if cmd.stage is ReviewStage.exchange else "registry_reviewer"] = principal.sub
    if cmd.decision is Decision.reject:
        values["reasons"] = [{k: v for k, v in asdict(r).items() if v is not None} for r in cmd.reasons]
    opened: dict[str, Any] = {}
    if transition.open_trading or transition.open_registry:
        opened = await _open_accounts(uow, application, account, transition)
        values |= opened
    step = _step(uow, principal, f"{cmd.stage}_{cmd.decision}", reasons=values.get("reasons", []), **opened)
    values["history"] = [*application.history, step]
    if not await uow.applications.transition(application, **values):
        raise ConcurrentChange(f"account application {application.id}")
    uow.audit(
        "review_account_application", "account_application", application.id, stage=cmd.stage, decision=cmd.decision
    )
    return application


async def _open_accounts(
    uow: LegacyUnitOfWork, application: AccountApplication, account: Account | None, transition: Transition
) -> dict[str, Any]:
    """Open what the review opens and the unit lacks: the trading account at the application's
    exchange (on the exchange's approval), the registry account (on NCSC's), attaching the unit's
    trading accounts to it; refused when the unit holds both already."""
    uscc, exchange = application.applicant_uscc, application.exchange
    trading = await uow.accounts.trading_of_holder(uscc, exchange)
    trades_there = account is not None and trading is not None and trading.account_id == account.id
    refuse(
        opening_findings(has_account=account is not None, trades_at_exchange=trades_there, exchange=exchange),
        "nothing to open",
        "无需重复开立",
        conflict_codes=APPLICATION_CONFLICTS,
    )
    plan = opening(transition, has_account=account is not None, has_trading=trading is not None)
    if plan.registry_account:
        # A unit without an account gave its province at submission (PROVINCE_REQUIRED).
        account = Account(
            id=new_id("LA"),
            holder_name=application.org_name,
            holder_uscc=uscc,
            province=application.province or "",
            status="active",
            opened_via="application",
            opened_at=uow.now(),
        )
        await uow.accounts.add(account, [])
        uow.audit("open_account", "account", account.id, application_id=application.id)
    if plan.trading_account or trading is None:
        trading = _trading(uow, uscc, account.id if account else None, exchange, application.id)
        await uow.accounts.add_trading(trading)
        uow.audit(
            "open_trading_account", "trading_account", trading.id, application_id=application.id, exchange=exchange
        )
    if account is not None:
        await uow.accounts.attach_trading(uscc, account.id)
    opened = {"trading_account_id": trading.id}
    if account is not None:
        opened["account_id"] = account.id
    return opened


async def get_account_application(
    uow: LegacyUnitOfWork, cmd: GetAccountApplication, principal: Principal
) -> AccountApplication:
    return await uow.applications.get(cmd.application_id, _scope(principal))


async def list_account_applications(
    uow: LegacyUnitOfWork, cmd: ListAccountApplications, principal: Principal
) -> ApplicationPage:
    rows = await uow.applications.search(_scope(principal), status=cmd.status, offset=cmd.offset, limit=cmd.limit + 1)
    return ApplicationPage(tuple(rows[: cmd.limit]), has_more=len(rows) > cmd.limit)
