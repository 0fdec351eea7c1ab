"""Joint account opening (联合开户, seed 004): the enterprise applies through the CCER exchange, which
reviews it twice (initial review, then the paper materials), and NCSC's registry review opens a
registry account and a trading account, bound to each other. The state machine is
``domain/account_opening.py``; here each step loads the application in the caller's scope, asks the
domain, writes the transition guarded, and records the notifications the systems send."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.new_ccer_registry.adapters.orm import AccountApplication
from services.new_ccer_registry.domain.account_opening import (
    APPLICATION_CONFLICTS,
    ApplicationStatus,
    Decision,
    Material,
    ReviewStage,
    StageReviewers,
    amend_findings,
    application_findings,
    next_status,
    paper_findings,
    paper_materials,
    require_reviewer,
    required_materials,
    review_findings,
    revision_findings,
)
from services.new_ccer_registry.domain.account_opening import MATERIALS as MATERIAL_LIST
from services.new_ccer_registry.domain.lots import CCER_EXCHANGE
from services.new_ccer_registry.service_layer.accounts import create_accounts
from services.new_ccer_registry.service_layer.commands import (
    AmendAccountApplication,
    ApplyForAccounts,
    GetAccountApplication,
    GetChecklist,
    ListAccountApplications,
    RecordPaperReceived,
    ReviewAccountApplication,
)
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import Listed
from shared.errors import ConcurrentChange, refuse
from shared.ids import new_id
from shared.principal import Principal

__all__ = [
    "amend_account_application",
    "apply_for_accounts",
    "get_account_application",
    "get_checklist",
    "list_account_applications",
    "record_paper_received",
    "review_account_application",
]

# Where the applicant posts the paper materials (seed 004 第二步).
PAPER_ADDRESS_ZH = (
    "北京市通州区观音庵街2号院保利大都汇T3六层北京绿色交易所 会员与机构合作部（邮编 101100，电话 010-57382530）"
)


def _values(cmd: ApplyForAccounts) -> dict[str, Any]:
    return {
        "applicant_uscc": cmd.org.uscc,
        "org_name": cmd.org.name,
        "org": {**asdict(cmd.org), "org_form": str(cmd.org.org_form)},
        "account_type": cmd.account_type,
        "province": cmd.province,
        "contacts": asdict(cmd.contacts),
        "materials": [asdict(m) for m in sorted(cmd.materials, key=lambda m: m.no)],
        "declarations": {k: v for k, v in cmd.declarations.items() if v is not None},
        "agreement_signed_by": str(cmd.agreement_signed_by),
    }


def _changed(application: AccountApplication, values: dict[str, Any]) -> list[str]:
    """The registration details an amendment changed, by name (for the history)."""
    return sorted(k for k, v in values.items() if getattr(application, k) != v)


async def _check(
    uow: NewRegistryUnitOfWork, cmd: ApplyForAccounts, principal: Principal, other_than: str | None
) -> None:
    # Another organisation's accounts and applications are outside the caller's scope: looked up,
    # and so reported, only for its own (else NOT_OWN_ORG would come with what it must not learn).
    own_org = cmd.org.uscc == principal.org
    findings = application_findings(
        own_org=own_org,
        account_type=cmd.account_type,
        org_form=cmd.org.org_form,
        foreign_invested=cmd.org.foreign_invested,
        materials=[m.no for m in cmd.materials],
        declarations=cmd.declarations,
        has_account=own_org and await uow.accounts.of_holder(cmd.org.uscc, cmd.account_type) is not None,
        in_progress=own_org
        and await uow.applications.in_progress(cmd.org.uscc, cmd.account_type, other_than=other_than),
        signed_by=cmd.agreement_signed_by,
    )
    refuse(findings, "the account application is refused", "开户申请被拒绝", conflict_codes=APPLICATION_CONFLICTS)


def _step(uow: NewRegistryUnitOfWork, actor: str, action: str, **detail: Any) -> dict[str, Any]:
    return {"at": uow.now().isoformat(), "actor": actor, "action": action, **detail}


def _notification(
    uow: NewRegistryUnitOfWork, contacts: dict[str, Any], to: str, channel: str, message: str, message_zh: str
) -> dict[str, Any]:
    """A message the systems send to one of the applicant's representatives (recorded, not sent)."""
    address = contacts[to]["phone" if channel == "sms" else "email"]
    return {
        "at": uow.now().isoformat(),
        "channel": channel,
        "to": to,
        "address": address,
        "message": message,
        "message_zh": message_zh,
    }


