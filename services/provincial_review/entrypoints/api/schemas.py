"""API schemas of the provincial review (kept apart from ORM rows and event contracts)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.provincial_review.domain.checks import CheckCode
from services.provincial_review.domain.review import Decision, Recommendation, ReviewStatus

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
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,59}$", description="stable UPPER_SNAKE code — 问题代码")
    message: str = Field(min_length=1, max_length=1000, description="English text — 英文说明")
    message_zh: str = Field(min_length=1, max_length=1000, description="Chinese text — 中文说明")
    item: int | None = Field(
        default=None, ge=0, description="index of the application item concerned — 所涉申请项序号（从 0 起）"
    )


class FirstReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recommendation: Recommendation = Field(description=RECOMMENDATION_DOC)
    findings: list[FindingIn] = Field(
        default_factory=list,
        max_length=200,
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
    deadline: datetime = Field(description="application deadline — 履约申请截止时间")
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
    at: datetime
    action: Literal["opened", "checks_recomputed", "first_review", "second_review"] = Field(description=ACTION_DOC)
    actor: str
    status: ReviewStatus = Field(description=f"status after this step — 此步后的状态: {STATUS_DOC}")
    comment: str | None = None
    detail: dict[str, Any] = {}


class ReviewOut(BaseModel):
    id: str
    application_id: str
    revision: int
    account: AccountOut
    period: PeriodOut
    notice: NoticeOut
    items: list[ItemOut]
    checks: list[CheckOut]
    checks_at: datetime = Field(description="when the checks were last computed — 自动核对时间")
    status: ReviewStatus = Field(description=STATUS_DOC)
    recommendation: Recommendation | None = Field(description=RECOMMENDATION_DOC)
    findings: list[FindingOut]
    first_reviewer: str | None = None
    first_reviewed_at: datetime | None = None
    second_reviewer: str | None = None
    submitted_at: datetime
    opened_at: datetime
    decided_at: datetime | None = None
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
