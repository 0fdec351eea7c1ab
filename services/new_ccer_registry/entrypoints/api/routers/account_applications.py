"""Joint account opening (联合开户, seed 004): the enterprise applies through the CCER exchange (CBGEX),
which reviews it and the paper materials; NCSC's registry review opens a registry account and a
trading account, bound to each other."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.new_ccer_registry.domain.account_opening import Decision, OrgForm, ReviewStage, Signatory
from services.new_ccer_registry.entrypoints.api.deps import (
    CSV,
    AnyPrincipal,
    ApplicationReaders,
    ApplicationReviewers,
    BusDep,
    Enterprise,
    ExchangeOperator,
    IdPath,
    Paging,
)
from services.new_ccer_registry.entrypoints.api.schemas import (
    APPLICATION_STATUS_DESC,
    ORG_FORM_DESC,
    SIGNATORY_DESC,
    AccountApplicationIn,
    AccountApplicationOut,
    ApplicationReviewIn,
    ApplicationStatusName,
    ChecklistItemOut,
    OrgFormName,
    SignatoryName,
    application_out,
    checklist_item_out,
)
from services.new_ccer_registry.service_layer.commands import (
    AmendAccountApplication,
    ApplyForAccounts,
    Contact,
    Contacts,
    GetAccountApplication,
    GetChecklist,
    ListAccountApplications,
    MaterialFile,
    Organisation,
    Reason,
    RecordPaperReceived,
    ReviewAccountApplication,
)
from shared.domain_types import AccountType
from shared.listing import Page, PageParams, respond_list

router = APIRouter(prefix="/account-applications", tags=["account applications"])

REFUSALS = (
    "Refused with every finding at once: MATERIAL_MISSING / MATERIAL_NOT_REQUIRED / MATERIAL_DUPLICATE (one per "
    "number; 15 and 16 when an authorised person signed the entry agreement), DECLARATION_REQUIRED (an `other` participant, one per declaration), NOT_OWN_ORG (422); "
    "ACCOUNT_ALREADY_OPEN, APPLICATION_IN_PROGRESS (409). — 材料缺漏或多余、声明缺失等问题一次性告知。"
)


def _fields(body: AccountApplicationIn) -> dict[str, Any]:
    contacts = body.contacts
    return {
        "org": Organisation(
            name=body.org.name,
            uscc=body.org.uscc,
            org_form=OrgForm(body.org.org_form),
            foreign_invested=body.org.foreign_invested,
        ),
        "account_type": str(body.account_type),
        "province": body.province,
        "contacts": Contacts(
            account_representative=Contact(**contacts.account_representative.model_dump()),
            trading_representative=Contact(**contacts.trading_representative.model_dump()),
        ),
        "materials": tuple(MaterialFile(**m.model_dump()) for m in body.materials),
        "declarations": body.declarations.model_dump(),
        "agreement_signed_by": Signatory(body.agreement_signed_by),
    }


@router.post(
    "",
    status_code=201,
    response_model=AccountApplicationOut,
    summary="Apply for a registry account and a trading account — 联合开户申请",
    description="By an enterprise for its own USCC; routed to the CCER exchange's initial review. " + REFUSALS,
)
async def apply(body: AccountApplicationIn, bus: BusDep, principal: Enterprise) -> AccountApplicationOut:
    return application_out(await bus.handle(ApplyForAccounts(**_fields(body)), principal))


@router.get(
    "/checklist",
    response_model=Page[ChecklistItemOut],
    responses=CSV,
    summary="The materials an application carries — 账户开立所需材料清单",
    description="Seed 004 §三: 1, 2 and 6-12 always; 3 if foreign-invested; 4 (legal person) or 5 (other "
    "organisation); 13 and 14 for a project owner; 15 (letter of authorisation) and 16 (the authorised person's "
    "identity) when an authorised person signed the entry agreement. `paper_copies`: 2 posted on paper (一式两份), "
    "0 uploaded only (13, 14). CSV with Accept: text/csv. — 按账户类型、主体性质及入场交易协议签章人列出所需材料。",
)
async def checklist(
    bus: BusDep,
    principal: AnyPrincipal,
    request: Request,
    account_type: Annotated[AccountType, Query(description="account type — 账户类型")],
    org_form: Annotated[OrgFormName, Query(description=ORG_FORM_DESC)],
    foreign_invested: Annotated[bool, Query(description="foreign-invested — 是否外资、合资企业")] = False,
    agreement_signed_by: Annotated[SignatoryName, Query(description=SIGNATORY_DESC)] = "legal_representative",
) -> Any:
    command = GetChecklist(
        account_type=str(account_type),
        org_form=OrgForm(org_form),
        foreign_invested=foreign_invested,
        agreement_signed_by=Signatory(agreement_signed_by),
    )
    items = [checklist_item_out(m) for m in await bus.handle(command, principal)]
    return respond_list(request, items, PageParams(limit=len(items), offset=0), has_more=False)


@router.get(
    "",
    response_model=Page[AccountApplicationOut],
    responses=CSV,
    summary="Account applications in scope — 开户申请列表",
    description="The applicant sees its own, CBGEX's operators those routed to CBGEX, NCSC all.",
)
async def list_applications(
    bus: BusDep,
    principal: ApplicationReaders,
    page: Paging,
    request: Request,
    status: Annotated[ApplicationStatusName | None, Query(description=APPLICATION_STATUS_DESC)] = None,
) -> Any:
    listed = await bus.handle(ListAccountApplications(status=status, offset=page.offset, limit=page.limit), principal)
    return respond_list(request, [application_out(a) for a in listed.items], page, listed.has_more)


@router.get("/{application_id}", response_model=AccountApplicationOut, summary="An account application — 开户申请")
async def get_application(application_id: IdPath, bus: BusDep, principal: ApplicationReaders) -> AccountApplicationOut:
    return application_out(await bus.handle(GetAccountApplication(application_id=application_id), principal))


@router.put(
    "/{application_id}",
    response_model=AccountApplicationOut,
    summary="Amend the registration details and materials — 修改注册信息",
    description="While the exchange's initial review is pending (seed 004 第一步: 审核期间可……修改注册信息) or once "
    "returned (第四步: 修改后再次提交至交易机构初审). Each amendment is a new revision, at the exchange's initial "
    "review; the history names the revision and the fields changed. After the initial review passed: "
    "APPLICATION_NOT_AMENDABLE (409). " + REFUSALS,
)
async def amend(
    application_id: IdPath, body: AccountApplicationIn, bus: BusDep, principal: Enterprise
) -> AccountApplicationOut:
    command = AmendAccountApplication(application_id=application_id, **_fields(body))
    return application_out(await bus.handle(command, principal))


@router.post(
    "/{application_id}/paper-received",
    response_model=AccountApplicationOut,
    summary="Paper materials received by the exchange — 纸质申请材料已收到",
    description="Only after the initial review asked for them (APPLICATION_NOT_AWAITING_PAPER, 409 otherwise).",
)
async def paper_received(application_id: IdPath, bus: BusDep, principal: ExchangeOperator) -> AccountApplicationOut:
    return application_out(await bus.handle(RecordPaperReceived(application_id=application_id), principal))


@router.post(
    "/{application_id}/reviews",
    response_model=AccountApplicationOut,
    summary="Exchange initial review, exchange re-review, or registry review — 交易机构初审、复审，注册登记机构审核",
    description="exchange_initial (submitted → awaiting_paper, SMS to the trading representative) and exchange_re "
    "(paper_received → awaiting_registry_review, by another person: TWO_PERSON_RULE 403) by CBGEX's operators; "
    "registry (awaiting_registry_review → opened: registry and trading account, bound) by NCSC. A rejection "
    "(reasons required) returns the application. `revision`, if given, is the revision reviewed: amended since, "
    "APPLICATION_REVISION_SUPERSEDED (409); without it the decision is on the latest revision. A stage that is not due: APPLICATION_NOT_AT_STAGE (409); the "
    "wrong role for the stage: WRONG_REVIEWER (403).",
)
async def review(
    application_id: IdPath, body: ApplicationReviewIn, bus: BusDep, principal: ApplicationReviewers
) -> AccountApplicationOut:
    reasons = tuple(
        Reason(code="REJECTED", message=r) if isinstance(r, str) else Reason(**r.model_dump()) for r in body.reasons
    )
    command = ReviewAccountApplication(
        application_id=application_id,
        stage=ReviewStage(body.stage),
        decision=Decision(body.decision),
        reasons=reasons,
        revision=body.revision,
    )
    return application_out(await bus.handle(command, principal))
