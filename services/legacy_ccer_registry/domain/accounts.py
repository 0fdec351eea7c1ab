"""Legacy registry accounts and the account opening application through a legacy exchange
(seed 000 §一 第一步: 登记账户开立申请材料由旧有CCER交易机构初审通过后，提交至……CCER注登机构复审。复审通过后，
由CCER注登机构完成登记账户开户。交易账户开立申请材料由旧有CCER交易机构审核通过后完成交易账户开户).

    submitted --exchange approves--> awaiting_registry_review   (the trading account at the exchange
                                                                 opens at once; the registry account
                                                                 waits for NCSC)
    submitted --exchange approves, the unit holds its registry account--> opened
                                                                (only the trading account was missing)
    awaiting_registry_review --registry approves--> opened     (the registry account opens; the unit's
                                                                trading accounts are attached to it)
    submitted --exchange rejects--> returned
    awaiting_registry_review --registry rejects--> returned     (the trading account opened by the
                                                                exchange stays open)
    returned --applicant amends (PUT)--> submitted        (a new revision; reviews start again)

The exchange stage is taken by an operator of the exchange the application went through, the
registry stage by NCSC; never both by one person (``sub``), whatever roles they hold. A rejection
carries at least one reason. A unit has one trading account per exchange and one registry account:
what it has is not opened again (若已开立……无需重复开立), and a unit that has both was opened already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Forbidden
from shared.findings import Finding, two_person_rule
from shared.reference import LEGACY_EXCHANGES

__all__ = [
    "ALREADY_OPEN",
    "APPLICATION_CONFLICTS",
    "ApplicationState",
    "ApplicationStatus",
    "Decision",
    "Opening",
    "ReviewStage",
    "Transition",
    "account_exists",
    "already_open",
    "amend",
    "application_findings",
    "exchanges_findings",
    "opening",
    "opening_findings",
    "require_reviewer",
    "review",
    "review_findings",
]

ALREADY_OPEN = "ACCOUNT_ALREADY_OPEN"
APPLICATION_CONFLICTS = frozenset({ALREADY_OPEN, "APPLICATION_IN_PROGRESS", "APPLICATION_NOT_AT_STAGE"})


class ApplicationStatus(StrEnum):
    """submitted — 待交易机构初审; awaiting_registry_review — 交易账户已开立，登记账户待注登机构复审; opened — 已开户;
    returned — 已退回（可修改后重新提交）"""

    submitted = "submitted"
    awaiting_registry_review = "awaiting_registry_review"
    opened = "opened"
    returned = "returned"


class ReviewStage(StrEnum):
    """exchange — 交易机构初审; registry — 注登机构（国家气候战略中心）复审"""

    exchange = "exchange"
    registry = "registry"


class Decision(StrEnum):
    """approve — 通过; reject — 不通过（退回）"""

    approve = "approve"
    reject = "reject"


_STAGE_OF = {
    ApplicationStatus.submitted: ReviewStage.exchange,
    ApplicationStatus.awaiting_registry_review: ReviewStage.registry,
}
_REVIEWER_ROLE = {ReviewStage.exchange: "exchange_operator", ReviewStage.registry: "ncsc_operator"}


@dataclass(frozen=True)
class ApplicationState:
    status: ApplicationStatus
    exchange: str
    exchange_reviewer: str | None = None


@dataclass(frozen=True)
class Transition:
    """Where a review leaves the application, and what it opens: the trading account at the
    application's exchange (unless the unit has one there), the registry account (unless it has one)."""

    status: ApplicationStatus
    open_trading: bool = False
    open_registry: bool = False


def _finding(code: str, message: str, message_zh: str, field: str | None = None) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh, field=field)


def review(stage: ReviewStage, decision: Decision, *, has_account: bool) -> Transition:
    """Where a review that :func:`review_findings` allows leaves the application. The exchange's
    approval opens the trading account; the registry account waits for NCSC's, unless the unit holds
    it already, when nothing is left for NCSC to review."""
    if decision is Decision.reject:
        return Transition(ApplicationStatus.returned)
    if stage is ReviewStage.exchange:
        status = ApplicationStatus.opened if has_account else ApplicationStatus.awaiting_registry_review
        return Transition(status, open_trading=True)
    return Transition(ApplicationStatus.opened, open_trading=True, open_registry=True)


