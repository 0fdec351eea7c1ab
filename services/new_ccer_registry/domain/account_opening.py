"""Joint account opening (联合开户, seed 004 and domain.md §8): the registry account and the trading
account, applied for together through the CCER exchange (CBGEX), reviewed by it twice and by NCSC.

    submitted --exchange_initial approve--> awaiting_paper        (SMS to the trading representative:
                                                                   post the paper materials)
    awaiting_paper --paper received (exchange)--> paper_received
    paper_received --exchange_re approve--> awaiting_registry_review   (another person than the
                                                                         initial reviewer)
    awaiting_registry_review --registry approve (NCSC)--> opened   (registry account + trading account
                                                                    created and bound; registry account
                                                                    information to the account
                                                                    representative's phone, trading
                                                                    account information to the trading
                                                                    representative's email)
    submitted --applicant amends (PUT)--> submitted   (a new revision under the same initial review:
                                                       审核期间可……修改注册信息, seed 004 第一步)
    submitted | paper_received | awaiting_registry_review --reject--> returned   (with reasons)
    returned --applicant amends (PUT)--> submitted   (a new revision; the exchange's initial review again,
                                                      seed 004 第四步: 再次提交至交易机构初审)

Amendments. The applicant may change the registration details and the materials while the exchange's
initial review is pending (``submitted``) and after a return; each amendment is a new revision, with a
history step naming the revision and the fields it changed. The initial review is of the latest
revision: a reviewer who names the revision they read (``revision``) and finds it superseded is refused
(APPLICATION_REVISION_SUPERSEDED, 409) and reads again. Once the initial review passed, the paper
materials were asked for on the strength of what was reviewed, so an amendment is refused
(APPLICATION_NOT_AMENDABLE, 409) until the application is returned.

Any other step answers 409. The exchange stages are taken by an operator of CBGEX, the registry stage
by NCSC; the two-person rule (``sub``) keeps the re-review from the initial reviewer and the registry
review from either exchange reviewer, whatever roles a person holds. A unit has at most one account
of a type: an application for a type it holds, or while another is under review, is refused.

Materials are numbered as in seed 004 §三; every missing and every surplus number is a finding. Two
more carry numbers of this simulator: 15, the letter of authorisation (授权委托书, stamped and signed by
the legal representative or person in charge) and 16, the authorised person's identity document
(被授权人的身份证明). They are required when the trading entry agreement (12) was signed by someone other
than the legal representative or person in charge (seed 004 §三: 若由非法定代表人或非负责人签章，需补充提供……).
Every material is posted on paper in two copies (一式两份) except 13 and 14, which are uploaded only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Forbidden
from shared.findings import Finding, two_person_rule

__all__ = [
    "ACCOUNT_ALREADY_OPEN",
    "APPLICATION_CONFLICTS",
    "AUTHORISATION_MATERIALS",
    "DECLARATIONS",
    "MATERIALS",
    "ApplicationStatus",
    "Decision",
    "Material",
    "OrgForm",
    "ReviewStage",
    "Signatory",
    "StageReviewers",
    "account_exists",
    "amend_findings",
    "application_findings",
    "declaration_findings",
    "material_findings",
    "next_status",
    "paper_findings",
    "paper_materials",
    "require_reviewer",
    "required_materials",
    "review_findings",
    "revision_findings",
]

ACCOUNT_ALREADY_OPEN = "ACCOUNT_ALREADY_OPEN"
# About the state of things (409), not the request: the rest of the findings are 422.
APPLICATION_CONFLICTS = frozenset(
    {
        ACCOUNT_ALREADY_OPEN,
        "APPLICATION_IN_PROGRESS",
        "APPLICATION_NOT_AT_STAGE",
        "APPLICATION_NOT_AWAITING_PAPER",
        "APPLICATION_NOT_AMENDABLE",
        "APPLICATION_REVISION_SUPERSEDED",
    }
)


class ApplicationStatus(StrEnum):
    """submitted — 待交易机构初审; awaiting_paper — 初审通过，待邮寄纸质材料; paper_received — 纸质材料已收到，
    待交易机构复审; awaiting_registry_review — 待注册登记机构审核; opened — 已开户; returned — 已退回（可修改后重新提交）"""

    submitted = "submitted"
    awaiting_paper = "awaiting_paper"
    paper_received = "paper_received"
    awaiting_registry_review = "awaiting_registry_review"
    opened = "opened"
    returned = "returned"


class ReviewStage(StrEnum):
    """exchange_initial — 交易机构初审; exchange_re — 交易机构复审（纸质材料）; registry — 注册登记机构审核"""

    exchange_initial = "exchange_initial"
    exchange_re = "exchange_re"
    registry = "registry"


class Decision(StrEnum):
    """approve — 通过; reject — 不通过（退回）"""

    approve = "approve"
    reject = "reject"


class OrgForm(StrEnum):
    """legal_person — 法人; other_org — 其他组织"""

    legal_person = "legal_person"
    other_org = "other_org"


class Signatory(StrEnum):
    """Who signed the trading entry agreement (material 12): legal_representative — 法定代表人或负责人;
    authorised_person — 被授权人（须补充授权委托书及被授权人身份证明）"""

    legal_representative = "legal_representative"
    authorised_person = "authorised_person"


# Which status awaits which review, and where an approval leads.
_STAGE_OF = {
    ApplicationStatus.submitted: ReviewStage.exchange_initial,
    ApplicationStatus.paper_received: ReviewStage.exchange_re,
    ApplicationStatus.awaiting_registry_review: ReviewStage.registry,
}
_APPROVED_TO = {
    ReviewStage.exchange_initial: ApplicationStatus.awaiting_paper,
    ReviewStage.exchange_re: ApplicationStatus.awaiting_registry_review,
    ReviewStage.registry: ApplicationStatus.opened,
}
_REVIEWER_ROLE = {
    ReviewStage.exchange_initial: "exchange_operator",
    ReviewStage.exchange_re: "exchange_operator",
    ReviewStage.registry: "ncsc_operator",
}


def _f(code: str, message: str, message_zh: str, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, field=field)


# --- materials (seed 004 §三) ---------------------------------------------------------------------
@dataclass(frozen=True)
class Material:
    no: int
    name: str
    name_zh: str
    applies_to: str  # when it is required, in English
    applies_to_zh: str
    # Posted on paper in two copies (一式两份), besides the upload; 13 and 14 are uploaded only.
    paper_copies: int = 2


MATERIALS: dict[int, Material] = {
    m.no: m
    for m in (
        Material(
            1, "business licence or other proof of legal status", "营业执照或其他主体资格证明", "always", "均须提供"
        ),
        Material(
            2,
            "identity of the legal representative / person in charge",
            "法定代表人/负责人身份证明",
            "always",
            "均须提供",
        ),
        Material(
            3, "proof of foreign investment", "外商投资证明材料", "foreign-invested units", "适用于外资、合资企业"
        ),
        Material(
            4,
            "registry account application form (enterprise)",
            "注册登记系统企业开户申请表",
            "legal persons",
            "适用于法人",
        ),
        Material(
            5,
            "registry account application form (organisation)",
            "注册登记系统机构团体开户申请表",
            "other organisations",
            "适用于其他组织",
        ),
        Material(
            6, "registry account representative authorisation", "注册登记系统账户代表授权书", "always", "均须提供"
        ),
        Material(
            7,
            "identity of the registry initiating representative",
            "注册登记系统发起代表身份证明",
            "always",
            "均须提供",
        ),
        Material(
            8,
            "identity of the registry confirming representative",
            "注册登记系统确认代表身份证明",
            "always",
            "均须提供",
        ),
        Material(9, "identity of the registry contact person", "注册登记系统联系人身份证明", "always", "均须提供"),
        Material(10, "trading system account application form", "交易系统开户申请表", "always", "均须提供"),
        Material(
            11,
            "trading representative recommendation letter (with identity)",
            "交易系统交易代表推荐函（含交易代表身份证明）",
            "always",
            "均须提供",
        ),
        Material(
            12,
            "trading system entry agreement (with risk disclosure)",
            "交易系统入场交易协议（含风险提示函）",
            "always",
            "均须提供",
        ),
        Material(13, "project design document", "项目设计文件", "project owners", "适用于申请项目业主账户", 0),
        Material(
            14,
            "other supporting documents (property rights, transfer agreement)",
            "其他证明材料",
            "project owners",
            "适用于申请项目业主账户",
            0,
        ),
        Material(
            15,
            "letter of authorisation for the signatory of the trading entry agreement",
            "授权委托书（加盖公章及法定代表人或负责人签章）",
            "entry agreement signed by an authorised person",
            "入场交易协议由非法定代表人或非负责人签章时",
        ),
        Material(
            16,
            "identity of the authorised person",
            "被授权人的身份证明",
            "entry agreement signed by an authorised person",
            "入场交易协议由非法定代表人或非负责人签章时",
        ),
    )
}
AUTHORISATION_MATERIALS = (15, 16)
_ALWAYS = (1, 2, 6, 7, 8, 9, 10, 11, 12)


def required_materials(
    account_type: str,
    org_form: OrgForm,
    foreign_invested: bool,
    signed_by: Signatory = Signatory.legal_representative,
) -> list[int]:
    """The material numbers an application of this type and form must carry, ascending: 1, 2 and 6-12
    always; 3 for a foreign-invested unit; 4 for a legal person or 5 for another organisation (择一);
    13 and 14 for a project owner; 15 and 16 when an authorised person signed the entry agreement."""
    required = set(_ALWAYS)
    if foreign_invested:
        required.add(3)
    required.add(4 if org_form is OrgForm.legal_person else 5)
    if account_type == "project_owner":
        required |= {13, 14}
    if signed_by is Signatory.authorised_person:
        required |= set(AUTHORISATION_MATERIALS)
    return sorted(required)


def paper_materials(numbers: Collection[int]) -> list[int]:
    """Of these materials, the ones posted on paper (two copies each), ascending: all but 13 and 14."""
    return sorted(no for no in set(numbers) if no in MATERIALS and MATERIALS[no].paper_copies > 0)


def material_findings(required: Collection[int], given: Sequence[int]) -> list[Finding]:
    """Every required number missing, every number given that is not required (surplus), every number
    given twice: each its own finding, ascending."""
    counts = Counter(given)
    findings = []
    for no in sorted(set(required) | set(counts)):
        m = MATERIALS.get(no)
        name, name_zh = (m.name, m.name_zh) if m else (f"material {no}", f"材料 {no}")
        if no in required and no not in counts:
            why, why_zh = (
                (": the entry agreement was signed by an authorised person", "：入场交易协议由被授权人签章")
                if no in AUTHORISATION_MATERIALS
                else ("", "")
            )
            findings.append(
                _f(
                    "MATERIAL_MISSING",
                    f"material {no} ({name}) is missing{why}",
                    f"缺少第 {no} 项材料（{name_zh}）{why_zh}",
                    "materials",
                )
            )
        elif no not in required:
            findings.append(
                _f(
                    "MATERIAL_NOT_REQUIRED",
                    f"material {no} ({name}) is not required for this account type and organisation form",
                    f"第 {no} 项材料（{name_zh}）不适用于该账户类型及主体性质",
                    "materials",
                )
            )
        elif counts[no] > 1:
            findings.append(
                _f(
                    "MATERIAL_DUPLICATE",
                    f"material {no} is given more than once",
                    f"第 {no} 项材料重复提交",
                    "materials",
                )
            )
    return findings


# --- declarations of an `other` participant (seed 004 §一.4) --------------------------------------
DECLARATIONS: dict[str, tuple[str, str]] = {
    "registered_in_prc": (
        "registered in the PRC, lawfully established and validly existing",
        "在中华人民共和国境内登记注册，依法设立并有效存续",
    ),
    "good_credit_3y": (
        "good standing, no violation or bad credit record in the last three years",
        "具有良好的信誉，近三年无违法违规行为及其他不良诚信记录",
    ),
    "not_prohibited": (
        "not prohibited or restricted from voluntary emission reduction trading",
        "不存在国家有关规定禁止或限制从事自愿减排交易的情形",
    ),
}


def declaration_findings(account_type: str, declarations: Mapping[str, bool | None]) -> list[Finding]:
    """An ``other`` participant declares each condition of seed 004 §一.4 true; a missing or false
    declaration is a finding each. Other types declare nothing."""
    if account_type != "other":
        return []
    return [
        _f(
            "DECLARATION_REQUIRED",
            f"an 'other' participant must declare: {text}",
            f"“其他”类申请机构须声明：{text_zh}",
            f"declarations.{name}",
        )
        for name, (text, text_zh) in DECLARATIONS.items()
        if declarations.get(name) is not True
    ]


# --- submission and amendment ---------------------------------------------------------------------
def account_exists(account_type: str) -> Finding:
    return _f(
        ACCOUNT_ALREADY_OPEN,
        f"the unit already has a {account_type} account in the new CCER registry",
        "该单位已开立该类型的注册登记账户和交易账户，无需重复开立",
        "account_type",
    )


def application_findings(
    *,
    own_org: bool,
    account_type: str,
    org_form: OrgForm,
    foreign_invested: bool,
    materials: Sequence[int],
    declarations: Mapping[str, bool | None],
    has_account: bool,
    in_progress: bool,
    signed_by: Signatory = Signatory.legal_representative,
) -> list[Finding]:
    """Every reason an application (or its amendment) is refused at submission, all at once."""
    findings = []
    if not own_org:
        findings.append(
            _f("NOT_OWN_ORG", "an enterprise applies for its own organisation", "只能为本单位申请开户", "org.uscc")
        )
    findings += material_findings(required_materials(account_type, org_form, foreign_invested, signed_by), materials)
    findings += declaration_findings(account_type, declarations)
    if has_account:
        findings.append(account_exists(account_type))
    if in_progress:
        findings.append(
            _f(
                "APPLICATION_IN_PROGRESS",
                f"another {account_type} application of this unit is under review",
                "该单位同类型的开户申请正在办理中",
                "account_type",
            )
        )
    return findings


_AMENDABLE = frozenset({ApplicationStatus.submitted, ApplicationStatus.returned})


def amend_findings(status: ApplicationStatus) -> list[Finding]:
    """An application is amended while the exchange's initial review is pending (the amendment is
    what that review reads) or once returned (the amendment resubmits it); not after the initial
    review passed, when the paper materials follow what was reviewed."""
    if status in _AMENDABLE:
        return []
    return [
        _f(
            "APPLICATION_NOT_AMENDABLE",
            f"the application is {status}; it is amended only while awaiting the exchange's initial review "
            "or once returned",
            f"申请当前状态为 {status}，仅在交易机构初审期间或退回后可修改注册信息",
        )
    ]


def revision_findings(current: int, reviewed: int | None) -> list[Finding]:
    """A reviewer who names the revision they reviewed is refused when the applicant amended it since."""
    if reviewed is None or reviewed == current:
        return []
    return [
        _f(
            "APPLICATION_REVISION_SUPERSEDED",
            f"revision {reviewed} was reviewed, but the application is at revision {current}: review it again",
            f"所审核的是第 {reviewed} 版，申请已修改为第 {current} 版，请重新审核",
            "revision",
        )
    ]


def paper_findings(status: ApplicationStatus) -> list[Finding]:
    """The paper materials arrive only after the initial review asked for them."""
    if status is ApplicationStatus.awaiting_paper:
        return []
    return [
        _f(
            "APPLICATION_NOT_AWAITING_PAPER",
            f"the application is {status}; paper materials are expected only after the initial review",
            f"申请当前状态为 {status}，初审通过后方可接收纸质材料",
        )
    ]


# --- reviews --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageReviewers:
    """Who (``sub``) took the exchange's reviews of the current revision."""

    exchange_initial: str | None = None
    exchange_re: str | None = None


