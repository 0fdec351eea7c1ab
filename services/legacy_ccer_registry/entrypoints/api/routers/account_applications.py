"""Account opening through a legacy exchange (seed 000 §一.1): the enterprise applies, the
exchange's operator reviews first and its approval opens the trading account there; NCSC re-reviews
and opens the registry account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.legacy_ccer_registry.adapters.orm import AccountApplication
from services.legacy_ccer_registry.domain.accounts import ApplicationStatus, Decision, ReviewStage
from services.legacy_ccer_registry.entrypoints.api.deps import (
    CSV,
    AccountApplicationReader,
    AccountApplicationReviewer,
    BusDep,
    Enterprise,
    IdPath,
    Page,
)
from services.legacy_ccer_registry.entrypoints.api.schemas import (
    APPLICATION_STATUS_DESC,
    AccountApplicationIn,
    AccountApplicationOut,
    AccountApplicationPage,
    ContactIn,
    OrgIn,
    ReasonIn,
    ReviewIn,
)
from services.legacy_ccer_registry.service_layer.commands import (
    ApplyForAccount,
    Contact,
    GetAccountApplication,
    ListAccountApplications,
    Organisation,
    Reason,
    ResubmitAccountApplication,
    ReviewAccountApplication,
)
from shared.listing import respond_list
from shared.timeutil import local

__all__ = ["application_out", "reasons_of", "router"]

router = APIRouter(prefix="/account-applications", tags=["account applications"])


def _org(org: OrgIn) -> Organisation:
    return Organisation(**org.model_dump())


def _contacts(contacts: list[ContactIn]) -> tuple[Contact, ...]:
    return tuple(Contact(**c.model_dump()) for c in contacts)


def reasons_of(reasons: list[ReasonIn | str]) -> tuple[Reason, ...]:
    """Reasons as objects, or plain text (code REJECTED)."""
    return tuple(
        Reason(code="REJECTED", message=r) if isinstance(r, str) else Reason(**r.model_dump()) for r in reasons
    )


def application_out(a: AccountApplication) -> AccountApplicationOut:
    return AccountApplicationOut(
        id=a.id,
        status=a.status,
        revision=a.revision,
        org=a.org,
        exchange=a.exchange,
        contacts=a.contacts,
        reasons=a.reasons,
        account_id=a.account_id,
        trading_account_id=a.trading_account_id,
        history=a.history,
        submitted_at=local(a.submitted_at),
        updated_at=local(a.updated_at),
    )


@router.post(
    "",
    status_code=201,
    response_model=AccountApplicationOut,
    summary="Apply for an account through a legacy exchange — 经旧有CCER交易机构申请开户",
)
async def apply(body: AccountApplicationIn, bus: BusDep, principal: Enterprise) -> AccountApplicationOut:
    command = ApplyForAccount(org=_org(body.org), exchange=body.exchange, contacts=_contacts(body.contacts))
    return application_out(await bus.handle(command, principal))


@router.get(
    "", response_model=AccountApplicationPage, responses=CSV, summary="Account applications in scope — 开户申请列表"
)
async def list_applications(
    request: Request,
    bus: BusDep,
    principal: AccountApplicationReader,
    page: Page,
    status: Annotated[ApplicationStatus | None, Query(description=APPLICATION_STATUS_DESC)] = None,
) -> Any:
    found = await bus.handle(ListAccountApplications(status=status, offset=page.offset, limit=page.limit), principal)
    return respond_list(request, [application_out(a) for a in found.applications], page, has_more=found.has_more)


@router.get("/{application_id}", response_model=AccountApplicationOut, summary="Account application — 开户申请")
async def get_application(
    application_id: IdPath, bus: BusDep, principal: AccountApplicationReader
) -> AccountApplicationOut:
    return application_out(await bus.handle(GetAccountApplication(application_id=application_id), principal))


@router.put(
    "/{application_id}",
    response_model=AccountApplicationOut,
    summary="Amend a returned application and resubmit it — 修改并重新提交已退回的申请",
)
async def resubmit(
    application_id: IdPath, body: AccountApplicationIn, bus: BusDep, principal: Enterprise
) -> AccountApplicationOut:
    command = ResubmitAccountApplication(
        application_id=application_id, org=_org(body.org), exchange=body.exchange, contacts=_contacts(body.contacts)
    )
    return application_out(await bus.handle(command, principal))


@router.post(
    "/{application_id}/reviews",
    response_model=AccountApplicationOut,
    summary="Exchange initial review or NCSC re-review — 交易机构初审 / 注登机构复审",
    description="exchange (by the exchange's operator): an approval opens the unit's trading account at the "
    "exchange at once (交易账户……由旧有CCER交易机构审核通过后完成开户) and passes the registry account to NCSC "
    "(awaiting_registry_review); a unit that holds its registry account already is then opened. registry (by "
    "NCSC, another person): an approval opens the registry account and attaches the unit's trading accounts; a "
    "rejection leaves the trading account open. A rejection needs reasons (REASONS_REQUIRED). A stage not due: "
    "APPLICATION_NOT_AT_STAGE (409); nothing left to open: ACCOUNT_ALREADY_OPEN (409); the wrong role: "
    "WRONG_REVIEWER, the same person twice: TWO_PERSON_RULE (403).",
)
async def review(
    application_id: IdPath, body: ReviewIn, bus: BusDep, principal: AccountApplicationReviewer
) -> AccountApplicationOut:
    command = ReviewAccountApplication(
        application_id=application_id,
        stage=ReviewStage(body.stage),
        decision=Decision(body.decision),
        reasons=reasons_of(body.reasons),
    )
    return application_out(await bus.handle(command, principal))
