"""API schemas of the provincial review (kept apart from ORM rows and event contracts)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.provincial_review.domain.checks import CheckCode
from services.provincial_review.domain.offset_forms import CancellationCheck, FormDecision, FormStatus
from services.provincial_review.domain.overdue_handling import HandlingKind
from services.provincial_review.domain.review import Decision, Recommendation, ReviewStatus
from shared.bounds import MAX_ITEMS, Remark, Sha256, SignedQuantity
from shared.domain_types import Holder, ProvinceCode
from shared.timeutil import LocalDateTime, LocalJSON

STATUS_DOC = (
    "awaiting_first_review — 待初审; awaiting_second_review — 待复审; approved — 审核通过; rejected — 审核不通过"
)
RECOMMENDATION_DOC = "approve — 建议通过; reject — 建议不通过"
DECISION_DOC = "confirm — 确认初审意见（终审）; send_back — 退回初审"
KIND_DOC = (
    "allowance — 配额; ccer — 待抵销 CCER 批次（全国履约抵销）; "
    "offset_ccer — 抵销专用 CCER（第一履约期，由配额注登系统生成）"
)
ORIGIN_DOC = "new — 新CCER; legacy — 旧有CCER（已同步）"
ACTION_DOC = (
    "opened — 立案; checks_recomputed — 自动核对已重新计算（如收到履约通知书）; "
    "first_review — 初审; second_review — 复审"
)


class FindingIn(BaseModel):
    """A non-conformity found by the reviewer (不符合事项)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(
        max_length=60, pattern=r"^[A-Z][A-Z0-9_]{1,59}$", description="stable UPPER_SNAKE code — 问题代码"
    )
    message: Remark = Field(min_length=1, description="English text — 英文说明")
    message_zh: Remark = Field(min_length=1, description="Chinese text — 中文说明")
    item: int | None = Field(
        default=None,
        ge=0,
        le=MAX_ITEMS,
        description="index of the application item concerned — 所涉申请项序号（从 0 起）",
    )


class FirstReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recommendation: Recommendation = Field(description=RECOMMENDATION_DOC)
    findings: list[FindingIn] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="findings added by hand; the failing automated checks' findings are added by the service "
        "— 人工审核意见；未通过的自动核对结果由系统自动附上",
    )


class SecondReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision = Field(description=DECISION_DOC)
    comment: str = Field(default="", max_length=2000, description="required to send back — 退回初审时必填")


class FindingOut(BaseModel):
    code: str
    message: str
    message_zh: str
    item: int | None = None


class CheckOut(BaseModel):
    code: CheckCode = Field(description="automated check — 自动核对项")
    passed: bool = Field(description="true — 通过; false — 未通过")
    detail: str
    detail_zh: str
    item: int | None = Field(default=None, description="application item checked — 所核对的申请项序号")
    findings: list[FindingOut] = []


class AccountOut(BaseModel):
    id: str
    name: str
    uscc: str
    province: str


class PeriodOut(BaseModel):
    code: str
    cap_bp: int = Field(description="offset cap in basis points of the obligation — 抵销比例上限（万分比）")
    deadline: LocalDateTime = Field(description="application deadline — 履约申请截止时间")
    eligibility: dict[str, Any] = {}


class NoticeOut(BaseModel):
    id: str
    obligation: int = Field(description="应履约量 as stated in the application")
    fulfilled: int = Field(description="已履约量 at submission")
    under_review: int = Field(description="待审核履约量 at submission")


class ItemOut(BaseModel):
    index: int
    kind: Literal["allowance", "ccer", "offset_ccer"] = Field(description=KIND_DOC)
    quantity: int
    instrument: str | None = None
    lot_id: str | None = None
    origin: Literal["new", "legacy"] | None = Field(default=None, description=ORIGIN_DOC)
    project: dict[str, Any] | None = None
    units_recorded_at: date | None = None


class HistoryOut(BaseModel):
    at: LocalDateTime
    action: Literal["opened", "checks_recomputed", "first_review", "second_review"] = Field(description=ACTION_DOC)
    actor: str
    status: ReviewStatus = Field(description=f"status after this step — 此步后的状态: {STATUS_DOC}")
    comment: str | None = None
    detail: LocalJSON = {}