def review_findings(
    state: ApplicationState,
    *,
    stage: ReviewStage,
    decision: Decision,
    reviewer_sub: str,
    reason_count: int,
) -> list[Finding]:
    """Every reason the review may not be taken now by this reviewer (whose role was checked by
    :func:`require_reviewer`)."""
    findings = []
    if _STAGE_OF.get(state.status) is not stage:
        findings.append(
            _finding(
                "APPLICATION_NOT_AT_STAGE",
                f"the application is {state.status}; it is not awaiting the {stage} review",
                f"申请当前状态为 {state.status}，不处于该审核环节",
                "stage",
            )
        )
    if decision is Decision.reject and reason_count == 0:
        findings.append(_finding("REASONS_REQUIRED", "a rejection gives its reasons", "退回须说明理由", "reasons"))
    if stage is ReviewStage.registry:
        same = two_person_rule(
            state.exchange_reviewer, reviewer_sub, "reviewed it for the exchange", "办理交易机构初审"
        )
        if same is not None:
            findings.append(same)
    return findings


def require_reviewer(stage: ReviewStage, role: str) -> None:
    """The exchange stage is an exchange operator's, the registry stage NCSC's (403 otherwise)."""
    if role != _REVIEWER_ROLE[stage]:
        raise Forbidden(
            "WRONG_REVIEWER",
            f"the {stage} review is taken by a {_REVIEWER_ROLE[stage]}",
            "交易机构初审须由交易机构办理" if stage is ReviewStage.exchange else "注登机构复审须由国家气候战略中心办理",
            field="stage",
        )


def already_open(exchange: str) -> Finding:
    return _finding(
        ALREADY_OPEN,
        f"the unit already has a legacy registry account and a trading account at {exchange}",
        f"该单位已在旧CCER注登系统开立登记账户并在 {exchange} 开立交易账户，无需重复开立",
    )


def account_exists() -> Finding:
    return _finding(
        ALREADY_OPEN,
        "the unit already has a legacy registry account",
        "该单位已在旧CCER注登系统开立登记账户，无需重复开立",
        "holder.uscc",
    )


def amend(state: ApplicationState) -> list[Finding]:
    """Why the application may not be amended and resubmitted now (only a returned one may)."""
    if state.status is ApplicationStatus.returned:
        return []
    return [
        _finding(
            "APPLICATION_NOT_RETURNED",
            f"the application is {state.status}; only a returned application is amended",
            f"申请当前状态为 {state.status}，仅已退回的申请可修改",
        )
    ]


def application_findings(
    *,
    own_org: bool,
    exchange: str,
    has_account: bool,
    trades_at_exchange: bool,
    province_given: bool,
    in_progress: bool,
) -> list[Finding]:
    """Every reason an application (or its amendment) is refused at submission."""
    findings = []
    if not own_org:
        findings.append(
            _finding(
                "NOT_OWN_ORG", "an enterprise applies for its own organisation", "只能为本单位申请开户", "org.uscc"
            )
        )
    if exchange not in LEGACY_EXCHANGES:
        findings.append(
            _finding(
                "NOT_LEGACY_EXCHANGE",
                f"{exchange} is not a legacy exchange",
                f"{exchange} 不是旧有CCER交易机构",
                "exchange",
            )
        )
    if has_account and trades_at_exchange:
        findings.append(already_open(exchange))
    if not has_account and not province_given:
        findings.append(
            _finding(
                "PROVINCE_REQUIRED",
                "the unit has no legacy registry account yet: give its province",
                "该单位尚未开立登记账户，须填写所在省份",
                "org.province",
            )
        )
    if in_progress:
        findings.append(
            _finding(
                "APPLICATION_IN_PROGRESS",
                f"an application of this unit through {exchange} is already under review",
                f"该单位经 {exchange} 提交的开户申请正在审核中",
            )
        )
    return findings


@dataclass(frozen=True)
class Opening:
    """What a review opens now: a registry account (unless the unit has one) and a trading account at
    the exchange (unless the unit has one there, attached or not)."""

    registry_account: bool
    trading_account: bool


def opening(transition: Transition, *, has_account: bool, has_trading: bool) -> Opening:
    """What to open (:func:`opening_findings` says when there is nothing left to open)."""
    return Opening(
        registry_account=transition.open_registry and not has_account,
        trading_account=transition.open_trading and not has_trading,
    )


def opening_findings(*, has_account: bool, trades_at_exchange: bool, exchange: str) -> list[Finding]:
    """A unit holding its registry account and a trading account at the exchange has nothing to open."""
    return [already_open(exchange)] if has_account and trades_at_exchange else []


def exchanges_findings(exchanges: Sequence[str]) -> list[Finding]:
    """A direct opening's list of exchanges: legacy exchanges, each once."""
    findings = [
        _finding(
            "NOT_LEGACY_EXCHANGE", f"{code} is not a legacy exchange", f"{code} 不是旧有CCER交易机构", f"exchanges.{i}"
        )
        for i, code in enumerate(exchanges)
        if code not in LEGACY_EXCHANGES
    ]
    if len(set(exchanges)) != len(exchanges):
        findings.append(_finding("DUPLICATE_EXCHANGE", "an exchange is listed twice", "交易机构重复", "exchanges"))
    return findings
