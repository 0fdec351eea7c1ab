"""Compliance notices: the registry's provincial notices and the provinces' enterprise notices."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.allowance_registry.adapters.orm import Account, CompliancePeriod, Notice, ProvincialNotice
from services.allowance_registry.adapters.repository import account_scope
from services.allowance_registry.domain.notices import NoticeStatus, ccer_offsettable, issuance_findings
from services.allowance_registry.domain.periods import PeriodStatus
from services.allowance_registry.service_layer.accounts import get_account
from shared.auth import Principal
from shared.events.contracts import AccountRef, NoticeIssuedV1
from shared.ids import new_id
from shared.problems import Problem
from shared.uow import UnitOfWork

__all__ = [
    "NoticeView",
    "account_ref",
    "get_notice",
    "issue_notice",
    "issue_provincial_notice",
    "list_notices",
    "list_provincial_notices",
]


def account_ref(account: Account) -> AccountRef:
    return AccountRef(id=account.id, name=account.holder_name, uscc=account.holder_uscc, province=account.province)


async def _period(uow: UnitOfWork, code: str) -> CompliancePeriod:
    period = await uow.session.get(CompliancePeriod, code)
    if period is None:
        raise Problem.not_found("compliance period", "履约期", code)
    return period


async def issue_provincial_notice(uow: UnitOfWork, period_code: str, province: str, total: int) -> ProvincialNotice:
    period = await _period(uow, period_code)
    if period.status != PeriodStatus.active:
        raise Problem.conflict(
            "PERIOD_NOT_ACTIVE", f"compliance period {period_code} is not active", f"履约期 {period_code} 未生效"
        )
    exists = await uow.session.scalar(
        select(ProvincialNotice.id).where(
            ProvincialNotice.period_code == period_code, ProvincialNotice.province == province
        )
    )
    conflict = Problem.conflict(
        "PROVINCIAL_NOTICE_EXISTS",
        f"province {province} already has its notice for period {period_code}",
        f"省份 {province} 已有履约期 {period_code} 的省级履约通知书",
    )
    if exists:
        raise conflict
    notice = ProvincialNotice(
        id=new_id("PN"),
        period_code=period_code,
        province=province,
        total_obligation=total,
        issued_at=uow.now(),
        issued_by=uow.actor,
    )
    uow.session.add(notice)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise conflict from exc
    uow.audit(
        "issue_provincial_notice",
        "provincial_notice",
        notice.id,
        period_code=period_code,
        province=province,
        total_obligation=total,
    )
    return notice


async def list_provincial_notices(
    uow: UnitOfWork, principal: Principal, period_code: str | None, province: str | None, limit: int, offset: int
) -> list[ProvincialNotice]:
    query = select(ProvincialNotice)
    if principal.is_province:
        query = query.where(ProvincialNotice.province == principal.province)
    if period_code:
        query = query.where(ProvincialNotice.period_code == period_code)
    if province:
        query = query.where(ProvincialNotice.province == province)
    query = query.order_by(ProvincialNotice.issued_at, ProvincialNotice.id).limit(limit).offset(offset)
    return list(await uow.session.scalars(query))


async def issue_notice(
    uow: UnitOfWork, principal: Principal, period_code: str, account_id: str, obligation: int
) -> Notice:
    account = await get_account(uow, account_id, principal)  # 404 outside the province
    period = await _period(uow, period_code)
    provincial = await uow.session.scalar(
        select(ProvincialNotice)
        .where(ProvincialNotice.period_code == period_code, ProvincialNotice.province == account.province)
        .with_for_update()
    )
    issued = await uow.session.scalar(
        select(func.coalesce(func.sum(Notice.obligation), 0)).where(
            Notice.period_code == period_code, Notice.province == account.province
        )
    )
    existing = await uow.session.scalar(
        select(Notice.id).where(Notice.period_code == period_code, Notice.account_id == account_id)
    )
    findings = issuance_findings(
        period_code=period_code,
        period_active=period.status == PeriodStatus.active,
        account_type=account.account_type,
        account_status=account.status,
        provincial_total=provincial.total_obligation if provincial else None,
        already_issued_in_province=int(issued or 0),
        obligation=obligation,
        existing_notice=existing is not None,
    )
    if findings:
        raise Problem.from_findings(
            409,
            "NOTICE_REFUSED",
            findings,
            f"the notice cannot be issued: {len(findings)} problem(s)",
            f"无法发放履约通知书：{len(findings)} 处问题",
        )
    notice = Notice(
        id=new_id("NTC"),
        period_code=period_code,
        account_id=account_id,
        province=account.province,
        obligation=obligation,
        fulfilled=0,
        under_review=0,
        ccer_registered=0,
        ccer_under_review=0,
        deadline=period.application_deadline,
        status=NoticeStatus.open.value,
        issued_at=uow.now(),
        issued_by=uow.actor,
        completed_at=None,
    )
    uow.session.add(notice)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise Problem.conflict(
            "NOTICE_EXISTS",
            f"the account already has a compliance notice for period {period_code}",
            f"该账户已有履约期 {period_code} 的履约通知书",
        ) from exc
    uow.emit(
        "allowance_registry.notice.issued",
        NoticeIssuedV1(
            notice_id=notice.id,
            period_code=period_code,
            account=account_ref(account),
            obligation=obligation,
            deadline=notice.deadline,
        ),
        correlation_id=notice.id,
    )
    uow.audit(
        "issue_notice", "notice", notice.id, period_code=period_code, account_id=account_id, obligation=obligation
    )
    return notice


@dataclass(frozen=True)
class NoticeView:
    notice: Notice
    account: Account
    cap_bp: int

    @property
    def ccer_offsettable(self) -> int:
        n = self.notice
        return ccer_offsettable(n.obligation, self.cap_bp, n.ccer_registered, n.ccer_under_review)


def _scoped_notices(principal: Principal):
    return (
        select(Notice, Account, CompliancePeriod.cap_bp)
        .join(Account, Account.id == Notice.account_id)
        .join(CompliancePeriod, CompliancePeriod.code == Notice.period_code)
        .where(account_scope(principal))
    )


async def get_notice(uow: UnitOfWork, principal: Principal, notice_id: str) -> NoticeView:
    row = (await uow.session.execute(_scoped_notices(principal).where(Notice.id == notice_id))).first()
    if row is None:
        raise Problem.not_found("compliance notice", "履约通知书", notice_id)
    return NoticeView(row[0], row[1], row[2])


async def list_notices(
    uow: UnitOfWork,
    principal: Principal,
    *,
    period_code: str | None,
    account_id: str | None,
    province: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[NoticeView]:
    query = _scoped_notices(principal)
    if period_code:
        query = query.where(Notice.period_code == period_code)
    if account_id:
        query = query.where(Notice.account_id == account_id)
    if province:
        query = query.where(Notice.province == province)
    if status:
        query = query.where(Notice.status == status)
    query = query.order_by(Notice.issued_at, Notice.id).limit(limit).offset(offset)
    return [NoticeView(r[0], r[1], r[2]) for r in await uow.session.execute(query)]