def require_reviewer(stage: ReviewStage, role: str) -> None:
    """The exchange stages are an exchange operator's, the registry stage NCSC's (403 otherwise)."""
    if role != _REVIEWER_ROLE[stage]:
        raise Forbidden(
            "WRONG_REVIEWER",
            f"the {stage} review is taken by a {_REVIEWER_ROLE[stage]}",
            "交易机构审核须由交易机构办理"
            if stage is not ReviewStage.registry
            else "注册登记机构审核须由国家气候战略中心办理",
            field="stage",
        )


def review_findings(
    status: ApplicationStatus,
    reviewers: StageReviewers,
    *,
    stage: ReviewStage,
    decision: Decision,
    reviewer_sub: str,
    reason_count: int,
) -> list[Finding]:
    """Every reason the review may not be taken now by this person."""
    findings = []
    if _STAGE_OF.get(status) is not stage:
        awaiting = _STAGE_OF.get(status)
        findings.append(
            _f(
                "APPLICATION_NOT_AT_STAGE",
                f"the application is {status}; it awaits "
                + (f"the {awaiting} review" if awaiting else "no review")
                + f", not the {stage} review",
                f"申请当前状态为 {status}，不处于该审核环节",
                "stage",
            )
        )
    if decision is Decision.reject and reason_count == 0:
        findings.append(_f("REASONS_REQUIRED", "a rejection gives its reasons", "退回须说明理由", "reasons"))
    if stage is ReviewStage.exchange_re:
        same = two_person_rule(reviewers.exchange_initial, reviewer_sub, "took the initial review", "办理交易机构初审")
        if same is not None:
            findings.append(same)
    if stage is ReviewStage.registry:
        for first in (reviewers.exchange_initial, reviewers.exchange_re):
            same = two_person_rule(first, reviewer_sub, "reviewed it for the exchange", "办理交易机构审核")
            if same is not None:
                findings.append(same)
                break
    return findings


def next_status(stage: ReviewStage, decision: Decision) -> ApplicationStatus:
    """Where a review that :func:`review_findings` allows leaves the application."""
    return ApplicationStatus.returned if decision is Decision.reject else _APPROVED_TO[stage]