class ReviewOut(BaseModel):
    id: str
    application_id: str
    revision: int
    account: AccountOut
    period: PeriodOut
    notice: NoticeOut
    items: list[ItemOut]
    checks: list[CheckOut]
    checks_at: LocalDateTime = Field(description="when the checks were last computed — 自动核对时间")
    status: ReviewStatus = Field(description=STATUS_DOC)
    recommendation: Recommendation | None = Field(description=RECOMMENDATION_DOC)
    findings: list[FindingOut]
    first_reviewer: str | None = None
    first_reviewed_at: LocalDateTime | None = None
    second_reviewer: str | None = None
    submitted_at: LocalDateTime
    opened_at: LocalDateTime
    decided_at: LocalDateTime | None = None
    history: list[HistoryOut]


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    next_cursor: str | None = None


class UnitShortOut(BaseModel):
    notice_id: str
    account_id: str
    name: str
    uscc: str
    obligation: int


class DashboardOut(BaseModel):
    period_code: str
    province: str
    units: int = Field(description="units with an enterprise notice for the period — 收到履约通知书的重点排放单位数")
    complete: int = Field(description="units whose notice is complete — 已完成履约的单位数")
    share_complete: float = Field(description="complete / units, 0-1 — 履约完成率")
    units_short: list[UnitShortOut] = Field(description="units not yet complete — 未完成履约的单位")
    reviews: dict[str, int] = Field(
        description=f"review cases of the period by status — 各状态审核案件数: {STATUS_DOC}"
    )


# --- first-period offset forms (申请表) ------------------------------------------------------------
FORM_STATUS_DOC = "submitted — 已提交（待省级确认）; confirmed — 已确认; returned — 已退回（待修改后重新提交）"
FORM_DECISION_DOC = "confirm — 确认; return — 退回（须附理由）"
FORM_ACTION_DOC = (
    "submitted — 提交; resubmitted — 修改后重新提交; confirmed — 省级确认; returned — 省级退回; "
    "proof_attached — 提交注销截图"
)
CANCELLATION_CHECK_DOC = (
    "matched — 注销量与确认量一致; not_cancelled — 已确认，尚未注销; short — 注销量少于确认量; "
    "excess — 注销量多于确认量"
)


class OffsetFormIn(BaseModel):
    """The unit's form (《全国碳市场第一个履约周期重点排放单位使用 CCER 抵销配额清缴申请表》)."""

    model_config = ConfigDict(extra="forbid")
    period_code: str = Field(min_length=1, max_length=30, description="compliance period, 2019-2020 — 履约期")
    unit: Holder = Field(description="the key emitting unit: name and USCC — 重点排放单位名称及统一社会信用代码")
    province: ProvinceCode
    obligation: SignedQuantity = Field(
        description="the 2019-2020 allowances to surrender, as on the notice — 2019-2020年应清缴配额总量（吨）",
    )
    requested_quantity: SignedQuantity = Field(
        description="CCER to offset, positive, at most 5% of the obligation (checked with every other problem) "
        "— 申请抵销量（吨，正整数，不超过应清缴量的5%）",
    )


class FormDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: FormDecision = Field(description=FORM_DECISION_DOC)
    reasons: list[Annotated[Remark, Field(min_length=1)]] = Field(
        default_factory=list, max_length=20, description="required to return — 退回时必填的理由"
    )


class CancellationProofIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file_name: str = Field(
        min_length=1,
        max_length=255,
        pattern=r"^[^/\\\x00-\x1f]+$",
        description="file name of the stamped screenshot, no path — 加盖公章的注销截图文件名",
    )
    sha256: Sha256 = Field(description="SHA-256 of the file, hex — 文件 SHA-256 摘要")


class ProofOut(BaseModel):
    file_name: str
    sha256: str
    submitted_at: LocalDateTime
    submitted_by: str


class CancellationOut(BaseModel):
    cancellation_id: str = Field(description="the legacy registry's cancellation record — 注销记录编号")
    project_number: str
    quantity: int
    cancelled_at: LocalDateTime


class FormHistoryOut(BaseModel):
    at: LocalDateTime
    action: Literal["submitted", "resubmitted", "confirmed", "returned", "proof_attached"] = Field(
        description=FORM_ACTION_DOC
    )
    actor: str
    status: FormStatus = Field(description=f"status after this step — 此步后的状态: {FORM_STATUS_DOC}")
    reasons: list[str] = []
    detail: LocalJSON = {}


class UnitOut(BaseModel):
    name: str
    uscc: str


