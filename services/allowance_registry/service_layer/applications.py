"""Compliance applications (履约申请): draft, amend, submit (validate everything, reserve), and the
province's decision: approval surrenders and registers offsets, rejection releases and returns."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from services.allowance_registry.adapters.orm import (
    Account,
    AllowanceHolding,
    Application,
    CcerHolding,
    CompliancePeriod,
    Notice,
    OffsetRegistration,
    PendingOffset,
    Surrender,
)
from services.allowance_registry.adapters.repository import (
    account_scope,
    freeze_allowances,
    freeze_offset_ccer,
    lots_for_update,
    move_lot,
    release_allowances,
    release_offset_ccer,
    surrender_allowances,
    surrender_offset_ccer,
)
from services.allowance_registry.domain.applications import (
    EDITABLE,
    ApplicationStatus,
    Item,
    ItemKind,
    LotState,
    NoticeState,
    PeriodRules,
    submission_findings,
    totals,
)
from services.allowance_registry.domain.notices import NoticeStatus, Progress
from services.allowance_registry.domain.offsets import LotBalance, PendingStatus
from services.allowance_registry.domain.periods import PeriodStatus
from services.allowance_registry.service_layer.notices import account_ref, get_notice
from services.allowance_registry.service_layer.offsets import recall_after_rejection
from shared.auth import Principal
from shared.events import Envelope
from shared.events.contracts import (
    AllowanceItem,
    ApplicationApprovedV1,
    ApplicationRejectedV1,
    ApplicationSubmittedV1,
    CcerItem,
    ComplianceCompletedV1,
    NoticeRef,
    OffsetCcerItem,
    OffsetProject,
    OffsetRegisteredV1,
    PeriodRef,
)
from shared.ids import new_id
from shared.offset_rules import Eligibility, LotFacts
from shared.problems import Problem
from shared.timeutil import local
from shared.uow import UnitOfWork

__all__ = [
    "create_application",
    "get_application",
    "list_applications",
    "on_application_approved",
    "on_application_rejected",
    "replace_items",
    "submit_application",
]

log = logging.getLogger(__name__)


def _entry(uow: UnitOfWork, action: str, revision: int, **extra: Any) -> dict[str, Any]:
    return {"at": local(uow.now()).isoformat(), "action": action, "revision": revision, "actor": uow.actor, **extra}


def _items(raw: Sequence[dict[str, Any]]) -> list[Item]:
    return [
        Item(
            kind=ItemKind(d["kind"]),
            quantity=int(d["quantity"]),
            instrument=d.get("instrument"),
            lot_id=d.get("lot_id"),
        )
        for d in raw
    ]


async def create_application(
    uow: UnitOfWork, principal: Principal, notice_id: str, items: list[dict[str, Any]]
) -> Application:
    view = await get_notice(uow, principal, notice_id)  # 404 when not the applicant's
    now = uow.now()
    application = Application(
        id=new_id("APP"),
        account_id=view.account.id,
        notice_id=notice_id,
        period_code=view.notice.period_code,
        province=view.account.province,
        holder_uscc=view.account.holder_uscc,
        status=ApplicationStatus.draft.value,
        revision=0,
        items=items,
        findings=[],
        history=[_entry(uow, "created", 0, items=len(items))],
        created_at=now,
        updated_at=now,
        submitted_at=None,
        decided_at=None,
    )
    uow.session.add(application)
    uow.audit("create_application", "application", application.id, notice_id=notice_id, items=items)
    return application


async def _locked(uow: UnitOfWork, principal: Principal, application_id: str) -> Application:
    application = await uow.session.scalar(
        select(Application)
        .join(Account, Account.id == Application.account_id)
        .where(Application.id == application_id, account_scope(principal))
        .with_for_update(of=Application)
    )
    if application is None:
        raise Problem.not_found("compliance application", "履约申请", application_id)
    return application


def _not_editable(application: Application) -> Problem:
    return Problem.conflict(
        "APPLICATION_NOT_EDITABLE",
        f"application {application.id} is {application.status}; only a draft or a returned "
        "application can be changed or submitted",
        f"履约申请 {application.id} 当前状态为 {application.status}，仅草稿或已退回的申请可修改或提交",
    )


async def _transition(uow: UnitOfWork, application: Application, **values: Any) -> None:
    """Guarded state change: only from the state and revision this transaction read."""
    done = await uow.session.execute(
        update(Application)
        .where(
            Application.id == application.id,
            Application.status == application.status,
            Application.revision == application.revision,
        )
        .values(updated_at=uow.now(), **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Problem.conflict(
            "APPLICATION_CHANGED",
            f"application {application.id} changed meanwhile; reload it",
            f"履约申请 {application.id} 已被修改，请刷新",
        )


async def replace_items(
    uow: UnitOfWork, principal: Principal, application_id: str, items: list[dict[str, Any]]
) -> Application:
    application = await _locked(uow, principal, application_id)
    if application.status not in EDITABLE:
        raise _not_editable(application)
    await _transition(
        uow,
        application,
        items=items,
        history=[*application.history, _entry(uow, "items_replaced", application.revision, items=len(items))],
    )
    uow.audit("replace_items", "application", application.id, items=items)
    await uow.session.refresh(application)
    return application


async def submit_application(uow: UnitOfWork, principal: Principal, application_id: str) -> Application:
    """Validate everything of domain.md §6.3 at once; on success reserve and send it for review."""
    application = await _locked(uow, principal, application_id)
    if application.status not in EDITABLE:
        raise _not_editable(application)
    notice = await uow.session.get(Notice, application.notice_id, with_for_update=True)
    period = await uow.session.get(CompliancePeriod, application.period_code)
    account = await uow.session.get(Account, application.account_id)
    assert notice is not None and period is not None and account is not None
    items = _items(application.items)
    eligibility = Eligibility.model_validate(period.eligibility)

    allowance_codes = sorted({i.instrument for i in items if i.kind == ItemKind.allowance and i.instrument})
    allowances = {
        h.instrument: h.registry_side - h.frozen
        for h in await uow.session.scalars(
            select(AllowanceHolding)
            .where(AllowanceHolding.account_id == account.id, AllowanceHolding.instrument.in_(allowance_codes))
            .order_by(AllowanceHolding.instrument)
            .with_for_update()
        )
    }
    ccer_codes = sorted({i.instrument for i in items if i.kind == ItemKind.offset_ccer and i.instrument})
    offset_ccer = {
        h.instrument: h.quantity - h.frozen
        for h in await uow.session.scalars(
            select(CcerHolding)
            .where(CcerHolding.account_id == account.id, CcerHolding.instrument.in_(ccer_codes))
            .order_by(CcerHolding.instrument)
            .with_for_update()
        )
    }
    lot_rows = await lots_for_update(uow.session, [i.lot_id for i in items if i.kind == ItemKind.ccer and i.lot_id])

    findings = submission_findings(
        applicant_uscc=principal.org or "",
        notice=NoticeState(
            account_id=notice.account_id,
            holder_uscc=account.holder_uscc,
            obligation=notice.obligation,
            fulfilled=notice.fulfilled,
            under_review=notice.under_review,
            ccer_registered=notice.ccer_registered,
            ccer_under_review=notice.ccer_under_review,
            complete=notice.status == NoticeStatus.complete,
        ),
        period=PeriodRules(
            code=period.code,
            active=period.status == PeriodStatus.active,
            allowance_instruments=frozenset(period.allowance_instruments),
            cap_bp=period.cap_bp,
            eligibility=eligibility,
            application_deadline=period.application_deadline,
        ),
        items=items,
        allowances_available=allowances,
        offset_ccer_available=offset_ccer,
        lots={lot_id: _lot_state(lot) for lot_id, lot in lot_rows.items()},
        now=uow.now(),
    )
    if findings:
        raise Problem.from_findings(
            422,
            "APPLICATION_INVALID",
            findings,
            f"the application cannot be submitted: {len(findings)} problem(s)",
            f"履约申请无法提交：共 {len(findings)} 处问题",
        )

    await _reserve(uow, account.id, items)
    sums = totals(items)
    reserved = await uow.session.execute(
        update(Notice)
        .where(
            Notice.id == notice.id,
            Notice.status == NoticeStatus.open.value,
            Notice.obligation - Notice.fulfilled - Notice.under_review >= sums.all,
        )
        .values(under_review=Notice.under_review + sums.all, ccer_under_review=Notice.ccer_under_review + sums.ccer)
        .execution_options(synchronize_session=False)
    )
    if reserved.rowcount != 1:  # type: ignore[attr-defined]
        raise RuntimeError(f"notice {notice.id} changed under its row lock")

    enriched = [_enrich(d, lot_rows) for d in application.items]
    revision = application.revision + 1
    await _transition(
        uow,
        application,
        status=ApplicationStatus.submitted.value,
        revision=revision,
        items=enriched,
        findings=[],
        submitted_at=uow.now(),
        history=[*application.history, _entry(uow, "submitted", revision)],
    )
    uow.emit(
        "allowance_registry.application.submitted",
        ApplicationSubmittedV1(
            application_id=application.id,
            revision=revision,
            account=account_ref(account),
            period=PeriodRef(
                code=period.code,
                cap_bp=period.cap_bp,
                deadline=period.application_deadline,
                eligibility=eligibility.model_dump(mode="json"),
            ),
            # The notice as it stood before this submission, so the province can recompute every check.
            notice=NoticeRef(
                id=notice.id,
                obligation=notice.obligation,
                fulfilled=notice.fulfilled,
                under_review=notice.under_review,
                ccer_registered=notice.ccer_registered,
                ccer_under_review=notice.ccer_under_review,
                period_code=notice.period_code,
            ),
            items=[_event_item(d) for d in enriched],
            submitted_at=uow.now(),
        ),
        correlation_id=application.id,
    )
    uow.audit(
        "submit_application",
        "application",
        application.id,
        revision=revision,
        allowances=sums.allowances,
        ccer=sums.ccer,
    )
    await uow.session.refresh(application)
    return application


def _lot_state(lot: PendingOffset) -> LotState:
    project = lot.project
    return LotState(
        account_id=lot.account_id,
        pending=lot.status == PendingStatus.pending,
        available=LotBalance(lot.quantity, lot.reserved, lot.registered, lot.recalled).available,
        facts=LotFacts(
            origin=lot.origin,
            project_number=str(project.get("number", "")),
            registered_or_recorded_at=project.get("registered_or_recorded_at"),
            units_recorded_at=lot.units_recorded_at,
            within_national_ets=bool(project.get("within_national_ets", False)),
        ),
    )


def _enrich(raw: dict[str, Any], lots: dict[str, PendingOffset]) -> dict[str, Any]:
    if raw["kind"] != ItemKind.ccer:
        return dict(raw)
    lot = lots[raw["lot_id"]]
    return {
        **raw,
        "project": lot.project,
        "origin": lot.origin,
        "units_recorded_at": lot.units_recorded_at.isoformat() if lot.units_recorded_at else None,
    }


def _event_item(d: dict[str, Any]) -> AllowanceItem | CcerItem | OffsetCcerItem:
    if d["kind"] == ItemKind.allowance:
        return AllowanceItem(instrument=d["instrument"], quantity=d["quantity"])
    if d["kind"] == ItemKind.offset_ccer:
        return OffsetCcerItem(instrument=d["instrument"], quantity=d["quantity"])
    return CcerItem(
        lot_id=d["lot_id"],
        project=OffsetProject.model_validate(d["project"]),
        origin=d["origin"],
        units_recorded_at=d.get("units_recorded_at"),
        quantity=d["quantity"],
    )


async def _reserve(uow: UnitOfWork, account_id: str, items: list[Item]) -> None:
    for item in items:
        if item.kind == ItemKind.allowance:
            ok = await freeze_allowances(uow.session, account_id, item.instrument or "", item.quantity)
        elif item.kind == ItemKind.offset_ccer:
            ok = await freeze_offset_ccer(uow.session, account_id, item.instrument or "", item.quantity)
        else:
            ok = await move_lot(uow.session, item.lot_id or "", reserve=item.quantity)
        if not ok:  # the rows are locked and were validated: this is a bug, not a user error
            raise RuntimeError(f"could not reserve {item} under row locks")


async def _decided(uow: UnitOfWork, application_id: str, revision: int, decision: str) -> Application | None:
    """The application this decision is for, locked; None when it is not (or no longer) under review
    in that revision: a duplicate or stale decision changes nothing."""
    application = await uow.session.get(Application, application_id, with_for_update=True)
    if application is None:
        log.error("decision %s for unknown application %s ignored", decision, application_id)
        return None
    if application.status != ApplicationStatus.submitted or application.revision != revision:
        log.info(
            "decision %s for application %s revision %d ignored: it is %s in revision %d",
            decision,
            application_id,
            revision,
            application.status,
            application.revision,
        )
        return None
    return application


async def on_application_approved(uow: UnitOfWork, envelope: Envelope, payload: ApplicationApprovedV1) -> None:
    application = await _decided(uow, payload.application_id, payload.revision, "approved")
    if application is None:
        return
    notice = await uow.session.get(Notice, application.notice_id, with_for_update=True)
    account = await uow.session.get(Account, application.account_id)
    assert notice is not None and account is not None
    await _transition(
        uow,
        application,
        status=ApplicationStatus.approved.value,
        decided_at=payload.decided_at,
        history=[
            *application.history,
            _entry(
                uow,
                "approved",
                application.revision,
                case_id=payload.case_id,
                first_reviewer=payload.first_reviewer,
                second_reviewer=payload.second_reviewer,
            ),
        ],
    )
    items = _items(application.items)
    # Lots in one order everywhere (submission, decisions, recall): no deadlock between replicas.
    await lots_for_update(uow.session, [i.lot_id for i in items if i.kind == ItemKind.ccer and i.lot_id])
    now = uow.now()
    for n, (item, raw) in enumerate(zip(items, application.items, strict=True)):
        if item.kind == ItemKind.ccer:
            if not await move_lot(uow.session, item.lot_id or "", register=item.quantity):
                raise RuntimeError(f"lot {item.lot_id} has not {item.quantity} reserved")
            registration = OffsetRegistration(
                id=new_id("REG"),
                application_id=application.id,
                revision=application.revision,
                item=n,
                notice_id=notice.id,
                period_code=notice.period_code,
                account_id=account.id,
                province=account.province,
                lot_id=item.lot_id,
                project=raw.get("project", {}),
                origin=raw.get("origin", ""),
                quantity=item.quantity,
                registered_at=now,
            )
            uow.session.add(registration)
            uow.emit(
                "allowance_registry.offset.registered",
                OffsetRegisteredV1(
                    registration_id=registration.id,
                    lot_id=item.lot_id or "",
                    application_id=application.id,
                    period_code=notice.period_code,
                    quantity=item.quantity,
                    registered_at=now,
                ),
                correlation_id=item.lot_id,
            )
            continue
        surrender = surrender_allowances if item.kind == ItemKind.allowance else surrender_offset_ccer
        if not await surrender(uow.session, account.id, item.instrument or "", item.quantity):
            raise RuntimeError(f"{item.instrument}: {item.quantity} not frozen in account {account.id}")
        uow.session.add(
            Surrender(
                id=new_id("SUR"),
                application_id=application.id,
                revision=application.revision,
                item=n,
                account_id=account.id,
                notice_id=notice.id,
                kind=item.kind.value,
                instrument=item.instrument or "",
                quantity=item.quantity,
                surrendered_at=now,
            )
        )
    # Flush now: the unique (application, revision, item) constraints stop a double effect here.
    await uow.session.flush()

    sums = totals(items)
    progress = Progress(notice.obligation, notice.fulfilled + sums.all)
    values: dict[str, Any] = {
        "fulfilled": Notice.fulfilled + sums.all,
        "under_review": Notice.under_review - sums.all,
        "ccer_registered": Notice.ccer_registered + sums.ccer,
        "ccer_under_review": Notice.ccer_under_review - sums.ccer,
        "status": progress.status.value,
    }
    if progress.status == NoticeStatus.complete:
        values["completed_at"] = now
    done = await uow.session.execute(
        update(Notice)
        .where(
            Notice.id == notice.id,
            Notice.fulfilled == notice.fulfilled,
            Notice.under_review >= sums.all,
            Notice.ccer_under_review >= sums.ccer,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise RuntimeError(f"notice {notice.id} changed under its row lock")
    if progress.status == NoticeStatus.complete and notice.status != NoticeStatus.complete:
        uow.emit(
            "allowance_registry.compliance.completed",
            ComplianceCompletedV1(
                notice_id=notice.id,
                period_code=notice.period_code,
                account=account_ref(account),
                completed_at=now,
            ),
            correlation_id=notice.id,
        )
    uow.audit(
        "approve_application",
        "application",
        application.id,
        revision=application.revision,
        case_id=payload.case_id,
        allowances=sums.allowances,
        ccer=sums.ccer,
    )


async def on_application_rejected(uow: UnitOfWork, envelope: Envelope, payload: ApplicationRejectedV1) -> None:
    application = await _decided(uow, payload.application_id, payload.revision, "rejected")
    if application is None:
        return
    notice = await uow.session.get(Notice, application.notice_id, with_for_update=True)
    assert notice is not None
    findings = [f.model_dump(mode="json") for f in payload.findings]
    await _transition(
        uow,
        application,
        status=ApplicationStatus.returned.value,
        decided_at=payload.decided_at,
        findings=findings,
        history=[
            *application.history,
            _entry(uow, "returned", application.revision, case_id=payload.case_id, findings=findings),
        ],
    )
    items = _items(application.items)
    lots = [i.lot_id for i in items if i.kind == ItemKind.ccer and i.lot_id]
    await lots_for_update(uow.session, lots)
    for item in items:
        if item.kind == ItemKind.allowance:
            ok = await release_allowances(uow.session, application.account_id, item.instrument or "", item.quantity)
        elif item.kind == ItemKind.offset_ccer:
            ok = await release_offset_ccer(uow.session, application.account_id, item.instrument or "", item.quantity)
        else:
            ok = await move_lot(uow.session, item.lot_id or "", reserve=-item.quantity)
        if not ok:
            raise RuntimeError(f"could not release {item} of application {application.id}")
    sums = totals(items)
    done = await uow.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.under_review >= sums.all, Notice.ccer_under_review >= sums.ccer)
        .values(under_review=Notice.under_review - sums.all, ccer_under_review=Notice.ccer_under_review - sums.ccer)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise RuntimeError(f"notice {notice.id} has less under review than application {application.id} reserved")
    await recall_after_rejection(uow, lots, f"review of application {application.id} rejected after the recall instant")
    uow.audit(
        "return_application",
        "application",
        application.id,
        revision=application.revision,
        case_id=payload.case_id,
        findings=[f["code"] for f in findings],
    )


async def get_application(uow: UnitOfWork, principal: Principal, application_id: str) -> Application:
    application = await uow.session.scalar(
        select(Application)
        .join(Account, Account.id == Application.account_id)
        .where(Application.id == application_id, account_scope(principal))
    )
    if application is None:
        raise Problem.not_found("compliance application", "履约申请", application_id)
    return application


async def list_applications(
    uow: UnitOfWork,
    principal: Principal,
    *,
    account_id: str | None,
    province: str | None,
    status: str | None,
    notice_id: str | None,
    limit: int,
    offset: int,
) -> list[Application]:
    query = select(Application).join(Account, Account.id == Application.account_id).where(account_scope(principal))
    if account_id:
        query = query.where(Application.account_id == account_id)
    if province:
        query = query.where(Application.province == province)
    if status:
        query = query.where(Application.status == status)
    if notice_id:
        query = query.where(Application.notice_id == notice_id)
    query = query.order_by(Application.created_at, Application.id).limit(limit).offset(offset)
    return list(await uow.session.scalars(query))