async def apply_for_accounts(
    uow: NewRegistryUnitOfWork, cmd: ApplyForAccounts, principal: Principal
) -> AccountApplication:
    """第一步: the application, submitted to the CCER exchange's initial review."""
    await _check(uow, cmd, principal, None)
    application = AccountApplication(
        id=new_id("NAA"),
        **_values(cmd),
        exchange=CCER_EXCHANGE,
        status=ApplicationStatus.submitted,
        revision=1,
        reasons=[],
        notifications=[],
        history=[_step(uow, principal.actor, "submitted", revision=1)],
        submitted_at=uow.now(),
        updated_at=uow.now(),
    )
    await uow.applications.add(application)
    uow.audit("apply_for_accounts", "account_application", application.id, account_type=cmd.account_type)
    return application


async def amend_account_application(
    uow: NewRegistryUnitOfWork, cmd: AmendAccountApplication, principal: Principal
) -> AccountApplication:
    """Amend the registration details and materials (a new revision, at the exchange's initial
    review): while that review is pending, or to resubmit a returned application."""
    application = await uow.applications.get(cmd.application_id, principal)
    status = ApplicationStatus(application.status)
    refuse(
        amend_findings(status),
        "the application is not amended",
        "申请未修改",
        conflict_codes=APPLICATION_CONFLICTS,
    )
    await _check(uow, cmd, principal, application.id)
    revision = application.revision + 1
    values = _values(cmd)
    action = "resubmitted" if status is ApplicationStatus.returned else "amended"
    step = _step(uow, principal.actor, action, revision=revision, changed=_changed(application, values))
    changed = await uow.applications.transition(
        application,
        **values,
        status=ApplicationStatus.submitted,
        revision=revision,
        reasons=[],
        exchange_initial_reviewer=None,
        exchange_re_reviewer=None,
        registry_reviewer=None,
        history=[*application.history, step],
        updated_at=uow.now(),
    )
    if not changed:
        raise ConcurrentChange(f"account application {application.id}")
    uow.audit("amend_account_application", "account_application", application.id, revision=revision)
    return application


async def record_paper_received(
    uow: NewRegistryUnitOfWork, cmd: RecordPaperReceived, principal: Principal
) -> AccountApplication:
    """The exchange received the paper materials it asked for after its initial review."""
    application = await uow.applications.get(cmd.application_id, principal)
    refuse(
        paper_findings(ApplicationStatus(application.status)),
        "the paper materials are not recorded",
        "纸质材料未登记",
        conflict_codes=APPLICATION_CONFLICTS,
    )
    changed = await uow.applications.transition(
        application,
        status=ApplicationStatus.paper_received,
        history=[*application.history, _step(uow, principal.actor, "paper_received")],
        updated_at=uow.now(),
    )
    if not changed:
        raise ConcurrentChange(f"account application {application.id}")
    uow.audit("record_paper_received", "account_application", application.id)
    return application


async def review_account_application(
    uow: NewRegistryUnitOfWork, cmd: ReviewAccountApplication, principal: Principal
) -> AccountApplication:
    """The exchange's initial review or re-review, or NCSC's registry review (which opens)."""
    application = await uow.applications.get(cmd.application_id, principal)
    require_reviewer(cmd.stage, principal.role)
    reviewers = StageReviewers(application.exchange_initial_reviewer, application.exchange_re_reviewer)
    findings = review_findings(
        ApplicationStatus(application.status),
        reviewers,
        stage=cmd.stage,
        decision=cmd.decision,
        reviewer_sub=principal.sub,
        reason_count=len(cmd.reasons),
    )
    findings += revision_findings(application.revision, cmd.revision)
    refuse(findings, "the review is refused", "审核未办理", conflict_codes=APPLICATION_CONFLICTS)
    values: dict[str, Any] = {"status": next_status(cmd.stage, cmd.decision), "updated_at": uow.now()}
    values[f"{cmd.stage}_reviewer"] = principal.sub
    reasons = [{k: v for k, v in asdict(r).items() if v is not None} for r in cmd.reasons]
    notifications: list[dict[str, Any]] = []
    if cmd.decision is Decision.reject:
        values["reasons"] = reasons
    elif cmd.stage is ReviewStage.exchange_initial:
        notifications.append(_paper_requested(uow, application))
    elif cmd.stage is ReviewStage.registry:
        opened, sent = await _open(uow, application)
        values |= opened
        notifications += sent
    step = _step(uow, principal.actor, f"{cmd.stage}_{cmd.decision}", revision=application.revision, reasons=reasons)
    values["notifications"] = [*application.notifications, *notifications]
    values["history"] = [
        *application.history,
        step,
        *(_step(uow, "system", "notified", **n) for n in notifications),
    ]
    if not await uow.applications.transition(application, **values):
        raise ConcurrentChange(f"account application {application.id}")
    uow.audit(
        "review_account_application", "account_application", application.id, stage=cmd.stage, decision=cmd.decision
    )
    return application