class OffsetFormOut(BaseModel):
    id: str
    period_code: str
    unit: UnitOut
    province: str
    notice_id: str = Field(description="the unit's enterprise notice checked against — 核对的企业履约通知书")
    obligation: int = Field(description="应清缴配额量 as stated")
    requested_quantity: int = Field(description="申请抵销量")
    status: FormStatus = Field(description=FORM_STATUS_DOC)
    revision: int = Field(description="1, then 2 after the first correction — 提交次数")
    reasons: list[str] = Field(description="the province's reasons of the last return — 最近一次退回理由")
    first_submitted_at: LocalDateTime
    submitted_at: LocalDateTime = Field(description="the last submission — 最近一次提交时间")
    decided_at: LocalDateTime | None = None
    decided_by: str | None = None
    confirmed_at: LocalDateTime | None = None
    confirmed_quantity: int = Field(description="the requested quantity once confirmed, else 0 — 经确认的抵销量")
    cancelled_quantity: int = Field(
        description="CCER the unit cancelled for the period, from NCSC's daily records — 已注销量（国家气候战略中心每日注销记录）"
    )
    cancellations: list[CancellationOut] = Field(
        description="the unit's cancellations for the period's offset, from NCSC's daily records — 注销记录"
    )
    cancellation_mismatch: bool = Field(description="cancelled ≠ confirmed — 注销量与确认量不一致")
    cancellation_check: CancellationCheck = Field(description=CANCELLATION_CHECK_DOC)
    summary_id: str | None = Field(
        default=None, description="the weekly summary that reported the confirmation — 报送的周汇总"
    )
    proofs: list[ProofOut] = Field(description="stamped screenshots of the cancellation — 注销截图")
    history: list[FormHistoryOut]


class OffsetFormPage(BaseModel):
    items: list[OffsetFormOut]
    next_cursor: str | None = None


class SummaryItemOut(BaseModel):
    """A form received or decided in the week, as it stood at the week's end."""

    form_id: str
    unit: UnitOut
    notice_id: str
    status: FormStatus | None = Field(
        default=None, description="the form's status at the week's end — 周末（周五17点）时的申请表状态"
    )
    obligation: int
    requested_quantity: int
    confirmed_quantity: int = Field(description="the requested quantity once confirmed, else 0 — 确认抵销量")
    revision: int
    submitted_at: LocalDateTime | None = Field(default=None, description="last (re)submission — 最近提交时间")
    decided_at: LocalDateTime | None = Field(default=None, description="confirmed or returned at — 确认/退回时间")
    confirmed_at: LocalDateTime | None = None
    reasons: list[str] = Field(default=[], description="the reasons of a return — 退回理由")


class FormSummaryOut(BaseModel):
    id: str
    province: str
    period_code: str
    week_ending: date = Field(description="the Friday the week ends on, at 17:00 — 汇总周（周五17点截止）")
    covers_from: LocalDateTime = Field(description="previous Friday 17:00 — 上周五17点")
    covers_until: LocalDateTime = Field(description="this Friday 17:00 (exclusive) — 本周五17点（不含）")
    forms: int = Field(description="forms received or decided in the week — 本周收到或处理的申请表数")
    requested_total: int = Field(description="申请抵销量合计")
    confirmed_total: int = Field(description="确认抵销量合计")
    items: list[SummaryItemOut]
    made_at: LocalDateTime


class FormSummaryPage(BaseModel):
    items: list[FormSummaryOut]
    next_cursor: str | None = None


# --- the handling of overdue units (seed 001 二) ---------------------------------------------------
class OverdueHandlingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: HandlingKind = Field(description=f"how the unit was handled — 处理方式: {HandlingKind.__doc__}")
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        description="what was decided, with its reference (e.g. the decision's number) — 处理情况说明"
    )


class OverdueHandlingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notice_id: str
    period_code: str
    province: str
    kind: HandlingKind
    description: str
    revision: int = Field(description="1 for the first record, then one more per correction — 登记版本")
    recorded_at: LocalDateTime
    recorded_by: str


class OverdueUnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notice_id: str
    account_id: str
    name: str
    uscc: str
    obligation: int
    deadline: LocalDateTime = Field(
        description="the notice's deadline, the last instant to comply — 履约截止时间（含）"
    )
    completed_at: LocalDateTime | None = Field(
        description="completed late, or not at all (null) — 完成履约时间（逾期）"
    )
    handling: OverdueHandlingOut | None = Field(description="null: not handled yet — 处理情况（未登记为空）")


class HandlingReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period_code: str
    province: str
    due: LocalDateTime = Field(
        description="the last instant to report to the ministry (2019-2020: 2022-01-15 23:59:59) — 报送截止时间（含）"
    )
    past_due: bool = Field(description="the due instant has passed — 已过报送截止时间")
    overdue: int = Field(description="units that did not surrender in time — 未按时足额清缴的单位数")
    handled: int = Field(description="of which the handling is recorded — 已登记处理情况的单位数")
    not_handled: int = Field(description="of which the handling is not recorded yet — 尚未登记处理情况的单位数")
    units: list[OverdueUnitOut]
    made_at: LocalDateTime