def _paper_requested(uow: NewRegistryUnitOfWork, application: AccountApplication) -> dict[str, Any]:
    """第二步: the SMS to the trading representative after the initial review: the paper materials by
    number, two stamped copies each; 13 and 14 are uploaded only and not asked for on paper."""
    given = [m["no"] for m in application.materials]
    paper = paper_materials(given)
    listed = "、".join(str(no) for no in paper)
    electronic = sorted(set(given) - set(paper))
    only_uploaded = (
        (
            f"; materials {', '.join(map(str, electronic))} are uploaded only, not posted",
            f"；第 {'、'.join(map(str, electronic))} 项仅上传电子版，无需邮寄",
        )
        if electronic
        else ("", "")
    )
    return _notification(
        uow,
        application.contacts,
        "trading_representative",
        "sms",
        f"Application {application.id} passed the exchange's initial review: please post the paper materials "
        f"{', '.join(map(str, paper))} (two stamped copies each){only_uploaded[0]}, to the CCER exchange: "
        f"{PAPER_ADDRESS_ZH}",
        f"您的联合开户申请 {application.id} 已通过交易机构初审，请邮寄第 {listed} 项纸质申请材料（一式两份，加盖公章）"
        f"{only_uploaded[1]}，邮寄至：{PAPER_ADDRESS_ZH}",
    )


async def _open(
    uow: NewRegistryUnitOfWork, application: AccountApplication
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """第四步: open both accounts, bound, and send each representative its account's information."""
    account, trading = await create_accounts(
        uow,
        name=application.org_name,
        uscc=application.applicant_uscc,
        account_type=application.account_type,
        province=application.province,
    )
    uow.audit("open_account", "account", account.id, application_id=application.id, account_type=account.account_type)
    sent = [
        _notification(
            uow,
            application.contacts,
            "account_representative",
            "sms",
            f"Registry account {account.id} of {application.org_name} is open in the new CCER registry",
            f"{application.org_name}的全国温室气体自愿减排注册登记账户已开立，账号 {account.id}",
        ),
        _notification(
            uow,
            application.contacts,
            "trading_representative",
            "email",
            f"Trading account {trading.id} of {application.org_name} is open (status {trading.status}), bound to "
            f"registry account {account.id}",
            f"{application.org_name}的交易账户已开立，账号 {trading.id}（状态 {trading.status}），已与注册登记账户 {account.id} 自动绑定",
        ),
    ]
    return {"registry_account_id": account.id, "trading_account_id": trading.id}, sent


async def get_account_application(
    uow: NewRegistryUnitOfWork, cmd: GetAccountApplication, principal: Principal
) -> AccountApplication:
    return await uow.applications.get(cmd.application_id, principal)


async def list_account_applications(
    uow: NewRegistryUnitOfWork, cmd: ListAccountApplications, principal: Principal
) -> Listed[AccountApplication]:
    rows = await uow.applications.list_seen_by(principal, status=cmd.status, offset=cmd.offset, limit=cmd.limit + 1)
    return Listed(list(rows[: cmd.limit]), has_more=len(rows) > cmd.limit)


async def get_checklist(uow: NewRegistryUnitOfWork, cmd: GetChecklist, principal: Principal) -> list[Material]:
    required = required_materials(cmd.account_type, cmd.org_form, cmd.foreign_invested, cmd.agreement_signed_by)
    return [MATERIAL_LIST[no] for no in required]
